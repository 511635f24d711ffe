// kestrel-driverkit matrix and index, for real: a kernel-crawler list of
// four Debian kernels (two 6.1 ABIs, a 6.12 cloud kernel, a 6.1 cloud
// kernel) plus one broken entry, its header URLs taken from this machine's
// apt (`apt-get --print-uris download`, the packages each linux-headers-*
// Depends on per `apt-cache show`); built, each proven in qemu (--verify),
// indexed; then the same list split in two shards, merged, and compared
// with the unsharded index; then `index lookup` on the result. Needs root,
// apt access, qemu (scripts/install-deps.sh); fails, never skips.
//
// The build cache is driverkit_build_test's (warm after one `make test`),
// the VM cache verify's (<build>/vm-cache). The output dirs are emptied
// first: every run builds and boots all four kernels twice (unsharded and
// sharded), ~3 min on 2 cores with a warm cache.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kBinary = DRIVERKIT_BINARY;
const std::string kCache = DRIVERKIT_CACHE_DIR;
const std::string kOut = DRIVERKIT_MATRIX_DIR;

// The kernels: two 6.1 ABIs, one 6.12, one cloud flavour of 6.1.
const std::vector<std::string> kKernels = {"6.1.0-57-amd64", "6.1.0-56-amd64", "6.12.118+deb12-cloud-amd64",
                                           "6.1.0-57-cloud-amd64"};
// Broken on purpose: a header package that does not exist (HTTP 404).
const std::string kBroken = "6.1.0-99-amd64";
const std::string kBrokenUrl =
    "http://deb.debian.org/debian-security/pool/updates/main/l/linux/linux-headers-6.1.0-99-amd64_6.1.192-3_amd64.deb";

struct Cli {
  int code = -1;
  std::string out;  // stdout
  std::string all;  // stdout and stderr
  double seconds = 0;
};

// Runs kestrel-driverkit; stdout and the merged output are kept apart by
// running with stderr to a file.
Cli driverkit(const std::vector<std::string>& args) {
  const std::string err_file =
      (fs::temp_directory_path() / ("driverkit-matrix-test-stderr-" + std::to_string(getpid()))).string();
  std::string cmd = "'" + kBinary + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>'" + err_file + "'";
  auto start = std::chrono::steady_clock::now();
  auto r = run_process({"/bin/sh", "-c", cmd}, {.cwd = "", .merge_stderr = false});
  Cli c;
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return c;
  std::ifstream in(err_file);
  std::stringstream err;
  err << in.rdbuf();
  c.code = r->exit_code;
  c.out = r->output;
  c.all = r->output + err.str();
  fs::remove(err_file);
  return c;
}

std::string sh(const std::string& cmd) {
  auto r = run_process({"/bin/sh", "-c", cmd}, {.cwd = "/tmp", .merge_stderr = false});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << cmd;
  return r.ok() ? r->output : "";
}

// The header URLs of RELEASE: linux-headers-RELEASE and the linux-headers-*
// / linux-kbuild-* packages its Depends names, as apt would download them.
std::vector<std::string> header_urls(const std::string& release) {
  std::string show = sh("apt-cache show linux-headers-" + release + " | sed '/^$/q'");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(show, m, std::regex("\nDepends: ([^\n]*)"))) << show;
  std::string packages = "linux-headers-" + release;
  std::string depends = m[1];
  std::regex dep(R"((linux-(headers|kbuild)-[^ ,]+))");
  for (std::sregex_iterator it(depends.begin(), depends.end(), dep), end; it != end; ++it)
    packages += " " + (*it)[1].str();
  std::string uris = sh("apt-get --print-uris download " + packages);
  std::vector<std::string> urls;
  std::regex uri(R"('([^']+\.deb)')");
  for (std::sregex_iterator it(uris.begin(), uris.end(), uri), end; it != end; ++it) urls.push_back((*it)[1]);
  EXPECT_EQ(urls.size(), 3u) << "for " << release << ": " << uris;
  return urls;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return json::parse(in, nullptr, false);
}

