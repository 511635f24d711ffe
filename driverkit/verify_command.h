// verify_command.h — the `verify` subcommand of kestrel-driverkit's CLI:
//
//   kestrel-driverkit verify ARTIFACT.ko --kernel-image (VMLINUZ | RELEASE)
//       [--kestrel PATH] [--manifest PATH] [--timeout S] [--cache DIR]
//       [--append KERNEL-ARGS] [--work-dir DIR]
//
// Registers the subcommand and its options on an existing CLI11 app, so
// the program's main (which owns the other subcommands) adds it with one
// call and runs it when parsed. See verify.h for what it does.
#pragma once

#include <CLI/CLI.hpp>

#include "driverkit/verify.h"

namespace kestrel::driverkit {

struct VerifyCommand {
  CLI::App* command = nullptr;
  VerifyOptions options;
};

// What verify puts into the VM unless told otherwise: this build tree's
// collector, module_loader, scripts/vm, the scenario, <build>/vm-cache.
VerifyOptions default_verify_options();

// Adds `verify` to `app`; `cmd` must outlive parsing. Defaults point into
// this build tree (the collector, module_loader, scripts/vm, the scenario,
// <build>/vm-cache).
void add_verify_command(CLI::App& app, VerifyCommand& cmd);

// Runs it (after app.parse, when cmd.command->parsed()); the exit code.
int run_verify_command(const VerifyCommand& cmd);

}  // namespace kestrel::driverkit
