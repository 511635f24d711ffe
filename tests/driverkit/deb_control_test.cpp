// Debian control data and versions, on real stanzas (fixtures/).
#include "driverkit/deb_control.h"

#include <gtest/gtest.h>

#include "driverkit/deb_version.h"
#include "tests/driverkit/fixture_index.h"

namespace kestrel::driverkit {
namespace {

using testing::fixture_dir;
using testing::read_text;

TEST(DebVersion, OrdersAsDpkgDoes) {
  // '~' sorts before the end of the string: a backport precedes its release.
  EXPECT_LT(compare_deb_versions("6.12.118-1~deb12u1", "6.12.118-1"), 0);
  EXPECT_LT(compare_deb_versions("6.1.176-1", "6.1.192-3"), 0);
  EXPECT_LT(compare_deb_versions("6.1.9-1", "6.1.10-1"), 0);  // numeric, not lexical
  EXPECT_GT(compare_deb_versions("1:1.0-1", "9.9-9"), 0);     // the epoch wins
  EXPECT_EQ(compare_deb_versions("6.1.192-3", "6.1.192-3"), 0);
  EXPECT_EQ(compare_deb_versions("0:6.1.192-3", "6.1.192-3"), 0);
  EXPECT_LT(compare_deb_versions("1.0", "1.0-1"), 0);
  EXPECT_LT(compare_deb_versions("1.0a", "1.0+"), 0);  // letters before other characters
}

TEST(DebVersion, RelationsOfDepends) {
  EXPECT_TRUE(satisfies("6.1.192-3", {">=", "6.1.192-3"}));
  EXPECT_FALSE(satisfies("6.1.176-1", {">=", "6.1.192-3"}));
  EXPECT_TRUE(satisfies("6.1.192-3", {"=", "6.1.192-3"}));
  EXPECT_FALSE(satisfies("6.1.192-4", {"=", "6.1.192-3"}));
  EXPECT_TRUE(satisfies("6.1.176-1", {"<<", "6.1.192-3"}));
  EXPECT_FALSE(satisfies("6.1.192-3", {">>", "6.1.192-3"}));
  EXPECT_TRUE(satisfies("6.1.192-3", {"<=", "6.1.192-3"}));
}

TEST(DebControl, AptCacheShowWithTwoVersions) {
  std::string path = fixture_dir() + "/apt-amd64/linux-kbuild-6.1";
  auto stanzas = parse_control(read_text(path), path);
  ASSERT_TRUE(stanzas.ok()) << stanzas.status().to_string();
  ASSERT_EQ(stanzas->size(), 2u);
  EXPECT_EQ((*stanzas)[0].package(), "linux-kbuild-6.1");
  EXPECT_EQ((*stanzas)[0].version(), "6.1.192-3");
  EXPECT_EQ((*stanzas)[1].version(), "6.1.176-1");
  EXPECT_EQ((*stanzas)[0].architecture(), "amd64");
  EXPECT_EQ((*stanzas)[0].get("filename"), (*stanzas)[0].get("Filename"));  // case-insensitive names
}

TEST(DebControl, DependsWithAlternativesAndConstraints) {
  // The 6.12 cloud headers: an alternative group (signed | unsigned image) and exact versions.
  std::string path = fixture_dir() + "/apt-amd64/linux-headers-6.12.118+deb12-cloud-amd64";
  auto stanzas = parse_control(read_text(path), path);
  ASSERT_TRUE(stanzas.ok());
  ASSERT_EQ(stanzas->size(), 1u);
  auto groups = parse_depends(stanzas->front().get("Depends"));
  ASSERT_TRUE(groups.ok()) << groups.status().to_string();
  ASSERT_EQ(groups->size(), 5u);
  EXPECT_EQ((*groups)[0][0].name, "linux-base");
  ASSERT_TRUE((*groups)[0][0].constraint);
  EXPECT_EQ((*groups)[0][0].constraint->relation, ">=");
  EXPECT_EQ((*groups)[0][0].constraint->version, "4.12~");
  EXPECT_EQ((*groups)[1][0].to_string(), "linux-headers-6.12.118+deb12-common (= 6.12.118-1~deb12u1)");
  ASSERT_EQ((*groups)[2].size(), 2u);
  EXPECT_EQ((*groups)[2][0].name, "linux-image-6.12.118+deb12-cloud-amd64");
  EXPECT_EQ((*groups)[2][1].name, "linux-image-6.12.118+deb12-cloud-amd64-unsigned");
  EXPECT_EQ((*groups)[2][1].constraint->version, "6.12.118-1~deb12u1");
  EXPECT_EQ((*groups)[3][0].to_string(), "linux-kbuild-6.12.118+deb12");
  EXPECT_FALSE((*groups)[3][0].constraint);
  EXPECT_EQ((*groups)[4][0].name, "gcc-12");
}

TEST(DebControl, DpkgDebControlFile) {
  std::string path = fixture_dir() + "/deb-control/linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.control";
  auto stanzas = parse_control(read_text(path), path);
  ASSERT_TRUE(stanzas.ok());
  ASSERT_EQ(stanzas->size(), 1u);
  EXPECT_EQ(stanzas->front().package(), "linux-headers-6.1.0-57-amd64");
  auto groups = parse_depends(stanzas->front().get("Depends"));
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ((*groups)[1][0].to_string(), "linux-kbuild-6.1 (>= 6.1.192-3)");
}

TEST(DebControl, ArchQualifiersRestrictionsAndProfiles) {
  auto groups = parse_depends("python3:any (>= 3.9), libc6-dev [amd64 arm64] <!nocheck>, a | b (<< 2)");
  ASSERT_TRUE(groups.ok()) << groups.status().to_string();
  ASSERT_EQ(groups->size(), 3u);
  EXPECT_EQ((*groups)[0][0].name, "python3");
  EXPECT_EQ((*groups)[0][0].arch_qualifier, "any");
  EXPECT_EQ((*groups)[1][0].name, "libc6-dev");
  EXPECT_EQ((*groups)[2][1].to_string(), "b (<< 2)");
}

TEST(DebControl, ContinuationLines) {
  auto s = parse_control("Package: a\nDescription: short\n long line\n .\n more\nVersion: 1\n\nPackage: b\n", "t");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].get("Description"), "short\nlong line\n\nmore");
  EXPECT_EQ((*s)[0].version(), "1");
  EXPECT_EQ((*s)[1].package(), "b");
}

TEST(DebControl, ErrorsNameTheLine) {
  auto bad = parse_control("Package: x\nno colon here\n", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().where().line, 2);
  EXPECT_FALSE(parse_control(" continuation first\n", "f").ok());
  EXPECT_FALSE(parse_depends("foo (>= )").ok());
  EXPECT_FALSE(parse_depends("foo (~~ 1)").ok());
  EXPECT_FALSE(parse_depends("foo (>= 1").ok());
}

}  // namespace
}  // namespace kestrel::driverkit
