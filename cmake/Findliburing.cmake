# Finds liburing, io_uring's user-space library: sets liburing_FOUND and defines the imported
# target liburing::liburing. brigade's build uses it, and it is installed beside
# brigade-config.cmake for find_dependency(liburing), which consumers of the static library need.
find_path(liburing_INCLUDE_DIR liburing.h)
find_library(liburing_LIBRARY uring)
mark_as_advanced(liburing_INCLUDE_DIR liburing_LIBRARY)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(liburing REQUIRED_VARS liburing_LIBRARY liburing_INCLUDE_DIR)

if(liburing_FOUND AND NOT TARGET liburing::liburing)
  # Its headers are SYSTEM for whoever links it (an imported target's are).
  add_library(liburing::liburing UNKNOWN IMPORTED)
  set_target_properties(liburing::liburing PROPERTIES
    IMPORTED_LOCATION ${liburing_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${liburing_INCLUDE_DIR})
endif()
