#include "driverkit/verify_command.h"

#include <iostream>

namespace kestrel::driverkit {

VerifyOptions default_verify_options() {
  VerifyOptions o;
  o.kestrel = KESTREL_BINARY;
  o.module_loader = MODULE_LOADER_BINARY;
  o.cache_dir = VM_CACHE_DIR;
  o.scripts_dir = std::string(KESTREL_SOURCE_DIR) + "/scripts/vm";
  o.scenario = std::string(KESTREL_SOURCE_DIR) + "/driverkit/verify_scenario.sh";
  return o;
}

void add_verify_command(CLI::App& app, VerifyCommand& cmd) {
  VerifyOptions& o = cmd.options;
  o = default_verify_options();
  CLI::App* v = app.add_subcommand(
      "verify",
      "Boot a kernel in qemu (TCG) with the module, the kestrel collector and a workload; record pass/fail in the "
      "artifact's manifest under \"verify\". Exit 0 pass, 1 fail, 2 usage error.");
  v->add_option("artifact", o.artifact, "the module (.ko); its manifest is the same path with .json")
      ->required();
  v->add_option("--kernel-image", o.kernel_image,
                "a bzImage (vmlinuz; modules/ beside it or /lib/modules/<release>) or a Debian kernel release "
                "(6.1.0-57-amd64, fetched with scripts/vm/fetch-kernel.sh)")
      ->required();
  v->add_option("--kestrel", o.kestrel, "the collector binary run in the VM")->capture_default_str();
  v->add_option("--manifest", o.manifest, "the manifest to read and update (default: ARTIFACT with .json)");
  v->add_option("--timeout", o.timeout_s, "seconds before the VM is killed")
      ->check(CLI::Range(30, 7200))
      ->capture_default_str();
  v->add_option("--append", o.append,
                "extra kernel command line for the VM, e.g. module.sig_enforce=1 to prove a signed module");
  v->add_option("--cache", o.cache_dir, "where fetched kernels are kept")->capture_default_str();
  v->add_option("--work-dir", o.work_dir, "console log, initramfs, captures (default: ARTIFACT with .verify/)");
  cmd.command = v;
}

int run_verify_command(const VerifyCommand& cmd) { return run_verify(cmd.options, std::cerr); }

}  // namespace kestrel::driverkit
