#include "outputs/syslog_sink.h"

#include <syslog.h>

namespace kestrel::engine {
namespace {

class SyslogSink : public OutputSink {
 public:
  SyslogSink() { openlog("kestrel", LOG_PID | LOG_NDELAY, LOG_USER); }
  ~SyslogSink() override { closelog(); }
  std::string_view name() const override { return "syslog"; }
  Status write(const Alert& alert, const std::string& line) override {
    syslog(syslog_level(alert.priority), "%s", line.c_str());
    return ok_status();
  }
  // openlog with LOG_NDELAY connects at once; reconnect after a syslog
  // daemon restart.
  void reopen() override {
    closelog();
    openlog("kestrel", LOG_PID | LOG_NDELAY, LOG_USER);
  }
};

}  // namespace

int syslog_level(Priority p) {
  switch (p) {
    case Priority::kEmergency: return LOG_EMERG;
    case Priority::kAlert: return LOG_ALERT;
    case Priority::kCritical: return LOG_CRIT;
    case Priority::kError: return LOG_ERR;
    case Priority::kWarning: return LOG_WARNING;
    case Priority::kNotice: return LOG_NOTICE;
    case Priority::kInformational: return LOG_INFO;
    case Priority::kDebug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

std::unique_ptr<OutputSink> make_syslog_sink() { return std::make_unique<SyslogSink>(); }

}  // namespace kestrel::engine
