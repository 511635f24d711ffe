// read_mirrors (crawl_input.h): a Debian mirror over http(s) or file://.
#include "driverkit/crawl_input.h"
#include "driverkit/fetch.h"
#include "driverkit/release_signature.h"

#include <optional>

namespace kestrel::driverkit {
namespace {

std::string with_slash(std::string url) {
  if (url.empty() || url.back() != '/') url += '/';
  return url;
}

// dists/<suite>/InRelease, else Release (+ Release.gpg), its signature
// checked under POLICY; kNotFound when the mirror has neither.
Result<std::pair<DebRelease, std::string>> fetch_release(const std::string& dists, const SignaturePolicy& policy,
                                                         Progress& progress) {
  Status last;
  for (const char* name : {"InRelease", "Release"}) {
    std::string url = dists + name;
    progress.transient("fetching " + url);
    auto body = fetch_bytes(url, &progress);
    if (!body.ok()) {
      last = body.status();
      if (body.status().code() == StatusCode::kNotFound) continue;
      return body.status();
    }
    std::optional<std::string> detached;
    if (std::string(name) == "Release" && policy.check) {
      auto sig = fetch_bytes(url + ".gpg", &progress);
      if (sig.ok()) {
        detached = std::move(*sig);
      } else if (sig.status().code() != StatusCode::kNotFound) {
        return sig.status();
      }
    }
    if (Status s = check_release_signature(*body, detached, policy, url); !s.ok()) return s;
    auto release = parse_release(*body, url);
    if (!release.ok()) return release.status();
    return std::make_pair(std::move(*release), url);
  }
  return last;
}

}  // namespace

CrawlInput read_mirrors(const std::vector<std::string>& mirrors, const std::vector<std::string>& suites,
                        const std::string& arch, const SignaturePolicy& policy, Progress& progress) {
  CrawlInput input;
  for (const auto& mirror_arg : mirrors) {
    std::string mirror = with_slash(mirror_arg);
    for (const auto& suite : suites) {
      std::string dists = mirror + "dists/" + suite + "/";
      auto release = fetch_release(dists, policy, progress);
      if (!release.ok()) {
        if (release.status().code() == StatusCode::kNotFound) {
          progress.note("no suite " + suite + " at " + mirror + " (no InRelease or Release): skipped");
        } else {
          input.problems.push_back(release.status().to_string());
          progress.note("cannot read suite " + suite + " at " + mirror + ": " + release.status().to_string());
        }
        continue;
      }
      const auto& [rel, rel_url] = *release;
      if (!rel.architectures.empty() && !rel.has_architecture(arch)) {
        progress.note(rel_url + " lists no " + arch + " (Architectures: " + std::to_string(rel.architectures.size()) +
                      " others): skipped");
        continue;
      }
      auto indexes = packages_indexes(rel, arch);
      if (indexes.empty()) progress.note(rel_url + " lists no binary-" + arch + "/Packages index");
      for (const auto& index : indexes) {
        bool done = false;
        std::string failures;
        for (Compression form : index.forms) {
          std::string url = dists + index.path + compression_extension(form);
          progress.transient("fetching " + url);
          auto body = fetch_bytes(url, &progress);
          if (!body.ok()) {
            // The Release lists a form the mirror lacks (a plain Packages
            // is often listed but not served): try the next form.
            failures += "\n  " + body.status().to_string();
            continue;
          }
          add_packages_index(rel, index, form, *body, CrawledIndex{url, mirror, suite, {}}, input, progress);
          done = true;
          break;
        }
        if (!done) {
          std::string what = "cannot fetch " + dists + index.path + " in any form the Release lists:" + failures;
          input.problems.push_back(what);
          progress.note(what);
        }
      }
    }
  }
  return input;
}

}  // namespace kestrel::driverkit
