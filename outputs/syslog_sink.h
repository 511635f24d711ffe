// syslog_sink.h — alerts to the local syslog (Falco's syslog_output).
//
// Each line is logged with ident "kestrel", facility LOG_USER and the
// syslog level of the rule priority (same names, same order: Emergency →
// LOG_EMERG … Debug → LOG_DEBUG), so syslog filters by level work as with
// Falco.
#pragma once

#include <memory>

#include "outputs/output_sink.h"

namespace kestrel::engine {

// LOG_EMERG … LOG_DEBUG for a rule priority.
int syslog_level(Priority p);

std::unique_ptr<OutputSink> make_syslog_sink();

}  // namespace kestrel::engine