std::string file_sha256(const std::string& path) { return sh("sha256sum '" + path + "'").substr(0, 64); }

const json* row_of(const json& index, const std::string& release) {
  for (const auto& r : index["kernels"])
    if (r["kernelrelease"] == release) return &r;
  return nullptr;
}

// What two matrix runs of the same list must agree on: every key of every
// row but the timings (build_seconds; the verify object's vm_seconds) and
// the per-type event counts of the VM workload (how many close() or
// clone() events the VM's init produced varies by a few between boots;
// the event types the check requires must be there in both).
json comparable(json index) {
  for (auto& r : index["kernels"]) {
    r.erase("build_seconds");
    if (r["verify"].is_object()) {
      auto& v = r["verify"];
      v.erase("vm_seconds");
      for (json* counts : {&v["events_per_type"], &v["ebpf"]["events_per_type"]}) {
        json required = json::object();
        for (const char* type : {"execve", "finit_module", "openat"})
          required[type] = counts->contains(type) && (*counts)[type].get<int>() > 0;
        *counts = required;
      }
    }
  }
  return index;
}

// The list: the four kernels and the broken entry.
void write_list() {
  fs::remove_all(kOut);
  fs::create_directories(kOut);
  json list = json::array();
  for (const auto& k : kKernels)
    list.push_back({{"kernelrelease", k}, {"kernelversion", 1}, {"target", "debian"}, {"headers", header_urls(k)}});
  list.push_back({{"kernelrelease", kBroken}, {"kernelversion", "1"}, {"target", "debian"}, {"headers", {kBrokenUrl}}});
  std::ofstream(kOut + "/list.json") << json{{"debian", list}}.dump(1) << "\n";
}

void builds_and_proves_every_kernel_and_reports_the_broken_one() {
  Cli full = driverkit({"matrix", "--input", kOut + "/list.json", "--verify", "-j", "2", "--cache", kCache,
                        "--output-dir", kOut + "/full"});
  std::printf("unsharded matrix (4 kernels built and verified, 1 broken; -j 2): %.1f s\n%s", full.seconds,
              full.all.c_str());
  ::testing::Test::RecordProperty("matrix_seconds", std::to_string(full.seconds));
  fs::copy_file(kOut + "/full/index.json", kOut + "/full/index.json.first");
  // One failed entry: exit 1, the rest built and proven.
  EXPECT_EQ(full.code, 1) << full.all;
  json index = read_json(kOut + "/full/index.json");
  ASSERT_TRUE(index.is_object());
  EXPECT_EQ(index["schema"], "kestrel-driverkit-index/1");
  ASSERT_EQ(index["kernels"].size(), kKernels.size() + 1) << index.dump(1);
  for (const auto& k : kKernels) {
    const json* r = row_of(index, k);
    ASSERT_NE(r, nullptr) << k;
    const std::string artifact = "kestrel_debian_" + k + "_1.ko";
    EXPECT_EQ((*r)["status"], "ok") << r->dump(1);
    EXPECT_EQ((*r)["artifact"], artifact);
    EXPECT_EQ((*r)["kernelversion"], "1");
    EXPECT_EQ((*r)["architecture"], "amd64");
    const std::string path = kOut + "/full/" + artifact;
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ((*r)["sha256"], file_sha256(path));
    EXPECT_EQ((*r)["size"], fs::file_size(path));
    EXPECT_EQ(sh("modinfo -F vermagic '" + path + "'").substr(0, k.size() + 1), k + " ");
    EXPECT_GT((*r)["build_seconds"].get<double>(), 0.0);
    EXPECT_EQ((*r)["verified"], true);
    EXPECT_EQ((*r)["verify"]["status"], "pass");
    EXPECT_EQ((*r)["verify"]["kernel"], k);  // uname -r in the VM
    EXPECT_EQ((*r)["verify"]["reasons"], json::array());
    EXPECT_EQ((*r)["error"], "");
    // The artifact's manifest carries the same verdict, and says where the headers came from.
    json m = read_json(kOut + "/full/kestrel_debian_" + k + "_1.json");
    EXPECT_EQ(m["verify"]["status"], "pass");
    for (const auto& in : m["inputs"]) EXPECT_EQ(in["source"], "url") << in.dump();
    // Nothing in the index depends on when or where it ran.
    EXPECT_FALSE((*r)["verify"].contains("date"));
    EXPECT_FALSE(fs::path((*r)["verify"]["console_log"].get<std::string>()).is_absolute());
    ::testing::Test::RecordProperty("seconds_" + k, std::to_string((*r)["build_seconds"].get<double>()));
    ::testing::Test::RecordProperty("vm_seconds_" + k, std::to_string((*r)["verify"]["vm_seconds"].get<double>()));
  }
  const json* broken = row_of(index, kBroken);
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ((*broken)["status"], "build-failed");
  EXPECT_TRUE((*broken)["artifact"].is_null());
  EXPECT_EQ((*broken)["verified"], false);
  EXPECT_NE((*broken)["error"].get<std::string>().find(kBrokenUrl), std::string::npos) << broken->dump(1);
  EXPECT_NE((*broken)["error"].get<std::string>().find("404"), std::string::npos) << broken->dump(1);
  EXPECT_TRUE(fs::exists(kOut + "/full/" + (*broken)["log"].get<std::string>()));
  // The summary table: one line per kernel with its status and verdict.
  for (const auto& k : kKernels)
    EXPECT_TRUE(std::regex_search(full.out, std::regex(std::regex_replace(k, std::regex(R"([.+])"), R"(\$&)") +
                                                         R"( +ok +built +[0-9.]+ +[0-9.]+ +yes)")))
        << k << " in\n" << full.out;
  EXPECT_TRUE(std::regex_search(full.out, std::regex(kBroken + R"( +build-failed +failed )"))) << full.out;
  // Not a terminal: plain lines, no bar.
  EXPECT_EQ(full.all.find('\r'), std::string::npos);
}

