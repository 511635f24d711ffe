#include "sources/capture/kcap_codec.h"

#include <string>
#include <vector>

namespace kestrel::kcap {

namespace {

// std::string guarantees the NUL that kj::StringPtr requires after size().
kj::StringPtr text(const std::string& s) { return kj::StringPtr(s.c_str(), s.size()); }

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

void write_strings(const std::vector<std::string>& in, capnp::List<capnp::Text>::Builder out) {
  for (unsigned i = 0; i < in.size(); ++i) out.set(i, text(in[i]));
}

std::vector<std::string> read_strings(capnp::List<capnp::Text>::Reader in) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (auto t : in) out.push_back(str(t));
  return out;
}

void write_fd(const FdInfo& in, schema::FdInfo::Builder out) {
  out.setFd(in.fd);
  out.setTypeChar(static_cast<uint8_t>(in.type));
  out.setName(text(in.name));
  out.setOpenFlags(in.open_flags);
  out.setTuple(kj::arrayPtr(in.tuple.data(), in.tuple.size()));
  out.setL4proto(in.l4proto);
  out.setListening(in.listening);
  out.setIno(in.ino);
  out.setDev(in.dev);
  out.setNameRaw(text(in.name_raw));
  out.setOldName(text(in.old_name));
  out.setFlags(in.flags);
  out.setMountId(in.mount_id);
  out.setPid(in.pid);
}

FdInfo read_fd(schema::FdInfo::Reader in) {
  FdInfo out;
  out.fd = in.getFd();
  out.type = fd_type_from_char(in.getTypeChar());
  out.name = str(in.getName());
  out.open_flags = in.getOpenFlags();
  auto tuple = in.getTuple();
  out.tuple.assign(tuple.begin(), tuple.end());
  out.l4proto = in.getL4proto();
  out.listening = in.getListening();
  out.ino = in.getIno();
  out.dev = in.getDev();
  out.name_raw = str(in.getNameRaw());
  out.old_name = str(in.getOldName());
  out.flags = in.getFlags();
  out.mount_id = in.getMountId();
  out.pid = in.getPid();
  return out;
}

}  // namespace

FdType fd_type_from_char(uint8_t c) {
  switch (static_cast<FdType>(c)) {
    case FdType::kUnknown: case FdType::kFile: case FdType::kDirectory: case FdType::kIpv4:
    case FdType::kIpv6: case FdType::kUnix: case FdType::kPipe: case FdType::kEvent:
    case FdType::kSignalFd: case FdType::kEventPoll: case FdType::kInotify: case FdType::kTimerFd:
    case FdType::kNetlink: case FdType::kMemfd: case FdType::kBpf: case FdType::kUserfaultfd:
    case FdType::kIoUring:
      return static_cast<FdType>(c);
  }
  return FdType::kUnknown;
}

void write_header_message(const KcapHeader& in, schema::Header::Builder out) {
  out.setFormatVersion(in.format_version);
  out.setProducer(text(in.producer));
  out.setCreatedNs(in.created_ns);
  auto m = out.initMachine();
  m.setHostname(text(in.machine.hostname));
  m.setKernelRelease(text(in.machine.kernel_release));
  m.setKernelVersion(text(in.machine.kernel_version));
  m.setArch(text(in.machine.arch));
  m.setBootTimeNs(in.machine.boot_time_ns);
  m.setCpuCount(in.machine.cpu_count);
  const MachineEnvironment& e = in.machine.environment;
  auto env = m.initEnvironment();
  env.setKind(text(e.kind));
  env.setHypervisor(text(e.hypervisor));
  env.setCpuidSignature(text(e.cpuid_signature));
  env.setDmiSysVendor(text(e.dmi_sys_vendor));
  env.setDmiProductName(text(e.dmi_product_name));
  env.setDmiProductUuid(text(e.dmi_product_uuid));
  env.setCloud(text(e.cloud));
  env.setBootId(text(e.boot_id));
}

KcapHeader read_header_message(schema::Header::Reader in) {
  KcapHeader out;
  out.format_version = in.getFormatVersion();
  out.producer = str(in.getProducer());
  out.created_ns = in.getCreatedNs();
  auto m = in.getMachine();
  out.machine.hostname = str(m.getHostname());
  out.machine.kernel_release = str(m.getKernelRelease());
  out.machine.kernel_version = str(m.getKernelVersion());
  out.machine.arch = str(m.getArch());
  out.machine.boot_time_ns = m.getBootTimeNs();
  out.machine.cpu_count = m.getCpuCount();
  if (m.hasEnvironment()) {
    auto env = m.getEnvironment();
    MachineEnvironment& e = out.machine.environment;
    e.kind = str(env.getKind());
    e.hypervisor = str(env.getHypervisor());
    e.cpuid_signature = str(env.getCpuidSignature());
    e.dmi_sys_vendor = str(env.getDmiSysVendor());
    e.dmi_product_name = str(env.getDmiProductName());
    e.dmi_product_uuid = str(env.getDmiProductUuid());
    e.cloud = str(env.getCloud());
    e.boot_id = str(env.getBootId());
  }
  return out;
}

