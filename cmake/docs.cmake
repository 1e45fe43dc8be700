# The `docs` target: an HTML API reference of include/brigade, built by Doxygen into
# <build>/docs/html (never committed). Without Doxygen the target is not defined.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS
          "brigade: Doxygen not found, no `docs` target (tools/install-deps.sh --docs installs it)")
  return()
endif()

set(DOXYGEN_PROJECT_BRIEF "${PROJECT_DESCRIPTION}")
set(DOXYGEN_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
set(DOXYGEN_GENERATE_LATEX NO)
set(DOXYGEN_QUIET YES)
set(DOXYGEN_WARN_AS_ERROR NO)
# Only the `///` comments on the public API: undocumented internals are left out, not warned of.
set(DOXYGEN_EXTRACT_ALL NO)
set(DOXYGEN_WARN_IF_UNDOCUMENTED NO)
set(DOXYGEN_FULL_PATH_NAMES YES)
set(DOXYGEN_STRIP_FROM_PATH ${PROJECT_SOURCE_DIR}/include)
set(DOXYGEN_STRIP_FROM_INC_PATH ${PROJECT_SOURCE_DIR}/include)
# detail/ folders and detail namespaces are private to their layer.
set(DOXYGEN_EXCLUDE_PATTERNS */detail/*)
set(DOXYGEN_EXCLUDE_SYMBOLS detail *::detail)
set(DOXYGEN_JAVADOC_AUTOBRIEF YES)
set(DOXYGEN_SHOW_FILES NO)
# docs/api.dox: the front page and the namespace summaries (a namespace without one is hidden).
doxygen_add_docs(docs ${PROJECT_SOURCE_DIR}/include/brigade ${PROJECT_SOURCE_DIR}/docs/api.dox
                 COMMENT "HTML API reference in ${PROJECT_BINARY_DIR}/docs/html")
