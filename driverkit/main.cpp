// kestrel-driverkit — builds the kestrel kernel module for a kernel and
// proves it in a VM. This main carries only `verify` (driverkit/verify*);
// `build` comes with its own files and registers itself here the same way.
#include <CLI/CLI.hpp>

#include <iostream>

#include "driverkit/verify.h"
#include "driverkit/verify_command.h"

int main(int argc, char** argv) {
  CLI::App app("kestrel-driverkit: build the kestrel kernel module for a kernel, prove it in a VM");
  app.require_subcommand(1);
  kestrel::driverkit::VerifyCommand verify;
  kestrel::driverkit::add_verify_command(app, verify);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kestrel::driverkit::kVerifyUsage;  // usage errors are exit 2, as the collector's
  }
  if (verify.command->parsed()) return kestrel::driverkit::run_verify_command(verify);
  return kestrel::driverkit::kVerifyUsage;
}
