# Installs the build tree into a scratch prefix, then builds and runs a consumer project through
# find_package(brigade CONFIG), one through find_package(brigade CONFIG COMPONENTS trace_tools), and
# one through find_package(brigade CONFIG COMPONENTS mpi), one through COMPONENTS dns and one
# through COMPONENTS tls when brigade has them, the first program
# through pkg-config; then checks that a
# project using brigade as a subproject installs nothing of it.
cmake_minimum_required(VERSION 3.25)  # policies for this script (IN_LIST)
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

# 1. find_package(brigade 0.2 CONFIG REQUIRED). Debug is -O0 (the target's own flags must keep
# main.cpp's co_await loop off the stack) and adds nothing but -g, so compile_commands.json shows
# what brigade::brigade adds.
set(consumer_args -S ${SOURCE}/tests/install/consumer -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Debug
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
# brigade::brigade alone needs no nlohmann_json: the consumer is configured with it hidden.
run(${CMAKE_COMMAND} ${consumer_args} -B ${WORK}/consumer
    -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON)
run(${CMAKE_COMMAND} --build ${WORK}/consumer)
run(${WORK}/consumer/consumer)

# 1b. find_package(brigade CONFIG REQUIRED COMPONENTS trace_tools): a consumer that records a
# trace, reads it back with brigade::trace_tools and prints its work/span analysis.
set(trace_consumer_args -S ${SOURCE}/tests/install/trace_consumer -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Debug)
run(${CMAKE_COMMAND} ${trace_consumer_args} -B ${WORK}/trace_consumer)
run(${CMAKE_COMMAND} --build ${WORK}/trace_consumer)
execute_process(COMMAND ${WORK}/trace_consumer/trace_consumer ${WORK}/trace_consumer/run.json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "trace consumer ok: work [0-9]+ ns, span [0-9]+ ns")
  message(FATAL_ERROR "the trace_tools consumer failed (${rc}):\n${out}")
endif()

# 1c. find_package(brigade CONFIG REQUIRED COMPONENTS mpi), when brigade was built with MPI: a
# consumer that runs a distributed reduction under mpirun on 2 ranks.
if(MPIRUN)
  set(mpi_consumer_args -S ${SOURCE}/tests/install/mpi_consumer -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Debug)
  run(${CMAKE_COMMAND} ${mpi_consumer_args} -B ${WORK}/mpi_consumer)
  run(${CMAKE_COMMAND} --build ${WORK}/mpi_consumer)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  execute_process(COMMAND ${MPIRUN} --oversubscribe --bind-to none --mca btl self,vader -np 2
                          ${WORK}/mpi_consumer/mpi_consumer
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 60)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "mpi consumer ok: 1000 of 2 ranks")
    message(FATAL_ERROR "the mpi consumer failed (${rc}):\n${out}")
  endif()
elseif(EXISTS ${prefix}/lib/cmake/brigade/brigade-mpi-targets.cmake)
  message(FATAL_ERROR "the mpi component is installed but the test was given no mpirun")
endif()

# 1d. find_package(brigade CONFIG REQUIRED COMPONENTS dns), when brigade was built with c-ares: a
# consumer that resolves localhost and connects to a listener by name.
if(EXISTS ${prefix}/lib/cmake/brigade/brigade-dns-targets.cmake)
  set(dns_consumer_args -S ${SOURCE}/tests/install/dns_consumer -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Debug)
  run(${CMAKE_COMMAND} ${dns_consumer_args} -B ${WORK}/dns_consumer)
  run(${CMAKE_COMMAND} --build ${WORK}/dns_consumer)
  execute_process(COMMAND ${WORK}/dns_consumer/dns_consumer
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 60)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "dns consumer ok: [0-9]+ address\\(es\\), connected to 127.0.0.1:")
    message(FATAL_ERROR "the dns consumer failed (${rc}):\n${out}")
  endif()
endif()
# 1d. find_package(brigade CONFIG REQUIRED COMPONENTS tls), when brigade was built with OpenSSL: a
# client that refuses a plain-text server.
if(EXISTS ${prefix}/lib/cmake/brigade/brigade-tls-targets.cmake)
  set(tls_consumer_args -S ${SOURCE}/tests/install/tls_consumer -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Debug)
  run(${CMAKE_COMMAND} ${tls_consumer_args} -B ${WORK}/tls_consumer)
  run(${CMAKE_COMMAND} --build ${WORK}/tls_consumer)
  execute_process(COMMAND ${WORK}/tls_consumer/tls_consumer
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 60)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "tls consumer ok: brigade::tls_stream::handshake")
    message(FATAL_ERROR "the tls consumer failed (${rc}):\n${out}")
  endif()
endif()

# A component brigade does not have, and trace_tools without nlohmann_json, fail find_package
# and say why.
foreach(case "nonsense;has no component nonsense"
             "trace_tools;nlohmann_json")
  list(GET case 0 components)
  list(GET case 1 expected)
  set(extra -DBRIGADE_COMPONENTS=${components})
  if(components STREQUAL "trace_tools")
    list(APPEND extra -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON)
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} ${trace_consumer_args} -B ${WORK}/trace_${components}
                          ${extra}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " out_flat "${out}")
  if(rc EQUAL 0 OR NOT out_flat MATCHES "${expected}")
    message(FATAL_ERROR "find_package(brigade COMPONENTS ${components}) did not fail saying "
                        "'${expected}':\n${out}")
  endif()
endforeach()

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

