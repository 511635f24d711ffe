// ocsf_format.h — an alert as an OCSF Security Finding (class 2001).
//
// For SIEMs that ingest the Open Cybersecurity Schema Framework rather than
// Falco's JSON (Kestrel-only `outputs.ocsf`). One JSON object per alert:
//   class_uid 2001 "Security Finding", category_uid 2 "Findings",
//   activity_id 1 "Create", type_uid 200101 (class_uid * 100 + activity_id),
//   severity_id from the rule priority (see ocsf_severity_id), time in ms,
//   finding {title = rule, desc = formatted output, uid, types = tags},
//   metadata {product {name "Kestrel"}, version of the OCSF schema},
//   unmapped {output_fields, source, hostname} for what OCSF has no slot for.
#pragma once

#include <string>

#include "engine/alert.h"

namespace kestrel::engine {

// Debug/Informational → 1, Notice → 2, Warning → 3, Error → 4,
// Critical → 5, Alert/Emergency → 6 (OCSF "Fatal").
int ocsf_severity_id(Priority p);
// The OCSF label of a severity_id ("Informational", "Low", … "Fatal").
std::string_view ocsf_severity_name(int severity_id);

// The finding as one line of JSON, no newline. Invalid UTF-8 is replaced.
std::string format_ocsf(const Alert& alert);

}  // namespace kestrel::engine
