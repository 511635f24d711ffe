#include "gvisor/context.h"

#include <algorithm>

#include "gvisor/proto/common.pb.h"

namespace kestrel::gvisor {

namespace {
std::string_view clamp(const std::string& s) {
  return std::string_view(s).substr(0, std::min(s.size(), kMaxContextString));
}
}  // namespace

GvisorContext context_from(const common::ContextData& cd) {
  GvisorContext c;
  c.time_ns = cd.time_ns();
  c.tid = cd.thread_id();
  c.tgid = cd.thread_group_id();
  c.thread_start_ns = cd.thread_start_time_ns();
  c.group_start_ns = cd.thread_group_start_time_ns();
  if (cd.has_credentials()) {
    const common::Credentials& cr = cd.credentials();
    c.has_credentials = true;
    c.ruid = cr.real_uid();
    c.euid = cr.effective_uid();
    c.suid = cr.saved_uid();
    c.rgid = cr.real_gid();
    c.egid = cr.effective_gid();
    c.sgid = cr.saved_gid();
  }
  c.container_id = clamp(cd.container_id());
  c.cwd = clamp(cd.cwd());
  c.process_name = clamp(cd.process_name());
  c.parent_tgid = cd.parent_thread_group_id();
  c.is_exec_session = cd.is_exec_session();
  return c;
}

}  // namespace kestrel::gvisor
