# Debian 12's libxnnpack-dev ships no CMake config or .pc file: find it by hand.
# Defines XNNPACK::XNNPACK and PTHREADPOOL::pthreadpool imported targets.
find_path(XNNPACK_INCLUDE_DIR xnnpack.h)
find_library(XNNPACK_LIBRARY XNNPACK)
find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
find_library(PTHREADPOOL_LIBRARY pthreadpool)
find_library(CPUINFO_LIBRARY cpuinfo)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XNNPACK REQUIRED_VARS XNNPACK_LIBRARY XNNPACK_INCLUDE_DIR)
if(PTHREADPOOL_LIBRARY AND NOT TARGET PTHREADPOOL::pthreadpool)
  add_library(PTHREADPOOL::pthreadpool UNKNOWN IMPORTED)
  set_target_properties(PTHREADPOOL::pthreadpool PROPERTIES
    IMPORTED_LOCATION "${PTHREADPOOL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PTHREADPOOL_INCLUDE_DIR}")
endif()
if(XNNPACK_FOUND AND NOT TARGET XNNPACK::XNNPACK)
  add_library(XNNPACK::XNNPACK UNKNOWN IMPORTED)
  set(_deps PTHREADPOOL::pthreadpool)
  if(CPUINFO_LIBRARY)
    list(APPEND _deps "${CPUINFO_LIBRARY}")
  endif()
  set_target_properties(XNNPACK::XNNPACK PROPERTIES
    IMPORTED_LOCATION "${XNNPACK_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XNNPACK_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${_deps}")
endif()
