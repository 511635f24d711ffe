// kestrel-crawler's parts, hermetic: Release parsing, the tolerant stanza
// reader, the choice of kernels (newest wins, metapackages, the image
// filter, a missing kbuild), --diff, and the command line's usage errors.
// Header stanzas are the real ones captured in fixtures/apt-amd64.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driverkit/crawl_input.h"
#include "driverkit/crawler_cli.h"
#include "driverkit/deb_control.h"
#include "driverkit/deb_release.h"
#include "driverkit/decompress.h"
#include "driverkit/kernel_crawl.h"
#include "driverkit/kernel_list.h"
#include "driverkit/sha256.h"
#include "tests/driverkit/fixture_index.h"

namespace kestrel::driverkit {
namespace {

using testing::fixture_dir;
using testing::read_text;

// The stanzas of fixtures/apt-amd64/FILE (apt-cache show output).
std::vector<ControlStanza> fixture_stanzas(const std::string& file) {
  std::string path = fixture_dir() + "/apt-amd64/" + file;
  auto stanzas = parse_control(read_text(path), path);
  EXPECT_TRUE(stanzas.ok()) << stanzas.status().to_string();
  return stanzas.ok() ? *stanzas : std::vector<ControlStanza>{};
}

// A minimal image stanza: the crawler only asks whether the image exists.
ControlStanza image(const std::string& release, const std::string& version) {
  ControlStanza s;
  s.add("Package", "linux-image-" + release);
  s.add("Version", version);
  s.add("Architecture", "amd64");
  s.add("Filename", "pool/main/l/linux-signed-amd64/linux-image-" + release + "_" + version + "_amd64.deb");
  return s;
}

CrawledIndex index_of(const std::string& base, std::vector<ControlStanza> stanzas) {
  return CrawledIndex{base + "dists/x/main/binary-amd64/Packages", base, "x", std::move(stanzas)};
}

std::vector<ControlStanza> concat(std::initializer_list<std::vector<ControlStanza>> parts) {
  std::vector<ControlStanza> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const CrawledKernel* kernel_named(const KernelCrawl& crawl, const std::string& release) {
  for (const auto& k : crawl.kernels)
    if (k.kernelrelease == release) return &k;
  return nullptr;
}

constexpr char kRelease[] =
    "-----BEGIN PGP SIGNED MESSAGE-----\n"
    "Hash: SHA256\n"
    "\n"
    "Origin: Debian\n"
    "Suite: oldstable-security\n"
    "Codename: bookworm-security\n"
    "Architectures: amd64 arm64\n"
    "Components: updates/main updates/contrib\n"
    "- Description: a dash-escaped line\n"
    "MD5Sum:\n"
    " 0123456789abcdef0123456789abcdef 10 main/binary-amd64/Packages\n"
    "SHA256:\n"
    " ad206cc35f8ebce11a56c9782b85d0d416809fd435c181426bd35e952c1e0d1a  2582634 main/binary-amd64/Packages\n"
    " d71a5571c76e3842b3bc8f36fcfff386132919e98203ccfc88535766bfb63e7c   385992 main/binary-amd64/Packages.xz\n"
    " 04d8e831234c099a6c8c335ca9f6f690a24565b1d71e2351940adaa3c17a64a6   649224 main/debian-installer/binary-amd64/Packages\n"
    " 392ced888341adbd716cc79cec50e81e1b0e6402bf80f66ef79c0e9cfcfaf5eb     2330 contrib/binary-arm64/Packages\n"
    " 19f8dd5f1ee03c4ce44d79f31c4a9bb538e7b8324bf8db398cf395e3223affe9     1456 contrib/binary-amd64/Packages.gz\n"
    "-----BEGIN PGP SIGNATURE-----\n"
    "\n"
    "iQIzBAEBCAAdFiEETLUBkCB7R1ij9zp5btDnuCZD4TEFAmpSGCcACgkQbtDnuCZD\n"
    "-----END PGP SIGNATURE-----\n";

TEST(CrawlerRelease, ReadsAnInReleaseAndItsIndexes) {
  auto r = parse_release(kRelease, "InRelease");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->suite, "oldstable-security");
  EXPECT_EQ(r->codename, "bookworm-security");
  EXPECT_EQ(r->components, (std::vector<std::string>{"updates/main", "updates/contrib"}));
  EXPECT_TRUE(r->has_architecture("arm64"));
  EXPECT_FALSE(r->has_architecture("i386"));
  ASSERT_EQ(r->files.size(), 5u);  // the SHA256 section only, not MD5Sum's
  EXPECT_EQ(r->files[1].path, "main/binary-amd64/Packages.xz");
  EXPECT_EQ(r->files[1].size, 385992u);
  // amd64: main (plain + xz), contrib (gz only); never debian-installer, never arm64's.
  auto idx = packages_indexes(*r, "amd64");
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx[0].component, "main");
  EXPECT_EQ(idx[0].path, "main/binary-amd64/Packages");
  EXPECT_EQ(idx[0].forms, (std::vector<Compression>{Compression::kXz, Compression::kNone}));
  EXPECT_EQ(idx[1].component, "contrib");
  EXPECT_EQ(idx[1].forms, (std::vector<Compression>{Compression::kGzip}));
}

TEST(CrawlerRelease, RefusesAReleaseWithoutSha256AndBadLines) {
  auto none = parse_release("Suite: x\nMD5Sum:\n 0123 1 main/binary-amd64/Packages\n", "Release");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no SHA256"), std::string::npos);
  auto bad = parse_release("Suite: x\nSHA256:\n abc 12 main/binary-amd64/Packages\n", "Release");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SHA256 line 2"), std::string::npos) << bad.status().to_string();
}

TEST(CrawlerRelease, AnIndexWhoseHashDiffersIsRefusedWithBothHashes) {
  std::string good = "Package: linux-kbuild-6.1\nVersion: 1\nArchitecture: amd64\nFilename: pool/k.deb\n";
  std::string release = "Suite: t\nArchitectures: amd64\nSHA256:\n " + sha256_hex(good) + " " +
                        std::to_string(good.size()) + " main/binary-amd64/Packages\n";
  auto r = parse_release(release, "Release");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto idx = packages_indexes(*r, "amd64");
  ASSERT_EQ(idx.size(), 1u);
  std::ostringstream log;
  Progress progress(log, false);
  CrawlInput input;
  add_packages_index(*r, idx[0], Compression::kNone, good, {"ok/Packages", "http://m/", "t", {}}, input, progress);
  ASSERT_EQ(input.indexes.size(), 1u);
  EXPECT_EQ(input.indexes[0].stanzas.size(), 1u);
  EXPECT_NE(log.str().find("read ok/Packages (plain"), std::string::npos) << log.str();
  std::string tampered = good;
  tampered[10] = 'X';
  add_packages_index(*r, idx[0], Compression::kNone, tampered, {"bad/Packages", "http://m/", "t", {}}, input, progress);
  EXPECT_EQ(input.indexes.size(), 1u);  // refused
  ASSERT_EQ(input.problems.size(), 1u);
  EXPECT_NE(input.problems[0].find("SHA256 mismatch"), std::string::npos) << input.problems[0];
  EXPECT_NE(input.problems[0].find(sha256_hex(good)), std::string::npos);
  EXPECT_NE(input.problems[0].find(sha256_hex(tampered)), std::string::npos);
}

TEST(CrawlerRelease, AnIndexThatDoesNotDecompressIsRefusedAndTheCrawlGoesOn) {
  std::string garbage = "this is not compressed data at all";
  for (Compression c : {Compression::kXz, Compression::kGzip, Compression::kLz4}) {
    std::string name = std::string("main/binary-amd64/Packages") + compression_extension(c);
    std::string release = std::string("Suite: t\nSHA256:\n ") + sha256_hex(garbage) + " " +
                          std::to_string(garbage.size()) + " " + name + "\n";
    auto r = parse_release(release, "Release");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    auto idx = packages_indexes(*r, "amd64");
    ASSERT_EQ(idx.size(), 1u);
    std::ostringstream log;
    Progress progress(log, false);
    CrawlInput input;
    add_packages_index(*r, idx[0], c, garbage, {"m/" + name, "http://m/", "t", {}}, input, progress);
    EXPECT_TRUE(input.indexes.empty()) << compression_name(c);
    ASSERT_EQ(input.problems.size(), 1u) << compression_name(c);
    EXPECT_EQ(input.problems[0].rfind("m/" + name + ": ", 0), 0u) << input.problems[0];
    EXPECT_NE(input.problems[0].find(" data is corrupt"), std::string::npos) << input.problems[0];
  }
}

TEST(CrawlerControl, TolerantReadingSkipsTheBadStanzaAndNamesFileAndLine) {
  std::string text =
      "Package: a\nVersion: 1\n\n"
      "Package: b\nVersion: 2\nthis line is not a field\nFilename: pool/b.deb\n\n"  // line 6
      "Package: c\nVersion: 3\n"
      " a continuation\n";
  // The strict reader stops at the first bad line, as before.
  auto strict = parse_control(text, "Packages");
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().to_string(), "Packages:6: expected \"Field: value\"");
  TolerantControl t = parse_control_tolerant(text, "Packages");
  ASSERT_EQ(t.stanzas.size(), 2u);
  EXPECT_EQ(t.stanzas[0].package(), "a");
  EXPECT_EQ(t.stanzas[0].line(), 1);
  EXPECT_EQ(t.stanzas[1].package(), "c");
  EXPECT_EQ(t.stanzas[1].line(), 9);
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].to_string(), "Packages:6: expected \"Field: value\"");
  // KEEP selects; the rest are still checked.
  TolerantControl only_c = parse_control_tolerant(text, "P", [](const ControlStanza& s) { return s.package() == "c"; });
  ASSERT_EQ(only_c.stanzas.size(), 1u);
  EXPECT_EQ(only_c.problems.size(), 1u);
}

