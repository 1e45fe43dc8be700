# The tests of examples/heat, one per CASE (see CMakeLists.txt here): HEAT is the program,
# ARGS its arguments (separated by spaces); BOUND, BRIGADE and TRACE as each case needs. The
# heat_mpi cases also get HEAT_MPI, MPIRUN, MPIRUN_ARGS (a list) and NP, the number of ranks.
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")

# Runs heat_mpi on NP ranks with `args`; fails unless the job exits with 0.
function(run_heat_mpi out_var args)
  execute_process(COMMAND ${MPIRUN} ${MPIRUN_ARGS} -np ${NP} ${HEAT_MPI} ${args}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "mpirun -np ${NP} heat_mpi ${args} exited with '${status}': ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Runs heat with `env` (a list of NAME=value) and `args`; fails unless it exits with 0.
function(run_heat out_var env args)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env} ${HEAT} ${args}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "heat ${args} (${env}) exited with '${status}': ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# The text of field `name` of heat's one-line JSON, exactly as printed (no float round trip).
function(json_field out_var json name)
  if(NOT json MATCHES "\"${name}\":([^,}]+)")
    message(FATAL_ERROR "no \"${name}\" in heat's output: ${json}")
  endif()
  set(${out_var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

if(CASE STREQUAL "error_bound")
  run_heat(out "BRIGADE_THREADS=2" "${ARGS};--check;--json")
  json_field(error "${out}" max_error)
  # CMake compares numbers as doubles, exponents included.
  if(NOT error LESS BOUND)
    message(FATAL_ERROR "max error ${error} is not under ${BOUND}: ${out}")
  endif()
  message(STATUS "max error ${error} < ${BOUND}")

elseif(CASE STREQUAL "same_checksum_1_and_2_threads")
  run_heat(one "BRIGADE_THREADS=1" "${ARGS};--json")
  run_heat(two "BRIGADE_THREADS=2" "${ARGS};--json")
  json_field(sum1 "${one}" checksum)
  json_field(sum2 "${two}" checksum)
  # nlohmann-json prints the shortest text that reads back as the same double: equal text
  # means equal bits.
  if(NOT sum1 STREQUAL sum2)
    message(FATAL_ERROR "checksum at 1 thread ${sum1}, at 2 threads ${sum2}")
  endif()
  message(STATUS "checksum ${sum1} at 1 and 2 threads")

elseif(CASE STREQUAL "bad_input")
  # Each bad command line: non-zero exit, nothing on stdout, one line on stderr naming it.
  # "arguments|what stderr must name"
  set(cases
      "--n 2 --steps 1|--n 2"
      "--n abc --steps 1|abc"
      "--n 9 --steps -1|--steps -1"
      "--n 9 --steps 1.5|1.5"
      "--n 9 --steps 1 --alpha 0.3|--alpha 0.3"
      "--n 9 --steps 1 --alpha 0|--alpha 0"
      "--n 9 --steps 1 --alpha -0.1|-0.1"
      "--n 9 --steps 1 --alpha x|x"
      "--steps 1|--n")
  foreach(c IN LISTS cases)
    string(FIND "${c}" "|" bar)
    string(SUBSTRING "${c}" 0 ${bar} parts)
    math(EXPR bar "${bar} + 1")
    string(SUBSTRING "${c}" ${bar} -1 expect)
    separate_arguments(parts UNIX_COMMAND "${parts}")
    execute_process(COMMAND ${HEAT} ${parts} RESULT_VARIABLE status OUTPUT_VARIABLE out
                    ERROR_VARIABLE err TIMEOUT 30)
    string(REGEX MATCHALL "\n" newlines "${err}")
    list(LENGTH newlines lines)
    if(status EQUAL 0 OR NOT out STREQUAL "" OR NOT lines EQUAL 1)
      message(FATAL_ERROR "heat ${parts}: want a failure with one line on stderr; got exit "
                          "'${status}', stdout '${out}', stderr '${err}'")
    endif()
    string(FIND "${err}" "${expect}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "heat ${parts}: stderr does not name '${expect}': ${err}")
    endif()
    message(STATUS "heat ${parts}: ${err}")
  endforeach()

elseif(CASE STREQUAL "trace_is_readable")
  file(REMOVE "${TRACE}")
  run_heat(out "BRIGADE_THREADS=2" "--n;65;--steps;20;--trace;${TRACE}")
  execute_process(COMMAND ${BRIGADE} trace --json ${TRACE} RESULT_VARIABLE status
                  OUTPUT_VARIABLE report ERROR_VARIABLE err TIMEOUT 50)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "brigade trace ${TRACE} exited with '${status}': ${err}")
  endif()
  if(NOT report MATCHES "\"work_seconds\": *([0-9.eE+-]+)" OR NOT CMAKE_MATCH_1 GREATER 0)
    message(FATAL_ERROR "brigade trace ${TRACE} found no work in it: ${report}")
  endif()
  message(STATUS "brigade trace read ${TRACE}: ${CMAKE_MATCH_1} s of work")

elseif(CASE MATCHES "^same_checksum_as_heat")
  run_heat(one "" "${ARGS};--json")
  run_heat_mpi(many "${ARGS};--json")
  json_field(sum1 "${one}" checksum)
  json_field(sum_mpi "${many}" checksum)
  json_field(ranks "${many}" ranks)
  if(NOT ranks EQUAL NP)
    message(FATAL_ERROR "heat_mpi says ${ranks} ranks, not ${NP}: ${many}")
  endif()
  if(NOT sum1 STREQUAL sum_mpi)  # shortest round-trip text: equal text, equal bits
    message(FATAL_ERROR "checksum of heat ${sum1}, of heat_mpi on ${NP} ranks ${sum_mpi}")
  endif()
  message(STATUS "checksum ${sum1} from heat and from heat_mpi on ${NP} ranks")

elseif(CASE STREQUAL "error_bound_np2")
  run_heat_mpi(out "${ARGS};--check;--json")
  json_field(error "${out}" max_error)
  if(NOT error LESS BOUND)
    message(FATAL_ERROR "max error ${error} is not under ${BOUND}: ${out}")
  endif()
  message(STATUS "max error ${error} < ${BOUND} on ${NP} ranks")

elseif(CASE STREQUAL "bad_input_np2")
  # Each bad command line fails the job without a hang; only rank 0 speaks: heat_mpi's line
  # appears once (mpirun may add its own lines about the failed job), nothing on stdout.
  set(cases "--n 2 --steps 1|--n 2" "--n 9 --steps 1 --alpha 0.3|--alpha 0.3" "--steps 1|--n")
  foreach(c IN LISTS cases)
    string(FIND "${c}" "|" bar)
    string(SUBSTRING "${c}" 0 ${bar} parts)
    math(EXPR bar "${bar} + 1")
    string(SUBSTRING "${c}" ${bar} -1 expect)
    separate_arguments(parts UNIX_COMMAND "${parts}")
    execute_process(COMMAND ${MPIRUN} ${MPIRUN_ARGS} -np ${NP} ${HEAT_MPI} ${parts}
                    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
    string(REGEX MATCHALL "heat_mpi: [^\n]*" lines "${err}")
    list(LENGTH lines count)
    if(status EQUAL 0 OR NOT out STREQUAL "" OR NOT count EQUAL 1)
      message(FATAL_ERROR "heat_mpi ${parts} on ${NP} ranks: want a failure with one line of "
                          "heat_mpi's on stderr; got exit '${status}', stdout '${out}', stderr "
                          "'${err}'")
    endif()
    string(FIND "${lines}" "${expect}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "heat_mpi ${parts}: stderr does not name '${expect}': ${err}")
    endif()
    message(STATUS "heat_mpi ${parts}: ${lines}")
  endforeach()

elseif(CASE STREQUAL "trace_is_readable_np2")
  # One trace per rank, NAME.rank0.EXT and NAME.rank1.EXT (mpi::context sets the rank); one
  # `brigade trace` merges them and reports each rank's work and communication wait.
  get_filename_component(dir "${TRACE}" DIRECTORY)
  get_filename_component(stem "${TRACE}" NAME_WLE)
  set(rank0 "${dir}/${stem}.rank0.json")
  set(rank1 "${dir}/${stem}.rank1.json")
  file(REMOVE "${TRACE}" "${rank0}" "${rank1}")
  run_heat_mpi(out "--n;65;--steps;20;--trace;${TRACE}")
  if(EXISTS "${TRACE}")
    message(FATAL_ERROR "heat_mpi wrote ${TRACE}: ranks must write NAME.rankR.json only")
  endif()
  execute_process(COMMAND ${BRIGADE} trace --json ${rank0} ${rank1} RESULT_VARIABLE status
                  OUTPUT_VARIABLE report ERROR_VARIABLE err TIMEOUT 50)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "brigade trace ${rank0} ${rank1} exited with '${status}': ${err}")
  endif()
  string(JSON nranks LENGTH "${report}" ranks)
  if(NOT nranks EQUAL 2)
    message(FATAL_ERROR "the merged trace has ${nranks} ranks, not 2: ${report}")
  endif()
  foreach(r 0 1)
    string(JSON rank GET "${report}" ranks ${r} rank)
    string(JSON work GET "${report}" ranks ${r} work_seconds)
    string(JSON waits GET "${report}" ranks ${r} comm_waits)
    string(JSON wait GET "${report}" ranks ${r} comm_wait_seconds)
    if(NOT rank EQUAL r OR NOT work GREATER 0 OR NOT waits GREATER 0)
      message(FATAL_ERROR "rank ${r} of the merged trace: rank ${rank}, ${work} s of work, "
                          "${waits} communication waits (all must be there): ${report}")
    endif()
    message(STATUS "rank ${r}: ${work} s of work, ${waits} waits for ${wait} s")
  endforeach()

else()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()
