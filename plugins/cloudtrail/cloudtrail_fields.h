// cloudtrail_fields.h — the cloudtrail plugin's fields (ct.*, s3.*, ec2.*,
// ecr.*): their table and their values on one CloudTrail record.
//
// Names and meanings follow the upstream cloudtrail plugin's documented
// field table (falcosecurity/plugins, plugins/cloudtrail README), so
// Falco's aws_cloudtrail_rules.yaml means the same here. Record members
// are those of AWS's "CloudTrail record contents" reference. A field whose
// member is absent has no value ("<NA>"); ct.request, ct.response,
// ct.resources and the other object-valued fields read as compact JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plugins/plugin_kit/json_fields.h"

namespace kestrel::cloudtrail {

// The table, in get_fields order (field_id = index).
const std::vector<plugin_kit::FieldSpec>& cloudtrail_fields();

// Values of field `id` on `record` (one element of a log file's Records).
std::optional<plugin_kit::Values> extract_cloudtrail_field(uint32_t id, const plugin_kit::json& record);

}  // namespace kestrel::cloudtrail
