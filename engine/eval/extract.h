// extract.h — field extraction: from (event, thread table) to a value.
//
// A rule names fields ("proc.aname[2]", "evt.arg.flags", "fd.sip"). The
// compiler resolves each name once into a FieldRef: the registry's
// FieldInfo (engine/fields/field_registry.h), the parsed argument, and the
// extractor function that computes it. At evaluation time an
// ExtractContext carries one event and lazily resolves what several
// extractors share (the thread, its process, parent, the event's fd), so
// each table lookup happens at most once per event.
//
// Extractors live in extract_evt.cpp, extract_proc.cpp, extract_fd.cpp and
// extract_user.cpp (user.*, group.*, thread.*), extract_container.cpp
// (container.*, k8s.*), each file ending
// with its family's field table, whose rows name the extractor. A field
// whose row has none resolves to one that always yields kMissing, so such
// rules load and the field reads as "<NA>" (as `kestrel -L` says).
//
// Semantics follow Falco's (libsinsp sinsp_filtercheck_*): see the
// per-file comments for the choices where Kestrel's data differs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "state/lru_map.h"
#include "state/memory_budget.h"

#include "engine/eval/field_provider.h"
#include "engine/eval/field_value.h"
#include "engine/fields/field_registry.h"
#include "base/status.h"
#include "sources/source.h"
#include "state/containers/container_metadata.h"
#include "state/exe_digest.h"
#include "state/machine_directory.h"
#include "state/pidns_start.h"
#include "state/thread_lookup.h"

namespace kestrel::engine::eval {

// Storage an extractor may build a value into (a joined command line, a
// formatted argument). Owned by the caller's cache slot and reused across
// events, so steady-state extraction does not allocate.
struct Scratch {
  std::string text;
  std::vector<std::string> strings;
  std::vector<std::string_view> items;
  std::vector<uint64_t> numbers;
};

class ExtractContext;
struct FieldRef;

// A field name resolved for extraction.
struct FieldRef {
  const FieldInfo* info = nullptr;
  std::string name;                // canonical, with the argument: "proc.aname[2]"
  std::optional<std::string> arg;  // "2", "flags", …
  int64_t index = -1;              // numeric argument, -1 when none
  ExtractFn fn = nullptr;
  // evt.arg.NAME / evt.rawarg.NAME: the param index per event type (-1
  // when that type has no such param), filled at resolve time.
  std::vector<int16_t> param_by_type;
  // Fields of a non-syscall source: filled by `provider` (field_provider.h)
  // through `provider_handle`; nullptr for built-in extractors.
  FieldProvider* provider = nullptr;
  uint32_t provider_handle = 0;
};

// Resolves `name` (as written in a rule: "evt.arg.flags", "proc.aname")
// with an optional bracket argument against the syscall source's fields.
// Errors (unknown field, bad argument) carry the registry's message.
Result<FieldRef> resolve_field(std::string_view name, const std::optional<std::string>& arg);

// The same against `scope`'s source, in `scope.fields`. For a source other than "syscall" the
// scope's provider fills the fields it prepares; the event-time fields
// (evt.time, evt.num, …) use the built-in extractors; anything else reads
// as missing.
Result<FieldRef> resolve_field(const FieldScope& scope, std::string_view name, const std::optional<std::string>& arg);

// True when the syscall source's field `name` has an extractor (its row's
// `extract`; the same fact `kestrel -L` prints).
bool has_extractor(std::string_view name);

// user.name / group.name on the host: getpwuid/getgrgid, remembered (also
// misses) so the hot path calls libc once per id. With set_budget() the
// host's remembered users and groups are accounted (MemoryTable::kUsers)
// and the least recently used are forgotten beyond the cache's share of the
// limit (asked again when next needed); at least kMinRemembered stay, so a
// name an extractor returned for this event is never the one forgotten. A sandbox (domain != 0)
// has its own users: for_domain() answers from the sandbox's /etc/passwd
// and /etc/group as its source read them (Source::domain_users).
class UserNames {
 public:
  static constexpr size_t kMinRemembered = 64;

  UserNames() = default;
  ~UserNames();
  UserNames(const UserNames&) = delete;
  UserNames& operator=(const UserNames&) = delete;

  // Accounts the host's remembered users and groups in `budget` (nullptr:
  // none), those held included. `budget` must outlive this.
  void set_budget(MemoryBudget* budget);

  // Where a domain's users come from (the app: the sources' domain_users);
  // asked once per domain, again at most once a second while it has none.
  using DomainUsersResolver = std::function<std::optional<CaptureUsers>(uint32_t domain)>;
  void set_domain_resolver(DomainUsersResolver resolver) { domain_resolver_ = std::move(resolver); }
  // The names of `domain`: this for the host, the sandbox's own for a
  // sandbox, nullptr when nothing is known of its users (names missing).
  UserNames* for_domain(uint32_t domain);

  // nullptr when the id has no entry.
  const std::string* user_name(uint32_t uid);
  const std::string* user_home(uint32_t uid);
  const std::string* user_shell(uint32_t uid);
  const std::string* group_name(uint32_t gid);

  // A replay's users and groups (a .scap file's user list): answered from
  // these instead of this host's passwd and group files; ids they lack
  // read as missing, as on the machine that recorded the capture.
  void use_capture_users(const CaptureUsers& users);