TEST(CrawlerKernels, MetapackagesAndCommonAreNotKernels) {
  auto f = debian_flavours("amd64");
  for (const char* not_kernel : {"linux-headers-6.12-amd64", "linux-headers-amd64", "linux-headers-cloud-amd64",
                                 "linux-headers-6.1.0-57-common", "linux-headers-6.1.0-57-common-rt",
                                 "linux-headers-6.1.0-57-arm64", "linux-image-6.1.0-57-amd64",
                                 "linux-headers-6.12.118+deb12-amd64-dbg"})
    EXPECT_FALSE(parse_flavour_headers(not_kernel, f)) << not_kernel;
  auto rt = parse_flavour_headers("linux-headers-6.1.0-57-rt-amd64", f);
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->abi, "6.1.0-57");
  EXPECT_EQ(rt->flavour, "rt-amd64");
  auto cloud = parse_flavour_headers("linux-headers-6.12.118+deb12-cloud-amd64", f);
  ASSERT_TRUE(cloud);
  EXPECT_EQ(cloud->abi, "6.12.118+deb12");
  EXPECT_EQ(cloud->flavour, "cloud-amd64");
  EXPECT_EQ(debian_flavours("arm64"), (std::vector<std::string>{"arm64", "cloud-arm64", "rt-arm64"}));
}

