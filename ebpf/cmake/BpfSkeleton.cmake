# BpfSkeleton.cmake — compile a BPF program and embed it as a libbpf skeleton.
#
#   kestrel_add_bpf_skeleton(<name> SOURCE <file.bpf.c> [INCLUDES dirs...])
#
# Produces ${CMAKE_CURRENT_BINARY_DIR}/<name>.skel.h (bpftool gen skeleton)
# and a target <name>_skel that builds it. The skeleton holds the object's
# bytes, so the probe is part of whatever library includes it: nothing is
# installed or looked up at run time.
#
# vmlinux.h is generated once per build tree from KESTREL_BTF_FILE (the
# build host's kernel BTF by default). The program is CO-RE: libbpf
# relocates it to the running kernel's BTF at load time, so the build
# host's kernel only has to expose *some* BTF with the structs we read.

set(KESTREL_BTF_FILE "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "Kernel BTF used to generate vmlinux.h for the eBPF probe")

find_program(KESTREL_BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(KESTREL_BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

if(NOT EXISTS "${KESTREL_BTF_FILE}")
  message(FATAL_ERROR
    "The eBPF probe needs kernel BTF to generate vmlinux.h, and "
    "${KESTREL_BTF_FILE} does not exist (kernel built without "
    "CONFIG_DEBUG_INFO_BTF=y). Either point -DKESTREL_BTF_FILE= at a BTF "
    "file for the target kernel, or configure with -DKESTREL_EBPF=OFF and "
    "use the kernel module (build it with kestrel-driverkit).")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(KESTREL_BPF_ARCH x86 CACHE INTERNAL "BPF target arch")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(KESTREL_BPF_ARCH arm64 CACHE INTERNAL "BPF target arch")
else()
  message(FATAL_ERROR "eBPF probe: unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# CACHE INTERNAL: skeletons are also built from other directories (bench/).
set(KESTREL_VMLINUX_DIR "${CMAKE_BINARY_DIR}/vmlinux" CACHE INTERNAL "where vmlinux.h is generated")
add_custom_command(
  OUTPUT "${KESTREL_VMLINUX_DIR}/vmlinux.h"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${KESTREL_VMLINUX_DIR}"
  COMMAND ${KESTREL_BPFTOOL} btf dump file "${KESTREL_BTF_FILE}" format c > "${KESTREL_VMLINUX_DIR}/vmlinux.h.tmp"
  COMMAND ${CMAKE_COMMAND} -E rename "${KESTREL_VMLINUX_DIR}/vmlinux.h.tmp" "${KESTREL_VMLINUX_DIR}/vmlinux.h"
  COMMENT "Generating vmlinux.h from ${KESTREL_BTF_FILE}"
  VERBATIM)

function(kestrel_add_bpf_skeleton name)
  cmake_parse_arguments(B "" "SOURCE" "INCLUDES" ${ARGN})
  set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o")
  set(skel "${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h")
  set(incs -I${KESTREL_VMLINUX_DIR})
  foreach(dir ${B_INCLUDES})
    list(APPEND incs -I${dir})
  endforeach()
  add_custom_command(
    OUTPUT "${obj}"
    COMMAND ${KESTREL_BPF_CLANG} -target bpf -O2 -g -D__TARGET_ARCH_${KESTREL_BPF_ARCH}
            -Wall -Werror -Wno-unused-function ${incs}
            -MD -MF "${obj}.d" -c "${B_SOURCE}" -o "${obj}"
    DEPENDS "${B_SOURCE}" "${KESTREL_VMLINUX_DIR}/vmlinux.h"
    DEPFILE "${obj}.d"
    COMMENT "Compiling BPF program ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND ${KESTREL_BPFTOOL} gen skeleton "${obj}" name ${name} > "${skel}.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename "${skel}.tmp" "${skel}"
    DEPENDS "${obj}"
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel DEPENDS "${skel}")
endfunction()
