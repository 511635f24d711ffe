// read_apt_lists (crawl_input.h): the Packages lists apt keeps (by default
// in /var/lib/apt/lists), named by apt's URItoFileName: the URI without its
// scheme, '_' and other specials %-escaped, then '/' turned into '_'.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "driverkit/crawl_input.h"
#include "driverkit/release_signature.h"
#include "driverkit/subprocess.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDists = "_dists_";

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What the host's sources say each list prefix ("deb.debian.org_debian")
// stands for: `apt-get indextargets` names every index file of the
// configured sources under DIR with its Repo-URI. --no-release-info keeps
// apt from opening (or caching) the lists themselves.
std::map<std::string, std::string> repo_uris_from_sources(const std::string& dir) {
  std::map<std::string, std::string> out;
  auto run = run_process({"apt-get", "indextargets", "--no-release-info", "-o", "Dir::State::Lists=" + dir, "-o",
                          "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=", "--format",
                          "$(FILENAME) $(REPO_URI)"},
                         {.cwd = "", .merge_stderr = false});
  if (!run.ok() || run->exit_code != 0) return out;
  std::istringstream lines(run->output);
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string name = fs::path(line.substr(0, space)).filename().string();
    size_t dists = name.find(kDists);
    if (dists == std::string::npos) continue;
    std::string uri = line.substr(space + 1);
    if (!uri.empty() && uri.back() != '/') uri += '/';
    out.emplace(name.substr(0, dists), uri);
  }
  return out;
}

}  // namespace

std::string apt_site_url(std::string_view prefix) {
  std::string out = "http://";
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    if (c == '_') {
      out += '/';
    } else if (c == '%' && i + 2 < prefix.size() && std::isxdigit(static_cast<unsigned char>(prefix[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(prefix[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(prefix.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  if (out.back() != '/') out += '/';
  return out;
}

CrawlInput read_apt_lists(const std::string& dir, const std::string& arch, const SignaturePolicy& policy,
                          Progress& progress) {
  CrawlInput input;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    input.problems.push_back("--apt-lists " + dir + " is not a directory");
    return input;
  }
  std::string abs_dir = fs::absolute(dir, ec).string();
  // The Release of each suite: <prefix>_dists_<suite>_InRelease, else _Release.
  std::map<std::string, std::string> releases;  // "<prefix>_dists_<suite>" -> file name
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    for (std::string_view tail : {"_InRelease", "_Release"}) {
      if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0 &&
          name.find(kDists) != std::string::npos) {
        std::string key = name.substr(0, name.size() - tail.size());
        // InRelease is what apt keeps when the mirror has one; prefer it.
        if (!releases.count(key) || tail == "_InRelease") releases[key] = name;
      }
    }
  }
  if (releases.empty()) {
    input.problems.push_back("--apt-lists " + dir + " holds no *_dists_*_InRelease or _Release file");
    return input;
  }
  std::map<std::string, std::string> sources = repo_uris_from_sources(abs_dir);
  std::set<std::string> guessed;  // prefixes whose URL was derived from the name (told once)
  for (const auto& [key, release_name] : releases) {
    std::string prefix = key.substr(0, key.find(kDists));
    std::string suite = key.substr(key.find(kDists) + kDists.size());
    std::string release_path = (fs::path(dir) / release_name).string();
    auto text = read_file(release_path);
    if (!text.ok()) {
      input.problems.push_back(text.status().to_string());
      continue;
    }
    // apt checked the signature when it fetched the file; checked again, so a
    // lists directory copied from elsewhere is held to the same keyrings.
    std::optional<std::string> detached;
    if (release_name.size() > 8 && release_name.compare(release_name.size() - 8, 8, "_Release") == 0) {
      auto sig = read_file(release_path + ".gpg");
      if (sig.ok()) detached = std::move(*sig);
    }
    if (Status s = check_release_signature(*text, detached, policy, release_path); !s.ok()) {
      input.problems.push_back(s.to_string());
      progress.note("refused " + release_path + ": " + s.to_string());
      continue;
    }
    auto release = parse_release(*text, release_path);
    if (!release.ok()) {
      input.problems.push_back(release.status().to_string());
      progress.note("cannot read " + release_path + ": " + release.status().to_string());
      continue;
    }
    std::string base;
    if (auto it = sources.find(prefix); it != sources.end()) {
      base = it->second;
    } else {
      base = apt_site_url(prefix);
      if (guessed.insert(prefix).second)
        progress.note("the host's apt sources do not name " + prefix + "; its packages' URLs are taken as " + base);
    }
    int lists = 0;
    for (const auto& index : packages_indexes(*release, arch)) {
      // apt's name for the index: '/' of its path turned into '_'.
      std::string stem = key + "_" + index.path;
      std::replace(stem.begin() + static_cast<long>(key.size()), stem.end(), '/', '_');
      // apt fetches only the components its sources name: the others are simply absent.
      for (Compression form : {Compression::kLz4, Compression::kXz, Compression::kGzip, Compression::kNone}) {
        fs::path path = fs::path(dir) / (stem + compression_extension(form));
        if (!fs::exists(path, ec)) continue;
        ++lists;
        auto data = read_file(path);
        if (!data.ok()) {
          input.problems.push_back(data.status().to_string());
          break;
        }
        add_packages_index(*release, index, form, *data, CrawledIndex{path.string(), base, suite, {}}, input,
                           progress);
        break;
      }
    }
    if (lists == 0) progress.note(release_path + ": no " + arch + " Packages list beside it");
  }
  return input;
}

}  // namespace kestrel::driverkit
