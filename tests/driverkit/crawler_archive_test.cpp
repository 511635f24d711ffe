// kestrel-crawler on real archive data: this machine's apt lists
// (/var/lib/apt/lists), and a small mirror built at test time from their
// stanzas, served over HTTP on 127.0.0.1, against an apt-lists-style
// directory of the same stanzas. Expectations are derived at run time from
// the lists themselves, decompressed with lz4cat/xzcat/zcat and read line by
// line here — never through the crawler's own parser — since `apt-get
// update` changes them.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "driverkit/crawler_cli.h"
#include "driverkit/deb_version.h"
#include "tests/support/test_files.h"

using kestrel::testing::write_text_file;

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

constexpr char kAptLists[] = "/var/lib/apt/lists";

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  EXPECT_NE(p, nullptr) << command;
  if (!p) return out;
  char buf[1 << 16];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << command;
  return out;
}

void run_or_fail(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text of an apt list, decompressed by the standard tools.
std::string list_text(const fs::path& list) {
  std::string name = list.filename().string();
  std::string tool = name.ends_with(".lz4") ? "lz4cat" : name.ends_with(".xz") ? "xzcat" : name.ends_with(".gz") ? "zcat" : "cat";
  return run_capture(tool + " '" + list.string() + "'");
}

// One stanza as plain text, with the value of a field looked up by its line.
struct Paragraph {
  std::string text;  // without the closing blank line
  std::string field(const std::string& name) const {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(name + ": ", 0) == 0) return line.substr(name.size() + 2);
    return "";
  }
};

std::vector<Paragraph> paragraphs(const std::string& text) {
  std::vector<Paragraph> out;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) {
      if (!current.empty()) out.push_back({current});
      current.clear();
    } else {
      current += (current.empty() ? "" : "\n") + line;
    }
  }
  if (!current.empty()) out.push_back({current});
  return out;
}

