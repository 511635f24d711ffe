// github_scan.h — what the github plugin looks for in code a webhook
// delivery points to: secrets added by a push's commits (their unified
// diffs) and crypto miners in a workflow definition (a workflow_run's
// YAML). The results are stored in the event as the upstream github
// plugin stores them, so github.diff.* and github.workflow.* read the same:
//   "files": [{"name": <path>, "matches": [{"desc": <type>, "line": <n>}]}]
//   "workflow_miner_detections": {"matches": [{"type": <miner>, "line": <n>}]}
//
// Secret types are recognised by the published formats of their issuers
// (AWS access key ids, GitHub token prefixes, Slack, Stripe, Google API
// keys, PEM private keys, ...); secret_types() lists them. Only added
// lines ('+') are scanned; line numbers are those of the new file, from
// the hunk headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel::github {

struct SecretMatch {
  std::string file;
  uint64_t line = 0;
  std::string desc;  // "aws_access_key", "github_personal_access_token", ...
};

// Secrets on the added lines of `diff` (git's unified diff of one or more
// files, as GitHub's API returns with Accept: application/vnd.github.diff).
std::vector<SecretMatch> scan_diff(std::string_view diff);

// The secret type names scan_diff reports.
std::vector<std::string> secret_types();

struct MinerMatch {
  std::string type;  // "xmrig", "stratum", ...
  uint64_t line = 0;
};

// Miner invocations or pool URLs in a workflow file's text.
std::vector<MinerMatch> scan_workflow(std::string_view yaml);

// Adds `matches` to `event` as its "files" member (created even when empty:
// a scanned push without secrets reads github.diff.has_secrets=false).
void add_secret_matches(nlohmann::json& event, const std::vector<SecretMatch>& matches);

// Adds `matches` to `event` as "workflow_miner_detections".
void add_miner_matches(nlohmann::json& event, const std::vector<MinerMatch>& matches);

}  // namespace kestrel::github
