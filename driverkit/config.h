// config.h — what one `kestrel-driverkit build` is asked to do.
//
// The YAML keys are falcosecurity/driverkit's where the concept is the same
// (kernelrelease, kernelversion, target, architecture, output.module,
// kernelurls, kernelconfigdata, gccversion, moduledevicename); Kestrel's own
// additions are flat keys (cache, debdir, kerneldir, signingkey,
// signingcert, sourceroot). Unknown keys are refused, never ignored. Flags
// given on the command line override the file key by key.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

struct BuildConfig {
  std::string target;                   // debian | vanilla
  std::string kernelrelease;            // 6.1.0-57-amd64 (vanilla: may come from the tree)
  std::string kernelversion = "1";      // driverkit's build number of the kernel; names the artifact
  std::string architecture;             // amd64 | arm64; "" = the target derives it
  std::string output_module;            // output.module; "" = ./<artifact name>
  std::vector<std::string> kernelurls;  // .deb URLs to take the headers from
  std::string kernelconfigdata;         // base64 kernel config (refused: see cli.cpp)
  std::string gccversion;               // force GCC major ("12"); "" = the kernel's
  std::string moduledevicename = "kestrel";
  std::string cache_dir;                // "" = default_cache_dir()
  std::string deb_dir;                  // a local directory of .debs
  std::string kernel_dir;               // vanilla: a prepared kernel tree or headers dir
  std::string signing_key;              // PEM private key (with signing_cert: sign the module)
  std::string signing_cert;             // X.509 certificate, DER or PEM
  std::string source_root;              // the Kestrel tree holding kmod/module; "" = the built-in one
  int make_jobs = 2;                    // make -j of the module's kbuild (no YAML key: the matrix
                                        // lowers it when builds run side by side)
};

// Loads PATH into CONFIG (keys present in the file overwrite CONFIG's).
Status load_config_file(const std::string& path, BuildConfig& config);

// $XDG_CACHE_HOME/kestrel-driverkit, ~/.cache/kestrel-driverkit, or, for
// root without either, /var/cache/kestrel-driverkit.
std::string default_cache_dir();

// The architecture names driverkit accepts.
bool known_architecture(const std::string& architecture);

}  // namespace kestrel::driverkit