TEST(CrawlerKernels, FlavoursWithImageCommonAndNewestKbuild) {
  // linux-kbuild-6.1 comes in 6.1.192-3 and 6.1.176-1: the newest is listed.
  auto stanzas = concat({fixture_stanzas("linux-headers-6.1.0-57-amd64"), fixture_stanzas("linux-headers-6.1.0-57-rt-amd64"),
                         fixture_stanzas("linux-headers-6.1.0-57-common"), fixture_stanzas("linux-headers-6.1.0-57-common-rt"),
                         fixture_stanzas("linux-kbuild-6.1"),
                         {image("6.1.0-57-amd64", "6.1.192-3"), image("6.1.0-57-rt-amd64-unsigned", "6.1.192-3")}});
  KernelCrawl crawl = find_kernels({index_of("http://m/", stanzas)}, "amd64");
  ASSERT_EQ(crawl.kernels.size(), 2u);
  EXPECT_EQ(crawl.kernels[0].kernelrelease, "6.1.0-57-amd64");
  EXPECT_EQ(crawl.kernels[1].kernelrelease, "6.1.0-57-rt-amd64");  // via its -unsigned image
  EXPECT_EQ(crawl.kernels[0].headers,
            (std::vector<std::string>{
                "http://m/pool/updates/main/l/linux/linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.deb",
                "http://m/pool/updates/main/l/linux/linux-headers-6.1.0-57-common_6.1.192-3_all.deb",
                "http://m/pool/updates/main/l/linux/linux-kbuild-6.1_6.1.192-3_amd64.deb"}));
  const CrawledKernel* rt = kernel_named(crawl, "6.1.0-57-rt-amd64");
  ASSERT_TRUE(rt);
  EXPECT_NE(rt->headers[0].find("linux-headers-6.1.0-57-common-rt_"), std::string::npos);
  EXPECT_TRUE(crawl.skipped.empty());
}

