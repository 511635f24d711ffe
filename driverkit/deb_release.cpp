#include "driverkit/deb_release.h"

#include <algorithm>
#include <sstream>

#include "driverkit/deb_control.h"
#include "driverkit/sha256.h"

namespace kestrel::driverkit {
namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The signed text of a clear-signed message (RFC 4880 §7), or TEXT itself.
std::string strip_clearsign(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN PGP SIGNED MESSAGE-----";
  if (text.substr(0, kBegin.size()) != kBegin) return std::string(text);
  std::string out;
  size_t pos = text.find('\n');
  // Armor headers ("Hash: SHA256") end at the first empty line.
  while (pos != std::string_view::npos) {
    size_t next = text.find('\n', pos + 1);
    std::string_view line = text.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    pos = next;
    if (line.empty() || line == "\r") break;
  }
  while (pos != std::string_view::npos) {
    size_t next = text.find('\n', pos + 1);
    std::string_view line = text.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    pos = next;
    if (line.substr(0, 29) == "-----BEGIN PGP SIGNATURE-----") break;
    if (line.substr(0, 2) == "- ") line.remove_prefix(2);
    out.append(line);
    out += '\n';
  }
  return out;
}

}  // namespace

const ReleaseFile* DebRelease::find(std::string_view path) const {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

bool DebRelease::has_architecture(std::string_view arch) const {
  return std::find(architectures.begin(), architectures.end(), arch) != architectures.end();
}

Result<DebRelease> parse_release(std::string_view text, const std::string& origin) {
  std::string body = strip_clearsign(text);
  auto stanzas = parse_control(body, origin);
  if (!stanzas.ok()) return stanzas.status();
  if (stanzas->empty()) return Status(StatusCode::kCorrupt, origin + ": empty Release file");
  const ControlStanza& s = stanzas->front();
  DebRelease r;
  r.suite = s.get("Suite");
  r.codename = s.get("Codename");
  r.components = words(s.get("Components"));
  r.architectures = words(s.get("Architectures"));
  std::istringstream lines(s.get("SHA256"));
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    auto w = words(line);
    if (w.empty()) continue;
    if (w.size() != 3 || w[0].size() != 64)
      return Status(StatusCode::kCorrupt, origin + ": SHA256 line " + std::to_string(n) +
                                              " is not \"<sha256> <size> <path>\": \"" + line + "\"");
    ReleaseFile f;
    f.sha256 = w[0];
    std::transform(f.sha256.begin(), f.sha256.end(), f.sha256.begin(), ::tolower);
    try {
      f.size = std::stoull(w[1]);
    } catch (const std::exception&) {
      return Status(StatusCode::kCorrupt, origin + ": SHA256 line " + std::to_string(n) + ": bad size \"" + w[1] + "\"");
    }
    f.path = w[2];
    r.files.push_back(std::move(f));
  }
  if (r.files.empty()) return Status(StatusCode::kCorrupt, origin + ": no SHA256 section: indexes cannot be checked");
  return r;
}

std::vector<PackagesIndex> packages_indexes(const DebRelease& release, const std::string& arch) {
  static constexpr Compression kPreference[] = {Compression::kXz, Compression::kGzip, Compression::kLz4,
                                                Compression::kNone};
  std::vector<PackagesIndex> out;
  const std::string tail = "/binary-" + arch + "/Packages";
  for (const auto& f : release.files) {
    // Each index once, by its plain name, whichever forms the Release lists.
    std::string plain = f.path.substr(0, f.path.size() - std::string(compression_extension(compression_of(f.path))).size());
    if (plain.size() <= tail.size() || plain.compare(plain.size() - tail.size(), tail.size(), tail) != 0) continue;
    if (plain.find("debian-installer") != std::string::npos) continue;
    if (std::any_of(out.begin(), out.end(), [&](const PackagesIndex& i) { return i.path == plain; })) continue;
    PackagesIndex idx{plain.substr(0, plain.size() - tail.size()), plain, {}};
    for (Compression c : kPreference)
      if (release.find(plain + compression_extension(c))) idx.forms.push_back(c);
    out.push_back(std::move(idx));
  }
  return out;
}

Status check_release_hash(const DebRelease& release, const std::string& path, std::string_view data,
                          const std::string& origin) {
  const ReleaseFile* f = release.find(path);
  if (!f) return Status(StatusCode::kNotFound, origin + ": the Release lists no SHA256 for " + path);
  std::string got = sha256_hex(data);
  if (got != f->sha256 || data.size() != f->size)
    return Status(StatusCode::kCorrupt, origin + ": SHA256 mismatch for " + path + ": the Release says " + f->sha256 +
                                            " (" + std::to_string(f->size) + " bytes), the file is " + got + " (" +
                                            std::to_string(data.size()) + " bytes); refusing it");
  return ok_status();
}

}  // namespace kestrel::driverkit