void re_run_skips_what_is_built_and_proven() {
  std::map<std::string, fs::file_time_type> before;
  for (const auto& k : kKernels) before[k] = fs::last_write_time(kOut + "/full/kestrel_debian_" + k + "_1.ko");
  Cli again = driverkit({"matrix", "--input", kOut + "/list.json", "--verify", "-j", "2", "--cache", kCache,
                         "--output-dir", kOut + "/full"});
  std::printf("re-run: %.1f s\n%s", again.seconds, again.all.c_str());
  EXPECT_EQ(again.code, 1);  // the broken entry is tried again, and fails again
  for (const auto& k : kKernels) {
    EXPECT_NE(again.all.find(k + ": ok (skipped (built)"), std::string::npos) << k << "\n" << again.all;
    EXPECT_EQ(fs::last_write_time(kOut + "/full/kestrel_debian_" + k + "_1.ko"), before[k]) << k << " was rebuilt";
  }
  EXPECT_EQ(again.all.find("booting"), std::string::npos);
  EXPECT_LT(again.seconds, 30.0) << "a re-run neither builds nor boots";
  // Same index as the first run (build_seconds are the manifest's, so equal too).
  EXPECT_EQ(read_json(kOut + "/full/index.json"), read_json(kOut + "/full/index.json.first"));
}

