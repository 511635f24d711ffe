#include "sources/event/process_block.h"

namespace kestrel {

namespace {

void put(EventBuilder& b, const char* name, const std::optional<std::string_view>& v) {
  if (v)
    b.put_str(name, *v);
  else
    b.put_empty(name);
}
void put(EventBuilder& b, const char* name, const std::optional<ProcessBlockValues::Strings>& v) {
  if (v)
    b.put_strings(name, *v);
  else
    b.put_empty(name);
}
template <typename Int>
void put(EventBuilder& b, const char* name, const std::optional<Int>& v) {
  if (v)
    b.put_int(name, static_cast<int64_t>(*v));
  else
    b.put_empty(name);
}

}  // namespace

void put_process_block(EventBuilder& b, const ProcessBlockValues& v) {
  put(b, "exe", v.exe);
  put(b, "args", v.args);
  put(b, "tid", v.tid);
  put(b, "pid", v.pid);
  put(b, "ptid", v.ptid);
  put(b, "cwd", v.cwd);
  put(b, "comm", v.comm);
  put(b, "env", v.env);
  put(b, "tty", v.tty);
  put(b, "pgid", v.pgid);
  put(b, "sid", v.sid);
  put(b, "vtid", v.vtid);
  put(b, "vpid", v.vpid);
  put(b, "loginuid", v.loginuid);
  put(b, "uid", v.uid);
  put(b, "euid", v.euid);
  put(b, "gid", v.gid);
  put(b, "egid", v.egid);
  put(b, "cap_inheritable", v.cap_inheritable);
  put(b, "cap_permitted", v.cap_permitted);
  put(b, "cap_effective", v.cap_effective);
  put(b, "cgroups", v.cgroups);
  put(b, "exe_flags", v.exe_flags);
  put(b, "start_ts", v.start_ts);
  put(b, "exepath", v.exepath);
}

void put_exe_inode(EventBuilder& b, const ExeInodeValues& v) {
  put(b, "exe_ino", v.ino);
  put(b, "exe_ino_ctime", v.ctime);
  put(b, "exe_ino_mtime", v.mtime);
  if (b.type() != KE_EXECVE) return;
  if (v.sha256.empty())
    b.put_empty(KPARAM(EXECVE, exe_sha256));
  else
    b.put_bytes(KPARAM(EXECVE, exe_sha256), v.sha256);
}

}  // namespace kestrel
