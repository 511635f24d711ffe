// file_digests.h — which files a set of rules paths stands for, and the
// SHA-256 of files, shared by --support (support_info.h) and Falco's
// falco.sha256_rules_file.* / falco.sha256_config_file.* metrics.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kestrel {

// `paths` with each directory replaced by its *.yaml / *.yml files in
// name order, as the rules loader reads them.
std::vector<std::string> yaml_files_of(const std::vector<std::string>& paths);

// (path, lower-case hex SHA-256) of each regular file in `paths`, in order;
// directories are skipped, and so is a file that cannot be read (the
// loader has already said so).
std::vector<std::pair<std::string, std::string>> file_sha256s(const std::vector<std::string>& paths);

}  // namespace kestrel
