# Installs headers, the libraries (brigade, and brigade_trace_tools, brigade_mpi and brigade_tls
# for their components), the license, a CMake package (find_package(brigade CONFIG [COMPONENTS trace_tools]))
# and brigade.pc (brigade::brigade only).
include(CMakePackageConfigHelpers)

install(TARGETS brigade EXPORT brigade-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The trace_tools component (brigade::trace_tools) has an export set of its own, so that only
# find_package(brigade COMPONENTS trace_tools) needs nlohmann_json (a static library's link
# interface names nlohmann_json::nlohmann_json).
install(TARGETS brigade_trace_tools EXPORT brigade-trace_tools-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The mpi component (brigade::mpi), when built: its own export set, so that only
# find_package(brigade COMPONENTS mpi) looks for MPI.
if(TARGET brigade_mpi)
  install(TARGETS brigade_mpi EXPORT brigade-mpi-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The dns component (brigade::dns), when built: its own export set, so that only
# find_package(brigade COMPONENTS dns) looks for c-ares.
if(TARGET brigade_dns)
  install(TARGETS brigade_dns EXPORT brigade-dns-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The tls component (brigade::tls), when built: its own export set, so that only
# find_package(brigade COMPONENTS tls) looks for OpenSSL.
if(TARGET brigade_tls)
  install(TARGETS brigade_tls EXPORT brigade-tls-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/brigade DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Whether the library links liburing (src/CMakeLists.txt decides), and what that means for
# consumers: a static library's link interface names liburing::liburing, so brigade-config.cmake
# finds it with find_dependency (and the find module installed here); a shared one needs nothing.
get_target_property(brigade_type brigade TYPE)
get_target_property(brigade_links brigade LINK_LIBRARIES)
set(BRIGADE_LINKS_LIBURING FALSE)
if("liburing::liburing" IN_LIST brigade_links)
  set(BRIGADE_LINKS_LIBURING TRUE)
endif()
set(BRIGADE_CONFIG_FINDS_LIBURING FALSE)
if(BRIGADE_LINKS_LIBURING AND brigade_type STREQUAL "STATIC_LIBRARY")
  set(BRIGADE_CONFIG_FINDS_LIBURING TRUE)
endif()

set(brigade_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/brigade)
install(EXPORT brigade-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
install(EXPORT brigade-trace_tools-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
if(TARGET brigade_mpi)
  install(EXPORT brigade-mpi-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
endif()
if(TARGET brigade_dns)
  install(EXPORT brigade-dns-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
endif()
if(TARGET brigade_tls)
  install(EXPORT brigade-tls-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
endif()
if(BRIGADE_CONFIG_FINDS_LIBURING)
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/Findliburing.cmake DESTINATION ${brigade_cmake_dir})
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/brigade-config.cmake.in
                              ${PROJECT_BINARY_DIR}/brigade-config.cmake
                              INSTALL_DESTINATION ${brigade_cmake_dir})
# SameMinorVersion: before 1.0 a new minor version may break the API (CHANGELOG.md), so
# find_package(brigade 0.2) accepts 0.2.x only; SameMajorVersion would let 0.2 accept 0.9.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/brigade-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/brigade-config.cmake
              ${PROJECT_BINARY_DIR}/brigade-config-version.cmake
        DESTINATION ${brigade_cmake_dir})

# brigade.pc: what brigade::brigade gives a CMake consumer, in flags. pkg-config cannot ask which
# compiler the consumer uses, nor which -std it wants, so:
# - -foptimize-sibling-calls is always there (the target adds it for GCC only): GCC compiles the
#   symmetric transfer between coroutines as a tail call only with it, and at -O0 (where it is off)
#   a loop of synchronous co_awaits overflows the stack. Clang accepts it and needs nothing more.
# - there is no -std: a -std=c++20 here would override a consumer's -std=c++23 that comes before
#   it. Consumers pass their own, C++20 or later (README.md says so).
# - the public compile definitions of the options that compile hooks out are carried.
# - liburing, when the library links it: with the static library (the default) every consumer links
#   it, so it goes in Requires (or Libs); with the shared one only a static link of everything needs
#   it, so it goes in Requires.private (or Libs.private). Requires when liburing has a .pc beside its
#   library, so that its -L comes along.
# The install test compares these flags with the ones the CMake target gives.
file(RELATIVE_PATH pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(BRIGADE_PC_CFLAGS "-foptimize-sibling-calls -pthread")
if(NOT BRIGADE_ENABLE_TRACING)
  string(APPEND BRIGADE_PC_CFLAGS " -DBRIGADE_NO_TRACING=1")
endif()
if(NOT BRIGADE_ENABLE_LOCK_CHECKS)
  string(APPEND BRIGADE_PC_CFLAGS " -DBRIGADE_NO_LOCK_CHECKS=1")
endif()
if(BRIGADE_SCHEDULE_FUZZ)
  string(APPEND BRIGADE_PC_CFLAGS " -DBRIGADE_SCHEDULE_FUZZ=1")
endif()
set(BRIGADE_PC_REQUIRES "")
set(BRIGADE_PC_REQUIRES_PRIVATE "")
set(BRIGADE_PC_LIBS "")
set(BRIGADE_PC_LIBS_PRIVATE "")
if(BRIGADE_LINKS_LIBURING)
  get_filename_component(uring_libdir ${liburing_LIBRARY} DIRECTORY)
  if(EXISTS ${uring_libdir}/pkgconfig/liburing.pc)
    set(uring_field REQUIRES)
    set(uring_value liburing)
  else()
    set(uring_field LIBS)
    set(uring_value -luring)
  endif()
  if(brigade_type STREQUAL "STATIC_LIBRARY")
    set(BRIGADE_PC_${uring_field} ${uring_value})
  else()
    set(BRIGADE_PC_${uring_field}_PRIVATE ${uring_value})
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/brigade.pc.in ${PROJECT_BINARY_DIR}/brigade.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/brigade.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
