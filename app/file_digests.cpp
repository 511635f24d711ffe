#include "app/file_digests.h"

#include <algorithm>
#include <filesystem>

#include "driverkit/sha256.h"

namespace kestrel {
namespace {

bool is_yaml(const std::filesystem::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

}  // namespace

std::vector<std::string> yaml_files_of(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> in_dir;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.is_regular_file() && is_yaml(entry.path())) in_dir.push_back(entry.path().string());
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

std::vector<std::pair<std::string, std::string>> file_sha256s(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) continue;
    auto digest = driverkit::sha256_file(path);
    if (digest.ok()) out.emplace_back(path, *digest);
  }
  return out;
}

}  // namespace kestrel
