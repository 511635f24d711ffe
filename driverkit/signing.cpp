#include "driverkit/signing.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

bool has_signature_trailer(const std::string& ko) {
  std::ifstream in(ko, std::ios::binary | std::ios::ate);
  size_t n = std::strlen(kSignatureTrailer);
  if (!in || static_cast<size_t>(in.tellg()) < n) return false;
  in.seekg(-static_cast<std::streamoff>(n), std::ios::end);
  std::string tail(n, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(n));
  return tail == kSignatureTrailer;
}

std::string signature_hash(const std::map<std::string, std::string>& kernel_config) {
  auto it = kernel_config.find("CONFIG_MODULE_SIG_HASH");
  return it != kernel_config.end() && !it->second.empty() ? it->second : "sha512";
}

Result<Signature> sign_module(const std::string& kernel_dir, const std::string& hash, const std::string& key,
                              const std::string& cert, const std::string& ko) {
  std::error_code ec;
  for (const auto& f : {key, cert})
    if (!fs::exists(f, ec)) return Status(StatusCode::kNotFound, "signing: " + f + " does not exist");
  std::string sign_file = kernel_dir + "/scripts/sign-file";
  if (!fs::exists(sign_file, ec))
    return Status(StatusCode::kNotFound, "signing: " + sign_file + " is missing (the kernel's kbuild has no sign-file)");
  if (has_signature_trailer(ko)) return Status(StatusCode::kInvalidArgument, "signing: " + ko + " is already signed");
  std::vector<std::string> argv = {sign_file, hash, key, cert, ko};
  auto run = run_process(argv);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0)
    return Status(StatusCode::kInternal, command_line(argv) + " failed:\n" + last_lines(run->output, 10));
  if (!has_signature_trailer(ko))
    return Status(StatusCode::kInternal, "signing: " + ko + " has no signature trailer after sign-file");
  Signature sig;
  sig.hash = hash;
  auto signer = modinfo_field(ko, "signer");
  auto key_id = modinfo_field(ko, "sig_key");
  auto algo = modinfo_field(ko, "sig_hashalgo");
  if (!signer.ok() || signer->empty() || !key_id.ok() || key_id->empty())
    return Status(StatusCode::kInternal, "signing: modinfo finds no signer in " + ko + " after sign-file");
  if (algo.ok() && !algo->empty() && algo->front() != hash)
    return Status(StatusCode::kInternal, "signing: modinfo says the hash is " + algo->front() + ", not " + hash);
  sig.signer = signer->front();
  sig.key_id = key_id->front();
  return sig;
}

}  // namespace kestrel::driverkit
