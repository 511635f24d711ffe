// cli.h — the kestrel-driverkit command line (CLI11).
//
//   kestrel-driverkit build [-c config.yaml] --target debian --kernelrelease 6.1.0-57-amd64
//       [--kernelversion 1] [--architecture amd64|arm64] [--output-module PATH]
//       [--kernelurls URL ...] [--deb-dir DIR] [--cache DIR] [--kernel-dir DIR]
//       [--gccversion N] [--moduledevicename kestrel] [--kernelconfigdata B64]
//       [--signing-key KEY.pem --signing-cert CERT] [--source-root DIR]
//   kestrel-driverkit verify ARTIFACT.ko --kernel-image (VMLINUZ | RELEASE) [...]
//       (verify_command.h: boots the kernel in qemu and proves the module)
//   kestrel-driverkit matrix --input list.json --output-dir DIR [...]
//   kestrel-driverkit index merge|lookup ...
//       (matrix_command.h: every kernel of a list built, proven, indexed)
//   kestrel-driverkit targets
//
// Flags and YAML keys are falcosecurity/driverkit's where the concept is
// the same; a flag given overrides the config file's key. Exit codes: 0
// built; 1 the build failed (headers, compiler, kbuild, vermagic); 2 a
// usage error (bad flag, bad config, unknown target, unsupported option).
#pragma once

#include <ostream>

#include <optional>

#include "driverkit/config.h"
#include "driverkit/matrix_command.h"
#include "driverkit/verify.h"

namespace kestrel::driverkit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The command line read: either an exit code to stop with (help, a usage
// error — already reported on ERR) or what to do.
struct ParsedCommand {
  int exit_code = -1;  // >= 0: stop with this code
  bool list_targets = false;
  std::optional<VerifyOptions> verify;  // set: run `verify` with these
  std::optional<MatrixOptions> matrix;  // set: run `matrix` with these
  std::optional<IndexCommand> index;    // set: run `index merge|lookup`
  BuildConfig config;  // the config file's keys with the flags given laid over them
};
ParsedCommand parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// The whole program minus main(): OUT gets results, ERR progress and
// errors. PROGRESS_ON_TERMINAL selects carriage-return progress.
int run_driverkit(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  bool progress_on_terminal);

}  // namespace kestrel::driverkit
