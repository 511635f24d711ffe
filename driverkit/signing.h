// signing.h — signs a built module with the operator's key, using the
// kernel's own scripts/sign-file (from linux-kbuild-*, a host program), so a
// kernel booted with module.sig_enforce=1 and the key's certificate enrolled
// can load it. The hash is the kernel's own CONFIG_MODULE_SIG_HASH (sha256
// on Debian, whose sha512 is a module a sig_enforce'd kernel may be unable
// to load first: "unsupported crypto"); sha512 when the config names none.
// After signing, the module must end with
// the "~Module signature appended~\n" trailer and modinfo must name the
// signer; otherwise signing is reported as failed.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "driverkit/manifest.h"

namespace kestrel::driverkit {

inline constexpr const char* kSignatureTrailer = "~Module signature appended~\n";

// The hash to sign with, from the kernel config's CONFIG_MODULE_SIG_HASH.
std::string signature_hash(const std::map<std::string, std::string>& kernel_config);

Result<Signature> sign_module(const std::string& kernel_dir, const std::string& hash, const std::string& key,
                              const std::string& cert, const std::string& ko);

// Whether the file ends with kSignatureTrailer.
bool has_signature_trailer(const std::string& ko);

}  // namespace kestrel::driverkit
