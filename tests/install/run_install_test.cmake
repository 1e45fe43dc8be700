# Installs the build tree into a scratch prefix, then builds and runs a consumer project twice:
# once through find_package(brigade CONFIG), once through pkg-config.
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BINARY} --prefix ${prefix})

if(NOT EXISTS ${prefix}/share/doc/brigade/LICENSE)
  message(FATAL_ERROR "the license was not installed (share/doc/brigade/LICENSE)")
endif()

# 1. find_package(brigade 0.2 CONFIG REQUIRED)
set(consumer_args -S ${SOURCE}/tests/install/consumer -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} ${consumer_args} -B ${WORK}/consumer)
run(${CMAKE_COMMAND} --build ${WORK}/consumer)
run(${WORK}/consumer/consumer)

# Versions the package must refuse: a newer one, and an older minor version (before 1.0 a minor
# version may break the API, so the version file says SameMinorVersion).
foreach(request 9.0 0.1)
  execute_process(COMMAND ${CMAKE_COMMAND} ${consumer_args} -B ${WORK}/consumer_${request}
                          -DBRIGADE_REQUEST=${request}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "find_package(brigade ${request} CONFIG REQUIRED) accepted version "
                        "${VERSION}:\n${out}")
  endif()
  string(REGEX REPLACE "[ \n]+" " " out_flat "${out}")  # CMake wraps its error text
  if(NOT out_flat MATCHES "compatible with requested version \"${request}\"")
    message(FATAL_ERROR "find_package(brigade ${request}) failed, but not for the version:\n${out}")
  endif()
endforeach()

# 2. pkg-config
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB_RECURSE pc_file ${prefix}/*/brigade.pc)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs brigade OUTPUT_VARIABLE flags
                RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know brigade")
endif()
execute_process(COMMAND ${PKG_CONFIG} --modversion brigade OUTPUT_VARIABLE pc_version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT pc_version STREQUAL VERSION)
  message(FATAL_ERROR "brigade.pc says version '${pc_version}', the project ${VERSION}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} ${SOURCE}/tests/install/consumer/main.cpp ${flags} -o ${WORK}/pkgconfig_consumer)
run(${WORK}/pkgconfig_consumer)
message(STATUS "installed package works through find_package and pkg-config")
