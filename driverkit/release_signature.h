// release_signature.h — is a suite's Release really the archive's? The
// crawler turns Release → Packages SHA256 → .deb SHA256 into header URLs a
// build trusts, so the chain starts with the Release's OpenPGP signature,
// checked as apt checks it: with gpgv against the archive's keyring
// (Debian: /usr/share/keyrings/debian-archive-keyring.gpg, from the
// debian-archive-keyring package). InRelease carries a clear signature;
// a plain Release comes with a detached Release.gpg.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

inline constexpr const char* kDebianArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

struct SignaturePolicy {
  bool check = true;                   // false: --no-signature-check (each suite then says it is unchecked)
  std::vector<std::string> keyrings;   // gpgv --keyring; empty = kDebianArchiveKeyring
};

// Checks RELEASE_TEXT: clear-signed when DETACHED is absent (InRelease),
// else against the detached signature DETACHED (Release + Release.gpg).
// kCorrupt naming ORIGIN, the keyrings and gpgv's words when the signature
// is bad, made by a key not in the keyrings, or missing; ok when the policy
// does not check.
Status check_release_signature(std::string_view release_text, const std::optional<std::string>& detached,
                               const SignaturePolicy& policy, const std::string& origin);

}  // namespace kestrel::driverkit
