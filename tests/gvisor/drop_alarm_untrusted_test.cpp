// The drop alarm and drops an untrusted peer controls: the gVisor source's
// real stats() (a sandbox's forged claim) never trigger it, while drops
// Kestrel observed itself, from the same source, still do.
#include <gtest/gtest.h>
#include <unistd.h>

#include "app/drop_alarm.h"
#include "gvisor/gvisor_source.h"

namespace kestrel {
namespace {

PipelineSummary gvisor_summary(uint64_t events, uint64_t sandbox_reported, uint64_t queue_full) {
  PipelineSummary s;
  SourceReport src;
  src.name = "gvisor";
  src.stats.events = events;
  src.stats.drops["sandbox_reported"] = sandbox_reported;
  src.stats.drops["refused_per_peer"] = sandbox_reported;
  src.stats.drops["malformed"] = sandbox_reported;
  src.stats.untrusted_reasons = gvisor::untrusted_drop_reasons();
  src.queue_drops = queue_full;
  s.sources.push_back(src);
  s.events = events;
  return s;
}

TEST(DropAlarmUntrusted, ASandboxClaimNeverFiresButOurOwnQueueDropsDo) {
  // A bucket that never runs dry: only the threshold decides.
  DropAlarm alarm({.threshold = 0.1, .log = true, .alert = true, .exit = true, .rate = 0, .max_burst = 1e9}, "h");
  EXPECT_FALSE(alarm.check(gvisor_summary(1, 4294967295u, 0), 1'000'000'000));
  EXPECT_FALSE(alarm.check(gvisor_summary(2, 2 * 4294967295ull, 0), 2'000'000'000));
  EXPECT_EQ(alarm.counts().detected, 0u);
  // Positive control: drops of our own queue (trusted) from the same source.
  auto a = alarm.check(gvisor_summary(3, 2 * 4294967295ull, 100), 3'000'000'000);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->exit);
  EXPECT_NE(a->message.find("gvisor/queue_full=100"), std::string::npos) << a->message;
  EXPECT_EQ(a->message.find("sandbox_reported"), std::string::npos) << a->message;
}

TEST(DropAlarmUntrusted, TheGvisorSourceMarksEveryPeerControlledReason) {
  gvisor::GvisorSourceConfig config;
  config.server.socket_path = "/tmp/kestrel-unused-" + std::to_string(::getpid()) + ".sock";
  auto src = gvisor::make_gvisor_source(config);  // never opened: stats() of an idle source
  SourceStats st = src->stats();
  for (const auto& [reason, n] : st.drops)
    EXPECT_EQ(st.untrusted_reasons.contains(reason), reason != "attach_failed") << reason;
}

}  // namespace
}  // namespace kestrel
