// The "threads" table's sub-tables (file_descriptors, args, env, cgroups)
// through the real host: the subt plugin (test_plugins/
// thread_subtables_plugin.cpp, built against ../shared/reference/
// plugin-api only) takes their field accessors in plugin_init from a
// detached entry, reads them in extract_fields and writes them in
// parse_event; what it reads must be what the ThreadTable holds, and what
// it writes must land there. Error paths through the host's C vtables.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"
#include "sources/event/event_builder.h"
#include "sources/event/sockaddr.h"
#include "plugins/state_tables/table_registry.h"
#include "plugins/state_tables/table_vtables.h"
#include "state/proc_scanner.h"
#include "state/thread_table.h"
#include "tests/support/fake_proc.h"

namespace kestrel::plugin {
namespace {

// A scap open exit (code 3) of `tid` carrying only its first param, the
// fd: what subt.evtfdname decodes.
std::vector<uint8_t> open_exit(uint64_t tid, int64_t fd) {
  std::vector<uint8_t> buf(26 + 2 + 8);
  ss_plugin_event hdr{};
  hdr.ts = 1;
  hdr.tid = tid;
  hdr.len = static_cast<uint32_t>(buf.size());
  hdr.type = 3;
  hdr.nparams = 1;
  std::memcpy(buf.data(), &hdr, 26);
  uint16_t len = 8;
  std::memcpy(buf.data() + 26, &len, 2);
  std::memcpy(buf.data() + 28, &fd, 8);
  return buf;
}

const ss_plugin_event* as_event(const std::vector<uint8_t>& b) { return reinterpret_cast<const ss_plugin_event*>(b.data()); }

class ThreadSubTables : public ::testing::Test {
 protected:
  void SetUp() override {
    ThreadInfo leader;
    leader.tid = leader.pid = 100;
    leader.comm = "bash";
    leader.args = {"-c", "ls"};
    leader.env = {"A=1", "B=2"};
    leader.cgroups = {{"cpuset", "/docker/abc"}, {"", "/user.slice"}};
    leader.start_ts = 1;
    FdInfo file;
    file.fd = 3;
    file.type = FdType::kFile;
    file.name = "/etc/passwd";
    file.open_flags = O_RDONLY | O_CLOEXEC;
    file.ino = 42;
    leader.fds.push_back(file);
    FdInfo sock;
    sock.fd = 4;
    sock.type = FdType::kIpv4;
    sock.listening = true;
    sock.name = "0.0.0.0:80";
    leader.fds.push_back(sock);
    threads_.put(leader);
    ThreadInfo worker;  // a thread of process 100: its fds are the process's
    worker.tid = 101;
    worker.pid = 100;
    worker.comm = "bash";
    worker.start_ts = 2;
    threads_.put(worker);
    registry_.threads().attach(&threads_);
  }
  void TearDown() override { registry_.threads().attach(nullptr); }

  std::shared_ptr<PluginLibrary> load(const std::string& config = "") {
    auto lib = PluginLibrary::load(SUBT_PLUGIN);
    EXPECT_TRUE(lib.ok()) << lib.status().to_string();
    if (!lib.ok()) return nullptr;
    Status s = (*lib)->init(config, &registry_);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return s.ok() ? *lib : nullptr;
  }

  // One field (with an optional index argument) of `evt`: its text, or
  // nullopt when the plugin left it missing.
  std::optional<std::string> field(PluginLibrary& lib, const std::vector<uint8_t>& evt, const std::string& name,
                                   std::optional<uint64_t> index = std::nullopt, const char* key = nullptr) {
    const auto& fields = lib.info().fields;
    uint32_t id = 0;
    while (id < fields.size() && fields[id].name != name) ++id;
    EXPECT_LT(id, fields.size()) << name;
    if (id >= fields.size()) return std::nullopt;
    ss_plugin_extract_field f{};
    f.field_id = id;
    f.field = fields[id].name.c_str();
    f.ftype = fields[id].ftype;
    if (index) {
      f.arg_index = *index;
      f.arg_present = 1;
    }
    if (key) {
      f.arg_key = key;
      f.arg_present = 1;
    }
    std::optional<std::string> out;
    Status s = lib.extract(as_event(evt), 1, {&f, 1}, [&] {
      if (f.res_len == 0) return;
      out = f.ftype == FTYPE_STRING ? std::string(f.res.str[0]) : std::to_string(f.res.u64[0]);
    });
    EXPECT_TRUE(s.ok()) << name << ": " << s.to_string();
    return out;
  }

