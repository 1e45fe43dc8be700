# The release preset (the README's main job, after tools/install-deps.sh without --tests)
# configures on a machine without the programs only tests use: curl and Chromium are hidden here
# (CMAKE_IGNORE_PATH over their folders; compiler and Ninja given by full path), and configuring
# must still succeed. The tests that need them fail when they run, saying what to install.
cmake_minimum_required(VERSION 3.25)
find_program(NINJA ninja REQUIRED)
# Every folder find_program finds them in; with a merged /usr, /usr/bin is also /bin (which a
# project's configure searches and this script does not), so both are hidden.
set(CMAKE_IGNORE_PATH "")
foreach(program curl chromium chromium-browser)
  foreach(attempt RANGE 10)
    find_program(found ${program} NO_CACHE)
    if(NOT found)
      break()
    endif()
    get_filename_component(dir ${found} DIRECTORY)
    string(REGEX REPLACE "^/usr/" "/" other ${dir})
    list(APPEND CMAKE_IGNORE_PATH ${dir} ${other} /usr${dir})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES CMAKE_IGNORE_PATH)
set(hidden ${CMAKE_IGNORE_PATH})

file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK} --preset release
                        -DCMAKE_MAKE_PROGRAM=${NINJA} -DCMAKE_CXX_COMPILER=${CXX}
                        "-DCMAKE_IGNORE_PATH=${hidden}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the release preset does not configure without curl and Chromium:\n${out}")
endif()
load_cache(${WORK} READ_WITH_PREFIX cache_ WEB_SERVER_CURL BRIGADE_CHROMIUM)
if(cache_WEB_SERVER_CURL OR cache_BRIGADE_CHROMIUM)
  message(FATAL_ERROR "curl or Chromium was found although hidden (${cache_WEB_SERVER_CURL}, "
                      "${cache_BRIGADE_CHROMIUM}): this check checks nothing")
endif()
file(REMOVE_RECURSE ${WORK})
message(STATUS "the release preset configures without curl and Chromium")
