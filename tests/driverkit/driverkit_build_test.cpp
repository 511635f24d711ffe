// kestrel-driverkit build, for real: Debian's headers fetched with apt
// (nothing installed), the module compiled with the kernel's GCC, for
// 6.1 amd64, the newest bookworm 6.12 cloud kernel, 6.1 rt and a cross-built
// 6.1 arm64 module; plus --deb-dir/--kernelurls inputs, the vanilla target,
// signing, and the errors a user meets. Needs root, apt access, gcc-12 and
// gcc-aarch64-linux-gnu (scripts/install-deps.sh); fails, never skips.
//
// Every kernel is built twice: the first run fills the cache (cold, unless
// an earlier `make test` left it under the build dir), the second reuses it
// (warm). Both times are printed and recorded as test properties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = DRIVERKIT_BINARY;
const std::string kCache = DRIVERKIT_CACHE_DIR;
const std::string kOut = DRIVERKIT_OUT_DIR;

struct Cli {
  int code;
  std::string output;
};

Cli driverkit(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  auto r = run_process(args);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? Cli{r->exit_code, r->output} : Cli{-1, ""};
}

std::string tool(const std::vector<std::string>& argv) {
  auto r = run_process(argv, {.cwd = "", .merge_stderr = false});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << command_line(argv);
  if (!r.ok()) return "";
  std::string s = r->output;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in, nullptr, false);
}

// ELF e_machine, read from the header (EM_X86_64 62, EM_AARCH64 183).
int elf_machine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[20] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (h[0] != 0x7f || h[1] != 'E' || h[5] != 1) return -1;  // little-endian ELF only
  return h[18] | (h[19] << 8);
}

struct Built {
  std::string ko;
  nlohmann::json manifest;
  double seconds = 0;
};

Built build(const std::string& release, std::vector<std::string> extra = {}, const std::string& target = "debian") {
  std::vector<std::string> args = {"build", "--target", target, "--cache", kCache, "--output-module", kOut + "/"};
  if (!release.empty()) args.insert(args.end(), {"--kernelrelease", release});
  args.insert(args.end(), extra.begin(), extra.end());
  auto start = std::chrono::steady_clock::now();
  Cli r = driverkit(args);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.code, 0) << r.output;
  // Not a terminal here: whole lines, no carriage-return updates.
  EXPECT_EQ(r.output.find('\r'), std::string::npos);
  std::string ko = r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  while (!ko.empty() && ko.back() == '\n') ko.pop_back();
  Built b{ko, read_json(ko.size() > 3 ? ko.substr(0, ko.size() - 3) + ".json" : ""), s};
  return b;
}

