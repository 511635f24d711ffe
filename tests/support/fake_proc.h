// fake_proc.h — a throw-away directory tree for scanner tests: a fake
// /proc (and, beside it, a fake cgroup2 hierarchy), removed on destruction.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kestrel {

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/kestrel_fakeproc_XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~FakeProc() { std::filesystem::remove_all(root_); }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;
  const std::string& root() const { return root_; }

  void file(const std::string& rel, const std::string& text) {
    std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  void link(const std::string& rel, const std::string& target) {
    std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::filesystem::create_symlink(target, p);
  }

 private:
  std::string root_;
};

}  // namespace kestrel
