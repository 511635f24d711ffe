#include "driverkit/release_signature.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

namespace {

// A private scratch directory for the files gpgv reads, removed on scope exit.
class Scratch {
 public:
  Scratch() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("kestrel-crawler-gpgv-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, std::string_view bytes) const {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

 private:
  fs::path dir_;
};

}  // namespace

Status check_release_signature(std::string_view release_text, const std::optional<std::string>& detached,
                               const SignaturePolicy& policy, const std::string& origin) {
  if (!policy.check) return ok_status();
  std::vector<std::string> keyrings = policy.keyrings;
  if (keyrings.empty()) keyrings.push_back(kDebianArchiveKeyring);
  std::string named;
  for (const auto& k : keyrings) {
    std::error_code ec;
    if (!fs::exists(k, ec))
      return Status(StatusCode::kNotFound, "keyring " + k + " does not exist (Debian's is in the debian-archive-keyring "
                                           "package; --keyring names another)");
    named += (named.empty() ? "" : ", ") + k;
  }
  if (!detached && release_text.rfind("-----BEGIN PGP SIGNED MESSAGE-----", 0) != 0)
    return Status(StatusCode::kCorrupt, origin + " is not signed (neither a clear-signed InRelease nor a Release with "
                                                 "a Release.gpg); --no-signature-check reads it anyway");
  Scratch scratch;
  std::vector<std::string> argv = {"gpgv", "--quiet"};
  for (const auto& k : keyrings) argv.insert(argv.end(), {"--keyring", fs::absolute(k).string()});
  if (detached) argv.push_back(scratch.write("Release.gpg", *detached));
  argv.push_back(scratch.write(detached ? "Release" : "InRelease", release_text));
  auto run = run_process(argv);
  if (!run.ok()) return Status(StatusCode::kUnavailable, "cannot run gpgv to check " + origin + ": " +
                                                             run.status().message() + " (apt-get install gpgv)");
  if (run->exit_code != 0)
    return Status(StatusCode::kCorrupt, origin + ": the OpenPGP signature does not verify against " + named + ":\n" +
                                            last_lines(run->output, 6));
  return ok_status();
}

}  // namespace kestrel::driverkit
