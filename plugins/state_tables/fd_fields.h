// fd_fields.h — the columns of the threads table's "file_descriptors"
// sub-table: every static field falcosecurity/libs' sinsp_fdinfo exposes
// (sinsp_fdinfo::get_static_fields), with its name, type and order, read
// from and written to Kestrel's FdInfo.
//
//   type (uint8, libscap's scap_fd_type), open_flags (uint32, PPM_O_* bits
//   as libs keeps them), name, name_raw, old_name (string), flags (uint32,
//   libs' FLAGS_* bits), dev, mount_id (uint32), ino (uint64), pid, fd
//   (int64; fd is the key and read-only here), then the socket_* fields:
//   socket_ipv4_src_ip, socket_ipv4_dest_dip (libs' spelling),
//   socket_ipv4_server_ip (uint32, the address bytes in network order as
//   libs stores them), socket_ipv6_{src,dest,server}_ip_{low,high} (uint64:
//   bytes 0-7 and 8-15 of the address), the ports (uint16, host order), the
//   l4 protocols (uint8, libscap's scap_l4_proto), socket_unix_src and
//   socket_unix_dest (uint64, the kernel's socket pointers).
//
// libs keeps the socket fields in a union, so there a field of another
// socket kind reads the same bytes reinterpreted; here it reads 0 (the
// fd's kind decides: ipv4/ipv6 connected, ipv4/ipv6 listening, unix), and
// writing one makes the fd's tuple of that kind. libs' getter of
// socket_ipv6_server_ip_high returns the low half; this one returns the
// high half, as its name says.
#pragma once

#include <cstddef>
#include <span>

#include "plugins/plugin_abi.h"
#include "state/thread_info.h"

namespace kestrel::plugin {

struct FdColumn {
  const char* name;
  ss_plugin_state_type type;
  bool read_only;
};

// In libs' order; a column's number is its index here.
std::span<const FdColumn> fd_columns();

void read_fd_column(const FdInfo& f, size_t column, ss_plugin_state_data* out);
void write_fd_column(FdInfo& f, size_t column, const ss_plugin_state_data& in);

}  // namespace kestrel::plugin
