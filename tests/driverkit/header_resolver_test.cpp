// Header resolution on the real control data of Debian's archive
// (fixtures/): every flavour, the arm64 cross case, and what a missing or
// too-old kbuild reports.
#include "driverkit/header_resolver.h"

#include <gtest/gtest.h>

#include "tests/driverkit/fixture_index.h"

namespace kestrel::driverkit {
namespace {

using testing::amd64_fixture_files;
using testing::fixture_index;

std::vector<std::string> names(const ResolvedHeaders& h) {
  std::vector<std::string> out;
  for (const auto& p : h.packages)
    out.push_back(p.candidate.control.package() + " " + p.candidate.control.version() + " " +
                  p.candidate.control.architecture());
  return out;
}

ResolvedHeaders resolve_amd64(const std::string& release) {
  auto apt = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto r = resolve_headers({"linux-headers-" + release, "amd64", "amd64"}, {apt.get()}, {apt.get()});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : ResolvedHeaders{};
}

TEST(HeaderResolver, Amd64FollowsDependsToCommonAndTheNewestSatisfyingKbuild) {
  auto h = resolve_amd64("6.1.0-57-amd64");
  // linux-kbuild-6.1 has 6.1.192-3 and 6.1.176-1; the Depends asks >= 6.1.192-3.
  EXPECT_EQ(names(h), (std::vector<std::string>{"linux-headers-6.1.0-57-amd64 6.1.192-3 amd64",
                                                "linux-headers-6.1.0-57-common 6.1.192-3 all",
                                                "linux-kbuild-6.1 6.1.192-3 amd64"}));
  EXPECT_EQ(h.compiler_hints, (std::vector<std::string>{"linux-compiler-gcc-12-x86"}));
  EXPECT_EQ(h.packages[0].required_by, "");
  EXPECT_EQ(h.packages[2].required_by, "linux-headers-6.1.0-57-amd64 6.1.192-3");
}

TEST(HeaderResolver, CloudAmd64) {
  EXPECT_EQ(names(resolve_amd64("6.1.0-57-cloud-amd64")),
            (std::vector<std::string>{"linux-headers-6.1.0-57-cloud-amd64 6.1.192-3 amd64",
                                      "linux-headers-6.1.0-57-common 6.1.192-3 all",
                                      "linux-kbuild-6.1 6.1.192-3 amd64"}));
}

TEST(HeaderResolver, RtAmd64TakesCommonRt) {
  EXPECT_EQ(names(resolve_amd64("6.1.0-57-rt-amd64")),
            (std::vector<std::string>{"linux-headers-6.1.0-57-rt-amd64 6.1.192-3 amd64",
                                      "linux-headers-6.1.0-57-common-rt 6.1.192-3 all",
                                      "linux-kbuild-6.1 6.1.192-3 amd64"}));
}

TEST(HeaderResolver, Bookworm612CloudAndItsVersionedKbuild) {
  auto h = resolve_amd64("6.12.118+deb12-cloud-amd64");
  // The linux-image | linux-image-unsigned alternative is not a header package: not followed.
  EXPECT_EQ(names(h),
            (std::vector<std::string>{"linux-headers-6.12.118+deb12-cloud-amd64 6.12.118-1~deb12u1 amd64",
                                      "linux-headers-6.12.118+deb12-common 6.12.118-1~deb12u1 all",
                                      "linux-kbuild-6.12.118+deb12 6.12.118-1~deb12u1 amd64"}));
  EXPECT_EQ(h.compiler_hints, (std::vector<std::string>{"gcc-12"}));
}

TEST(HeaderResolver, Arm64TakesTheBuildHostsKbuild) {
  auto arm = fixture_index("apt (arm64)", "apt-arm64",
                           {"linux-headers-6.1.0-57-arm64", "linux-headers-6.1.0-57-common", "linux-kbuild-6.1"});
  auto host = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto r = resolve_headers({"linux-headers-6.1.0-57-arm64", "arm64", "amd64"}, {arm.get()}, {host.get()});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // linux-kbuild-6.1 holds fixdep/modpost/sign-file: the amd64 build of the version arm64 asks for.
  EXPECT_EQ(names(*r), (std::vector<std::string>{"linux-headers-6.1.0-57-arm64 6.1.192-3 arm64",
                                                 "linux-headers-6.1.0-57-common 6.1.192-3 all",
                                                 "linux-kbuild-6.1 6.1.192-3 amd64"}));
  EXPECT_EQ(r->packages[2].index, host.get());
  EXPECT_EQ(r->packages[0].index, arm.get());
}

TEST(HeaderResolver, Arm64HeadersNeverComeFromTheAmd64Index) {
  auto host = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto r = resolve_headers({"linux-headers-6.1.0-57-amd64", "arm64", "amd64"}, {host.get()}, {host.get()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("linux-headers-6.1.0-57-amd64 for arm64 in apt (amd64): has 6.1.192-3 (amd64)"),
            std::string::npos)
      << r.status().message();
}

TEST(HeaderResolver, MissingKbuildListsEverythingTried) {
  auto apt = fixture_index("apt (amd64)", "apt-amd64",
                           {"linux-headers-6.1.0-57-amd64", "linux-headers-6.1.0-57-common"});
  auto debs = fixture_index("--deb-dir /srv/debs (1 .debs)", "deb-control",
                            {"linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.control"}, InputSource::kFile);
  auto r = resolve_headers({"linux-headers-6.1.0-57-amd64", "amd64", "amd64"}, {debs.get(), apt.get()},
                           {debs.get(), apt.get()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("headers not found: no package satisfies linux-kbuild-6.1 (>= 6.1.192-3)"), std::string::npos) << m;
  EXPECT_NE(m.find("required by linux-headers-6.1.0-57-amd64 6.1.192-3"), std::string::npos) << m;
  EXPECT_NE(m.find("in --deb-dir /srv/debs (1 .debs): has no such package"), std::string::npos) << m;
  EXPECT_NE(m.find("in apt (amd64): has no such package"), std::string::npos) << m;
}

TEST(HeaderResolver, KbuildTooOldIsNamedWithTheVersionsSeen) {
  // Only the older linux-kbuild-6.1 stanza (6.1.176-1), which the Depends rules out.
  auto all = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto kbuild = all->lookup("linux-kbuild-6.1");
  ASSERT_TRUE(kbuild.ok());
  std::vector<PackageCandidate> candidates;
  for (const auto& n : {"linux-headers-6.1.0-57-amd64", "linux-headers-6.1.0-57-common"}) {
    auto found = all->lookup(n);
    ASSERT_TRUE(found.ok());
    for (auto& c : *found) candidates.push_back(c);
  }
  for (auto& c : *kbuild)
    if (c.control.version() == "6.1.176-1") candidates.push_back(c);
  StanzaIndex old("apt (amd64, stale)", candidates);
  auto r = resolve_headers({"linux-headers-6.1.0-57-amd64", "amd64", "amd64"}, {&old}, {&old});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("linux-kbuild-6.1 (>= 6.1.192-3) for amd64 in apt (amd64, stale): has 6.1.176-1 (amd64)"),
            std::string::npos)
      << r.status().message();
}

TEST(HeaderResolver, EarlierIndexWins) {
  // The operator's .debs are preferred over apt for the packages they hold.
  auto debs = fixture_index("--deb-dir d", "deb-control",
                            {"linux-headers-6.12.118+deb12-cloud-amd64_6.12.118-1~deb12u1_amd64.control",
                             "linux-kbuild-6.12.118+deb12_6.12.118-1~deb12u1_amd64.control"},
                            InputSource::kFile);
  auto apt = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto r = resolve_headers({"linux-headers-6.12.118+deb12-cloud-amd64", "amd64", "amd64"}, {debs.get(), apt.get()},
                           {debs.get(), apt.get()});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->packages.size(), 3u);
  EXPECT_EQ(r->packages[0].candidate.source, InputSource::kFile);
  EXPECT_EQ(r->packages[1].candidate.source, InputSource::kApt);  // -common only apt has
  EXPECT_EQ(r->packages[2].candidate.source, InputSource::kFile);
}

TEST(HeaderResolver, UnknownRootPackage) {
  auto apt = fixture_index("apt (amd64)", "apt-amd64", amd64_fixture_files());
  auto r = resolve_headers({"linux-headers-6.1.0-999-amd64", "amd64", "amd64"}, {apt.get()}, {apt.get()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("linux-headers-6.1.0-999-amd64 for amd64 in apt (amd64): has no such package"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace kestrel::driverkit
