#include "state/path_resolve.h"

#include <gtest/gtest.h>

namespace kestrel {
namespace {

TEST(NormalizePath, CollapsesDotsAndSlashes) {
  EXPECT_EQ(normalize_path("/etc//passwd"), "/etc/passwd");
  EXPECT_EQ(normalize_path("/etc/./ssl/../hosts"), "/etc/hosts");
  EXPECT_EQ(normalize_path("/var/log/"), "/var/log");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("//"), "/");
  EXPECT_EQ(normalize_path("/.."), "/");
  EXPECT_EQ(normalize_path("/../../etc/../etc/shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path(""), "");
}

TEST(NormalizePath, RelativePathsKeepWhatTheyCannotResolve) {
  EXPECT_EQ(normalize_path("a/b/../c"), "a/c");
  EXPECT_EQ(normalize_path("../a"), "../a");
  EXPECT_EQ(normalize_path("a/../../b"), "../b");
  EXPECT_EQ(normalize_path("a/.."), ".");
  EXPECT_EQ(normalize_path("./x"), "x");
}

TEST(ResolvePath, JoinsRelativePathsToTheBase) {
  EXPECT_EQ(resolve_path("/home/u", "notes.txt"), "/home/u/notes.txt");
  EXPECT_EQ(resolve_path("/home/u", "../v/./x"), "/home/v/x");
  EXPECT_EQ(resolve_path("/home/u/", "..//..//..//etc"), "/etc");
  EXPECT_EQ(resolve_path("/", "tmp"), "/tmp");
  EXPECT_EQ(resolve_path("/home/u", "/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(resolve_path("/home/u", ""), "/home/u");
  EXPECT_EQ(resolve_path("", "rel/x"), "rel/x");
}

}  // namespace
}  // namespace kestrel
