// test_files.h — the small files tests hand to the binary (rules, configs,
// fixtures), written one way everywhere.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace kestrel::testing {

// `text` as the whole of `path` (its directories made); throws if it
// cannot be written, so a test never runs against a missing file.
inline void write_text_file(const std::string& path, const std::string& text) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// `text` in a file of the test's temp dir named after `name` and this
// process (tests of one binary run in parallel with others); its path.
inline std::string write_temp_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name + "_" + std::to_string(::getpid());
  write_text_file(path, text);
  return path;
}

}  // namespace kestrel::testing
