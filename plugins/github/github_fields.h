// github_fields.h — the github plugin's fields (github.*): their table and
// their values on one delivery (a webhook payload with "webhook_type" and,
// after scanning, "files" / "workflow_miner_detections"; see
// github_webhook.h and github_scan.h).
//
// Names and meanings follow the upstream github plugin's documented field
// table (falcosecurity/plugins, plugins/github README) so Falco's
// github.yaml means the same here; the payload members are those of
// GitHub's "Webhook events and payloads" reference. Lists (commit files,
// secrets) are comma-separated strings, as upstream.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plugins/plugin_kit/json_fields.h"

namespace kestrel::github {

const std::vector<plugin_kit::FieldSpec>& github_fields();

std::optional<plugin_kit::Values> extract_github_field(uint32_t id, const plugin_kit::json& event);

}  // namespace kestrel::github
