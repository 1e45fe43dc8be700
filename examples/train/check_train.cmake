# Runs the `train` example (PROGRAM) and checks one promise, chosen by MODE:
#   accuracy   the default run reaches a test accuracy of at least 0.95
#   same_bits  final_loss is the same string (the same double) at BRIGADE_THREADS=1 and 2
#   trace      --trace and --plot write their files, and `brigade trace` (BRIGADE) reads the trace
#   help       --help exits 0 and lists the options
#   error      ARGS fail: non-zero exit, nothing on stdout, one stderr line matching EXPECT
# ARGS are the extra arguments, separated by '|'; WORK is a scratch folder.
string(REPLACE "|" ";" args "${ARGS}")
file(MAKE_DIRECTORY ${WORK})

function(run_train out_var)  # run_train(out [ENV NAME=value]) with ARGS and --json
  cmake_parse_arguments(arg "" "ENV" "" ${ARGN})
  set(env "")
  if(arg_ENV)
    set(env ${CMAKE_COMMAND} -E env ${arg_ENV})
  endif()
  execute_process(COMMAND ${env} ${PROGRAM} ${args} --json
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "train ${args} failed (${status}): ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "accuracy")
  run_train(out)
  string(JSON acc GET "${out}" test_accuracy)
  message(STATUS "test_accuracy ${acc}")
  if(acc LESS 0.95)
    message(FATAL_ERROR "test accuracy ${acc} < 0.95: ${out}")
  endif()
elseif(MODE STREQUAL "same_bits")
  foreach(t 1 2)
    run_train(out ENV BRIGADE_THREADS=${t})
    # The number as printed (shortest round-trip form), not as CMake would reformat it.
    if(NOT out MATCHES "\"final_loss\":([^,}]+)")
      message(FATAL_ERROR "no final_loss in: ${out}")
    endif()
    set(loss_${t} "${CMAKE_MATCH_1}")
    message(STATUS "BRIGADE_THREADS=${t}: final_loss ${loss_${t}}")
  endforeach()
  if(NOT loss_1 STREQUAL loss_2)
    message(FATAL_ERROR "final_loss differs: ${loss_1} at 1 thread, ${loss_2} at 2")
  endif()
elseif(MODE STREQUAL "trace")
  file(REMOVE ${WORK}/train.json ${WORK}/loss.svg)
  list(APPEND args --trace ${WORK}/train.json --plot ${WORK}/loss.svg)
  run_train(out)
  file(READ ${WORK}/loss.svg svg)
  if(NOT svg MATCHES "<polyline")
    message(FATAL_ERROR "loss.svg has no line: ${svg}")
  endif()
  if(BRIGADE)
    execute_process(COMMAND ${BRIGADE} trace ${WORK}/train.json --json RESULT_VARIABLE status
                    OUTPUT_VARIABLE analysis ERROR_VARIABLE err TIMEOUT 60)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "brigade trace cannot read the trace (${status}): ${err}")
    endif()
    string(JSON work GET "${analysis}" work_seconds)
    message(STATUS "brigade trace: work ${work} s")
  endif()
elseif(MODE STREQUAL "help")
  execute_process(COMMAND ${PROGRAM} ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out)
  if(NOT status EQUAL 0 OR NOT out MATCHES "--epochs" OR NOT out MATCHES "--trace")
    message(FATAL_ERROR "--help: status ${status}, output: ${out}")
  endif()
elseif(MODE STREQUAL "error")
  execute_process(COMMAND ${PROGRAM} ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 60)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  if(status EQUAL 0 OR NOT out STREQUAL "" OR NOT lines EQUAL 1 OR NOT err MATCHES "${EXPECT}")
    message(FATAL_ERROR "train ${args}: expected a failure with one stderr line matching "
                        "'${EXPECT}'; got status ${status}, stdout '${out}', stderr '${err}'")
  endif()
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
