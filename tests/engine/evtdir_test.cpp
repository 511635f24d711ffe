// Which conditions can be true on an enter event (engine/evtdir_index.h).
// What a replay is then asked for: tests/app/collector_plan_test.cpp.
#include "engine/evtdir_index.h"

#include <gtest/gtest.h>

#include "engine/parser.h"

namespace kestrel::engine {
namespace {

bool may_enter(const std::string& cond) {
  ParseOutcome p = parse_condition(cond);
  EXPECT_TRUE(p.ok()) << p.error.message;
  return condition_may_match_enter(*p.expr);
}

TEST(Evtdir, AnExitOnlyCheckRulesEntersOut) {
  EXPECT_FALSE(may_enter("evt.type=read and evt.dir=< and fd.name=/x"));
  EXPECT_FALSE(may_enter("evt.dir != >"));
  EXPECT_FALSE(may_enter("evt.dir in (<)"));
  EXPECT_FALSE(may_enter("not evt.dir = >"));
  EXPECT_FALSE(may_enter("(evt.dir=< and proc.name=a) or (evt.dir=< and proc.name=b)"));
}

TEST(Evtdir, AnythingElseMayMatchAnEnter) {
  EXPECT_TRUE(may_enter("evt.type=open and proc.name=cat"));  // Falco's open_from_cat: both directions
  EXPECT_TRUE(may_enter("evt.dir = >"));
  EXPECT_TRUE(may_enter("evt.dir in (<, >)"));
  EXPECT_TRUE(may_enter("evt.dir=< or proc.name=cat"));
  EXPECT_TRUE(may_enter("not (evt.dir=< and proc.name=cat)"));
  EXPECT_TRUE(may_enter("evt.dir=< and evt.dir=< or evt.dir=>"));
}

}  // namespace
}  // namespace kestrel::engine
