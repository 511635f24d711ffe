#include "tests/kmod/record_diff.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "sources/capture/kcap_reader.h"
#include "sources/event/event_table.h"
#include "sources/event/event_view.h"
#include "sources/event/param_format.h"

namespace kestrel::testing {

const std::vector<ParamException> kExceptions = {
    {"pipe", "ino",
     "pipefs inode numbers come from the kernel-wide get_next_ino() counter, which every pipe, socket "
     "and anonymous file made in between (by the collector too) advances"},
    {"pipe2", "ino", "as pipe's ino"},
};

namespace {

constexpr size_t kMaxMismatchesShown = 3;

Result<EventView> view_of(const OwnedRecord& r) { return EventView::parse(r.bytes); }

std::string hex(std::span<const uint8_t> b) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < b.size() && i < 48; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += buf;
  }
  if (b.size() > 48) out += "…";
  return out;
}

// The text form and the raw bytes of a param, for a mismatch message.
std::string shown(const EventView& v, uint16_t i) {
  return "'" + format_param(v, i) + "' [" + std::to_string(v.param(i).size()) + " B " + hex(v.param(i)) + "]";
}

bool equal_params(std::span<const uint8_t> a, std::span<const uint8_t> b, const ParamException* ex) {
  if (ex) return true;
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

const ParamException* exception_for(uint16_t type, std::string_view param) {
  std::string_view name = event_info(type).name;
  for (const auto& e : kExceptions)
    if ((e.type == name || e.type == "*") && e.param == param) return &e;
  return nullptr;
}

Result<std::map<int64_t, std::string>> parse_pids(const std::vector<std::string>& lines) {
  std::map<int64_t, std::string> out;
  for (const auto& line : lines) {
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string role;
    int64_t pid = 0;
    if (!(in >> role >> pid) || pid <= 0)
      return Status(StatusCode::kCorrupt, "pids line '" + line + "' is not 'ROLE PID'");
    if (!out.emplace(pid, role).second)
      return Status(StatusCode::kCorrupt, "pid " + std::to_string(pid) + " listed twice");
  }
  if (out.empty()) return Status(StatusCode::kNotFound, "no pids: the workload wrote none");
  return out;
}

Result<RoleRecords> select_records(const std::string& kcap_path, const std::map<int64_t, std::string>& pids) {
  kcap::KcapReader reader;
  if (Status s = reader.open(kcap_path); !s.ok()) return s;
  RoleRecords out;
  std::map<std::string, bool> exec_seen;
  std::vector<EventView> views;
  for (;;) {
    auto r = reader.next_batch(views);
    if (!r.ok()) return r.status();
    if (*r == kcap::BatchOutcome::kEnd) break;
    for (const EventView& v : views) {
      auto it = pids.find(v.tgid());
      if (it == pids.end()) continue;
      const std::string& role = it->second;
      // Before the main process's first execve its pid ran the shell.
      if (role == "main" && !exec_seen[role]) {
        if (v.type() != KE_EXECVE) continue;
        exec_seen[role] = true;
      }
      auto bytes = v.bytes();
      out[role].push_back(OwnedRecord{{bytes.begin(), bytes.end()}, v.ts(), v.type()});
    }
  }
  for (auto& [role, records] : out)
    std::stable_sort(records.begin(), records.end(),
                     [](const OwnedRecord& a, const OwnedRecord& b) { return a.ts < b.ts; });
  return out;
}

std::string record_difference(const OwnedRecord& kmod, const OwnedRecord& ebpf, std::set<std::string>* excused) {
  auto k = view_of(kmod), e = view_of(ebpf);
  if (!k.ok() || !e.ok()) return "unparsable record: " + (k.ok() ? e.status() : k.status()).to_string();
  const EventInfo& info = k->info();
  std::string out;
  if (k->nparams() != e->nparams())
    out += " nparams kmod " + std::to_string(k->nparams()) + " ebpf " + std::to_string(e->nparams()) + ";";
  uint16_t n = std::min<uint16_t>(k->nparams(), e->nparams());
  for (uint16_t i = 0; i < n && i < info.params.size(); ++i) {
    const ParamInfo& p = info.params[i];
    if (p.type == KPT_PID || p.type == KPT_ABSTIME) continue;
    const ParamException* ex = exception_for(k->type(), p.name);
    if (ex && excused && !equal_params(k->param(i), e->param(i), nullptr)) excused->insert(std::string(p.name));
    if (!equal_params(k->param(i), e->param(i), ex))
      out += " " + std::string(p.name) + ": kmod " + shown(*k, i) + " ebpf " + shown(*e, i) + ";";
  }
  return out;
}

std::map<uint16_t, TypeResult> compare_runs(const RoleRecords& kmod, const RoleRecords& ebpf) {
  // (role, type) -> records, per run.
  using Groups = std::map<std::pair<std::string, uint16_t>, std::vector<const OwnedRecord*>>;
  auto group = [](const RoleRecords& run) {
    Groups g;
    for (const auto& [role, records] : run)
      for (const auto& r : records) g[{role, r.type}].push_back(&r);
    return g;
  };
  Groups gk = group(kmod), ge = group(ebpf);
  std::map<uint16_t, TypeResult> out;
  auto result = [&](uint16_t type) -> TypeResult& {
    TypeResult& r = out[type];
    r.type = type;
    return r;
  };
  for (const auto& [key, recs] : gk) result(key.second).kmod += recs.size();
  for (const auto& [key, recs] : ge) result(key.second).ebpf += recs.size();
  for (const auto& [key, krecs] : gk) {
    auto it = ge.find(key);
    if (it == ge.end()) continue;
    const auto& erecs = it->second;
    TypeResult& r = result(key.second);
    for (size_t i = 0; i < std::min(krecs.size(), erecs.size()); ++i) {
      std::string diff = record_difference(*krecs[i], *erecs[i], &r.excused);
      if (diff.empty()) {
        ++r.matched;
      } else if (r.mismatches.size() < kMaxMismatchesShown) {
        r.mismatches.push_back(key.first + " #" + std::to_string(i) + ":" + diff);
      }
    }
    if (krecs.size() != erecs.size() && r.mismatches.size() < kMaxMismatchesShown)
      r.mismatches.push_back(key.first + ": " + std::to_string(krecs.size()) + " records kmod, " +
                             std::to_string(erecs.size()) + " ebpf");
  }
  return out;
}

std::string format_table(const std::map<uint16_t, TypeResult>& results, const EventTypeSet& expected,
                         const std::string& first, const std::string& second) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-18s %6s %6s  %s\n", "type", first.c_str(), second.c_str(), "match");
  out += line;
  size_t ok = 0, rows = 0;
  for (uint16_t t = 1; t < KE_COUNT; ++t) {
    auto it = results.find(t);
    if (it == results.end() && !expected.test(t)) continue;
    TypeResult r;
    if (it != results.end()) r = it->second;
    std::string verdict = r.ok()                       ? "yes"
                          : r.kmod == 0 && r.ebpf > 0  ? "NO (" + first + " has none)"
                          : r.ebpf == 0 && r.kmod > 0  ? "NO (" + second + " has none)"
                          : r.ebpf == 0 && r.kmod == 0 ? "NO (neither run has it)"
                          : r.kmod != r.ebpf           ? "NO (counts differ)"
                                                       : "NO (params differ)";
    std::snprintf(line, sizeof line, "%-18s %6zu %6zu  %s\n", std::string(event_info(t).name).c_str(), r.kmod,
                  r.ebpf, verdict.c_str());
    out += line;
    ++rows;
    if (r.ok()) ++ok;
  }
  out += std::to_string(ok) + " of " + std::to_string(rows) + " types match\n";
  return out;
}

}  // namespace kestrel::testing
