#include "driverkit/kernel_list.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

namespace kestrel::driverkit {

namespace {

auto entry_key(const KernelEntry& e) { return std::tie(e.kernelrelease, e.target, e.kernelversion); }

Result<std::string> string_or_number(const nlohmann::json& entry, const char* key, const std::string& where) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return Status(StatusCode::kCorrupt, where + ": \"" + key + "\" is neither a string nor an integer");
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string key_of(const KernelEntry& e) { return e.distro + " " + e.kernelrelease; }

}  // namespace

std::string write_kernel_list(const std::vector<KernelEntry>& entries) {
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

Result<std::vector<KernelEntry>> read_kernel_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "cannot read the kernel list " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_kernel_list(text.str(), path);
}

Result<std::vector<KernelEntry>> parse_kernel_list(const std::string& text, const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status(StatusCode::kCorrupt, path + ": not a JSON object keyed by distribution (kernel-crawler's format, "
                                               "as `kestrel-crawler crawl` writes it)");
  std::vector<KernelEntry> entries;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& [distro, list] : j.items()) {
    if (!list.is_array()) return Status(StatusCode::kCorrupt, path + ": \"" + distro + "\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = path + ": " + distro + "[" + std::to_string(i) + "]";
      const auto& e = list[i];
      if (!e.is_object()) return Status(StatusCode::kCorrupt, where + ": not an object");
      KernelEntry k;
      k.distro = distro;
      for (auto [key, into] : {std::pair{"kernelrelease", &k.kernelrelease}, std::pair{"kernelversion", &k.kernelversion},
                               std::pair{"target", &k.target}, std::pair{"kernelconfigdata", &k.kernelconfigdata}}) {
        auto v = string_or_number(e, key, where);
        if (!v.ok()) return v.status();
        *into = *v;
      }
      if (k.kernelrelease.empty()) return Status(StatusCode::kCorrupt, where + ": no \"kernelrelease\"");
      if (k.kernelversion.empty()) k.kernelversion = "1";
      if (k.target.empty()) k.target = distro;
      auto headers = e.find("headers");
      if (headers == e.end() || !headers->is_array() || headers->empty())
        return Status(StatusCode::kCorrupt, where + " (" + k.kernelrelease +
                                                "): no \"headers\" (the list of header package URLs)");
      for (const auto& h : *headers) {
        if (!h.is_string() || h.get<std::string>().empty())
          return Status(StatusCode::kCorrupt, where + " (" + k.kernelrelease + "): a header URL is not a string");
        k.headers.push_back(h.get<std::string>());
      }
      if (!seen.insert({k.kernelrelease, k.target, k.kernelversion}).second)
        return Status(StatusCode::kCorrupt, where + ": " + k.target + " " + k.kernelrelease + " (kernelversion " +
                                                k.kernelversion + ") is listed twice");
      entries.push_back(std::move(k));
    }
  }
  return entries;
}

Result<std::vector<KernelEntry>> filter_kernels(std::vector<KernelEntry> entries, const std::string& regex) {
  if (regex.empty()) return entries;
  std::regex re;
  try {
    re = std::regex(regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status(StatusCode::kInvalidArgument, "--filter \"" + regex + "\" is not a regular expression: " + e.what());
  }
  std::erase_if(entries, [&](const KernelEntry& e) { return !std::regex_search(e.kernelrelease, re); });
  return entries;
}

Result<Shard> parse_shard(const std::string& text) {
  auto bad = [&] {
    return Status(StatusCode::kInvalidArgument,
                  "--shard \"" + text + "\": expected i/N with 0 <= i < N (e.g. 0/4; Kubernetes: $JOB_COMPLETION_INDEX/N)");
  };
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return bad();
  Shard s;
  try {
    size_t used = 0;
    s.index = std::stoul(text.substr(0, slash), &used);
    if (used != slash) return bad();
    s.count = std::stoul(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  if (text[0] == '-' || text[slash + 1] == '-' || s.count == 0 || s.index >= s.count) return bad();
  return s;
}

std::vector<KernelEntry> select_shard(std::vector<KernelEntry> entries, const Shard& shard) {
  std::sort(entries.begin(), entries.end(),
            [](const KernelEntry& a, const KernelEntry& b) { return entry_key(a) < entry_key(b); });
  std::vector<KernelEntry> mine;
  for (size_t i = shard.index; i < entries.size(); i += shard.count) mine.push_back(std::move(entries[i]));
  return mine;
}

KernelListDiff diff_kernel_lists(const std::vector<KernelEntry>& old_list,
                                 const std::vector<KernelEntry>& new_list) {
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
