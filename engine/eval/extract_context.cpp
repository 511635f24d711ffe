// ExtractContext: the per-event lazy lookups shared by all extractors.
#include <grp.h>
#include <pwd.h>

#include <array>

#include "engine/eval/extract.h"
#include "state/memory_size.h"

#include <chrono>

namespace kestrel::engine::eval {
namespace {

bool is_open_family(uint16_t type) {
  return type == KE_OPEN || type == KE_OPENAT || type == KE_OPENAT2 || type == KE_CREAT;
}

std::array<EventParamRoles, KE_COUNT> build_roles() {
  std::array<EventParamRoles, KE_COUNT> roles{};
  for (uint16_t t = 0; t < KE_COUNT; ++t) {
    const EventInfo& info = event_info(t);
    EventParamRoles r;
    auto idx = [&](std::string_view n) -> int16_t {
      auto i = info.param_index(n);
      return i ? static_cast<int16_t>(*i) : -1;
    };
    r.res = idx("res");
    if (r.res < 0 && !info.params.empty()) {
      auto pt = info.params[0].type;
      if (pt == KPT_FD || pt == KPT_ERRNO) r.res = 0;
    }
    r.fd = idx("fd");
    if (r.fd < 0 && r.res >= 0 && info.params[r.res].type == KPT_FD) r.fd = r.res;
    if (r.fd < 0) r.fd = idx("oldfd");
    if (is_open_family(t)) {
      r.path = idx("name");
      r.flags = idx("flags");
    }
    roles[t] = r;
  }
  return roles;
}

}  // namespace

const EventParamRoles& param_roles(uint16_t type) {
  static const std::array<EventParamRoles, KE_COUNT> kRoles = build_roles();
  static const EventParamRoles kNone{};
  return type < KE_COUNT ? kRoles[type] : kNone;
}

void ExtractContext::begin(const Event& event, const ThreadLookup& lookup, uint64_t event_number) {
  event_ = &event;
  lookup_ = &lookup;
  event_number_ = event_number;
  thread_done_ = process_done_ = parent_done_ = fd_done_ = container_done_ = false;
  container_ = nullptr;
  thread_ = process_ = parent_ = nullptr;
  fd_ = nullptr;
}

const ThreadInfo* ExtractContext::thread() {
  if (!thread_done_) {
    thread_done_ = true;
    thread_ = lookup_->find(event_->domain, event_->view.tid());
  }
  return thread_;
}

const ThreadInfo* ExtractContext::process() {
  if (!process_done_) {
    process_done_ = true;
    const ThreadInfo* t = thread();
    if (t != nullptr) {
      process_ = lookup_->process_of(*t);
      if (process_ == nullptr) process_ = t;
    }
  }
  return process_;
}

const ThreadInfo* ExtractContext::parent() {
  if (!parent_done_) {
    parent_done_ = true;
    const ThreadInfo* p = process();
    parent_ = p ? lookup_->parent(*p) : nullptr;
  }
  return parent_;
}

std::optional<int64_t> ExtractContext::fd_number() {
  int16_t i = param_roles(view().type()).fd;
  if (i < 0) return std::nullopt;
  return view().param_int(static_cast<uint16_t>(i));
}

std::optional<int64_t> ExtractContext::result() {
  int16_t i = param_roles(view().type()).res;
  if (i < 0) return std::nullopt;
  return view().param_int(static_cast<uint16_t>(i));
}

const FdInfo* ExtractContext::fd() {
  if (fd_done_) return fd_;
  fd_done_ = true;
  auto num = fd_number();
  const ThreadInfo* t = thread();
  if (num && *num >= 0 && t != nullptr) fd_ = lookup_->find_fd(*t, *num);
  if (fd_ != nullptr) return fd_;
  // A failed open has no table entry; Falco still shows what was opened.
  const EventParamRoles& roles = param_roles(view().type());
  if (roles.path < 0) return nullptr;
  auto path = view().param_str(static_cast<uint16_t>(roles.path));
  if (!path || path->empty()) return nullptr;
  synthetic_fd_.fd = num.value_or(-1);
  synthetic_fd_.type = FdType::kFile;
  synthetic_fd_.tuple.clear();
  synthetic_fd_.open_flags = 0;
  if (roles.flags >= 0) {
    synthetic_fd_.open_flags = static_cast<uint32_t>(view().param_uint(static_cast<uint16_t>(roles.flags)).value_or(0));
  }
  if ((*path)[0] == '/' || t == nullptr) {
    synthetic_fd_.name.assign(*path);
  } else {
    const ThreadInfo* p = process();
    synthetic_fd_.name.assign(p->cwd);
    if (synthetic_fd_.name.empty() || synthetic_fd_.name.back() != '/') synthetic_fd_.name.push_back('/');
    synthetic_fd_.name.append(*path);
  }
  fd_ = &synthetic_fd_;
  return fd_;
}

namespace {

// A remembered user or group: the LRU node, the value and its strings.
size_t remembered_bytes(const std::string& a, const std::string& b = {}, const std::string& c = {}) {
  return kLruNodeOverhead + sizeof(uint32_t) + 3 * sizeof(std::string) + sizeof(bool) + heap_bytes(a) +
         heap_bytes(b) + heap_bytes(c);
}
size_t remembered_bytes(const std::optional<std::string>& group) { return remembered_bytes(group.value_or("")); }

}  // namespace

UserNames::~UserNames() {
  if (budget_) budget_->sub(MemoryTable::kUsers, accounted_);
}

void UserNames::set_budget(MemoryBudget* budget) {
  if (budget_) budget_->sub(MemoryTable::kUsers, accounted_);
  budget_ = budget;
  if (budget_) budget_->add(MemoryTable::kUsers, accounted_);
}

void UserNames::trim() {
  if (budget_ == nullptr || capture_only_) return;
  while (budget_->over_share(MemoryTable::kUsers) && users_.size() + groups_.size() > kMinRemembered) {
    // The larger table gives up its least recently used entry.
    if (users_.size() >= groups_.size()) {
      const uint32_t uid = *users_.oldest();
      const User& u = *users_.find(uid);
      const size_t n = remembered_bytes(u.name, u.home, u.shell);
      users_.erase(uid);
      accounted_ -= n;
      budget_->sub(MemoryTable::kUsers, n);
    } else {
      const uint32_t gid = *groups_.oldest();
      const size_t n = remembered_bytes(*groups_.find(gid));
      groups_.erase(gid);
      accounted_ -= n;
      budget_->sub(MemoryTable::kUsers, n);
    }
    budget_->count_eviction(MemoryTable::kUsers);
  }
}

const UserNames::User& UserNames::user(uint32_t uid) {
  if (const User* known = users_.find_and_touch(uid)) return *known;
  User u;
  passwd pw{};
  passwd* res = nullptr;
  std::string buf(4096, '\0');
  if (!capture_only_ && getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res != nullptr) {
    u.found = true;
    u.name = pw.pw_name ? pw.pw_name : "";
    u.home = pw.pw_dir ? pw.pw_dir : "";
    u.shell = pw.pw_shell ? pw.pw_shell : "";
  }
  const size_t n = remembered_bytes(u.name, u.home, u.shell);
  User& slot = *users_.try_emplace(uid).first;
  slot = std::move(u);
  accounted_ += n;
  if (budget_) budget_->add(MemoryTable::kUsers, n);
  trim();  // keeps the newest entries: `slot` among them
  return slot;
}

UserNames* UserNames::for_domain(uint32_t domain) {
  if (domain == kHostDomain) return this;
  if (!domain_resolver_) return nullptr;
  auto [it, inserted] = domains_.try_emplace(domain);
  Domain& d = it->second;
  if (d.names) return d.names.get();
  // A sandbox's source may learn where its rootfs is a moment after its
  // first events: a miss is asked again, at most once a second.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (!inserted && now - d.asked_at_s < 1) return nullptr;
  d.asked_at_s = now;
  if (std::optional<CaptureUsers> users = domain_resolver_(domain)) {
    d.names = std::make_unique<UserNames>();
    d.names->use_capture_users(*users);
  }
  return d.names.get();
}

void UserNames::use_capture_users(const CaptureUsers& users) {
  capture_only_ = true;
  users_.clear();
  groups_.clear();
  if (budget_) budget_->sub(MemoryTable::kUsers, accounted_);
  accounted_ = 0;  // a fixed list, as big as the capture's: not a cache
  for (const auto& u : users.users) *users_.try_emplace(u.uid).first = User{true, u.name, u.home, u.shell};
  for (const auto& g : users.groups) *groups_.try_emplace(g.gid).first = g.name;
}

const std::string* UserNames::user_name(uint32_t uid) {
  const User& u = user(uid);
  return u.found ? &u.name : nullptr;
}
const std::string* UserNames::user_home(uint32_t uid) {
  const User& u = user(uid);
  return u.found ? &u.home : nullptr;
}
const std::string* UserNames::user_shell(uint32_t uid) {
  const User& u = user(uid);
  return u.found ? &u.shell : nullptr;
}

const std::string* UserNames::group_name(uint32_t gid) {
  std::optional<std::string>* slot = groups_.find_and_touch(gid);
  if (slot == nullptr) {
    std::optional<std::string> name;
    group gr{};
    group* res = nullptr;
    std::string buf(4096, '\0');
    if (!capture_only_ && getgrgid_r(gid, &gr, buf.data(), buf.size(), &res) == 0 && res != nullptr && gr.gr_name) name = gr.gr_name;
    const size_t n = remembered_bytes(name);
    slot = groups_.try_emplace(gid).first;
    *slot = std::move(name);
    accounted_ += n;
    if (budget_) budget_->add(MemoryTable::kUsers, n);
    trim();
  }
  return *slot ? &**slot : nullptr;
}

}  // namespace kestrel::engine::eval

namespace kestrel::engine::eval {

const ContainerInfo* ExtractContext::container() {
  if (!container_done_) {
    container_done_ = true;
    const ThreadInfo* t = thread();
    if (t != nullptr && env_.containers != nullptr && !t->container_full_id.empty())
      container_ = env_.containers->find(t->container_full_id);
  }
  return container_;
}

}  // namespace kestrel::engine::eval