  ThreadTable threads_;
  TableRegistry registry_;
};

TEST_F(ThreadSubTables, ThreadsTableListsTheSubTablesAsReadOnlyTableFields) {
  ss_plugin_table_t* threads = &registry_.threads();
  uint32_t n = 0;
  const ss_plugin_table_fieldinfo* infos = table_fields_vtable()->list_table_fields(threads, &n);
  std::vector<std::string> tables;
  for (uint32_t i = 0; i < n; ++i)
    if (infos[i].field_type == SS_PLUGIN_ST_TABLE) {
      tables.push_back(infos[i].name);
      EXPECT_TRUE(infos[i].read_only) << infos[i].name;
    }
  EXPECT_EQ(tables, (std::vector<std::string>{"file_descriptors", "args", "env", "cgroups"}));
  // libs' name for the executable path is there too.
  EXPECT_NE(table_fields_vtable()->get_table_field(threads, "exe_path", SS_PLUGIN_ST_STRING), nullptr);
}

TEST_F(ThreadSubTables, PluginReadsFdsArgsEnvAndCgroupsAsTheThreadTableHoldsThem) {
  auto lib = load();
  ASSERT_TRUE(lib);
  const auto evt = open_exit(100, 3);
  EXPECT_EQ(field(*lib, evt, "subt.nfds"), "2");
  EXPECT_EQ(field(*lib, evt, "subt.fdname", 3), "/etc/passwd");
  EXPECT_EQ(field(*lib, evt, "subt.fdtype", 3), "16");  // SCAP_FD_FILE_V2
  EXPECT_EQ(field(*lib, evt, "subt.fdtype", 4), "5");   // SCAP_FD_IPV4_SERVSOCK
  // open_flags as libs keeps them: PPM_O_RDONLY (1) | PPM_O_CLOEXEC (1 << 12).
  EXPECT_EQ(field(*lib, evt, "subt.fdflags", 3), std::to_string(1 | (1 << 12)));
  EXPECT_EQ(field(*lib, evt, "subt.fdname", 7), std::nullopt);  // no fd 7: missing, not an error
  EXPECT_EQ(field(*lib, evt, "subt.fds"), "3:/etc/passwd,4:0.0.0.0:80");
  EXPECT_EQ(field(*lib, evt, "subt.args"), "-c ls");
  EXPECT_EQ(field(*lib, evt, "subt.env", 0), "A=1");
  EXPECT_EQ(field(*lib, evt, "subt.env", 1), "B=2");
  EXPECT_EQ(field(*lib, evt, "subt.env", 2), std::nullopt);
  EXPECT_EQ(field(*lib, evt, "subt.cgroups"), "cpuset=/docker/abc,=/user.slice");
  EXPECT_EQ(field(*lib, evt, "subt.evtfdname"), "/etc/passwd");
  // Another thread of the process sees the process's fds.
  const auto worker = open_exit(101, 4);
  EXPECT_EQ(field(*lib, worker, "subt.nfds"), "2");
  EXPECT_EQ(field(*lib, worker, "subt.evtfdname"), "0.0.0.0:80");
  EXPECT_EQ(field(*lib, worker, "subt.args"), "");
  // A change in Kestrel's state is what the plugin reads next.
  FdInfo f;
  f.fd = 5;
  f.type = FdType::kPipe;
  f.name = "pipe:[9]";
  ASSERT_NE(threads_.put_fd(kHostDomain, 100, f), nullptr);
  EXPECT_EQ(field(*lib, evt, "subt.nfds"), "3");
  EXPECT_EQ(field(*lib, evt, "subt.fdtype", 5), "7");  // SCAP_FD_FIFO
  // An unknown thread: every field missing.
  EXPECT_EQ(field(*lib, open_exit(555, 3), "subt.nfds"), std::nullopt);
}

// A thread as the /proc scan learns it on a cgroup v2 host (a fake /proc
// and cgroup2 tree): the plugin reads one entry per controller, `first`
// the controller name and `second` the cgroup where it is enabled, as
// falcosecurity/libs fills the table.
TEST_F(ThreadSubTables, PluginReadsCgroupV2ControllersOfAScannedThread) {
  FakeProc p;
  const std::string scope = "/system.slice/docker-" + std::string(64, 'a') + ".scope";
  p.file("cg2/cgroup.controllers", "cpu io memory pids\n");
  p.file("cg2/system.slice/cgroup.controllers", "cpu memory pids\n");
  p.file("cg2" + scope + "/cgroup.controllers", "memory pids\n");
  p.file("4242/stat", "4242 (app) S 1 4242 4242 0 4242 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0\n");
  p.file("4242/status", "Name:\tapp\nTgid:\t4242\nPPid:\t1\n");
  p.file("4242/cgroup", "0::" + scope + "\n");
  ProcScanner scanner({.root = p.root(), .fds = false, .cgroup2_root = p.root() + "/cg2"});
  auto scanned = scanner.scan();
  ASSERT_TRUE(scanned.ok()) << scanned.status().to_string();
  ASSERT_EQ(scanned->size(), 1u);
  threads_.put(scanned->front());
  auto lib = load();
  ASSERT_TRUE(lib);
  EXPECT_EQ(field(*lib, open_exit(4242, 0), "subt.cgroups"),
            "memory=" + scope + ",pids=" + scope + ",cpu=/system.slice,io=/");
}

TEST_F(ThreadSubTables, PluginWritesLandInTheThreadTable) {
  auto lib = load(R"({"write":true})");
  ASSERT_TRUE(lib);
  const auto evt = open_exit(100, 3);
  Status s = lib->parse(as_event(evt), 1, "syscall");
  ASSERT_TRUE(s.ok()) << s.to_string();
  const FdInfo* added = threads_.fd(kHostDomain, 100, 99);
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->name, "plugin-fd");
  EXPECT_EQ(added->type, FdType::kFile);  // type 1: SCAP_FD_FILE
  EXPECT_EQ(added->open_flags, static_cast<uint32_t>(O_WRONLY));  // PPM_O_WRONLY (2)
  const ThreadInfo* t = threads_.get(kHostDomain, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->args, (std::vector<std::string>{"rewritten", "ls"}));
  EXPECT_EQ(t->env, (std::vector<std::string>{"B=2"}));
  ASSERT_EQ(t->cgroups.size(), 3u);
  EXPECT_EQ(t->cgroups[2], (std::pair<std::string, std::string>{"plugin", "/plugin"}));
  // And the plugin reads back its own writes.
  EXPECT_EQ(field(*lib, evt, "subt.fdname", 99), "plugin-fd");
  EXPECT_EQ(field(*lib, evt, "subt.args"), "rewritten ls");
}

TEST_F(ThreadSubTables, HostRefusesWhatLibsRefusesWithAMessage) {
  auto* fields = table_fields_vtable();
  auto* reader = table_reader_vtable();
  auto* writer = table_writer_vtable();
  ss_plugin_table_t* threads = &registry_.threads();
  ss_plugin_table_field_t* fdtable = fields->get_table_field(threads, "file_descriptors", SS_PLUGIN_ST_TABLE);
  ASSERT_NE(fdtable, nullptr);
  ss_plugin_state_data key{};
  key.s64 = 100;
  ss_plugin_table_entry_t* thread = reader->get_table_entry(threads, &key);
  ASSERT_NE(thread, nullptr);
  ss_plugin_state_data v{};
  ASSERT_EQ(reader->read_entry_field(threads, thread, fdtable, &v), SS_PLUGIN_SUCCESS);
  ss_plugin_table_t* fds = v.table;
  ASSERT_NE(fds, nullptr);
  EXPECT_STREQ(reader->get_table_name(fds), "file_descriptors");
  // The same thread's field gives the same table.
  ss_plugin_state_data again{};
  reader->read_entry_field(threads, thread, fdtable, &again);
  EXPECT_EQ(again.table, fds);
  // A table field is not written directly.
  EXPECT_EQ(writer->write_entry_field(threads, thread, fdtable, &v), SS_PLUGIN_FAILURE);
  EXPECT_NE(table_error().find("is a table"), std::string::npos) << table_error();
  // A field libs does not have is named as missing; a wrong type is refused.
  EXPECT_EQ(fields->get_table_field(fds, "mount_point", SS_PLUGIN_ST_UINT32), nullptr);
  EXPECT_NE(table_error().find("table 'file_descriptors' has no field 'mount_point'"), std::string::npos)
      << table_error();
  EXPECT_EQ(fields->get_table_field(fds, "name", SS_PLUGIN_ST_UINT64), nullptr);
  EXPECT_NE(table_error().find("is of type string, not uint64"), std::string::npos) << table_error();
  // Adding a field that exists with another type, or a table-typed one, is
  // refused; args/env/cgroups take no new fields (libs' adapters).
  EXPECT_EQ(fields->add_table_field(fds, "name", SS_PLUGIN_ST_UINT64), nullptr);
  EXPECT_NE(table_error().find("already exists with type string"), std::string::npos) << table_error();
  EXPECT_EQ(fields->add_table_field(fds, "nested", SS_PLUGIN_ST_TABLE), nullptr);
  // The key field is read-only.
  ss_plugin_table_field_t* fdnum = fields->get_table_field(fds, "fd", SS_PLUGIN_ST_INT64);
  ASSERT_NE(fdnum, nullptr);
  key.s64 = 3;
  ss_plugin_table_entry_t* fd3 = reader->get_table_entry(fds, &key);
  ASSERT_NE(fd3, nullptr);
  ss_plugin_state_data n{};
  n.s64 = 8;
  EXPECT_EQ(writer->write_entry_field(fds, fd3, fdnum, &n), SS_PLUGIN_FAILURE);
  EXPECT_NE(table_error().find("'fd' is read-only"), std::string::npos) << table_error();
  // An accessor of another kind of sub-table is refused, not misread.
  ss_plugin_table_field_t* args_field = fields->get_table_field(threads, "cgroups", SS_PLUGIN_ST_TABLE);
  ss_plugin_state_data cg{};
  reader->read_entry_field(threads, thread, args_field, &cg);
  ss_plugin_table_field_t* first = fields->get_table_field(cg.table, "first", SS_PLUGIN_ST_STRING);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reader->read_entry_field(fds, fd3, first, &n), SS_PLUGIN_FAILURE);
  EXPECT_EQ(fields->add_table_field(cg.table, "mine", SS_PLUGIN_ST_UINT64), nullptr);
  EXPECT_NE(table_error().find("only file_descriptors takes new fields"), std::string::npos) << table_error();
  // Erasing an fd through the sub-table closes it in Kestrel's state.
  key.s64 = 4;
  EXPECT_EQ(writer->erase_table_entry(fds, &key), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(threads_.fd(kHostDomain, 100, 4), nullptr);
  EXPECT_EQ(reader->get_table_size(fds), 1u);
  // A sub-table whose thread is gone fails with a message.
  key.s64 = 101;
  ss_plugin_table_entry_t* worker = reader->get_table_entry(threads, &key);
  ASSERT_NE(worker, nullptr);
  ss_plugin_state_data wargs{};
  ASSERT_EQ(reader->read_entry_field(threads, worker, fields->get_table_field(threads, "args", SS_PLUGIN_ST_TABLE),
                                     &wargs),
            SS_PLUGIN_SUCCESS);
  ASSERT_TRUE(threads_.remove_thread(kHostDomain, 101));
  EXPECT_EQ(reader->get_table_size(wargs.table), UINT64_MAX);
  EXPECT_NE(table_error().find("table 'args' of thread 101: get_table_size: the thread is gone"), std::string::npos)
      << table_error();
}

// Every static field of libs' sinsp_fdinfo (get_static_fields in
// falcosecurity/libs userspace/libsinsp/fdinfo.cpp), in its order, with the
// state type of its C++ member: what list_table_fields must give.
TEST_F(ThreadSubTables, FileDescriptorsListsLibsFieldsWithTheirTypes) {
  auto lib = load();
  ASSERT_TRUE(lib);
  const std::string u8 = std::to_string(SS_PLUGIN_ST_UINT8), u16 = std::to_string(SS_PLUGIN_ST_UINT16),
                    u32 = std::to_string(SS_PLUGIN_ST_UINT32), u64 = std::to_string(SS_PLUGIN_ST_UINT64),
                    i64 = std::to_string(SS_PLUGIN_ST_INT64), str = std::to_string(SS_PLUGIN_ST_STRING);
  const std::vector<std::pair<std::string, std::string>> libs = {
      {"type", u8}, {"open_flags", u32}, {"name", str}, {"name_raw", str}, {"old_name", str}, {"flags", u32},
      {"dev", u32}, {"mount_id", u32}, {"ino", u64}, {"pid", i64}, {"fd", i64},
      {"socket_ipv4_src_ip", u32}, {"socket_ipv4_dest_dip", u32}, {"socket_ipv4_src_port", u16},
      {"socket_ipv4_dst_port", u16}, {"socket_ipv4_l4_proto", u8},
      {"socket_ipv6_src_ip_low", u64}, {"socket_ipv6_src_ip_high", u64}, {"socket_ipv6_dest_ip_low", u64},
      {"socket_ipv6_dest_ip_high", u64}, {"socket_ipv6_src_port", u16}, {"socket_ipv6_dst_port", u16},
      {"socket_ipv6_l4_proto", u8},
      {"socket_ipv4_server_ip", u32}, {"socket_ipv4_server_port", u16}, {"socket_ipv4_server_l4_proto", u8},
      {"socket_ipv6_server_ip_low", u64}, {"socket_ipv6_server_ip_high", u64}, {"socket_ipv6_server_port", u16},
      {"socket_ipv6_server_l4_proto", u8},
      {"socket_unix_src", u64}, {"socket_unix_dest", u64},
  };
  std::string want;
  for (const auto& [name, type] : libs) want += (want.empty() ? "" : ",") + name + ":" + type;
  // The list the plugin read in init, before its own two fields were added.
  EXPECT_EQ(field(*lib, open_exit(100, 3), "subt.fdfieldlist"), want);
}

// The socket_* and the other new fields read what Kestrel's state holds.
TEST_F(ThreadSubTables, FdFieldsReadKestrelsState) {
  FdInfo tcp;  // 10.0.0.1:40000 -> 10.0.0.2:443, connected by this process
  tcp.fd = 6;
  tcp.type = FdType::kIpv4;
  tcp.l4proto = IPPROTO_TCP;
  const uint8_t sip[4] = {10, 0, 0, 1}, dip[4] = {10, 0, 0, 2};
  tcp.tuple = encode_tuple_in(sip, 40000, dip, 443);
  tcp.flags = kFdFlagRoleClient | kFdFlagSocketConnected;
  tcp.name = "10.0.0.1:40000->10.0.0.2:443";
  tcp.old_name = "10.0.0.1:40000->10.0.0.9:53";
  ASSERT_NE(threads_.put_fd(kHostDomain, 100, tcp), nullptr);
  FdInfo srv6;  // listening on [::1]:8080
  srv6.fd = 7;
  srv6.type = FdType::kIpv6;
  srv6.listening = true;
  srv6.l4proto = IPPROTO_TCP;
  uint8_t any[16] = {}, lo[16] = {};
  lo[15] = 1;
  srv6.tuple = encode_tuple_in6(any, 0, lo, 8080);
  ASSERT_NE(threads_.put_fd(kHostDomain, 100, srv6), nullptr);
  FdInfo un;
  un.fd = 8;
  un.type = FdType::kUnix;
  un.tuple = encode_tuple_un(0xffff0001, 0xffff0002, "/run/x.sock");
  ASSERT_NE(threads_.put_fd(kHostDomain, 100, un), nullptr);
  FdInfo* file = threads_.fd(kHostDomain, 100, 3);
  ASSERT_NE(file, nullptr);
  file->name_raw = "../etc/passwd";
  file->pid = 4321;
  file->mount_id = 29;

  auto lib = load();
  ASSERT_TRUE(lib);
  const auto evt = open_exit(100, 3);
  auto get = [&](const char* key) { return field(*lib, evt, "subt.fdfield", std::nullopt, key); };
  uint32_t sip_u32, dip_u32;
  std::memcpy(&sip_u32, sip, 4);  // libs keeps the address bytes as they are on the wire
  std::memcpy(&dip_u32, dip, 4);
  EXPECT_EQ(get("6.socket_ipv4_src_ip"), std::to_string(sip_u32));
  EXPECT_EQ(get("6.socket_ipv4_dest_dip"), std::to_string(dip_u32));
  EXPECT_EQ(get("6.socket_ipv4_src_port"), "40000");
  EXPECT_EQ(get("6.socket_ipv4_dst_port"), "443");
  EXPECT_EQ(get("6.socket_ipv4_l4_proto"), "2");  // SCAP_L4_TCP
  EXPECT_EQ(get("6.flags"), std::to_string((1 << 2) | (1 << 13)));  // FLAGS_ROLE_CLIENT | FLAGS_SOCKET_CONNECTED
  EXPECT_EQ(get("6.old_name"), "10.0.0.1:40000->10.0.0.9:53");
  EXPECT_EQ(get("6.socket_ipv6_src_port"), "0");  // another kind of socket: 0
  EXPECT_EQ(get("7.type"), "6");                  // SCAP_FD_IPV6_SERVSOCK
  EXPECT_EQ(get("7.socket_ipv6_server_port"), "8080");
  EXPECT_EQ(get("7.socket_ipv6_server_ip_low"), "0");
  uint64_t high;
  std::memcpy(&high, lo + 8, 8);
  EXPECT_EQ(get("7.socket_ipv6_server_ip_high"), std::to_string(high));
  EXPECT_EQ(get("7.socket_ipv6_server_l4_proto"), "2");
  EXPECT_EQ(get("8.socket_unix_src"), std::to_string(0xffff0001ull));
  EXPECT_EQ(get("8.socket_unix_dest"), std::to_string(0xffff0002ull));
  EXPECT_EQ(get("3.name_raw"), "../etc/passwd");
  EXPECT_EQ(get("3.pid"), "4321");
  EXPECT_EQ(get("3.mount_id"), "29");
  EXPECT_EQ(get("3.ino"), "42");
  EXPECT_EQ(get("3.fd"), "3");
  // The plugin's own fields exist on every fd, zero until written.
  EXPECT_EQ(get("6.subt_mark"), "0");
  EXPECT_EQ(get("6.subt_note"), "");
}

// add_table_field on the file_descriptors sub-table: the plugin writes its
// fields in parse_event and reads them back; the values live on the fd in
// Kestrel's state (a dup copies them, a close drops them); writing a libs
// socket field lands in the fd's tuple.
TEST_F(ThreadSubTables, PluginAddedFdFieldsLiveOnTheFd) {
  auto lib = load(R"({"write":true})");
  ASSERT_TRUE(lib);
  const auto evt = open_exit(100, 3);
  Status s = lib->parse(as_event(evt), 1, "syscall");
  ASSERT_TRUE(s.ok()) << s.to_string();
  auto get = [&](const char* key) { return field(*lib, evt, "subt.fdfield", std::nullopt, key); };
  EXPECT_EQ(get("3.subt_mark"), "7");
  EXPECT_EQ(get("3.subt_note"), "noted");
  EXPECT_EQ(get("4.subt_mark"), "0");  // another fd: its own (zero) value
  const FdInfo* fd3 = threads_.fd(kHostDomain, 100, 3);
  ASSERT_NE(fd3, nullptr);
  ASSERT_EQ(fd3->plugin_values.size(), 2u);
  EXPECT_EQ(fd3->plugin_values[0].bits, 7u);
  EXPECT_EQ(fd3->plugin_values[1].str, "noted");
  // socket_ipv4_src_port written: the fd is now an ipv4 socket with that port.
  EXPECT_EQ(fd3->type, FdType::kIpv4);
  auto tuple = decode_socktuple(fd3->tuple);
  ASSERT_TRUE(tuple);
  EXPECT_EQ(tuple->sport, 4242);
  EXPECT_EQ(get("3.socket_ipv4_src_port"), "4242");
  // dup'd: the copy carries the values; closed: gone with the fd.
  FdInfo copy = *fd3;
  copy.fd = 12;
  ASSERT_NE(threads_.put_fd(kHostDomain, 100, copy), nullptr);
  EXPECT_EQ(get("12.subt_note"), "noted");
  ASSERT_TRUE(threads_.erase_fd(kHostDomain, 100, 3));
  EXPECT_EQ(get("3.subt_note"), std::nullopt);
}

}  // namespace
}  // namespace kestrel::plugin