 private:
  struct User {
    bool found = false;
    std::string name, home, shell;
  };
  const User& user(uint32_t uid);
  // Forgets least recently used users/groups beyond the budget share.
  void trim();
  LruMap<uint32_t, User> users_;
  LruMap<uint32_t, std::optional<std::string>> groups_;
  MemoryBudget* budget_ = nullptr;
  uint64_t accounted_ = 0;  // bytes of users_ and groups_ in budget_
  bool capture_only_ = false;  // misses are not looked up on this host
  struct Domain {
    std::unique_ptr<UserNames> names;  // nullptr: unknown so far
    int64_t asked_at_s = 0;            // steady seconds of the last miss
  };
  DomainUsersResolver domain_resolver_;
  std::unordered_map<uint32_t, Domain> domains_;
};

// What extractors need besides the event: fixed per engine.
struct ExtractEnvironment {
  std::string hostname;
  std::string source = "syscall";
  PluginEventInfo* plugin_events = nullptr;  // evt.pluginname / evt.plugininfo
  // container.* / k8s.* beyond the id and type; without it those read as
  // missing. Owned by the app, outlives the engine.
  ContainerMetadata* containers = nullptr;
  // Which machine each domain is (vm.*, machine.*); without it those read
  // as missing. Owned by the app, outlives the engine.
  const MachineDirectory* machines = nullptr;
  UserNames users;
  // The host's events name processes of this machine, alive now: every
  // source is live (Multiplexer::all_live). Then proc.pidns_init_start_ts
  // is read from this host's /proc, and proc.exe_sha256 may trust
  // /proc/PID/exe; otherwise (a replay: its pids were another time's, or
  // another machine's) the first is missing and the second needs the
  // recorded inode facts to match (ExeDigests::sha256_hex). Off by default.
  bool live_host = false;
  ExeDigests exe_digests;
  PidNamespaceStarts pidns_starts;
};

// One event's extraction state. begin() starts an event; the lazy getters
// resolve the table once per event. Not thread-safe.
class ExtractContext {
 public:
  explicit ExtractContext(ExtractEnvironment& env) : env_(env) {}

  void begin(const Event& event, const ThreadLookup& lookup, uint64_t event_number);

  const Event& event() const { return *event_; }
  const EventView& view() const { return event_->view; }
  const ThreadLookup& lookup() const { return *lookup_; }
  uint64_t event_number() const { return event_number_; }
  ExtractEnvironment& env() { return env_; }

  // The event's thread; nullptr when the table does not know it.
  const ThreadInfo* thread();
  // The thread's process (leader), or the thread itself when the leader
  // is unknown; nullptr without a thread.
  const ThreadInfo* process();
  // The parent process; nullptr when unknown.
  const ThreadInfo* parent();
  // What the runtime says about the thread's container (asked once per
  // event); nullptr on the host, without metadata, or when unknown.
  const ContainerInfo* container();

  // The fd number the event acts on (param "fd", else an FD-typed "res",
  // else "oldfd"); nullopt for events without one.
  std::optional<int64_t> fd_number();
  // The fd's table entry. For an open-family event whose fd is not in the
  // table (failed open), an entry made from the event's path, so
  // fd.name works on failures as in Falco. nullptr otherwise.
  const FdInfo* fd();

  // The event's return value (param "res", or an errno/fd-typed first
  // param); nullopt when the event has none.
  std::optional<int64_t> result();

 private:
  ExtractEnvironment& env_;
  const Event* event_ = nullptr;
  const ThreadLookup* lookup_ = nullptr;
  uint64_t event_number_ = 0;
  bool thread_done_ = false, process_done_ = false, parent_done_ = false, fd_done_ = false, container_done_ = false;
  const ContainerInfo* container_ = nullptr;
  const ThreadInfo* thread_ = nullptr;
  const ThreadInfo* process_ = nullptr;
  const ThreadInfo* parent_ = nullptr;
  const FdInfo* fd_ = nullptr;
  FdInfo synthetic_fd_;
};

// Per event type: which param carries the fd and which the result
// (-1: none). Built once from the event table.
struct EventParamRoles {
  int16_t fd = -1;
  int16_t res = -1;
  int16_t path = -1;   // open-family "name"
  int16_t flags = -1;  // open-family "flags"
};
const EventParamRoles& param_roles(uint16_t type);

// Falco's fd.type word for a type ("file", "ipv4", …).
std::string_view fd_type_name(FdType t);

// The field families Kestrel fills, one table each beside its extractors:
// every row is a field's metadata and its extractor (kNotFilled when none).
// engine/fields/syscall_fields.cpp lists them with the unfilled families.
const FieldSet& evt_field_set();         // extract_evt.cpp
const FieldSet& plugin_evt_field_set();  // extract_evt.cpp: evt.* on plugin sources
const FieldSet& proc_field_set();        // extract_proc.cpp
const FieldSet& fd_field_set();          // extract_fd.cpp
const FieldSet& thread_field_set();      // extract_user.cpp
const FieldSet& user_field_set();        // extract_user.cpp: user.*, group.*
const FieldSet& container_field_set();   // extract_container.cpp
const FieldSet& k8s_field_set();         // extract_container.cpp
const FieldSet& vm_field_set();          // extract_machine.cpp
const FieldSet& machine_field_set();     // extract_machine.cpp

// What a plugin event record says about its plugin (extract_plugin_evt.cpp):
// evt.pluginname, evt.plugininfo, evt.asynctype (the syscall source's and
// the plugin sources' forms) and evt.is_async on plugin sources.
ExtractedValue evt_pluginname(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);
ExtractedValue evt_plugininfo(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);
ExtractedValue evt_syscall_asynctype(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);
ExtractedValue evt_plugin_asynctype(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);
ExtractedValue evt_plugin_is_async(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);

// The extractor of a loaded plugin's declared fields (registered rows): the
// scope's provider fills them (field_provider.h).
ExtractedValue extract_by_provider(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);

}  // namespace kestrel::engine::eval