// The host's amd64 Packages lists.
std::vector<fs::path> host_amd64_lists() {
  std::vector<fs::path> out;
  static const std::regex kList(R"(.*_dists_.*_binary-amd64_Packages(\.lz4|\.xz|\.gz)?)");
  for (const auto& e : fs::directory_iterator(kAptLists))
    if (std::regex_match(e.path().filename().string(), kList)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

int crawl(std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<const char*> argv = {"kestrel-crawler"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream o, e;
  int rc = run_crawler(static_cast<int>(argv.size()), argv.data(), o, e, false);
  out = o.str();
  err = e.str();
  return rc;
}

std::string without_scheme(const std::string& url) {
  size_t p = url.find("://");
  return p == std::string::npos ? url : url.substr(p + 3);
}

std::string basename_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// A flavour headers package (kernel ABI: three numbers, then -N or +suffix).
const std::regex kFlavourHeaders(R"(linux-headers-(\d+\.\d+\.\d+(?:-\d+|\+[0-9A-Za-z.~]+))-(amd64|cloud-amd64|rt-amd64))");

TEST(CrawlerArchive, AptListsGiveEveryAmd64FlavourWithPackagesOfTheIndex) {
  std::vector<fs::path> lists = host_amd64_lists();
  ASSERT_FALSE(lists.empty()) << "no *_binary-amd64_Packages lists in " << kAptLists << ": run apt-get update";
  // What the lists hold: each package's names and its .deb location (site + Filename, no scheme).
  std::set<std::string> names, locations;
  for (const auto& list : lists) {
    std::string name = list.filename().string();
    std::string site = name.substr(0, name.find("_dists_"));
    std::replace(site.begin(), site.end(), '_', '/');
    for (const auto& p : paragraphs(list_text(list))) {
      if (p.field("Package").rfind("linux-", 0) != 0) continue;
      names.insert(p.field("Package"));
      locations.insert(site + "/" + p.field("Filename"));
    }
  }
  std::set<std::string> expected;
  for (const auto& n : names) {
    std::smatch m;
    if (!std::regex_match(n, m, kFlavourHeaders)) continue;
    std::string release = m[1].str() + "-" + m[2].str();
    if (names.count("linux-image-" + release) || names.count("linux-image-" + release + "-unsigned"))
      expected.insert(release);
  }
  ASSERT_FALSE(expected.empty()) << "the host's lists hold no amd64 kernel";

  fs::path out_file = fs::path(::testing::TempDir()) / "crawler-apt-lists.json";
  std::string out, err;
  ASSERT_EQ(crawl({"crawl", "--distro", "debian", "--apt-lists", kAptLists, "--output", out_file.string()}, out, err), 0)
      << err;
  std::string first = read_file(out_file);
  nlohmann::json doc = nlohmann::json::parse(first);
  ASSERT_TRUE(doc.contains("debian")) << first.substr(0, 500);
  std::set<std::string> got;
  for (const auto& e : doc["debian"]) {
    std::string release = e["kernelrelease"];
    got.insert(release);
    EXPECT_EQ(e["kernelversion"], 1);
    EXPECT_EQ(e["target"], "debian");
    std::vector<std::string> headers = e["headers"];
    EXPECT_TRUE(std::is_sorted(headers.begin(), headers.end())) << release;
    ASSERT_EQ(headers.size(), 3u) << release << ": flavour, -common and kbuild";
    int flavour = 0, common = 0, kbuild = 0;
    bool rt = release.find("-rt-") != std::string::npos;
    for (const auto& url : headers) {
      EXPECT_TRUE(locations.count(without_scheme(url))) << release << ": " << url << " is in no list";
      std::string deb = basename_of(url);
      if (deb.rfind("linux-headers-" + release + "_", 0) == 0) ++flavour;
      if (deb.find(rt ? "-common-rt_" : "-common_") != std::string::npos) ++common;
      if (deb.rfind("linux-kbuild-", 0) == 0) ++kbuild;
    }
    EXPECT_EQ(flavour + common + kbuild, 3) << release << ": " << e["headers"].dump();
    EXPECT_EQ(flavour, 1);
    EXPECT_EQ(kbuild, 1);
  }
  EXPECT_EQ(got, expected);
  // One progress line per list read, and the summary.
  for (const auto& list : lists) EXPECT_NE(err.find("read " + list.string()), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(expected.size()) + " kernels in 3 flavours"), std::string::npos) << err;

  // A second crawl is byte-identical, and --diff against the first finds nothing.
  ASSERT_EQ(crawl({"crawl", "--distro", "debian", "--apt-lists", kAptLists, "--diff", out_file.string()}, out, err), 0);
  EXPECT_EQ(out, "0 added, 0 removed, 0 changed\n");
  ASSERT_EQ(crawl({"crawl", "--distro", "debian", "--apt-lists", kAptLists}, out, err), 0);
  EXPECT_EQ(out, first);
}

// A small archive: suites of real stanzas, served as a mirror and laid out
// as apt's lists.
// A throwaway OpenPGP archive key (gpg, in a private home), so the small
// archive's Release files are signed as Debian's are and the crawler checks
// them with --keyring, as it checks Debian's with the archive keyring.
class TestArchiveKey {
 public:
  explicit TestArchiveKey(const fs::path& home) : home_(home) {
    fs::remove_all(home_);
    fs::create_directories(home_);
    fs::permissions(home_, fs::perms::owner_all, fs::perm_options::replace);
    run_or_fail(gpg() + "--passphrase '' --pinentry-mode loopback --quick-gen-key "
                        "'Kestrel test archive <archive@kestrel.test>' ed25519 sign never 2>/dev/null");
    run_or_fail(gpg() + "--export > '" + keyring() + "'");
  }
  ~TestArchiveKey() { std::system(("gpgconf --homedir '" + home_.string() + "' --kill gpg-agent").c_str()); }
  std::string keyring() const { return (home_ / "archive-keyring.gpg").string(); }
  // TEXT clear-signed (an InRelease).
  std::string clearsign(const std::string& text) const { return sign(text, "--clearsign"); }
  // A detached binary signature of TEXT (a Release.gpg).
  std::string detach_sign(const std::string& text) const { return sign(text, "--detach-sign"); }

 private:
  std::string gpg() const { return "gpg --batch --quiet --homedir '" + home_.string() + "' "; }
  std::string sign(const std::string& text, const std::string& how) const {
    write_text_file(home_ / "in", text);
    fs::remove(home_ / "out");
    run_or_fail(gpg() + how + " -o '" + (home_ / "out").string() + "' '" + (home_ / "in").string() + "'");
    return read_file(home_ / "out");
  }
  fs::path home_;
};

class SmallArchive {
 public:
  struct Suite {
    std::string name;
    std::vector<std::string> stanzas;  // texts, in order
    std::string mirror_form;           // "gz" | "xz"
    bool inrelease = false;            // clear-signed InRelease rather than Release
    bool corrupt_hash = false;         // the Release's SHA256 does not match
    int malformed_line = 0;            // set by build(): the injected bad line, 1-based
  };

  // STANZA with a line that is no field injected after its first line.
  static std::string inject(const std::string& stanza) {
    size_t nl = stanza.find('\n');
    return stanza.substr(0, nl + 1) + "this line is not a field\n" + stanza.substr(nl + 1);
  }

  static std::string sha256(const fs::path& file) {
    std::string out = run_capture("sha256sum '" + file.string() + "'");
    return out.substr(0, 64);
  }

  // dists/<suite>/ under MIRROR, and apt's names under LISTS for SITE ("127.0.0.1:PORT").
  static void build(Suite& s, const fs::path& mirror, const fs::path& lists, const std::string& site,
                    const TestArchiveKey& key) {
    std::string text;
    for (const auto& st : s.stanzas) {
      if (st.find("this line is not a field") != std::string::npos) {
        size_t before = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
        s.malformed_line = static_cast<int>(before) + 2;  // the stanza's second line
      }
      text += st + "\n\n";
    }
    fs::path dir = mirror / "dists" / s.name;
    fs::path plain = dir / "main/binary-amd64/Packages";
    write_text_file(plain, text);
    std::string tool = s.mirror_form == "xz" ? "xz -kf " : "gzip -nkf ";
    run_or_fail(tool + "'" + plain.string() + "'");
    fs::path packed = plain.string() + "." + s.mirror_form;
    std::string plain_hash = sha256(plain), packed_hash = sha256(packed);
    if (s.corrupt_hash) plain_hash = packed_hash = std::string(64, '0');
    std::string release = "Origin: kestrel test\nSuite: " + s.name + "\nCodename: " + s.name +
                          "\nArchitectures: amd64 arm64\nComponents: main\nSHA256:\n " + plain_hash + " " +
                          std::to_string(fs::file_size(plain)) + " main/binary-amd64/Packages\n " + packed_hash + " " +
                          std::to_string(fs::file_size(packed)) + " main/binary-amd64/Packages." + s.mirror_form + "\n";
    std::string detached;
    if (s.inrelease)
      release = key.clearsign(release);
    else
      detached = key.detach_sign(release);
    std::string release_name = s.inrelease ? "InRelease" : "Release";
    write_text_file(dir / release_name, release);
    if (!s.inrelease) write_text_file(dir / "Release.gpg", detached);
    fs::remove(plain);  // listed by the Release, not served (as on deb.debian.org)
    if (s.corrupt_hash) return;  // apt would never have kept it
    // apt's lists: the same Release, the index recompressed as lz4.
    std::string prefix = site + "_dists_" + s.name + "_";
    write_text_file(lists / (prefix + release_name), release);
    if (!s.inrelease) write_text_file(lists / (prefix + "Release.gpg"), detached);
    fs::path list = lists / (prefix + "main_binary-amd64_Packages");
    write_text_file(list, text);
    run_or_fail("lz4 -qf --rm '" + list.string() + "' '" + list.string() + ".lz4'");
  }
};

TEST(CrawlerArchive, MirrorOverHttpGivesWhatAptStyleListsOfTheSameStanzasGive) {
  // Real stanzas from the host's lists, by package name.
  std::map<std::string, std::vector<std::pair<std::string, Paragraph>>> by_name;  // name -> (list, stanza)
  for (const auto& list : host_amd64_lists())
    for (auto& p : paragraphs(list_text(list)))
      if (p.field("Package").rfind("linux-", 0) == 0) by_name[p.field("Package")].push_back({list.filename().string(), p});
  // linux-kbuild-6.1 in two versions, one per suite: the duplicate across
  // suites this test needs. The host's lists hold it in bookworm and (newer)
  // in bookworm-security; should a point release catch up, the older one is
  // the same stanza with an older version and its own pool path.
  ASSERT_FALSE(by_name["linux-kbuild-6.1"].empty()) << "the host's lists have no linux-kbuild-6.1";
  std::vector<Paragraph> kbuild61;
  for (auto& [l, p] : by_name["linux-kbuild-6.1"]) kbuild61.push_back(p);
  std::sort(kbuild61.begin(), kbuild61.end(), [](const Paragraph& a, const Paragraph& b) {
    return compare_deb_versions(a.field("Version"), b.field("Version")) < 0;
  });
  if (compare_deb_versions(kbuild61.front().field("Version"), kbuild61.back().field("Version")) == 0) {
    std::string v = kbuild61.back().field("Version"), f = kbuild61.back().field("Filename");
    std::string older = kbuild61.back().text;
    older.replace(older.find("Version: " + v), 9 + v.size(), "Version: " + v + "~older");
    older.replace(older.find("Filename: " + f), 10 + f.size(), "Filename: " + f + ".older.deb");
    kbuild61.insert(kbuild61.begin(), Paragraph{older});
  }
  // A 6.1 ABI and a 6.12 ABI with all three flavours and their images.
  auto complete = [&](const std::string& abi) {
    for (const char* f : {"amd64", "cloud-amd64", "rt-amd64"})
      if (!by_name.count("linux-headers-" + abi + "-" + f) || !by_name.count("linux-image-" + abi + "-" + f)) return false;
    return by_name.count("linux-headers-" + abi + "-common") && by_name.count("linux-headers-" + abi + "-common-rt");
  };
  std::string abi61, abi612;
  for (const auto& [name, v] : by_name) {
    std::smatch m;
    if (!std::regex_match(name, m, kFlavourHeaders) || m[2] != "amd64" || !complete(m[1])) continue;
    std::string abi = m[1];
    std::string& slot = abi.rfind("6.1.", 0) == 0 ? abi61 : abi.rfind("6.12.", 0) == 0 ? abi612 : abi;
    if (slot.empty() || compare_deb_versions(abi, slot) > 0) slot = abi;
  }
  ASSERT_FALSE(abi61.empty()) << "no complete 6.1 kernel in the host's lists";
  ASSERT_FALSE(abi612.empty()) << "no complete 6.12 kernel in the host's lists";
  ASSERT_TRUE(by_name.count("linux-kbuild-" + abi612));
  auto stanza = [&](const std::string& name) { return by_name.at(name).front().second.text; };

  // bookworm (gz): the 6.1 kernels and the older kbuild-6.1.
  SmallArchive::Suite bookworm{"bookworm", {}, "gz"};
  for (const char* p : {"amd64", "cloud-amd64", "rt-amd64", "common", "common-rt"})
    bookworm.stanzas.push_back(stanza("linux-headers-" + abi61 + "-" + p));
  for (const char* f : {"amd64", "cloud-amd64", "rt-amd64"}) bookworm.stanzas.push_back(stanza("linux-image-" + abi61 + "-" + f));
  bookworm.stanzas.push_back(kbuild61.front().text);
  // bookworm-security (xz, InRelease): 6.12 amd64 and cloud (whose image
  // stanza is malformed, so cloud has no image), the newer kbuild-6.1.
  SmallArchive::Suite security{"bookworm-security", {}, "xz", /*inrelease=*/true};
  for (const char* p : {"amd64", "cloud-amd64", "common"}) security.stanzas.push_back(stanza("linux-headers-" + abi612 + "-" + p));
  security.stanzas.push_back(stanza("linux-image-" + abi612 + "-amd64"));
  security.stanzas.push_back(SmallArchive::inject(stanza("linux-image-" + abi612 + "-cloud-amd64")));
  security.stanzas.push_back(stanza("linux-kbuild-" + abi612));
  security.stanzas.push_back(kbuild61.back().text);
  // bookworm-updates (mirror only): rt 6.12, under a Release whose hash is wrong.
  SmallArchive::Suite updates{"bookworm-updates", {}, "xz", false, /*corrupt_hash=*/true};
  for (const char* p : {"rt-amd64", "common-rt"}) updates.stanzas.push_back(stanza("linux-headers-" + abi612 + "-" + p));
  updates.stanzas.push_back(stanza("linux-image-" + abi612 + "-rt-amd64"));

  fs::path root = fs::path(::testing::TempDir()) / "crawler-small-archive";
  fs::remove_all(root);
  fs::path mirror = root / "mirror", lists = root / "lists";
  fs::create_directories(lists);
  fs::create_directories(mirror);
  // Files are served from disk as they are asked for: the tree is built
  // once the port (part of apt's list names) is known.
  httplib::Server server;
  ASSERT_TRUE(server.set_mount_point("/", mirror.string()));
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  std::string site = "127.0.0.1:" + std::to_string(port);
  TestArchiveKey key(root / "gnupg");
  for (auto* s : {&bookworm, &security, &updates}) SmallArchive::build(*s, mirror, lists, site, key);
  ASSERT_GT(security.malformed_line, 0);

  std::string base = "http://" + site + "/";
  std::string mirror_json, mirror_err, lists_json, lists_err;
  int mirror_rc = crawl({"crawl", "--distro", "debian", "--mirror", base, "--keyring", key.keyring()}, mirror_json,
                        mirror_err);
  // Signed, but not by Debian: with the default keyring every suite is refused.
  std::string untrusted_json, untrusted_err, unchecked_json, unchecked_err;
  int untrusted_rc = crawl({"crawl", "--distro", "debian", "--mirror", base}, untrusted_json, untrusted_err);
  int unchecked_rc = crawl({"crawl", "--distro", "debian", "--mirror", base, "--no-signature-check"}, unchecked_json,
                           unchecked_err);
  server.stop();
  serving.join();
  int lists_rc = crawl({"crawl", "--distro", "debian", "--apt-lists", lists.string(), "--keyring", key.keyring()},
                       lists_json, lists_err);
  EXPECT_EQ(untrusted_rc, 1) << untrusted_json << untrusted_err;
  for (const char* suite : {"bookworm/Release", "bookworm-security/InRelease", "bookworm-updates/Release"})
    EXPECT_NE(untrusted_err.find(base + "dists/" + suite + ": the OpenPGP signature does not verify against " +
                                 "/usr/share/keyrings/debian-archive-keyring.gpg"),
              std::string::npos)
        << suite << "\n" << untrusted_err;
  EXPECT_EQ(unchecked_rc, 0) << unchecked_err;
  EXPECT_EQ(unchecked_json, mirror_json);
  EXPECT_NE(unchecked_err.find("warning: --no-signature-check"), std::string::npos) << unchecked_err;
  // A lists directory whose Release was changed after signing: refused.
  std::string tampered = read_file(lists / (site + "_dists_bookworm_Release"));
  write_text_file(lists / (site + "_dists_bookworm_Release.orig"), tampered);
  tampered.replace(tampered.find("Origin: kestrel test"), 20, "Origin: kestrel evil");
  write_text_file(lists / (site + "_dists_bookworm_Release"), tampered);
  std::string tampered_json, tampered_err;
  crawl({"crawl", "--distro", "debian", "--apt-lists", lists.string(), "--keyring", key.keyring()}, tampered_json,
        tampered_err);
  EXPECT_NE(tampered_err.find("refused " + (lists / (site + "_dists_bookworm_Release")).string()), std::string::npos)
      << tampered_err;
  EXPECT_EQ(tampered_json.find(abi61), std::string::npos) << tampered_json;
  ASSERT_EQ(mirror_rc, 0) << mirror_err;
  ASSERT_EQ(lists_rc, 0) << lists_err;

  // The same entries, the same URLs: the apt names carry the same site.
  EXPECT_EQ(mirror_json, lists_json) << "mirror:\n" << mirror_err << "\nlists:\n" << lists_err;

  // And the ones expected: 6.1 × 3 flavours, 6.12 amd64 only.
  nlohmann::json doc = nlohmann::json::parse(mirror_json);
  std::vector<std::string> releases;
  for (const auto& e : doc["debian"]) releases.push_back(e["kernelrelease"]);
  EXPECT_EQ(releases, (std::vector<std::string>{abi61 + "-amd64", abi61 + "-cloud-amd64", abi61 + "-rt-amd64",
                                                abi612 + "-amd64"}));
  // The newest kbuild-6.1 (bookworm-security's) for every 6.1 kernel.
  std::string newest_kbuild = base + kbuild61.back().field("Filename");
  for (const auto& e : doc["debian"]) {
    if (e["kernelrelease"].get<std::string>().rfind(abi61, 0) != 0) continue;
    std::vector<std::string> h = e["headers"];
    EXPECT_NE(std::find(h.begin(), h.end(), newest_kbuild), h.end()) << e.dump();
  }
  // The malformed stanza, by file and line, in both; the refused index on the mirror.
  std::string bad = ":" + std::to_string(security.malformed_line) + ": expected \"Field: value\" (stanza skipped)";
  EXPECT_NE(mirror_err.find(base + "dists/bookworm-security/main/binary-amd64/Packages.xz" + bad), std::string::npos)
      << mirror_err;
  EXPECT_NE(lists_err.find((lists / (site + "_dists_bookworm-security_main_binary-amd64_Packages.lz4")).string() + bad),
            std::string::npos)
      << lists_err;
  EXPECT_NE(mirror_err.find("skipped " + abi612 + "-cloud-amd64: no linux-image-"), std::string::npos) << mirror_err;
  EXPECT_NE(mirror_err.find(base + "dists/bookworm-updates/main/binary-amd64/Packages.xz: SHA256 mismatch"),
            std::string::npos)
      << mirror_err;
  EXPECT_NE(mirror_err.find("(gz, "), std::string::npos);
  EXPECT_NE(lists_err.find("(lz4, "), std::string::npos);
}

}  // namespace
}  // namespace kestrel::driverkit