// Checks what every artifact must satisfy; VERMAGIC is what Debian's
// kernel of that flavour carries (include/linux/vermagic.h over its .config).
void check_artifact(const Built& b, const std::string& release, const std::string& arch, const std::string& vermagic,
                    const std::vector<std::string>& packages, const std::string& target = "debian") {
  std::string name = "kestrel_" + target + "_" + release + "_1.ko";
  EXPECT_EQ(fs::path(b.ko).filename(), name);
  ASSERT_TRUE(fs::exists(b.ko));
  EXPECT_EQ(tool({"modinfo", "-F", "vermagic", b.ko}), vermagic);
  const auto& m = b.manifest;
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["schema"], "kestrel-driverkit-manifest/1");
  EXPECT_EQ(m["artifact"], name);
  EXPECT_EQ(m["sha256"], tool({"sha256sum", b.ko}).substr(0, 64));
  EXPECT_EQ(m["size"], fs::file_size(b.ko));
  EXPECT_EQ(m["target"], target);
  EXPECT_EQ(m["kernelrelease"], release);
  EXPECT_EQ(m["kernelversion"], "1");
  EXPECT_EQ(m["architecture"], arch);
  EXPECT_EQ(m["vermagic"], vermagic);
  EXPECT_TRUE(m["verify"].is_null());
  // The module tags each event type it emits (MODULE_INFO(kestrel_event, ...)).
  ASSERT_TRUE(m["event_types"].is_array());
  std::vector<std::string> events = m["event_types"];
  for (const char* e : {"execve", "openat", "procexit"})
    EXPECT_NE(std::find(events.begin(), events.end(), e), events.end()) << e << " missing from " << m["event_types"];
  EXPECT_TRUE(std::is_sorted(events.begin(), events.end()));
  EXPECT_GT(m["build_seconds"].get<double>(), 0.0);
  std::vector<std::string> got;
  for (const auto& in : m["inputs"]) {
    got.push_back(in["package"]);
    EXPECT_EQ(in["sha256"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(got, packages);
  int machine = elf_machine(b.ko);
  EXPECT_EQ(machine, arch == "arm64" ? 183 : 62);
  EXPECT_NE(tool({"file", "-b", b.ko}).find(arch == "arm64" ? "ARM aarch64" : "x86-64"), std::string::npos);
}

// Builds RELEASE twice and records the cold (or, when an earlier run left
// the cache, warm) and warm seconds.
Built build_twice(const std::string& release, const char* property) {
  Built first = build(release);
  Built second = build(release);
  EXPECT_EQ(second.manifest["cache"], "warm");
  EXPECT_EQ(first.manifest["sha256"].is_string(), true);
  std::string first_state = first.manifest["cache"];
  std::printf("driverkit %s: first build %.1f s (%s cache), second %.1f s (warm cache)\n", release.c_str(),
              first.seconds, first_state.c_str(), second.seconds);
  ::testing::Test::RecordProperty(std::string(property) + "_first_s", std::to_string(first.seconds));
  ::testing::Test::RecordProperty(std::string(property) + "_first_cache", first_state);
  ::testing::Test::RecordProperty(std::string(property) + "_warm_s", std::to_string(second.seconds));
  return second;
}

// The newest linux-headers-6.12.*+deb12-cloud-amd64 apt knows.
std::string newest_612_cloud() {
  std::string list = tool({"apt-cache", "search", "--names-only", "^linux-headers-6\\.12\\..*\\+deb12-cloud-amd64$"});
  std::regex re(R"(linux-headers-(6\.12\.(\d+)\+deb12-cloud-amd64))");
  std::string best;
  int best_patch = -1;
  for (std::sregex_iterator it(list.begin(), list.end(), re), end; it != end; ++it) {
    int patch = std::stoi((*it)[2]);
    if (patch > best_patch) best_patch = patch, best = (*it)[1];
  }
  return best;
}

TEST(DriverkitBuild, Debian61Amd64) {
  Built b = build_twice("6.1.0-57-amd64", "debian_6_1_amd64");
  check_artifact(b, "6.1.0-57-amd64", "amd64", "6.1.0-57-amd64 SMP preempt mod_unload modversions",
                 {"linux-headers-6.1.0-57-amd64", "linux-headers-6.1.0-57-common", "linux-kbuild-6.1"});
  EXPECT_EQ(b.manifest["compiler"]["path"], "/usr/bin/gcc-12");
  EXPECT_EQ(b.manifest["compiler"]["version"].get<std::string>().rfind("gcc-12 (Debian 12", 0), 0u);
  for (const auto& in : b.manifest["inputs"]) {
    EXPECT_EQ(in["source"], "apt");
    EXPECT_EQ(in["origin"].get<std::string>().rfind("http", 0), 0u) << in.dump();
  }
}

TEST(DriverkitBuild, Bookworm612CloudAmd64) {
  std::string release = newest_612_cloud();
  ASSERT_FALSE(release.empty()) << "apt knows no linux-headers-6.12.*+deb12-cloud-amd64 (apt-get update?)";
  std::string abi = release.substr(0, release.size() - std::string("-cloud-amd64").size());  // 6.12.118+deb12
  Built b = build_twice(release, "debian_6_12_cloud");
  check_artifact(b, release, "amd64", release + " SMP preempt mod_unload modversions",
                 {"linux-headers-" + release, "linux-headers-" + abi + "-common", "linux-kbuild-" + abi});
}

TEST(DriverkitBuild, Debian61RtAmd64) {
  Built b = build_twice("6.1.0-57-rt-amd64", "debian_6_1_rt");
  check_artifact(b, "6.1.0-57-rt-amd64", "amd64", "6.1.0-57-rt-amd64 SMP preempt_rt mod_unload modversions",
                 {"linux-headers-6.1.0-57-rt-amd64", "linux-headers-6.1.0-57-common-rt", "linux-kbuild-6.1"});
}

TEST(DriverkitBuild, Debian61Arm64CrossBuilt) {
  Built b = build_twice("6.1.0-57-arm64", "debian_6_1_arm64");
  check_artifact(b, "6.1.0-57-arm64", "arm64", "6.1.0-57-arm64 SMP mod_unload modversions aarch64",
                 {"linux-headers-6.1.0-57-arm64", "linux-headers-6.1.0-57-common", "linux-kbuild-6.1"});
  EXPECT_EQ(b.manifest["compiler"]["path"], "/usr/bin/aarch64-linux-gnu-gcc-12");
  // The arm64 headers, with the build host's kbuild (its programs run here).
  EXPECT_EQ(b.manifest["inputs"][0]["architecture"], "arm64");
  EXPECT_EQ(b.manifest["inputs"][2]["architecture"], "amd64");
  // The host's apt configuration is untouched: no foreign architecture added.
  EXPECT_EQ(tool({"dpkg", "--print-foreign-architectures"}), "");
}

// The .debs of the 6.1 amd64 cache entry, as an operator would hand them over.
std::vector<std::string> cached_debs() {
  std::vector<std::string> debs;
  for (const auto& e : fs::directory_iterator(kCache + "/debian/6.1.0-57-amd64-amd64/debs")) debs.push_back(e.path());
  std::sort(debs.begin(), debs.end());
  return debs;
}

TEST(DriverkitBuild, KernelUrlsAndDebDir) {
  build("6.1.0-57-amd64");  // makes sure the .debs are cached
  auto debs = cached_debs();
  ASSERT_EQ(debs.size(), 3u);
  // The flavour package by URL, -common and kbuild from a directory.
  std::string dir = kOut + "/debdir";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string flavour;
  for (const auto& d : debs) {
    if (d.find("linux-headers-6.1.0-57-amd64_") != std::string::npos)
      flavour = d;
    else
      fs::copy_file(d, dir + "/" + fs::path(d).filename().string());
  }
  ASSERT_FALSE(flavour.empty());
  std::string cache = kOut + "/cache-explicit";
  fs::remove_all(cache);
  Cli r = driverkit({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--cache", cache,
                     "--kernelurls", "file://" + flavour, "--deb-dir", dir, "--output-module", kOut + "/explicit.ko"});
  ASSERT_EQ(r.code, 0) << r.output;
  auto m = read_json(kOut + "/explicit.json");
  ASSERT_EQ(m["inputs"].size(), 3u);
  EXPECT_EQ(m["inputs"][0]["source"], "url");
  EXPECT_EQ(m["inputs"][0]["origin"], "file://" + flavour);
  EXPECT_EQ(m["inputs"][1]["source"], "file");
  EXPECT_EQ(m["inputs"][2]["source"], "file");
  EXPECT_EQ(m["artifact"], "explicit.ko");
  EXPECT_EQ(tool({"modinfo", "-F", "vermagic", kOut + "/explicit.ko"}),
            "6.1.0-57-amd64 SMP preempt mod_unload modversions");
}

TEST(DriverkitBuild, VanillaKernelDir) {
  build("6.1.0-57-amd64");
  std::string kdir = kCache + "/debian/6.1.0-57-amd64-amd64/tree/usr/src/linux-headers-6.1.0-57-amd64";
  Built b = build("", {"--kernel-dir", kdir}, "vanilla");
  check_artifact(b, "6.1.0-57-amd64", "amd64", "6.1.0-57-amd64 SMP preempt mod_unload modversions", {"kernel-dir"},
                 "vanilla");
  Cli r = driverkit({"build", "--target", "vanilla", "--kernel-dir", kdir, "--kernelrelease", "6.1.0-58-amd64",
                     "--cache", kCache, "--output-module", kOut + "/"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("is the tree of 6.1.0-57-amd64"), std::string::npos) << r.output;
}

TEST(DriverkitBuild, SignsWithTheOperatorsKey) {
  std::string dir = kOut + "/signing";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A throwaway key; the CN names it in the module's signature.
  auto gen = run_process({"openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                          "/CN=kestrel driverkit test key/", "-keyout", dir + "/key.pem", "-outform", "DER", "-out",
                          dir + "/cert.der"});
  ASSERT_TRUE(gen.ok() && gen->exit_code == 0) << (gen.ok() ? gen->output : gen.status().to_string());
  Cli r = driverkit({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--cache", kCache,
                     "--signing-key", dir + "/key.pem", "--signing-cert", dir + "/cert.der", "--output-module",
                     dir + "/"});
  ASSERT_EQ(r.code, 0) << r.output;
  std::string ko = dir + "/kestrel_debian_6.1.0-57-amd64_1.ko";
  EXPECT_EQ(tool({"modinfo", "-F", "signer", ko}), "kestrel driverkit test key");
  // The kernel's own hash (Debian 6.1: CONFIG_MODULE_SIG_HASH="sha256"; its
  // sha512 is a module a sig_enforce'd kernel may not be able to load first).
  EXPECT_EQ(tool({"modinfo", "-F", "sig_hashalgo", ko}), "sha256");
  std::ifstream in(ko, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string trailer = "~Module signature appended~\n";
  ASSERT_GT(bytes.size(), trailer.size());
  EXPECT_EQ(bytes.substr(bytes.size() - trailer.size()), trailer);
  auto m = read_json(dir + "/kestrel_debian_6.1.0-57-amd64_1.json");
  ASSERT_TRUE(m["signed"].is_object());
  EXPECT_EQ(m["signed"]["hash"], "sha256");
  EXPECT_EQ(m["signed"]["signer"], "kestrel driverkit test key");
  EXPECT_EQ(m["signed"]["key_id"], tool({"modinfo", "-F", "sig_key", ko}));
  EXPECT_EQ(m["sha256"], tool({"sha256sum", ko}).substr(0, 64));  // the signed bytes
}

TEST(DriverkitBuild, HeadersNotFoundListsWhatWasTried) {
  Cli r = driverkit({"build", "--target", "debian", "--kernelrelease", "6.1.0-999-amd64", "--cache", kCache,
                     "--output-module", kOut + "/"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("headers not found: no package satisfies linux-headers-6.1.0-999-amd64"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("in apt (amd64): has no such package"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(kOut + "/kestrel_debian_6.1.0-999-amd64_1.ko"));
}

TEST(DriverkitBuild, BuildFailureShowsTheLastCompilerLines) {
  build("6.1.0-57-amd64");
  // A Kestrel tree whose module does not compile.
  std::string root = kOut + "/broken-root";
  fs::remove_all(root);
  fs::create_directories(root + "/kmod");
  fs::create_directories(root + "/sources");
  fs::copy(std::string(KESTREL_SOURCE_DIR) + "/kmod/module", root + "/kmod/module");
  fs::create_directory_symlink(std::string(KESTREL_SOURCE_DIR) + "/sources/abi", root + "/sources/abi");
  std::ofstream(root + "/kmod/module/kk_main.c", std::ios::app) << "\n#error kestrel deliberately broken\n";
  Cli r = driverkit({"build", "--target", "debian", "--kernelrelease", "6.1.0-57-amd64", "--cache", kCache,
                     "--source-root", root, "--output-module", kOut + "/broken.ko"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("build failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("last compiler lines"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kestrel deliberately broken"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(kOut + "/broken.ko"));
}

}  // namespace
}  // namespace kestrel::driverkit