void shards_merged_equal_the_unsharded_index() {
  const std::string dir = kOut + "/sharded";  // one dir for both shards, like a shared volume
  Cli s0 = driverkit({"matrix", "--input", kOut + "/list.json", "--verify", "--shard", "0/2", "-j", "2", "--cache",
                      kCache, "--output-dir", dir});
  Cli s1 = driverkit({"matrix", "--input", kOut + "/list.json", "--verify", "--shard", "1/2", "-j", "2", "--cache",
                      kCache, "--output-dir", dir});
  std::printf("shard 0/2: %.1f s, shard 1/2: %.1f s\n%s%s", s0.seconds, s1.seconds, s0.all.c_str(), s1.all.c_str());
  const std::string i0 = dir + "/index.shard-0-of-2.json", i1 = dir + "/index.shard-1-of-2.json";
  json j0 = read_json(i0), j1 = read_json(i1);
  // A partition of the five entries: sorted by kernelrelease, every other one.
  std::set<std::string> k0, k1;
  for (const auto& r : j0["kernels"]) k0.insert(r["kernelrelease"]);
  for (const auto& r : j1["kernels"]) k1.insert(r["kernelrelease"]);
  EXPECT_EQ(k0, (std::set<std::string>{"6.1.0-56-amd64", "6.1.0-57-cloud-amd64", "6.12.118+deb12-cloud-amd64"}));
  EXPECT_EQ(k1, (std::set<std::string>{"6.1.0-57-amd64", kBroken}));
  EXPECT_EQ(s0.code, 0) << s0.all;
  EXPECT_EQ(s1.code, 1) << s1.all;  // it has the broken entry

  // A missing shard is refused, not merged into a partial index.
  Cli partial = driverkit({"index", "merge", "--output", dir + "/index.json", i0});
  EXPECT_EQ(partial.code, 1);
  EXPECT_NE(partial.all.find("shard(s) 1 of 2 missing"), std::string::npos) << partial.all;
  EXPECT_FALSE(fs::exists(dir + "/index.json"));

  Cli merged = driverkit({"index", "merge", "--output", dir + "/index.json", i0, i1});
  EXPECT_EQ(merged.code, 0) << merged.all;
  EXPECT_NE(merged.out.find("5 kernels (4 ok, 1 failed) from 2 indexes"), std::string::npos) << merged.out;
  json full = read_json(kOut + "/full/index.json"), sharded = read_json(dir + "/index.json");
  // Equal on every key but the timings and event counts (comparable()):
  // status, artifact, size, sha256 (the builds are byte-identical: debug
  // paths are mapped), verified, the verdict, error, log.
  EXPECT_EQ(comparable(sharded), comparable(full)) << "sharded:\n" << sharded.dump(1) << "\nunsharded:\n" << full.dump(1);
  for (const auto& k : kKernels)
    EXPECT_EQ(file_sha256(dir + "/kestrel_debian_" + k + "_1.ko"), file_sha256(kOut + "/full/kestrel_debian_" + k + "_1.ko"))
        << k;
}

void lookup_names_the_artifact_or_the_remedy() {
  const std::string index = kOut + "/full/index.json";
  Cli hit = driverkit({"index", "lookup", "--index", index, "--kernelrelease", "6.12.118+deb12-cloud-amd64"});
  EXPECT_EQ(hit.code, 0) << hit.all;
  EXPECT_EQ(hit.out, kOut + "/full/kestrel_debian_6.12.118+deb12-cloud-amd64_1.ko\n");
  Cli arch = driverkit({"index", "lookup", "--index", index, "--kernelrelease", "6.1.0-57-amd64", "--kernelversion",
                        "1", "--architecture", "amd64"});
  EXPECT_EQ(arch.code, 0) << arch.all;
  EXPECT_EQ(arch.out, kOut + "/full/kestrel_debian_6.1.0-57-amd64_1.ko\n");

  Cli missing = driverkit({"index", "lookup", "--index", index, "--kernelrelease", "6.1.0-47-amd64"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.all.find("kernel 6.1.0-47-amd64 is not in the driver index"), std::string::npos) << missing.all;
  EXPECT_NE(missing.all.find("kestrel-driverkit build --target <distro> --kernelrelease 6.1.0-47-amd64"),
            std::string::npos)
      << missing.all;
  Cli other_arch =
      driverkit({"index", "lookup", "--index", index, "--kernelrelease", "6.1.0-57-amd64", "--architecture", "arm64"});
  EXPECT_EQ(other_arch.code, 1) << other_arch.all;

  Cli failed = driverkit({"index", "lookup", "--index", index, "--kernelrelease", kBroken});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.all.find("failed"), std::string::npos) << failed.all;
  EXPECT_NE(failed.all.find("404"), std::string::npos) << failed.all;

  // Default: this host's kernel (uname -r), which the index does not hold.
  struct utsname u {};
  ASSERT_EQ(uname(&u), 0);
  Cli host = driverkit({"index", "lookup", "--index", index});
  EXPECT_EQ(host.code, 1) << host.all;
  EXPECT_NE(host.all.find(std::string("kernel ") + u.release + " is not in the driver index"), std::string::npos)
      << host.all;

  // A replaced artifact is not handed out.
  const std::string copy = kOut + "/lookup-copy";
  fs::remove_all(copy);
  fs::create_directories(copy);
  fs::copy_file(index, copy + "/index.json");
  std::ofstream(copy + "/kestrel_debian_6.1.0-57-amd64_1.ko") << "not the module";
  Cli replaced = driverkit({"index", "lookup", "--index", copy + "/index.json", "--kernelrelease", "6.1.0-57-amd64"});
  EXPECT_EQ(replaced.code, 1);
  EXPECT_NE(replaced.all.find("does not match the driver index"), std::string::npos) << replaced.all;

  Cli no_index = driverkit({"index", "lookup", "--index", kOut + "/no-such-index.json"});
  EXPECT_EQ(no_index.code, 2);
}

