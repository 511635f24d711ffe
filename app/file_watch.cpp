#include "app/file_watch.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace kestrel {
namespace {

void append_identity(std::string& out, const std::string& path) {
  struct stat st {};
  out += path;
  if (stat(path.c_str(), &st) != 0) {
    out += ":absent\n";
    return;
  }
  out += ':' + std::to_string(st.st_ino) + ':' + std::to_string(st.st_size) + ':' +
         std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + '\n';
}

}  // namespace

FileWatch::FileWatch(std::vector<std::string> paths) : paths_(std::move(paths)), last_(fingerprint()) {}

std::string FileWatch::fingerprint() const {
  std::string out;
  for (const auto& path : paths_) {
    append_identity(out, path);
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) continue;
    std::vector<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) entries.push_back(entry.path().string());
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) append_identity(out, entry);
  }
  return out;
}

bool FileWatch::changed() {
  std::string now = fingerprint();
  if (now == last_) return false;
  last_ = std::move(now);
  return true;
}

}  // namespace kestrel