void write_thread(const ThreadInfo& in, schema::ThreadInfo::Builder out) {
  out.setDomain(in.domain);
  out.setTid(in.tid);
  out.setPid(in.pid);
  out.setPtid(in.ptid);
  out.setSid(in.sid);
  out.setPgid(in.pgid);
  out.setVtid(in.vtid);
  out.setVpid(in.vpid);
  out.setComm(text(in.comm));
  out.setExe(text(in.exe));
  out.setExepath(text(in.exepath));
  write_strings(in.args, out.initArgs(static_cast<unsigned>(in.args.size())));
  write_strings(in.env, out.initEnv(static_cast<unsigned>(in.env.size())));
  out.setCwd(text(in.cwd));
  out.setRoot(text(in.root));
  out.setUid(in.uid);
  out.setEuid(in.euid);
  out.setGid(in.gid);
  out.setEgid(in.egid);
  out.setLoginuid(in.loginuid);
  out.setTty(in.tty);
  out.setCapInheritable(in.cap_inheritable);
  out.setCapPermitted(in.cap_permitted);
  out.setCapEffective(in.cap_effective);
  out.setContainerId(text(in.container_id));
  out.setStartTs(in.start_ts);
  out.setExeFlags(in.exe_flags);
  out.setExeIno(in.exe_ino);
  out.setExeInoCtime(in.exe_ino_ctime);
  out.setExeInoMtime(in.exe_ino_mtime);
  out.setExeSha256(text(in.exe_sha256));
  auto fds = out.initFds(static_cast<unsigned>(in.fds.size()));
  for (unsigned i = 0; i < in.fds.size(); ++i) write_fd(in.fds[i], fds[i]);
  out.setContainerFullId(text(in.container_full_id));
  out.setContainerType(text(in.container_type));
  auto controllers = out.initCgroupControllers(static_cast<unsigned>(in.cgroups.size()));
  auto paths = out.initCgroupPaths(static_cast<unsigned>(in.cgroups.size()));
  for (unsigned i = 0; i < in.cgroups.size(); ++i) {
    controllers.set(i, text(in.cgroups[i].first));
    paths.set(i, text(in.cgroups[i].second));
  }
}

ThreadInfo read_thread(schema::ThreadInfo::Reader in) {
  ThreadInfo out;
  out.domain = in.getDomain();
  out.tid = in.getTid();
  out.pid = in.getPid();
  out.ptid = in.getPtid();
  out.sid = in.getSid();
  out.pgid = in.getPgid();
  out.vtid = in.getVtid();
  out.vpid = in.getVpid();
  out.comm = str(in.getComm());
  out.exe = str(in.getExe());
  out.exepath = str(in.getExepath());
  out.args = read_strings(in.getArgs());
  out.env = read_strings(in.getEnv());
  out.cwd = str(in.getCwd());
  out.root = str(in.getRoot());
  out.uid = in.getUid();
  out.euid = in.getEuid();
  out.gid = in.getGid();
  out.egid = in.getEgid();
  out.loginuid = in.getLoginuid();
  out.tty = in.getTty();
  out.cap_inheritable = in.getCapInheritable();
  out.cap_permitted = in.getCapPermitted();
  out.cap_effective = in.getCapEffective();
  out.container_id = str(in.getContainerId());
  out.start_ts = in.getStartTs();
  out.exe_flags = in.getExeFlags();
  out.exe_ino = in.getExeIno();
  out.exe_ino_ctime = in.getExeInoCtime();
  out.exe_ino_mtime = in.getExeInoMtime();
  out.exe_sha256 = str(in.getExeSha256());
  auto fds = in.getFds();
  out.fds.reserve(fds.size());
  for (auto fd : fds) out.fds.push_back(read_fd(fd));
  out.container_full_id = str(in.getContainerFullId());
  out.container_type = str(in.getContainerType());
  auto controllers = in.getCgroupControllers();
  auto paths = in.getCgroupPaths();
  // (Captures written before these lists existed have neither.)
  for (unsigned i = 0; i < controllers.size() && i < paths.size(); ++i)
    out.cgroups.emplace_back(str(controllers[i]), str(paths[i]));
  return out;
}

size_t estimate_encoded_bytes(const ThreadInfo& t) {
  // Each Text/Data costs its bytes, a NUL, up to 7 bytes of padding and an
  // 8-byte pointer; structs are under 256 bytes of fixed data.
  constexpr size_t kPerString = 16;
  size_t n = 256;
  for (const std::string* s : {&t.comm, &t.exe, &t.exepath, &t.cwd, &t.root, &t.container_id,
                            &t.container_full_id, &t.container_type})
    n += s->size() + kPerString;
  for (const auto& a : t.args) n += a.size() + kPerString;
  for (const auto& e : t.env) n += e.size() + kPerString;
  for (const auto& [controller, path] : t.cgroups) n += controller.size() + path.size() + 2 * kPerString;
  for (const auto& fd : t.fds) n += 128 + fd.name.size() + fd.tuple.size() + 2 * kPerString;
  return n;
}

}  // namespace kestrel::kcap