// A built artifact whose verify cannot run (the VM cache is unusable, so
// the kernel image cannot be fetched): the matrix does not rebuild it, runs
// only verify, and records verify-failed with the reason; lookup refuses it.
void unprovable_artifact_is_verify_failed() {
  const std::string dir = kOut + "/unprovable", k = "6.1.0-57-amd64";
  fs::create_directories(dir);
  const std::string ko = "kestrel_debian_" + k + "_1.ko", manifest = "kestrel_debian_" + k + "_1.json";
  fs::copy_file(kOut + "/full/" + ko, dir + "/" + ko);
  json m = read_json(kOut + "/full/" + manifest);
  m["verify"] = nullptr;  // built, not yet proven
  std::ofstream(dir + "/" + manifest) << m.dump(2) << "\n";
  Cli r = driverkit({"matrix", "--input", kOut + "/list.json", "--filter", "^6\\.1\\.0-57-amd64$", "--verify",
                     "--cache", kCache, "--vm-cache", "/proc/no-such-vm-cache", "--output-dir", dir});
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_NE(r.all.find(k + ": verify-failed (skipped (built)"), std::string::npos) << r.all;
  json index = read_json(dir + "/index.json");
  ASSERT_EQ(index["kernels"].size(), 1u) << index.dump(1);
  const json& row = index["kernels"][0];
  EXPECT_EQ(row["status"], "verify-failed");
  EXPECT_EQ(row["artifact"], ko);
  EXPECT_EQ(row["sha256"], file_sha256(dir + "/" + ko));
  EXPECT_EQ(row["verified"], false);
  EXPECT_NE(row["error"].get<std::string>().find("verify could not run (exit 2)"), std::string::npos) << row.dump(1);
  EXPECT_NE(row["error"].get<std::string>().find("cannot fetch linux-image-" + k), std::string::npos) << row.dump(1);
  Cli lookup = driverkit({"index", "lookup", "--index", dir + "/index.json", "--kernelrelease", k});
  EXPECT_EQ(lookup.code, 1);
  EXPECT_NE(lookup.all.find("failed verification and is not loaded"), std::string::npos) << lookup.all;
}

// One test, because each step needs the one before (ctest runs every
// gtest test in its own process).
TEST(DriverkitMatrix, BuildVerifyReRunShardsMergeLookup) {
  write_list();
  {
    SCOPED_TRACE("unsharded matrix --verify");
    builds_and_proves_every_kernel_and_reports_the_broken_one();
  }
  {
    SCOPED_TRACE("re-run");
    re_run_skips_what_is_built_and_proven();
  }
  {
    SCOPED_TRACE("shards + index merge");
    shards_merged_equal_the_unsharded_index();
  }
  {
    SCOPED_TRACE("index lookup");
    lookup_names_the_artifact_or_the_remedy();
  }
  {
    SCOPED_TRACE("verify-failed");
    unprovable_artifact_is_verify_failed();
  }
}

