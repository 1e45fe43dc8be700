# Runs PROGRAM on 2 ranks: the job must fail (not hang: the test has a timeout) and say which rank
# failed and why.
execute_process(COMMAND ${MPIRUN} ${MPIRUN_ARGS} -np 2 ${PROGRAM} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
if(rc EQUAL 0)
  message(FATAL_ERROR "the job succeeded although rank 1 threw:\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "rank 1: error: the stove is on fire")
  message(FATAL_ERROR "the job failed (${rc}) without rank 1's message:\n${out}${err}")
endif()
