# Private interface targets for warnings and sanitizers: linked PRIVATE by brigade's own targets,
# never put in CMAKE_CXX_FLAGS and never exported to consumers.

add_library(brigade_warnings INTERFACE)
target_compile_options(brigade_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                       $<$<BOOL:${BRIGADE_WERROR}>:-Werror>)

add_library(brigade_sanitizers INTERFACE)
if(BRIGADE_SANITIZE)
  list(JOIN BRIGADE_SANITIZE "," san_list)
  target_compile_options(brigade_sanitizers INTERFACE -fsanitize=${san_list}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(brigade_sanitizers INTERFACE -fsanitize=${san_list})
endif()

# What every brigade-owned target (library, tests, examples, tools, benchmarks) links privately.
add_library(brigade_build_flags INTERFACE)
target_link_libraries(brigade_build_flags INTERFACE brigade_warnings brigade_sanitizers)
