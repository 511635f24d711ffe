#include "driverkit/crawler_cli.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "driverkit/cli.h"
#include "driverkit/crawl_input.h"
#include "driverkit/kernel_crawl.h"
#include "driverkit/kernel_list.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;

struct CrawlOptions {
  std::string distro;
  std::string arch = "x86_64";
  std::vector<std::string> mirrors;
  std::vector<std::string> suites = {"bookworm", "bookworm-updates", "bookworm-security"};
  std::string apt_lists;
  std::string output;
  std::string diff;
  SignaturePolicy signatures;
  bool no_signature_check = false;
};

void print_summary(const KernelCrawl& crawl, size_t indexes, std::ostream& err) {
  std::map<std::string, int> per_flavour;
  for (const auto& k : crawl.kernels) per_flavour[k.flavour]++;
  std::ostringstream line;
  line << "kestrel-crawler: " << crawl.kernels.size() << " kernels in " << per_flavour.size() << " flavours";
  bool first = true;
  for (const auto& [f, n] : per_flavour) {
    line << (first ? " (" : ", ") << f << " " << n;
    first = false;
  }
  line << (first ? "" : ")") << " from " << indexes << " indexes; " << crawl.skipped.size() << " skipped";
  err << line.str() << "\n";
  for (const auto& s : crawl.skipped) err << "  skipped " << s.kernelrelease << ": " << s.reason << "\n";
}

// A regular file is replaced whole (written beside it, then renamed), so a
// reader never sees half a list; anything else (/dev/stdout, a pipe) is
// written in place: renaming over a device would replace the device.
Status write_output(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  bool replace = ec || !fs::exists(st) || fs::is_regular_file(st);
  std::string target = replace ? path + ".partial" : path;
  std::ofstream f(target, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Status(StatusCode::kUnavailable, "cannot write " + target);
  if (replace && std::rename(target.c_str(), path.c_str()) != 0)
    return Status(StatusCode::kUnavailable, "cannot rename " + target + " to " + path + ": " + std::strerror(errno));
  return ok_status();
}

}  // namespace

int run_crawler(int argc, const char* const* argv, std::ostream& out, std::ostream& err, bool progress_on_terminal) {
  CLI::App app{"kestrel-crawler — lists every kernel a distro ships, with its header packages' URLs"};
  app.require_subcommand(1);
  CrawlOptions o;
  CLI::App* crawl = app.add_subcommand("crawl", "crawl a distro's archive into a kernel list (kernel-crawler's JSON)");
  crawl->add_option("--distro", o.distro, "the distro to crawl (supported: debian)")->required();
  crawl->add_option("--arch", o.arch, "x86_64 | aarch64 (default x86_64)");
  crawl->add_option("--mirror", o.mirrors, "archive root URL (http, https, file), repeatable");
  crawl->add_option("--suite", o.suites, "suite under the mirror's dists/, repeatable (default bookworm, "
                                         "bookworm-updates, bookworm-security)");
  crawl->add_option("--apt-lists", o.apt_lists, "apt's lists directory (default /var/lib/apt/lists when no --mirror)");
  crawl->add_option("--output", o.output, "where the kernel list goes (default stdout)");
  crawl->add_option("--diff", o.diff, "a previous kernel list: print the kernels added and removed");
  crawl->add_option("--keyring", o.signatures.keyrings,
                    "OpenPGP keyring the Release files must be signed with, repeatable (default " +
                        std::string(kDebianArchiveKeyring) + ")");
  crawl->add_flag("--no-signature-check", o.no_signature_check,
                  "read Release files without checking their signature (a mirror you trust by other means)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "kestrel-crawler: " << e.what() << "\n";
    if (e.get_exit_code() != 0) err << "run `kestrel-crawler --help` for usage\n";
    return e.get_exit_code() == 0 ? kExitOk : kExitUsage;
  }
  if (o.distro != "debian") {
    err << "kestrel-crawler: unknown distro \"" << o.distro << "\": only debian is supported\n";
    return kExitUsage;
  }
  std::string deb_arch = debian_architecture(o.arch);
  if (deb_arch.empty() || (o.arch != "x86_64" && o.arch != "aarch64")) {
    err << "kestrel-crawler: unknown --arch \"" << o.arch << "\": x86_64 or aarch64\n";
    return kExitUsage;
  }
  if (crawl->count("--suite") > 0 && o.mirrors.empty()) {
    err << "kestrel-crawler: --suite names a mirror's dists/ directory: give --mirror (apt's lists name their suites)\n";
    return kExitUsage;
  }
  // The old list is read before crawling: a bad --diff is a usage error, found early.
  std::vector<KernelEntry> old_list;
  if (!o.diff.empty()) {
    auto list = read_kernel_list(o.diff);
    if (!list.ok()) {
      err << "kestrel-crawler: --diff: " << list.status().to_string() << "\n";
      return kExitUsage;
    }
    old_list = std::move(*list);
  }

  if (o.no_signature_check && !o.signatures.keyrings.empty()) {
    err << "kestrel-crawler: --keyring and --no-signature-check contradict each other\n";
    return kExitUsage;
  }
  o.signatures.check = !o.no_signature_check;
  Progress progress(err, progress_on_terminal);
  if (!o.signatures.check) progress.note("warning: --no-signature-check: Release signatures are not checked");
  CrawlInput input;
  if (!o.mirrors.empty()) input = read_mirrors(o.mirrors, o.suites, deb_arch, o.signatures, progress);
  if (o.mirrors.empty() || !o.apt_lists.empty()) {
    CrawlInput apt = read_apt_lists(o.apt_lists.empty() ? "/var/lib/apt/lists" : o.apt_lists, deb_arch,
                                    o.signatures, progress);
    for (auto& i : apt.indexes) input.indexes.push_back(std::move(i));
    for (auto& p : apt.problems) input.problems.push_back(std::move(p));
  }
  if (input.indexes.empty()) {
    err << "kestrel-crawler: no " << deb_arch << " Packages index could be read";
    for (const auto& p : input.problems) err << "\n  " << p;
    err << "\n";
    return kExitFailure;
  }
  KernelCrawl kernels = find_kernels(input.indexes, deb_arch);
  for (const auto& p : kernels.problems) input.problems.push_back(p);

  std::vector<KernelEntry> entries;
  for (const auto& k : kernels.kernels) entries.push_back({"debian", k.kernelrelease, "1", "debian", k.headers, ""});
  std::string json = write_kernel_list(entries);
  if (!o.output.empty()) {
    if (Status s = write_output(o.output, json); !s.ok()) {
      err << "kestrel-crawler: " << s.to_string() << "\n";
      return kExitFailure;
    }
  } else if (o.diff.empty()) {
    out << json;
  }
  if (!input.problems.empty()) {
    err << "kestrel-crawler: " << input.problems.size() << " problems (each skipped):\n";
    for (const auto& p : input.problems) err << "  " << p << "\n";
  }
  print_summary(kernels, input.indexes.size(), err);
  if (!o.diff.empty()) print_kernel_list_diff(diff_kernel_lists(old_list, entries), out);
  return kExitOk;
}

}  // namespace kestrel::driverkit
