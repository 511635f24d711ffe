#include "driverkit/cli.h"

#include <CLI/CLI.hpp>

#include "driverkit/build.h"
#include "driverkit/config.h"
#include "driverkit/target.h"
#include "driverkit/verify_command.h"

namespace kestrel::driverkit {

namespace {

// Flags as given on the command line; applied over the config file's keys.
struct Flags {
  std::string config_file;
  BuildConfig values;
};

void override_if_given(CLI::App& cmd, const char* flag, const std::string& value, std::string& field) {
  if (cmd.count(flag) > 0) field = value;
}

}  // namespace

ParsedCommand parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  ParsedCommand result;
  CLI::App app{"kestrel-driverkit — builds the Kestrel kernel module for a given kernel"};
  app.require_subcommand(1);
  Flags f;
  BuildConfig& v = f.values;
  CLI::App* build = app.add_subcommand("build", "build kestrel.ko for one kernel");
  build->add_option("-c,--config", f.config_file, "YAML config file (driverkit keys); flags override it");
  build->add_option("--target", v.target, "debian | vanilla");
  build->add_option("--kernelrelease", v.kernelrelease, "kernel release (uname -r), e.g. 6.1.0-57-amd64");
  build->add_option("--kernelversion", v.kernelversion, "kernel build number; names the artifact (default 1)");
  build->add_option("--architecture", v.architecture, "amd64 | arm64 (default: from the kernel release or the host)");
  build->add_option("--output-module", v.output_module, "where the .ko goes (file, or directory for the standard name)");
  build->add_option("--kernelurls", v.kernelurls, "URLs of the header .debs (repeatable, or comma-separated)")
      ->delimiter(',');
  build->add_option("--kernelconfigdata", v.kernelconfigdata, "base64 kernel config (not supported by these targets)");
  build->add_option("--gccversion", v.gccversion, "GCC major version to build with (default: the kernel's)");
  build->add_option("--moduledevicename", v.moduledevicename, "device name of the module (kestrel)");
  build->add_option("--deb-dir", v.deb_dir, "a local directory of header .debs");
  build->add_option("--cache", v.cache_dir, "private per-kernel cache (default $XDG_CACHE_HOME/kestrel-driverkit)");
  build->add_option("--kernel-dir", v.kernel_dir, "vanilla: a prepared kernel tree or headers dir");
  build->add_option("--signing-key", v.signing_key, "PEM private key to sign the module with (the kernel's CONFIG_MODULE_SIG_HASH)");
  build->add_option("--signing-cert", v.signing_cert, "X.509 certificate (DER or PEM) of the signing key");
  build->add_option("--source-root", v.source_root, "Kestrel source tree holding kmod/module (default: built-in)");
  CLI::App* targets = app.add_subcommand("targets", "list the known targets");
  VerifyCommand verify;
  add_verify_command(app, verify);
  MatrixCommand matrix;
  add_matrix_command(app, matrix);
  IndexCommand index;
  add_index_command(app, index);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    result.exit_code = kExitOk;
    return result;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    result.exit_code = kExitOk;
    return result;
  } catch (const CLI::ParseError& e) {
    err << "kestrel-driverkit: " << e.what() << "\n";
    if (e.get_exit_code() != 0) err << "run `kestrel-driverkit --help` for usage\n";
    result.exit_code = e.get_exit_code() == 0 ? kExitOk : kExitUsage;
    return result;
  }

  if (targets->parsed()) {
    result.list_targets = true;
    return result;
  }
  if (verify.command->parsed()) {
    result.verify = verify.options;
    return result;
  }
  if (matrix.command->parsed()) {
    result.matrix = matrix.options;
    return result;
  }
  if (index.command->parsed()) {
    index.run_merge = index.merge->parsed();
    index.command = index.merge = index.lookup = nullptr;
    result.index = index;
    return result;
  }

  BuildConfig& config = result.config;
  if (!f.config_file.empty()) {
    if (Status s = load_config_file(f.config_file, config); !s.ok()) {
      err << "kestrel-driverkit: " << s.to_string() << "\n";
      result.exit_code = kExitUsage;
      return result;
    }
  }
  override_if_given(*build, "--target", v.target, config.target);
  override_if_given(*build, "--kernelrelease", v.kernelrelease, config.kernelrelease);
  override_if_given(*build, "--kernelversion", v.kernelversion, config.kernelversion);
  override_if_given(*build, "--architecture", v.architecture, config.architecture);
  override_if_given(*build, "--output-module", v.output_module, config.output_module);
  override_if_given(*build, "--kernelconfigdata", v.kernelconfigdata, config.kernelconfigdata);
  override_if_given(*build, "--gccversion", v.gccversion, config.gccversion);
  override_if_given(*build, "--moduledevicename", v.moduledevicename, config.moduledevicename);
  override_if_given(*build, "--deb-dir", v.deb_dir, config.deb_dir);
  override_if_given(*build, "--cache", v.cache_dir, config.cache_dir);
  override_if_given(*build, "--kernel-dir", v.kernel_dir, config.kernel_dir);
  override_if_given(*build, "--signing-key", v.signing_key, config.signing_key);
  override_if_given(*build, "--signing-cert", v.signing_cert, config.signing_cert);
  override_if_given(*build, "--source-root", v.source_root, config.source_root);
  if (build->count("--kernelurls") > 0) config.kernelurls = v.kernelurls;
  return result;
}

int run_driverkit(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  bool progress_on_terminal) {
  ParsedCommand command = parse_command_line(argc, argv, out, err);
  if (command.exit_code >= 0) return command.exit_code;
  if (command.list_targets) {
    for (const auto& t : known_targets()) out << t << "\n";
    return kExitOk;
  }
  if (command.verify) return run_verify(*command.verify, err);
  if (command.matrix) return run_matrix(*command.matrix, out, err, progress_on_terminal);
  if (command.index) return run_index_command(*command.index, out, err);
  const BuildConfig& config = command.config;

  // Usage errors are told apart from build failures by exit code.
  if (Status s = validate_config(config); !s.ok()) {
    err << "kestrel-driverkit: " << s.to_string() << "\n";
    return kExitUsage;
  }
  if (auto t = make_target(config.target); !t.ok()) {
    err << "kestrel-driverkit: " << t.status().to_string() << "\n";
    return kExitUsage;
  }

  Progress progress(err, progress_on_terminal);
  auto outcome = run_build(config, progress);
  if (!outcome.ok()) {
    err << "\nkestrel-driverkit: " << outcome.status().to_string() << "\n";
    return outcome.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  out << outcome->artifact_path << "\n";
  return kExitOk;
}

}  // namespace kestrel::driverkit
