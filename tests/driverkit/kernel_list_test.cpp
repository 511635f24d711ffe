// The matrix's input (kernel-crawler's JSON), its filter and its shards.
#include "driverkit/kernel_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "driverkit/matrix.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

std::string write(const std::string& name, const std::string& text) {
  fs::path path = fs::path(::testing::TempDir()) / ("kernel_list_" + name + ".json");
  std::ofstream(path) << text;
  return path.string();
}

constexpr const char* kList = R"({
  "debian": [
    {"kernelrelease": "6.1.0-57-amd64", "kernelversion": 1, "target": "debian",
     "headers": ["http://h/linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.deb", "http://h/linux-kbuild-6.1_6.1.192-3_amd64.deb"],
     "kernelconfigdata": "Q09ORklHX1g9eQo="},
    {"kernelrelease": "6.12.118+deb12-cloud-amd64", "kernelversion": "1",
     "headers": ["http://h/linux-headers-6.12.118+deb12-cloud-amd64_6.12.118-1~deb12u1_amd64.deb"]},
    {"kernelrelease": "6.1.0-56-rt-amd64", "kernelversion": 2, "target": "debian", "headers": ["http://h/a.deb"]}
  ]
})";

TEST(KernelList, ReadsKernelCrawlerJson) {
  auto list = read_kernel_list(write("ok", kList));
  ASSERT_TRUE(list.ok()) << list.status().to_string();
  ASSERT_EQ(list->size(), 3u);
  const KernelEntry& first = (*list)[0];
  EXPECT_EQ(first.distro, "debian");
  EXPECT_EQ(first.kernelrelease, "6.1.0-57-amd64");
  EXPECT_EQ(first.kernelversion, "1");  // a number in the file
  EXPECT_EQ(first.target, "debian");
  EXPECT_EQ(first.headers.size(), 2u);
  EXPECT_EQ(first.kernelconfigdata, "Q09ORklHX1g9eQo=");
  EXPECT_EQ((*list)[1].target, "debian");  // the distro key when the entry has none
  EXPECT_EQ((*list)[2].kernelversion, "2");
}

TEST(KernelList, ErrorsNameTheFileAndTheEntry) {
  auto no_headers = read_kernel_list(write("noheaders", R"({"debian": [{"kernelrelease": "6.1.0-57-amd64"}]})"));
  ASSERT_FALSE(no_headers.ok());
  EXPECT_NE(no_headers.status().message().find("debian[0] (6.1.0-57-amd64): no \"headers\""), std::string::npos)
      << no_headers.status().message();
  auto twice = read_kernel_list(write("twice", R"({"debian": [
      {"kernelrelease": "6.1.0-57-amd64", "headers": ["http://h/a.deb"]},
      {"kernelrelease": "6.1.0-57-amd64", "kernelversion": 1, "headers": ["http://h/b.deb"]}]})"));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("debian[1]: debian 6.1.0-57-amd64 (kernelversion 1) is listed twice"),
            std::string::npos)
      << twice.status().message();
  EXPECT_FALSE(read_kernel_list(write("array", "[]")).ok());
  EXPECT_FALSE(read_kernel_list(write("version", R"({"debian": [{"kernelrelease": "x", "kernelversion": 1.5,
      "headers": ["http://h/a.deb"]}]})")).ok());
  EXPECT_EQ(read_kernel_list("/nonexistent/list.json").status().code(), StatusCode::kNotFound);
}

TEST(KernelList, FilterSearchesTheRelease) {
  auto list = read_kernel_list(write("filter", kList));
  ASSERT_TRUE(list.ok());
  auto cloud = filter_kernels(*list, "cloud");
  ASSERT_TRUE(cloud.ok());
  ASSERT_EQ(cloud->size(), 1u);
  EXPECT_EQ((*cloud)[0].kernelrelease, "6.12.118+deb12-cloud-amd64");
  auto six_one = filter_kernels(*list, R"(^6\.1\.0-)");
  ASSERT_TRUE(six_one.ok());
  EXPECT_EQ(six_one->size(), 2u);
  EXPECT_EQ(filter_kernels(*list, "")->size(), 3u);
  auto bad = filter_kernels(*list, "(6.1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(KernelList, ShardsPartitionTheSortedList) {
  std::vector<KernelEntry> entries;
  for (const char* r : {"6.1.0-57-rt-amd64", "6.1.0-56-amd64", "6.12.118+deb12-amd64", "6.1.0-57-amd64",
                        "6.1.0-57-cloud-amd64"})
    entries.push_back({"debian", r, "1", "debian", {"http://h/a.deb"}, ""});
  std::set<std::string> seen;
  size_t total = 0;
  for (size_t i = 0; i < 3; ++i) {
    auto shard = select_shard(entries, {i, 3});
    for (const auto& e : shard) seen.insert(e.kernelrelease);
    total += shard.size();
  }
  EXPECT_EQ(total, entries.size());
  EXPECT_EQ(seen.size(), entries.size());
  // Sorted by release first, then every third: the same on every machine.
  auto first = select_shard(entries, {0, 3});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].kernelrelease, "6.1.0-56-amd64");
  EXPECT_EQ(first[1].kernelrelease, "6.1.0-57-rt-amd64");
  auto whole = select_shard(entries, {0, 1});
  ASSERT_EQ(whole.size(), entries.size());
  EXPECT_TRUE(std::is_sorted(whole.begin(), whole.end(), [](const KernelEntry& a, const KernelEntry& b) {
    return a.kernelrelease < b.kernelrelease;
  }));
}

TEST(KernelList, ShardSyntax) {
  auto s = parse_shard("3/8");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 3u);
  EXPECT_EQ(s->count, 8u);
  for (const char* bad : {"8/8", "1/0", "-1/2", "1/-2", "a/2", "1/2x", "1", "/2", "1/", "1//2", ""})
    EXPECT_FALSE(parse_shard(bad).ok()) << bad;
  EXPECT_EQ(index_file_name("3/8"), "index.shard-3-of-8.json");
  EXPECT_EQ(index_file_name(""), "index.json");
}

}  // namespace
}  // namespace kestrel::driverkit
