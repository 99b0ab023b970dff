# Release build (ETCDRESTORE_STATIC=ON): etcdctl-ext and kubectl-etcdrestore are linked fully
# static (`-static`), so they need nothing from the host but a Linux kernel: the glibc of the
# build host (bookworm: 2.36) is newer than Ubuntu 22.04's (2.35), RHEL 9's (2.34) and
# Debian 11's (2.31), so a dynamically linked binary would not start there.
#
# Included by the top-level CMakeLists.txt after the executables are defined. It works on
# whatever the targets link, not on a list of them:
#   1. every imported library target of the top-level directory that points at a shared
#      object (lib<name>.so[.N]) is pointed at lib<name>.a in the same directory (Debian ships
#      the archives of gRPC, absl, protobuf, re2, c-ares, OpenSSL, zlib, yaml-cpp);
#      fmt::fmt has no archive in Debian and becomes header-only (FMT_HEADER_ONLY);
#   2. the executables link etcdrestore_static: `-static` plus, inside one
#      --start-group/--end-group, the archives of step 1 and the static closure of
#      `pkg-config --static grpc++ protobuf` (a shared library's private dependencies are
#      not in its CMake target, but the archive needs them).
# A shared library that is still on the link line makes the link fail ("attempted static
# link of dynamic object"), so nothing dynamic slips through silently.
#
# Caveat of a static glibc: getaddrinfo() can only use the NSS sources built into libc
# ("files", "dns"); other /etc/nsswitch.conf sources (sss, mdns, systemd-resolved's nss-resolve)
# would need the host's libnss_*.so of exactly glibc 2.36 and are not used. gRPC resolves
# etcd endpoints with c-ares (reads /etc/hosts and resolv.conf itself). See
# packaging/README.release.md.

set(ETCDRESTORE_STATIC_EXECUTABLES etcdctl-ext kubectl-etcdrestore)

if(ETCDRESTORE_BUILD_TESTS)
  # Test binaries would link the static archives of step 1 without the closure of step 2.
  message(STATUS "ETCDRESTORE_STATIC: tests are not built in the static release build")
  set(ETCDRESTORE_BUILD_TESTS OFF)
endif()

# lib<name>.so[.N...] -> lib<name>.a in the same directory, or "" if there is none.
function(_etcdrestore_static_archive_for so_path out_var)
  set(${out_var} "" PARENT_SCOPE)
  get_filename_component(dir "${so_path}" DIRECTORY)
  get_filename_component(file "${so_path}" NAME)
  if(file MATCHES "^(lib.+)\\.so(\\.[0-9.]+)?$")
    set(archive "${dir}/${CMAKE_MATCH_1}.a")
    if(EXISTS "${archive}")
      set(${out_var} "${archive}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

# An ar archive with no members: the location of fmt::fmt once it is header-only (an
# imported SHARED target must have a file).
set(_etcdrestore_empty_archive "${CMAKE_BINARY_DIR}/etcdrestore_empty.a")
file(WRITE "${_etcdrestore_empty_archive}" "!<arch>\n")

# Step 1.
set(_etcdrestore_archives "")
get_directory_property(_imported DIRECTORY "${PROJECT_SOURCE_DIR}" IMPORTED_TARGETS)
foreach(t IN LISTS _imported)
  get_target_property(type ${t} TYPE)
  if(NOT type MATCHES "^(SHARED|UNKNOWN|STATIC)_LIBRARY$")
    continue()
  endif()
  get_target_property(configs ${t} IMPORTED_CONFIGURATIONS)
  set(props IMPORTED_LOCATION)
  if(configs)
    foreach(c IN LISTS configs)
      list(APPEND props IMPORTED_LOCATION_${c})
    endforeach()
  endif()
  foreach(p IN LISTS props)
    get_target_property(loc ${t} ${p})
    if(NOT loc OR NOT loc MATCHES "\\.so(\\.[0-9.]+)?$")
      continue()
    endif()
    if(t STREQUAL "fmt::fmt")
      set_target_properties(${t} PROPERTIES ${p} "${_etcdrestore_empty_archive}"
        INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
      continue()
    endif()
    _etcdrestore_static_archive_for("${loc}" archive)
    if(NOT archive)
      message(FATAL_ERROR "ETCDRESTORE_STATIC: ${t} is the shared library ${loc} and there is no "
        "static archive next to it; install its static library or drop the dependency")
    endif()
    set_target_properties(${t} PROPERTIES ${p} "${archive}")
    list(APPEND _etcdrestore_archives "${archive}")
  endforeach()
endforeach()

# Imported targets found in a subdirectory are out of reach of step 1 (not visible here).
function(_etcdrestore_check_subdirs dir)
  get_directory_property(subdirs DIRECTORY "${dir}" SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    get_directory_property(imported DIRECTORY "${sub}" IMPORTED_TARGETS)
    foreach(t IN LISTS imported)
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "UNKNOWN_LIBRARY")
        message(FATAL_ERROR "ETCDRESTORE_STATIC: ${t} is imported in ${sub}; find its package in "
          "the top-level CMakeLists.txt so the static release build can link its archive")
      endif()
    endforeach()
    _etcdrestore_check_subdirs("${sub}")
  endforeach()
endfunction()
_etcdrestore_check_subdirs("${PROJECT_SOURCE_DIR}")

# Step 2: the static closure of gRPC and protobuf, as archives by full path.
find_package(PkgConfig REQUIRED)
execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --static --libs-only-l grpc++ protobuf
  OUTPUT_VARIABLE _pc_libs OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _pc_rc)
if(NOT _pc_rc EQUAL 0)
  message(FATAL_ERROR "ETCDRESTORE_STATIC: pkg-config --static grpc++ protobuf failed (${_pc_rc})")
endif()
separate_arguments(_pc_libs UNIX_COMMAND "${_pc_libs}")
set(_etcdrestore_system_libs "")
foreach(flag IN LISTS _pc_libs)
  string(REGEX REPLACE "^-l" "" name "${flag}")
  if(name MATCHES "^(dl|rt|m|pthread|atomic|c)$")
    # libc's own archives and libatomic (in gcc's directory): the linker finds them by -l.
    list(APPEND _etcdrestore_system_libs "-l${name}")
    continue()
  endif()
  find_library(ETCDRESTORE_STATIC_LIB_${name} NAMES lib${name}.a NO_CACHE)
  if(NOT ETCDRESTORE_STATIC_LIB_${name})
    message(FATAL_ERROR "ETCDRESTORE_STATIC: no static archive lib${name}.a (from pkg-config grpc++ protobuf)")
  endif()
  list(APPEND _etcdrestore_archives "${ETCDRESTORE_STATIC_LIB_${name}}")
endforeach()
list(REMOVE_DUPLICATES _etcdrestore_archives)
list(REMOVE_DUPLICATES _etcdrestore_system_libs)
list(LENGTH _etcdrestore_archives _n)
message(STATUS "ETCDRESTORE_STATIC: fully static executables, ${_n} archives in the link group")

add_library(etcdrestore_static INTERFACE)
target_link_options(etcdrestore_static INTERFACE -static -pthread -Wl,--gc-sections)
target_link_libraries(etcdrestore_static INTERFACE
  -Wl,--start-group ${_etcdrestore_archives} ${_etcdrestore_system_libs} -Wl,--end-group)
foreach(exe IN LISTS ETCDRESTORE_STATIC_EXECUTABLES)
  target_link_libraries(${exe} PRIVATE etcdrestore_static)
endforeach()
