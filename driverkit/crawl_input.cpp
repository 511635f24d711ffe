#include "driverkit/crawl_input.h"

#include <cstdio>

#include "driverkit/decompress.h"

namespace kestrel::driverkit {

bool is_kernel_stanza(const ControlStanza& stanza) {
  std::string p = stanza.package();
  return p.rfind("linux-headers-", 0) == 0 || p.rfind("linux-image-", 0) == 0 || p.rfind("linux-kbuild-", 0) == 0;
}

void add_packages_index(const DebRelease& release, const PackagesIndex& index, Compression form,
                        std::string_view data, CrawledIndex where, CrawlInput& input, Progress& progress) {
  std::string listed = index.path + compression_extension(form);
  if (release.find(listed)) {
    if (Status s = check_release_hash(release, listed, data, where.origin); !s.ok()) {
      input.problems.push_back(s.to_string());
      progress.note("refused " + s.message());
      return;
    }
  }
  auto text = decompress(data, form, where.origin);
  if (!text.ok()) {
    input.problems.push_back(text.status().to_string());
    progress.note("refused " + text.status().message());
    return;
  }
  // apt recompresses its lists (lz4): then only the plain content's hash is
  // in the Release, and it is the one that ties the list to it.
  if (Status s = check_release_hash(release, index.path, *text, where.origin); !s.ok()) {
    if (s.code() == StatusCode::kCorrupt || !release.find(listed)) {
      input.problems.push_back(s.to_string());
      progress.note("refused " + s.message());
      return;
    }
  }
  TolerantControl read = parse_control_tolerant(*text, where.origin, is_kernel_stanza);
  for (const auto& p : read.problems) input.problems.push_back(p.to_string() + " (stanza skipped)");
  char size[32];
  std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(data.size()) / 1e6);
  progress.note("read " + where.origin + " (" + compression_name(form) + ", " + size + ", " +
                std::to_string(read.stanzas.size()) + " kernel packages" +
                (read.problems.empty() ? "" : ", " + std::to_string(read.problems.size()) + " malformed stanzas skipped") +
                ")");
  where.stanzas = std::move(read.stanzas);
  input.indexes.push_back(std::move(where));
}

}  // namespace kestrel::driverkit
