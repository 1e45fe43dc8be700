# Installs headers, the library, the license, a CMake package (find_package(brigade CONFIG)) and
# brigade.pc.
include(CMakePackageConfigHelpers)

install(TARGETS brigade EXPORT brigade-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/brigade DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(brigade_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/brigade)
install(EXPORT brigade-targets NAMESPACE brigade:: DESTINATION ${brigade_cmake_dir})
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

# The .pc file finds its prefix relative to itself, so the package can be installed anywhere.
file(RELATIVE_PATH pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(BRIGADE_PC_EXTRA_LIBS "")
if(BRIGADE_URING_LIBRARY AND BRIGADE_URING_INCLUDE_DIR AND BRIGADE_ENABLE_IO_URING)
  set(BRIGADE_PC_EXTRA_LIBS "-luring")  # the static library needs it at the consumer's link
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/brigade.pc.in ${PROJECT_BINARY_DIR}/brigade.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/brigade.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
