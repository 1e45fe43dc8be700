# Private interface targets for warnings and sanitizers: linked PRIVATE by brigade's own targets,
# never put in CMAKE_CXX_FLAGS and never exported to consumers.

add_library(brigade_warnings INTERFACE)
target_compile_options(brigade_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                       $<$<BOOL:${BRIGADE_WERROR}>:-Werror>)

add_library(brigade_sanitizers INTERFACE)
if(BRIGADE_SANITIZE)
  list(JOIN BRIGADE_SANITIZE "," san_list)
  # clang 14's -fsanitize=function (part of "undefined") miscompiles coroutines ("Cannot
  # represent a difference across sections"); the rest of UBSan stays on.
  set(no_function_check "$<$<AND:$<CXX_COMPILER_ID:Clang>,$<IN_LIST:undefined,${BRIGADE_SANITIZE}>>:-fno-sanitize=function>")
  target_compile_options(brigade_sanitizers INTERFACE -fsanitize=${san_list} ${no_function_check}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(brigade_sanitizers INTERFACE -fsanitize=${san_list})
  if("thread" IN_LIST BRIGADE_SANITIZE)
    # GCC 12 warns (-Wtsan, an error under BRIGADE_WERROR) that ThreadSanitizer does not model
    # std::atomic_thread_fence, which the scheduler's sleep/wake protocol uses. That is true of
    # TSan with clang as well, which just does not say so: a race only a fence prevents shows up
    # as a false report under either compiler, never as a hidden one. The warning is about the
    # tool, not our code, and without this the tsan preset does not build with g++.
    target_compile_options(brigade_sanitizers INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  endif()
  if("undefined" IN_LIST BRIGADE_SANITIZE)
    # Lets the few tests that defeat UBSan's own machinery say so (see io_net_test.cpp).
    target_compile_definitions(brigade_sanitizers INTERFACE BRIGADE_UBSAN=1)
  endif()
endif()

# What every brigade-owned target (library, tests, examples, tools, benchmarks) links privately.
add_library(brigade_build_flags INTERFACE)
target_link_libraries(brigade_build_flags INTERFACE brigade_warnings brigade_sanitizers)
