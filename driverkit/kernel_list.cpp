#include "driverkit/kernel_list.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace kestrel::driverkit {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string key_of(const KernelListEntry& e) { return e.distro + " " + e.kernelrelease; }

}  // namespace

std::string write_kernel_list(const std::vector<KernelListEntry>& entries) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& e : entries) {
    nlohmann::json j;
    j["kernelrelease"] = e.kernelrelease;
    if (all_digits(e.kernelversion))
      j["kernelversion"] = std::stoi(e.kernelversion);
    else
      j["kernelversion"] = e.kernelversion;
    j["target"] = e.target;
    j["headers"] = e.headers;
    if (!e.kernelconfigdata.empty()) j["kernelconfigdata"] = e.kernelconfigdata;
    if (!doc.contains(e.distro)) doc[e.distro] = nlohmann::json::array();
    doc[e.distro].push_back(std::move(j));
  }
  return doc.dump(2) + "\n";
}

Result<std::vector<KernelListEntry>> read_kernel_list(const std::string& text, const std::string& origin) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status(StatusCode::kCorrupt, origin + ": not JSON");
  if (!doc.is_object())
    return Status(StatusCode::kCorrupt, origin + ": a kernel list is an object keyed by distro (\"debian\": [...])");
  std::vector<KernelListEntry> out;
  for (const auto& [distro, list] : doc.items()) {
    if (!list.is_array()) return Status(StatusCode::kCorrupt, origin + ": \"" + distro + "\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& j = list[i];
      std::string where = origin + ": " + distro + "[" + std::to_string(i) + "]";
      if (!j.is_object() || !j.contains("kernelrelease") || !j["kernelrelease"].is_string())
        return Status(StatusCode::kCorrupt, where + " has no kernelrelease string");
      KernelListEntry e;
      e.distro = distro;
      e.kernelrelease = j["kernelrelease"].get<std::string>();
      if (j.contains("kernelversion")) {
        const auto& v = j["kernelversion"];
        if (v.is_number_integer()) e.kernelversion = std::to_string(v.get<long long>());
        else if (v.is_string()) e.kernelversion = v.get<std::string>();
        else return Status(StatusCode::kCorrupt, where + ": kernelversion is neither a number nor a string");
      }
      if (j.contains("target") && j["target"].is_string()) e.target = j["target"].get<std::string>();
      if (j.contains("headers")) {
        if (!j["headers"].is_array()) return Status(StatusCode::kCorrupt, where + ": headers is not an array");
        for (const auto& h : j["headers"]) {
          if (!h.is_string()) return Status(StatusCode::kCorrupt, where + ": a header URL is not a string");
          e.headers.push_back(h.get<std::string>());
        }
      }
      if (j.contains("kernelconfigdata") && j["kernelconfigdata"].is_string())
        e.kernelconfigdata = j["kernelconfigdata"].get<std::string>();
      out.push_back(std::move(e));
    }
  }
  return out;
}

KernelListDiff diff_kernel_lists(const std::vector<KernelListEntry>& old_list,
                                 const std::vector<KernelListEntry>& new_list) {
  std::map<std::string, std::vector<std::string>> before, after;
  for (const auto& e : old_list) {
    auto h = e.headers;
    std::sort(h.begin(), h.end());
    before[key_of(e)] = h;
  }
  for (const auto& e : new_list) {
    auto h = e.headers;
    std::sort(h.begin(), h.end());
    after[key_of(e)] = h;
  }
  KernelListDiff d;
  for (const auto& [k, h] : after) {
    auto it = before.find(k);
    if (it == before.end()) d.added.push_back(k);
    else if (it->second != h) d.changed.push_back(k);
  }
  for (const auto& [k, h] : before)
    if (!after.count(k)) d.removed.push_back(k);
  return d;
}

void print_kernel_list_diff(const KernelListDiff& diff, std::ostream& out) {
  for (const auto& k : diff.added) out << "+ " << k << "\n";
  for (const auto& k : diff.removed) out << "- " << k << "\n";
  for (const auto& k : diff.changed) out << "~ " << k << " (headers changed)\n";
  out << diff.added.size() << " added, " << diff.removed.size() << " removed, " << diff.changed.size()
      << " changed\n";
}

}  // namespace kestrel::driverkit