# The static library needs liburing: brigade-config.cmake looks for it with find_dependency, and
# says so when it is missing (made so here by hiding the folder of liburing.h the build found).
if(EXISTS ${prefix}/lib/cmake/brigade/Findliburing.cmake)
  load_cache(${BINARY} READ_WITH_PREFIX build_ liburing_INCLUDE_DIR)
  execute_process(COMMAND ${CMAKE_COMMAND} ${consumer_args} -B ${WORK}/consumer_no_liburing
                          -DCMAKE_IGNORE_PATH=${build_liburing_INCLUDE_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " out_flat "${out}")
  if(rc EQUAL 0 OR NOT out_flat MATCHES "Could NOT find liburing")
    message(FATAL_ERROR "find_package(brigade) without liburing did not fail for it:\n${out}")
  endif()
endif()

# 2. pkg-config
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB_RECURSE pc_file ${prefix}/*/brigade.pc)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
function(pkg_config out)
  execute_process(COMMAND ${PKG_CONFIG} ${ARGN} brigade OUTPUT_VARIABLE text RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} brigade failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
pkg_config(pc_version --modversion)
if(NOT pc_version STREQUAL VERSION)
  message(FATAL_ERROR "brigade.pc says version '${pc_version}', the project ${VERSION}")
endif()
pkg_config(cflags --cflags)
pkg_config(libs --libs)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs UNIX_COMMAND "${libs}")
if(cflags MATCHES "(^|;)-std=")
  message(FATAL_ERROR "brigade.pc forces a language standard on its consumers: ${cflags}")
endif()

# brigade.pc carries every flag the CMake target gave the consumer above: its definitions and -f
# options (in compile_commands.json), and the libraries on its link line besides brigade.
file(READ ${WORK}/consumer/compile_commands.json commands)
string(JSON command GET "${commands}" 0 command)
separate_arguments(command UNIX_COMMAND "${command}")
foreach(flag IN LISTS command)
  if(flag MATCHES "^-(D|f|pthread)" AND NOT flag IN_LIST cflags)
    message(FATAL_ERROR "the CMake target gives '${flag}' but pkg-config --cflags does not: "
                        "${cflags}")
  endif()
endforeach()
if(EXISTS ${WORK}/consumer/CMakeFiles/consumer.dir/link.txt)  # Makefile generators
  file(READ ${WORK}/consumer/CMakeFiles/consumer.dir/link.txt link_line)
else()  # Ninja: the one executable's LINK_LIBRARIES
  file(STRINGS ${WORK}/consumer/build.ninja link_line REGEX "^ *LINK_LIBRARIES = ")
endif()
separate_arguments(link_line UNIX_COMMAND "${link_line}")
foreach(item IN LISTS link_line)
  set(lib "")
  if(item MATCHES "^-l(.+)$")
    set(lib ${CMAKE_MATCH_1})
  elseif(item MATCHES "/lib([^/]+)\\.(a|so)(\\.[0-9.]+)?$")
    set(lib ${CMAKE_MATCH_1})
  elseif(item STREQUAL "-pthread" AND NOT item IN_LIST libs)
    message(FATAL_ERROR "the CMake target links with -pthread but pkg-config --libs does not")
  endif()
  if(lib AND NOT lib STREQUAL "brigade" AND NOT "-l${lib}" IN_LIST libs)
    message(FATAL_ERROR "the CMake target links ${item} but pkg-config --libs does not: ${libs}")
  endif()
endforeach()

# Consumers built at -O0 (GCC then does no sibling calls unless brigade.pc asks for them: main.cpp
# would overflow the stack), with C++20, and with C++23 given before brigade's flags (which must
# not override it: main.cpp checks). With g++, and with clang++ where it is installed.
find_program(GXX g++ REQUIRED)
find_program(CLANGXX clang++)
set(compilers ${GXX})
if(CLANGXX)
  list(APPEND compilers ${CLANGXX})
else()
  message(STATUS "clang++ not found: the pkg-config consumers are built with g++ only")
endif()
foreach(compiler IN LISTS compilers)
  get_filename_component(name ${compiler} NAME)
  set(cxx23 -std=c++23)  # g++ 11 and clang 17 on; older ones call it c++2b
  execute_process(COMMAND ${compiler} -std=c++23 -fsyntax-only -x c++ /dev/null
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(cxx23 -std=c++2b)
  endif()
  foreach(std -std=c++20 ${cxx23})
    set(exe ${WORK}/pkgconfig_consumer_${name}_${std})
    set(defines)
    if(NOT std STREQUAL "-std=c++20")
      set(defines -DBRIGADE_CONSUMER_EXPECTS_CXX23)
    endif()
    run(${compiler} -O0 ${std} ${defines} ${cflags} ${SOURCE}/tests/install/consumer/main.cpp
        ${libs} -o ${exe})
    run(${exe})
  endforeach()
endforeach()

# 3. brigade as a subproject: installing the project above it installs nothing of brigade.
set(super_prefix ${WORK}/superproject_prefix)
run(${CMAKE_COMMAND} -S ${SOURCE}/tests/install/superproject -B ${WORK}/superproject
    -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DBRIGADE_SOURCE=${SOURCE})
run(${CMAKE_COMMAND} --install ${WORK}/superproject --prefix ${super_prefix})
file(GLOB_RECURSE installed RELATIVE ${super_prefix} ${super_prefix}/*)
if(NOT installed STREQUAL "share/brigade_superproject/marker.txt")
  message(FATAL_ERROR "installing a project that uses brigade as a subproject installed "
                      "${installed}, not only its own share/brigade_superproject/marker.txt")
endif()
message(STATUS "installed package works through find_package and pkg-config; a subproject "
               "installs nothing")
