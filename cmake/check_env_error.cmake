# Runs PROGRAM with one environment setting (ENV, "NAME=value") and checks that it stops at
# start: exit status 2, nothing on stdout (the work never ran), and one line on stderr that
# matches EXPECT. Used by the tests of brigade's environment variables.
execute_process(COMMAND ${CMAKE_COMMAND} -E env ${ENV} ${PROGRAM}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT status EQUAL 2)
  message(FATAL_ERROR "${ENV}: expected exit status 2, got '${status}'; stderr: ${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "${ENV}: the program ran anyway; stdout: ${out}")
endif()
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(NOT lines EQUAL 1 OR NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "${ENV}: expected one line matching '${EXPECT}' on stderr, got: ${err}")
endif()
