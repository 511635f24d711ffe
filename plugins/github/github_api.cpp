#include "plugins/github/github_api.h"

#include <httplib.h>

#include <cctype>
#include <initializer_list>
#include <optional>
#include <vector>

#include "plugins/github/github_scan.h"

namespace kestrel::github {
namespace {

std::string str(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  const nlohmann::json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return {};
    cur = &(*cur)[k];
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

// Path segments are URL-encoded; '/' inside a file path stays a separator.
std::string encode_path(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> get(httplib::Client& client, const ApiConfig& api, const std::string& path,
                               const char* accept, ApiCounters& counters) {
  httplib::Headers headers = {{"Accept", accept}, {"User-Agent", "kestrel-github-plugin"},
                              {"X-GitHub-Api-Version", "2022-11-28"}};
  if (!api.token.empty()) headers.emplace("Authorization", "Bearer " + api.token);
  counters.requests.fetch_add(1, std::memory_order_relaxed);
  std::string body;
  bool too_big = false;
  auto res = client.Get(path, headers, [&](const char* data, size_t len) {
    if (body.size() + len > kMaxDiffBytes) {
      too_big = true;
      return false;
    }
    body.append(data, len);
    return true;
  });
  if (!res || res->status != 200 || too_big) {
    counters.errors.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return body;
}

}  // namespace

void scan_referenced_code(nlohmann::json& event, const ApiConfig& api, ApiCounters& counters) {
  if (!api.enabled || api.url.empty()) return;
  const std::string type = str(event, {"webhook_type"});
  const std::string repo = str(event, {"repository", "full_name"});
  if (repo.empty() || (type != "push" && type != "workflow_run")) return;
  // The API's base path (".../api/v3" on GitHub Enterprise) prefixes each request.
  std::string base = api.url, prefix;
  if (auto scheme = base.find("://"); scheme != std::string::npos)
    if (auto slash = base.find('/', scheme + 3); slash != std::string::npos) {
      prefix = base.substr(slash);
      base.resize(slash);
    }
  if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  httplib::Client client(base);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  client.set_follow_location(true);
  if (type == "push") {
    const auto commits = event.value("commits", nlohmann::json::array());
    if (!commits.is_array()) return;
    std::vector<SecretMatch> matches;
    size_t fetched = 0;
    for (const auto& c : commits) {
      const std::string sha = str(c, {"id"});
      if (sha.empty() || fetched++ >= kMaxCommits) continue;
      auto diff = get(client, api, prefix + "/repos/" + encode_path(repo) + "/commits/" + encode_path(sha),
                      "application/vnd.github.diff", counters);
      if (!diff) return;  // partial results would read as "no secrets"
      for (auto& m : scan_diff(*diff)) matches.push_back(std::move(m));
    }
    add_secret_matches(event, matches);
    return;
  }
  const std::string path = str(event, {"workflow", "path"});
  const std::string ref = str(event, {"workflow_run", "head_sha"});
  if (path.empty()) return;
  std::string url = prefix + "/repos/" + encode_path(repo) + "/contents/" + encode_path(path);
  if (!ref.empty()) url += "?ref=" + encode_path(ref);
  auto yaml = get(client, api, url, "application/vnd.github.raw", counters);
  if (!yaml) return;
  add_miner_matches(event, scan_workflow(*yaml));
}

}  // namespace kestrel::github
