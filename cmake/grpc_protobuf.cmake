# gRPC, protobuf and abseil for every target that uses them, through two
# interface targets: kestrel_grpc (grpc++ and protobuf) and kestrel_protobuf.
#
# A target with the property KESTREL_STATIC_GRPC set (the collector binary,
# app/CMakeLists.txt) links Debian's static archives of them; every other
# target (the tests) links the shared libraries, a faster link. Shared, they
# were ~45 of the collector's 95 libraries and ~27 ms of each start (measured
# on `kestrel --version`, medians of 21): a third of its start-up, paid by
# every run, a short .scap replay included. OpenSSL, zlib and re2 stay shared
# (other libraries and Kestrel's own code use them).
find_package(Protobuf REQUIRED)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++ protobuf)

option(KESTREL_STATIC_GRPC "Link gRPC, protobuf and abseil statically into the kestrel binary" ON)

# The static link line in pkg-config's order (its repeats resolve the
# archives' references to each other), each library of the set as its archive.
function(kestrel_static_archives out)
  set(items)
  foreach(lib ${ARGN})
    if(lib MATCHES "^(grpc\\+\\+|grpc|gpr|address_sorting|upb|cares|protobuf|absl_.*)$")
      find_file(archive_${lib} lib${lib}.a PATHS ${GRPCPP_STATIC_LIBRARY_DIRS} /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}
                NO_DEFAULT_PATH)
      if(NOT archive_${lib})
        message(FATAL_ERROR "KESTREL_STATIC_GRPC: no static archive lib${lib}.a (turn the option off)")
      endif()
      list(APPEND items ${archive_${lib}})
    else()
      list(APPEND items ${lib})
    endif()
  endforeach()
  set(${out} ${items} PARENT_SCOPE)
endfunction()

add_library(kestrel_grpc INTERFACE)
add_library(kestrel_protobuf INTERFACE)
if(KESTREL_STATIC_GRPC)
  kestrel_static_archives(grpc_archives ${GRPCPP_STATIC_LIBRARIES})
  add_library(kestrel_grpc_archives INTERFACE)
  target_link_libraries(kestrel_grpc_archives INTERFACE ${grpc_archives} Threads::Threads)
  target_compile_options(kestrel_grpc_archives INTERFACE ${GRPCPP_CFLAGS_OTHER})
  kestrel_static_archives(protobuf_archives protobuf z)
  add_library(kestrel_protobuf_archives INTERFACE)
  target_link_libraries(kestrel_protobuf_archives INTERFACE ${protobuf_archives} Threads::Threads)
  set(static_here "$<BOOL:$<TARGET_PROPERTY:KESTREL_STATIC_GRPC>>")
  target_link_libraries(kestrel_grpc INTERFACE "$<IF:${static_here},kestrel_grpc_archives,PkgConfig::GRPCPP>")
  target_link_libraries(kestrel_protobuf INTERFACE "$<IF:${static_here},kestrel_protobuf_archives,protobuf::libprotobuf>")
  # Headers: the same either way.
  target_include_directories(kestrel_grpc INTERFACE ${GRPCPP_INCLUDE_DIRS})
else()
  target_link_libraries(kestrel_grpc INTERFACE PkgConfig::GRPCPP)
  target_link_libraries(kestrel_protobuf INTERFACE protobuf::libprotobuf)
endif()