TEST(CrawlerKernels, NewestVersionWinsAcrossIndexesAndTheSmallerUrlOnATie) {
  auto headers = fixture_stanzas("linux-headers-6.1.0-57-amd64");
  ASSERT_EQ(headers.size(), 1u);
  ControlStanza older;  // the same package, an older build, in another suite
  for (const auto& [k, v] : headers[0].fields())
    older.add(k, k == "Version" ? "6.1.192-2" : k == "Filename" ? "pool/old/linux-headers-6.1.0-57-amd64_6.1.192-2_amd64.deb" : v);
  auto rest = concat({fixture_stanzas("linux-headers-6.1.0-57-common"), fixture_stanzas("linux-kbuild-6.1"),
                      {image("6.1.0-57-amd64", "6.1.192-3")}});
  // Newest first in one order, last in the other: the same answer.
  for (bool newest_first : {true, false}) {
    std::vector<CrawledIndex> indexes = {index_of("http://b/", {newest_first ? headers[0] : older}),
                                         index_of("http://a/", {newest_first ? older : headers[0]}),
                                         index_of("http://b/", rest), index_of("http://a/", rest)};
    KernelCrawl crawl = find_kernels(indexes, "amd64");
    ASSERT_EQ(crawl.kernels.size(), 1u);
    EXPECT_EQ(crawl.kernels[0].version, "6.1.192-3");
    // -common and kbuild are in both archives at the same version: http://a/ sorts first.
    std::vector<std::string> want = {
        "http://a/pool/updates/main/l/linux/linux-headers-6.1.0-57-common_6.1.192-3_all.deb",
        "http://a/pool/updates/main/l/linux/linux-kbuild-6.1_6.1.192-3_amd64.deb",
        std::string(newest_first ? "http://b/" : "http://a/") +
            "pool/updates/main/l/linux/linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.deb"};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(crawl.kernels[0].headers, want);
  }
}

TEST(CrawlerKernels, NoImageOrNoKbuildIsSkippedWithTheReason) {
  auto stanzas = concat({fixture_stanzas("linux-headers-6.1.0-57-amd64"), fixture_stanzas("linux-headers-6.1.0-57-cloud-amd64"),
                         fixture_stanzas("linux-headers-6.1.0-57-common"),
                         {image("6.1.0-57-amd64", "6.1.192-3")}});  // no kbuild; no cloud image
  KernelCrawl crawl = find_kernels({index_of("http://m/", stanzas)}, "amd64");
  EXPECT_TRUE(crawl.kernels.empty());
  ASSERT_EQ(crawl.skipped.size(), 2u);
  EXPECT_EQ(crawl.skipped[0].kernelrelease, "6.1.0-57-amd64");
  EXPECT_NE(crawl.skipped[0].reason.find("linux-kbuild-6.1 (>= 6.1.192-3)"), std::string::npos)
      << crawl.skipped[0].reason;
  EXPECT_EQ(crawl.skipped[1].kernelrelease, "6.1.0-57-cloud-amd64");
  EXPECT_NE(crawl.skipped[1].reason.find("no linux-image-6.1.0-57-cloud-amd64"), std::string::npos)
      << crawl.skipped[1].reason;
}

