// github_api.h — what the github plugin asks GitHub's REST API about a
// delivery, to fill github.diff.* and github.workflow.*: a push's commit
// diffs (GET /repos/{owner}/{repo}/commits/{sha}, Accept:
// application/vnd.github.diff) and a workflow_run's definition file (GET
// /repos/{owner}/{repo}/contents/{path}?ref={head_sha}, Accept:
// application/vnd.github.raw). The answers are scanned (github_scan.h)
// and the results stored in the event.
//
// Configured by init_config: githubToken (sent as a bearer token; a
// public repository needs none) and apiURL (default
// https://api.github.com; a GitHub Enterprise server's
// https://HOST/api/v3). Without apiURL reachable, or when a request fails,
// the event goes on without those members (the fields read <NA>) and the
// failure is counted. At most kMaxCommits commits per push are fetched,
// each answer at most kMaxDiffBytes; each request times out after 5 s.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace kestrel::github {

inline constexpr size_t kMaxCommits = 20;
inline constexpr size_t kMaxDiffBytes = 4u << 20;

struct ApiConfig {
  std::string url = "https://api.github.com";
  std::string token;
  bool enabled = true;  // init_config "scanCode": false turns fetching off
};

struct ApiCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
};

// Adds "files" to a push event and "workflow_miner_detections" to a
// workflow_run event (by its "webhook_type"), from what the API returns.
void scan_referenced_code(nlohmann::json& event, const ApiConfig& api, ApiCounters& counters);

}  // namespace kestrel::github
