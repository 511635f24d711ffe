// rules_from_yaml.h — a rule set loaded from YAML text, through a temporary
// file and engine::load_rules (the path the collector reads rules by), for
// tests that build an engine from a few rules of their own.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "engine/rule_set.h"

namespace kestrel::testing {

inline engine::RuleSet rules_from_yaml(const std::string& yaml) {
  char path[] = "/tmp/kestrel_test_rules_XXXXXX.yaml";
  const int fd = mkstemps(path, 5);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, yaml.data(), yaml.size()), static_cast<ssize_t>(yaml.size()));
  close(fd);
  engine::LoadResult result;
  engine::RuleSet set = engine::load_rules({path}, result);
  unlink(path);
  EXPECT_TRUE(result.ok()) << yaml;
  return set;
}

}  // namespace kestrel::testing
