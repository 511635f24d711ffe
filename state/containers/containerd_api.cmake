# containerd's gRPC API in C++, generated at build time from the .proto
# files Debian ships in golang-github-containerd-containerd-dev (and the
# gogo options they import), never from copies in this repository.
#
# Where they are: the package installed (/usr/share/gocode/src), or its
# files unpacked by scripts/install-deps.sh (/usr/local/share/kestrel/gocode/src),
# or -DKESTREL_GOCODE_SRC=<dir>.
#
# One transformation: containerd imports gogo.proto and its fieldpath
# options with `import weak`, and protoc 3.21's C++ generator aborts on weak
# imports ("CHECK failed: !options_.opensource_runtime"). Each file is copied
# into the build tree with `import weak` turned into a plain `import` (the
# options are then ordinary custom options, compiled and linked); nothing
# else changes, so every message and field number is containerd's own.
find_path(KESTREL_GOCODE_SRC
  NAMES github.com/containerd/containerd/api/services/containers/v1/containers.proto
  PATHS /usr/share/gocode/src /usr/local/share/kestrel/gocode/src
  NO_DEFAULT_PATH)
if(NOT KESTREL_GOCODE_SRC OR NOT EXISTS ${KESTREL_GOCODE_SRC}/github.com/gogo/protobuf/gogoproto/gogo.proto)
  message(FATAL_ERROR "containerd API protos not found (containers.proto and gogo.proto under a gocode src dir): "
                      "run scripts/install-deps.sh, or pass -DKESTREL_GOCODE_SRC=<dir>")
endif()

# The CRI API (k8s.io/cri-api runtime/v1 api.proto, cri_runtime.h): in no
# Debian binary package; scripts/install-deps.sh extracts it from
# containerd's Debian source package, at its Go import path.
find_path(KESTREL_CRI_PROTO_SRC
  NAMES k8s.io/cri-api/pkg/apis/runtime/v1/api.proto
  PATHS ${KESTREL_GOCODE_SRC} /usr/local/share/kestrel/gocode/src /usr/share/gocode/src
  NO_DEFAULT_PATH)
if(NOT KESTREL_CRI_PROTO_SRC)
  message(FATAL_ERROR "CRI api.proto (k8s.io/cri-api/pkg/apis/runtime/v1/api.proto) not found under a gocode src dir: "
                      "run scripts/install-deps.sh, or pass -DKESTREL_CRI_PROTO_SRC=<dir>")
endif()

find_package(PkgConfig REQUIRED)
# gRPC and protobuf: kestrel_grpc (cmake/grpc_protobuf.cmake).
find_program(KESTREL_PROTOC protoc REQUIRED)
find_program(KESTREL_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(containerd_proto_dir ${CMAKE_CURRENT_BINARY_DIR}/containerd_proto)
set(containerd_gen_dir ${CMAKE_CURRENT_BINARY_DIR}/containerd_gen)
# Import path inside the gocode tree → the import name protoc sees.
set(containerd_protos
  "github.com/gogo/protobuf/gogoproto/gogo.proto=gogoproto/gogo.proto"
  "github.com/containerd/containerd/protobuf/plugin/fieldpath.proto=github.com/containerd/containerd/protobuf/plugin/fieldpath.proto"
  "github.com/containerd/containerd/api/services/containers/v1/containers.proto=github.com/containerd/containerd/api/services/containers/v1/containers.proto"
  "github.com/containerd/containerd/api/services/events/v1/events.proto=github.com/containerd/containerd/api/services/events/v1/events.proto"
  "github.com/containerd/containerd/api/events/container.proto=github.com/containerd/containerd/api/events/container.proto"
  "github.com/containerd/containerd/api/types/mount.proto=github.com/containerd/containerd/api/types/mount.proto"
  "github.com/containerd/containerd/api/events/task.proto=github.com/containerd/containerd/api/events/task.proto")

set(containerd_generated)
set(containerd_copies)
foreach(pair ${containerd_protos})
  string(REPLACE "=" ";" parts ${pair})
  list(GET parts 0 from)
  list(GET parts 1 name)
  set(copy ${containerd_proto_dir}/${name})
  get_filename_component(copy_dir ${copy} DIRECTORY)
  add_custom_command(
    OUTPUT ${copy}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${copy_dir}
    COMMAND sed -e "s/^import weak /import /" ${KESTREL_GOCODE_SRC}/${from} > ${copy}
    DEPENDS ${KESTREL_GOCODE_SRC}/${from}
    COMMENT "containerd proto ${name} (import weak -> import)")
  list(APPEND containerd_copies ${copy})
endforeach()

# The CRI proto imports gogo.proto by its full Go path, containerd's by
# "gogoproto/gogo.proto": one file under two names would define the gogoproto
# extensions twice in protobuf's descriptor pool (a conflict at start-up).
# Its copy imports the one name; every message and field number is the
# CRI's own.
set(cri_proto_name k8s.io/cri-api/pkg/apis/runtime/v1/api.proto)
set(cri_proto_copy ${containerd_proto_dir}/${cri_proto_name})
get_filename_component(cri_proto_copy_dir ${cri_proto_copy} DIRECTORY)
add_custom_command(
  OUTPUT ${cri_proto_copy}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${cri_proto_copy_dir}
  COMMAND sed -e "s,github.com/gogo/protobuf/gogoproto/gogo.proto,gogoproto/gogo.proto,"
          ${KESTREL_CRI_PROTO_SRC}/${cri_proto_name} > ${cri_proto_copy}
  DEPENDS ${KESTREL_CRI_PROTO_SRC}/${cri_proto_name}
  COMMENT "CRI proto ${cri_proto_name} (gogo.proto import path)")
list(APPEND containerd_copies ${cri_proto_copy})
list(APPEND containerd_protos "${cri_proto_name}=${cri_proto_name}")

foreach(pair ${containerd_protos})
  string(REPLACE "=" ";" parts ${pair})
  list(GET parts 1 name)
  string(REGEX REPLACE "\\.proto$" "" stem ${name})
  set(outs ${containerd_gen_dir}/${stem}.pb.cc ${containerd_gen_dir}/${stem}.pb.h)
  set(plugin_args)
  if(name MATCHES "/api/services/|^k8s.io/cri-api/")  # only the services get gRPC stubs
    list(APPEND outs ${containerd_gen_dir}/${stem}.grpc.pb.cc ${containerd_gen_dir}/${stem}.grpc.pb.h)
    set(plugin_args --grpc_out=${containerd_gen_dir} --plugin=protoc-gen-grpc=${KESTREL_GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${outs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${containerd_gen_dir}
    COMMAND ${KESTREL_PROTOC} -I/usr/include -I${containerd_proto_dir} --cpp_out=${containerd_gen_dir} ${plugin_args}
            ${containerd_proto_dir}/${name}
    DEPENDS ${containerd_copies}
    COMMENT "protoc ${name}")
  list(APPEND containerd_generated ${outs})
endforeach()

# Generated code does not build under -Werror; its own library.
add_library(kestrel_containerd_proto STATIC ${containerd_generated})
target_include_directories(kestrel_containerd_proto PUBLIC ${containerd_gen_dir})
target_link_libraries(kestrel_containerd_proto PUBLIC kestrel_grpc)
set_target_properties(kestrel_containerd_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
