// The driver index: round trip, merge of shard indexes, and what a lookup
// says for each kind of row (the collector prints these reasons as they are).
#include "driverkit/driver_index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("driver_index_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

IndexRow ok_row(const std::string& release, const std::string& artifact, const std::string& sha256) {
  IndexRow r;
  r.kernelrelease = release;
  r.target = "debian";
  r.architecture = "amd64";
  r.status = IndexStatus::kOk;
  r.artifact = artifact;
  r.size = 3;
  r.sha256 = sha256;
  return r;
}

LookupRequest request(const std::string& release, const std::string& architecture = "") {
  LookupRequest r;
  r.kernelrelease = release;
  r.architecture = architecture;
  return r;
}

// sha256("abc"), FIPS 180-2.
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DriverIndex, WritesSortedAndReadsBack) {
  fs::path dir = fresh_dir("roundtrip");
  DriverIndex index;
  index.kernels.push_back(ok_row("6.12.118+deb12-amd64", "b.ko", kAbc));
  IndexRow failed;
  failed.kernelrelease = "6.1.0-57-amd64";
  failed.target = "debian";
  failed.status = IndexStatus::kBuildFailed;
  failed.error = "make: *** [Makefile:10] Error 2";
  index.kernels.push_back(failed);
  ASSERT_TRUE(write_index(index, (dir / "index.json").string()).ok());

  std::ifstream in(dir / "index.json");
  auto text = nlohmann::json::parse(in);
  EXPECT_EQ(text["schema"], "kestrel-driverkit-index/1");
  ASSERT_EQ(text["kernels"].size(), 2u);
  EXPECT_EQ(text["kernels"][0]["kernelrelease"], "6.1.0-57-amd64");  // sorted
  EXPECT_TRUE(text["kernels"][0]["artifact"].is_null());
  EXPECT_EQ(text["kernels"][0]["status"], "build-failed");

  auto back = read_index((dir / "index.json").string());
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->kernels.size(), 2u);
  EXPECT_EQ(back->kernels[1].artifact, "b.ko");
  EXPECT_EQ(back->kernels[1].sha256, kAbc);
  EXPECT_EQ(back->kernels[0].error, failed.error);
}

TEST(DriverIndex, RejectsWhatIsNotAnIndex) {
  fs::path dir = fresh_dir("bad");
  std::ofstream(dir / "list.json") << R"({"debian": []})";
  auto r = read_index((dir / "list.json").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("schema"), std::string::npos) << r.status().message();
  std::ofstream(dir / "row.json") << R"({"schema":"kestrel-driverkit-index/1","kernels":[{"kernelrelease":"x",
    "kernelversion":1,"target":"debian","status":"ok"}]})";
  r = read_index((dir / "row.json").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("kernels[0]"), std::string::npos) << r.status().message();
  EXPECT_FALSE(read_index((dir / "absent.json").string()).ok());
}

TEST(DriverIndex, LookupFindsTheArtifactBesideTheIndex) {
  fs::path dir = fresh_dir("lookup");
  std::ofstream(dir / "a.ko") << "abc";
  DriverIndex index;
  index.kernels.push_back(ok_row("6.1.0-57-amd64", "a.ko", kAbc));
  std::string path = (dir / "index.json").string();
  auto hit = lookup_kernel(index, path, request("6.1.0-57-amd64"));
  EXPECT_TRUE(hit.found) << hit.reason;
  EXPECT_EQ(hit.artifact_path, (dir / "a.ko").string());

  auto miss = lookup_kernel(index, path, request("6.1.0-56-amd64"));
  EXPECT_FALSE(miss.found);
  EXPECT_EQ(miss.row, nullptr);
  EXPECT_NE(miss.reason.find("kestrel-driverkit build --target <distro> --kernelrelease 6.1.0-56-amd64"),
            std::string::npos)
      << miss.reason;

  auto other_arch = lookup_kernel(index, path, request("6.1.0-57-amd64", "arm64"));
  EXPECT_FALSE(other_arch.found);

  // Replaced on disk: refused, with both sums.
  std::ofstream(dir / "a.ko", std::ios::trunc) << "abd";
  auto changed = lookup_kernel(index, path, request("6.1.0-57-amd64"));
  EXPECT_FALSE(changed.found);
  EXPECT_NE(changed.reason.find("does not match"), std::string::npos) << changed.reason;
}

TEST(DriverIndex, LookupExplainsFailedRows) {
  DriverIndex index;
  IndexRow build;
  build.kernelrelease = "6.1.0-50-amd64";
  build.target = "debian";
  build.status = IndexStatus::kBuildFailed;
  build.error = "line 1\nheaders not found: linux-kbuild-6.1";
  index.kernels.push_back(build);
  IndexRow verify = ok_row("6.1.0-53-amd64", "v.ko", kAbc);
  verify.status = IndexStatus::kVerifyFailed;
  verify.verify = {{"status", "fail"}, {"reasons", {"kmod run: no execve event"}}};
  index.kernels.push_back(verify);

  auto b = lookup_kernel(index, "/srv/drivers/index.json", request("6.1.0-50-amd64"));
  EXPECT_FALSE(b.found);
  ASSERT_NE(b.row, nullptr);
  EXPECT_NE(b.reason.find("headers not found: linux-kbuild-6.1"), std::string::npos) << b.reason;
  auto v = lookup_kernel(index, "/srv/drivers/index.json", request("6.1.0-53-amd64"));
  EXPECT_FALSE(v.found);
  EXPECT_NE(v.reason.find("kmod run: no execve event"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("/srv/drivers/v.ko"), std::string::npos) << v.reason;
}

TEST(DriverIndex, MergeJoinsShardsAndRefusesConflicts) {
  fs::path dir = fresh_dir("merge");
  DriverIndex a, b;
  a.kernels.push_back(ok_row("6.12.118+deb12-amd64", "x.ko", kAbc));
  b.kernels.push_back(ok_row("6.1.0-57-amd64", "y.ko", kAbc));
  auto merged = merge_indexes({{(dir / "index.shard-0-of-2.json").string(), a},
                               {(dir / "index.shard-1-of-2.json").string(), b}},
                              dir.string());
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  ASSERT_EQ(merged->kernels.size(), 2u);
  EXPECT_EQ(merged->kernels[0].kernelrelease, "6.1.0-57-amd64");
  EXPECT_EQ(merged->kernels[0].artifact, "y.ko");

  // Artifacts of an index elsewhere are named relative to the merged one.
  auto moved = merge_indexes({{(dir / "shard1" / "index.json").string(), b}}, dir.string());
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->kernels[0].artifact, "shard1/y.ko");

  // The same kernel twice, the same build: kept once. A different one: refused.
  auto same = merge_indexes({{"a.json", b}, {"b.json", b}}, ".");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->kernels.size(), 1u);
  DriverIndex c = b;
  c.kernels[0].sha256 = std::string(64, '0');
  auto conflict = merge_indexes({{"a.json", b}, {"c.json", c}}, ".");
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("a.json"), std::string::npos);
  EXPECT_NE(conflict.status().message().find("c.json"), std::string::npos);
}

}  // namespace
}  // namespace kestrel::driverkit
