// file_watch.h — watch_config_files: has any of these files or
// directories changed since the last look?
//
// Polled (the collector asks once a second on its engine thread), not
// inotify: a handful of stat() calls a second costs nothing, works for
// files replaced by rename (editors, ConfigMaps' symlink swaps) and needs
// no thread. A file's identity is its inode, size and modification time;
// a directory's is also every entry's, so a file added to, removed from or
// changed in a rules or config.d directory counts. A path that does not
// exist yet has an identity too (absent), so creating it counts.
#pragma once

#include <string>
#include <vector>

namespace kestrel {

class FileWatch {
 public:
  FileWatch() = default;
  explicit FileWatch(std::vector<std::string> paths);

  // True when some path differs from the last call (or construction);
  // the new state becomes the reference.
  bool changed();
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::string fingerprint() const;
  std::vector<std::string> paths_;
  std::string last_;
};

}  // namespace kestrel