// The whole pipeline on this machine's own data: kestrel-crawler lists the
// kernels of the host's apt lists, the matrix builds two of them from that
// list (no --verify: the test above proves the verify path), and `index
// lookup` finds each artifact. Both kernels are built by
// driverkit_build_test too, so the shared cache is warm.
TEST(DriverkitMatrix, CrawlerListBuildsAndLooksUp) {
  const std::string dir = kOut + "-crawled", list = dir + "/list.json", out = dir + "/out";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto crawl = run_process({CRAWLER_BINARY, "crawl", "--distro", "debian", "--apt-lists", "/var/lib/apt/lists",
                            "--output", list},
                           {.cwd = "", .merge_stderr = true});
  ASSERT_TRUE(crawl.ok() && crawl->exit_code == 0) << (crawl.ok() ? crawl->output : crawl.status().to_string());
  const std::vector<std::string> picked = {"6.1.0-57-amd64", "6.1.0-57-rt-amd64"};
  json crawled = read_json(list);
  for (const auto& release : picked) {
    bool listed = false;
    for (const auto& e : crawled["debian"]) listed |= e["kernelrelease"] == release;
    ASSERT_TRUE(listed) << release << " is not in the crawler's list " << list;
  }
  Cli m = driverkit({"matrix", "--input", list, "--filter", "^6\\.1\\.0-57-(rt-)?amd64$", "-j", "2", "--cache", kCache,
                     "--output-dir", out});
  ASSERT_EQ(m.code, 0) << m.all;
  json index = read_json(out + "/index.json");
  ASSERT_EQ(index["kernels"].size(), picked.size()) << index.dump(2);
  for (const auto& release : picked) {
    const json* row = row_of(index, release);
    ASSERT_NE(row, nullptr) << release;
    EXPECT_EQ((*row)["status"], "ok") << row->dump(2);
    const std::string artifact = out + "/" + (*row)["artifact"].get<std::string>();
    // Every input of the build came from the crawler's header URLs, not apt.
    json manifest = read_json(artifact.substr(0, artifact.size() - 3) + ".json");
    ASSERT_EQ(manifest["inputs"].size(), 3u) << manifest.dump(2);
    for (const auto& in : manifest["inputs"]) EXPECT_EQ(in["source"], "url") << in.dump();
    Cli hit = driverkit({"index", "lookup", "--index", out + "/index.json", "--kernelrelease", release});
    EXPECT_EQ(hit.code, 0) << hit.all;
    EXPECT_NE(hit.out.find(artifact), std::string::npos) << hit.out;
  }
}

TEST(DriverkitMatrix, BadFlagsAreUsageErrors) {
  const std::string dir = kOut + "-usage", list = dir + "/list.json", out = dir + "/out";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(list) << R"({"debian": [{"kernelrelease": "6.1.0-57-amd64", "kernelversion": 1, "target": "debian",
      "headers": ["http://deb.debian.org/debian-security/pool/updates/main/l/linux/x.deb"]}]})";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"matrix", "--input", list, "--output-dir", out, "--shard", "2/2"},
           {"matrix", "--input", list, "--output-dir", out, "--shard", "one/2"},
           {"matrix", "--input", list, "--output-dir", out, "-j", "0"},
           {"matrix", "--input", list, "--output-dir", out, "--filter", "(6.1"},
           {"matrix", "--input", dir + "/no-such-list.json", "--output-dir", out},
           {"matrix", "--output-dir", out},
           {"index", "merge", "--output", out + "/index.json"},
           {"index", "frobnicate"},
       }) {
    Cli r = driverkit(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args.back() << ": " << r.all;
    EXPECT_NE(r.all.find("kestrel-driverkit"), std::string::npos) << r.all;  // a message, not a crash
  }
  EXPECT_FALSE(fs::exists(out + "/index.json"));
}

}  // namespace
}  // namespace kestrel::driverkit