TEST(CrawlerKernels, EntriesAreInDebianVersionOrderOfTheAbi) {
  auto k = [](const char* abi) {
    ControlStanza h;
    h.add("Package", std::string("linux-headers-") + abi + "-amd64");
    h.add("Version", "1");
    h.add("Architecture", "amd64");
    h.add("Filename", std::string("pool/h-") + abi + ".deb");
    return std::vector<ControlStanza>{h, image(std::string(abi) + "-amd64", "1")};
  };
  KernelCrawl crawl = find_kernels({index_of("http://m/", concat({k("6.12.118+deb12"), k("6.1.0-10"), k("6.1.0-9")}))},
                                   "amd64");
  ASSERT_EQ(crawl.kernels.size(), 3u);
  EXPECT_EQ(crawl.kernels[0].kernelrelease, "6.1.0-9-amd64");  // 9 < 10: numeric, not byte order
  EXPECT_EQ(crawl.kernels[1].kernelrelease, "6.1.0-10-amd64");
  EXPECT_EQ(crawl.kernels[2].kernelrelease, "6.12.118+deb12-amd64");
}

TEST(CrawlerList, WritesKernelCrawlersFormatAndReadsItBack) {
  std::vector<KernelEntry> entries = {{"debian", "6.1.0-57-amd64", "1", "debian", {"http://m/b.deb", "http://m/a.deb"}, ""}};
  std::string json = write_kernel_list(entries);
  EXPECT_EQ(json,
            "{\n  \"debian\": [\n    {\n      \"headers\": [\n        \"http://m/b.deb\",\n        \"http://m/a.deb\"\n"
            "      ],\n      \"kernelrelease\": \"6.1.0-57-amd64\",\n      \"kernelversion\": 1,\n"
            "      \"target\": \"debian\"\n    }\n  ]\n}\n");
  auto back = parse_kernel_list(json, "list.json");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].kernelversion, "1");
  EXPECT_EQ((*back)[0].headers.size(), 2u);
  // Other distros' kernelversion is a string: kept as one.
  auto other = parse_kernel_list(R"({"centos": [{"kernelrelease": "5.14.0-1.el9", "kernelversion": "427.13.1", "target": "centos", "headers": ["http://m/kernel-devel.rpm"]}]})", "x");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)[0].distro, "centos");
  EXPECT_EQ((*other)[0].kernelversion, "427.13.1");
  EXPECT_FALSE(parse_kernel_list("[1, 2]", "x").ok());
}

TEST(CrawlerList, DiffNamesAddedRemovedAndChanged) {
  std::vector<KernelEntry> old_list = {{"debian", "6.1.0-56-amd64", "1", "debian", {"u56"}, ""},
                                           {"debian", "6.1.0-57-amd64", "1", "debian", {"u57"}, ""}};
  std::vector<KernelEntry> new_list = {{"debian", "6.1.0-57-amd64", "1", "debian", {"u57-rebuilt"}, ""},
                                           {"debian", "6.1.0-58-amd64", "1", "debian", {"u58"}, ""}};
  std::ostringstream out;
  print_kernel_list_diff(diff_kernel_lists(old_list, new_list), out);
  EXPECT_EQ(out.str(),
            "+ debian 6.1.0-58-amd64\n- debian 6.1.0-56-amd64\n~ debian 6.1.0-57-amd64 (headers changed)\n"
            "1 added, 1 removed, 1 changed\n");
}

int run(std::vector<const char*> args, std::string& out, std::string& err) {
  args.insert(args.begin(), "kestrel-crawler");
  std::ostringstream o, e;
  int rc = run_crawler(static_cast<int>(args.size()), args.data(), o, e, false);
  out = o.str();
  err = e.str();
  return rc;
}

