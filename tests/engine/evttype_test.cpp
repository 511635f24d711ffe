#include "engine/evttype_index.h"

#include <gtest/gtest.h>

#include "engine/parser.h"
#include "sources/event/event_table.h"

namespace kestrel::engine {
namespace {

std::vector<std::string> types(const std::string& cond) {
  ParseOutcome p = parse_condition(cond);
  EXPECT_TRUE(p.ok()) << p.error.message;
  return condition_evttypes(*p.expr).names();
}

using V = std::vector<std::string>;

TEST(Evttype, AndIntersectsOrUnites) {
  EXPECT_EQ(types("evt.type=open"), V{"open"});
  EXPECT_EQ(types("evt.type in (open, execve) and evt.type in (execve, connect)"), V{"execve"});
  EXPECT_EQ(types("evt.type=open or evt.type=execve"), (V{"execve", "open"}));
  EXPECT_EQ(types("evt.type=open and evt.type=execve"), V{});
  EXPECT_EQ(types("proc.name=cat"), V{"all"});
  EXPECT_EQ(types("evt.type=open and proc.name=cat"), V{"open"});
  EXPECT_EQ(types("evt.type=open or proc.name=cat"), V{"all"});
}

TEST(Evttype, NegationIsPushedDown) {
  // A neutral check stays neutral under not.
  EXPECT_EQ(types("evt.type=execve and not proc.name=cat"), V{"execve"});
  EXPECT_EQ(types("not proc.name=cat and evt.type=execve"), V{"execve"});
  // not (A or B) = not A and not B.
  EXPECT_EQ(types("not (evt.type=open or proc.name=cat)").size(), evttype_universe_size() - 1);
  // not (A and B) = not A or not B: B is neutral, so everything.
  EXPECT_EQ(types("not (evt.type=open and proc.name=cat)"), V{"all"});
  // Double negation and != under not.
  EXPECT_EQ(types("not not evt.type=open"), V{"open"});
  EXPECT_EQ(types("not evt.type!=open"), V{"open"});
  EXPECT_EQ(types("evt.type!=open").size(), evttype_universe_size() - 1);
  EXPECT_TRUE(matches_too_many_evttypes(EvttypeSet::all()));
  EXPECT_TRUE(matches_too_many_evttypes(EvttypeSet::none()));
}

TEST(Evttype, NamesKestrelDoesNotEmitAreAccepted) {
  // Falco-only events and syscalls without a Kestrel event still resolve.
  for (auto n : {"switch", "procinfo", "signaldeliver", "umount", "fchownat", "sendfile"}) {
    EXPECT_TRUE(evttype_code(n).has_value()) << n;
  }
  EXPECT_FALSE(evttype_code("list_a").has_value());
  ParseOutcome p = parse_condition("evt.type in (open, switch)");
  EvttypeSet s = condition_evttypes(*p.expr);
  EXPECT_EQ(s.count(), 2u);
  // Only the Kestrel-emitted type reaches the rule index.
  ASSERT_EQ(s.kestrel_types().size(), 1u);
  EXPECT_EQ(event_info(s.kestrel_types()[0]).name, "open");
  EXPECT_EQ(EvttypeSet::all().kestrel_types().size(), all_events().size());
}

}  // namespace
}  // namespace kestrel::engine