TEST(CrawlerCli, UsageErrorsExitTwo) {
  std::string out, err;
  EXPECT_EQ(run({"crawl", "--distro", "fedora"}, out, err), 2);
  EXPECT_NE(err.find("only debian is supported"), std::string::npos) << err;
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--arch", "mips"}, out, err), 2);
  EXPECT_NE(err.find("x86_64 or aarch64"), std::string::npos) << err;
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--no-such-flag"}, out, err), 2);
  EXPECT_EQ(run({"crawl"}, out, err), 2);  // --distro is required
  EXPECT_EQ(run({}, out, err), 2);         // a subcommand is required
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--suite", "bookworm"}, out, err), 2);  // --suite needs --mirror
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--diff", "/nonexistent/old.json"}, out, err), 2);
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--keyring", "k.gpg", "--no-signature-check"}, out, err), 2);
  EXPECT_NE(err.find("contradict"), std::string::npos) << err;
  EXPECT_EQ(run({"--help"}, out, err), 0);
  EXPECT_NE(out.find("crawl"), std::string::npos);
}

TEST(CrawlerCli, NoReadableIndexExitsOne) {
  std::string out, err;
  std::string empty = ::testing::TempDir() + "/crawler-empty-lists";
  std::filesystem::create_directories(empty);
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--apt-lists", empty.c_str()}, out, err), 1);
  EXPECT_NE(err.find("no amd64 Packages index could be read"), std::string::npos) << err;
  EXPECT_EQ(run({"crawl", "--distro", "debian", "--mirror", ("file://" + empty).c_str()}, out, err), 1);
  EXPECT_NE(err.find("no suite bookworm at file://"), std::string::npos) << err;
}

// --output to something not a regular file (/dev/stdout, a pipe) is written
// in place: replacing it by rename would replace a device node. A FIFO
// stands in for the device here.
TEST(CrawlerCli, OutputToAPipeIsWrittenInPlace) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "crawler-output-fifo";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // An archive of one kernel, as a file:// mirror.
  std::string packages;
  for (const char* f : {"linux-headers-6.1.0-57-amd64", "linux-headers-6.1.0-57-common", "linux-kbuild-6.1"})
    packages += read_text(fixture_dir() + "/apt-amd64/" + f) + "\n";
  packages += "Package: linux-image-6.1.0-57-amd64\nVersion: 6.1.192-3\nArchitecture: amd64\nFilename: pool/i.deb\n";
  fs::path suite = dir / "dists/bookworm";
  fs::create_directories(suite / "main/binary-amd64");
  std::ofstream(suite / "main/binary-amd64/Packages") << packages;
  std::ofstream(suite / "Release") << "Suite: bookworm\nArchitectures: amd64\nSHA256:\n " << sha256_hex(packages) << " "
                                   << packages.size() << " main/binary-amd64/Packages\n";
  fs::path fifo = dir / "list.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Our own write end lets the read end open without blocking, and keeps
  // the test from hanging when the crawler wrongly writes elsewhere;
  // closing it (after the crawler's) ends the read.
  int keep = open(fifo.c_str(), O_RDWR);
  ASSERT_GE(keep, 0);
  int read_end = open(fifo.c_str(), O_RDONLY);
  ASSERT_GE(read_end, 0);
  std::string received;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(read_end, buf, sizeof buf)) > 0;) received.append(buf, static_cast<size_t>(n));
    close(read_end);
  });
  std::string out, err;
  int rc = run({"crawl", "--distro", "debian", "--mirror", ("file://" + dir.string()).c_str(), "--suite", "bookworm",
                "--no-signature-check", "--output", fifo.c_str()},
               out, err);
  close(keep);
  reader.join();
  EXPECT_EQ(rc, 0) << err;
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_FALSE(fs::exists(fifo.string() + ".partial"));
  EXPECT_NE(received.find("\"kernelrelease\": \"6.1.0-57-amd64\""), std::string::npos) << received << err;
}

}  // namespace
}  // namespace kestrel::driverkit
