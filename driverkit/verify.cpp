#include "driverkit/verify.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "driverkit/kernel_facts.h"
#include "driverkit/sha256.h"
#include "driverkit/vm_console.h"
#include "sources/capture/kcap_reader.h"
#include "sources/event/event_table.h"

namespace kestrel::driverkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // the manifest keeps build's key order
using Clock = std::chrono::steady_clock;

class Progress {
 public:
  explicit Progress(std::ostream& out) : out_(out), start_(Clock::now()) {}
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void line(const std::string& message) {
    out_ << "verify: [" << std::fixed << std::setprecision(1) << seconds() << "s] " << message << std::endl;
  }
  void error(const std::string& message) { out_ << "verify: error: " << message << std::endl; }

 private:
  std::ostream& out_;
  Clock::time_point start_;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `cmd` with /bin/sh; returns its exit code and stdout (stderr goes
// where the command sends it).
std::pair<int, std::string> run_shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<json> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Status(StatusCode::kNotFound, "no manifest " + path +
                                             " (verify needs the manifest `kestrel-driverkit build` writes beside "
                                             "the artifact; --manifest PATH names another)");
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status(StatusCode::kCorrupt, path + " is not a JSON object");
  if (!j.contains("schema") || !j["schema"].is_string() ||
      !j["schema"].get<std::string>().starts_with("kestrel-driverkit-manifest/"))
    return Status(StatusCode::kCorrupt, path + " is not a kestrel-driverkit manifest (no \"schema\": "
                                               "\"kestrel-driverkit-manifest/N\")");
  return j;
}

Status write_manifest(const std::string& path, const json& manifest) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << manifest.dump(2) << "\n";
    if (!out) return Status(StatusCode::kPermissionDenied, "cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status(StatusCode::kPermissionDenied, "cannot replace " + path + ": " + ec.message());
  return ok_status();
}

// A kernel ready to boot: a directory with `vmlinuz` and `modules/`
// (fetch-kernel.sh's layout) and the image's release.
struct BootKernel {
  std::string dir;
  std::string release;
};

Result<BootKernel> resolve_kernel(const VerifyOptions& o, const std::string& work_dir, Progress& progress) {
  std::error_code ec;
  if (fs::is_regular_file(o.kernel_image, ec)) {
    auto release = bzimage_release(o.kernel_image);
    if (!release.ok()) return release.status();
    const fs::path image = fs::absolute(o.kernel_image);
    fs::path modules = image.parent_path() / "modules";
    if (!fs::is_directory(modules / "kernel")) modules = fs::path("/lib/modules") / *release;
    if (!fs::is_directory(modules / "kernel"))
      return Status(StatusCode::kNotFound, "no module tree for " + *release + ": looked for " +
                                               (image.parent_path() / "modules").string() + " and " +
                                               modules.string() + " (the workload loads one of its modules)");
    // boot.sh and make-initramfs.sh take one directory with both.
    const fs::path dir = fs::path(work_dir) / "kernel";
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    fs::create_symlink(image, dir / "vmlinuz");
    fs::create_symlink(fs::absolute(modules), dir / "modules");
    return BootKernel{dir.string(), *release};
  }
  if (o.kernel_image.find('/') != std::string::npos)
    return Status(StatusCode::kNotFound, "no kernel image " + o.kernel_image);
  progress.line("fetching Debian kernel " + o.kernel_image + " (scripts/vm/fetch-kernel.sh, cached in " +
                o.cache_dir + ")");
  auto [code, dir] = run_shell(quote(o.scripts_dir + "/fetch-kernel.sh") + " --cache " + quote(o.cache_dir) +
                               " --kernel " + quote(o.kernel_image) + " 2>" + quote(work_dir + "/fetch.log"));
  if (code != 0)
    return Status(StatusCode::kNotFound, "cannot fetch linux-image-" + o.kernel_image + " (is it a Debian kernel "
                                         "release apt knows?):\n" + read_text(work_dir + "/fetch.log"));
  auto release = bzimage_release(dir + "/vmlinuz");
  if (!release.ok()) return release.status();
  return BootKernel{dir, *release};
}

// A small module of the booted kernel with no dependencies, for the
// module-load workload: its path below modules/kernel (as make-initramfs
// takes it) and its name (as rmmod takes it).
struct WorkloadModule {
  std::string rel;
  std::string name;
};

std::optional<WorkloadModule> workload_module(const std::string& kernel_dir) {
  // Leaf modules present in every Debian flavour (cloud included).
  for (const char* rel : {"lib/crc7", "lib/crc-itu-t", "lib/ts_kmp", "lib/ts_bm", "lib/crc8"})
    for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
      if (fs::exists(kernel_dir + "/modules/kernel/" + rel + ext))
        return WorkloadModule{std::string(rel) + ".ko", fs::path(rel).filename().string()};
  return std::nullopt;
}

// Boots; prints the scenario's progress markers as they reach the
// console. Returns boot.sh's exit code (124: timed out).
int boot_vm(const VerifyOptions& o, const std::string& kdir, const std::string& initrd, const std::string& log,
            Progress& progress) {
  const std::string cmd = quote(o.scripts_dir + "/boot.sh") + " --kernel-dir " + quote(kdir) + " --initrd " +
                          quote(initrd) + " --log " + quote(log) + " --timeout " + std::to_string(o.timeout_s) +
                          " --append " + quote(o.append) + " </dev/null >/dev/null 2>" + quote(log + ".boot-err");
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  size_t shown = 0;
  auto show_new_markers = [&] {
    std::string text = read_text(log);
    size_t end = text.rfind('\n');
    if (end == std::string::npos || end + 1 <= shown) return;
    for (const auto& line : console_lines(text.substr(shown, end + 1 - shown)))
      if (line.starts_with("KESTREL-VM: ") && !line.starts_with("KESTREL-VM: BEGIN") &&
          !line.starts_with("KESTREL-VM: END"))
        progress.line("vm: " + line.substr(12));
    shown = end + 1;
  };
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    show_new_markers();
    poll(nullptr, 0, 500);
  }
  show_new_markers();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What one collector run (kmod or ebpf) showed.
struct RunFacts {
  bool capturing = false;
  std::map<std::string, uint64_t> events_per_type;
  std::set<std::string> rules_fired;
};

RunFacts read_run(const std::vector<std::string>& lines, const std::string& name, const std::string& work_dir,
                  std::vector<std::string>& reasons) {
  RunFacts facts;
  auto fail = [&](const std::string& why) { reasons.push_back(name + ": " + why); };
  if (!console_marker(lines, "CAPTURING " + name)) {
    std::string err;
    if (auto e = console_section(lines, name + ".err"))
      for (const auto& l : *e) err += "\n  " + l;
    fail("the collector (engine.kind=" + name + ") did not start capturing" + err);
    return facts;
  }
  facts.capturing = true;
  if (!console_marker(lines, "COLLECTOR EXIT " + name + " 0 ")) fail("the collector did not exit 0 on SIGTERM");
  if (auto alerts = console_section(lines, name + ".alerts"))
    for (const auto& l : *alerts) {
      json a = json::parse(l, nullptr, false);
      if (!a.is_discarded() && a.is_object() && a.contains("rule") && a["rule"].is_string())
        facts.rules_fired.insert(a["rule"].get<std::string>());
    }
  for (auto rule : kRequiredRules)
    if (!facts.rules_fired.contains(std::string(rule))) fail("rule \"" + std::string(rule) + "\" did not fire");

  auto b64 = console_section(lines, name + ".kcap.gz.b64");
  if (!b64) {
    fail("no capture on the console");
    return facts;
  }
  const std::string path = work_dir + "/" + name + ".kcap.gz";
  {
    std::vector<uint8_t> bytes = base64_decode(*b64);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  kcap::KcapReader reader;
  if (Status st = reader.open(path); !st.ok()) {
    fail("capture unreadable: " + st.to_string());
    return facts;
  }
  std::vector<EventView> views;
  for (;;) {
    auto r = reader.next_batch(views);
    if (!r.ok()) {
      fail("capture unreadable: " + r.status().to_string());
      break;
    }
    if (*r == kcap::BatchOutcome::kEnd) break;
    for (const EventView& v : views) ++facts.events_per_type[std::string(v.info().name)];
  }
  for (auto group : kRequiredEventTypes) {
    bool seen = false;
    std::string g(group);
    for (size_t at = 0; at <= g.size();) {
      size_t bar = g.find('|', at);
      if (bar == std::string::npos) bar = g.size();
      seen = seen || facts.events_per_type.contains(g.substr(at, bar - at));
      at = bar + 1;
    }
    if (!seen) fail("no " + g + " event captured");
  }
  return facts;
}

json rules_json(const std::set<std::string>& rules) { return json(std::vector<std::string>(rules.begin(), rules.end())); }

// The image: everything the scenario uses. make-initramfs stores --module
// as /modules/<name>.ko (decompressed); the scenario reads <name> from
// /etc/kestrel-verify/workload-module.
Status pack_initramfs(const VerifyOptions& o, const std::string& artifact, const std::string& kernel_dir,
                      const WorkloadModule& workload, const std::string& work_dir, const std::string& initrd) {
  const std::string workload_name = work_dir + "/workload-module";
  std::ofstream(workload_name) << workload.name << "\n";
  const std::string pack =
      quote(o.scripts_dir + "/make-initramfs.sh") + " --out " + quote(initrd) + " --kernel-dir " + quote(kernel_dir) +
      " --scenario " + quote(o.scenario) + " --binary " + quote(o.kestrel) + " --binary " + quote(o.module_loader) +
      " --file " + quote(artifact + ":/kestrel.ko") + " --file " +
      quote(workload_name + ":/etc/kestrel-verify/workload-module") + " --module " + quote(workload.rel) + " 2>" +
      quote(work_dir + "/initramfs.log");
  if (run_shell(pack).first != 0)
    return Status(StatusCode::kInternal, "make-initramfs.sh failed:\n" + read_text(work_dir + "/initramfs.log"));
  return ok_status();
}

// Reads the verdict's facts off the console of a VM that reached /init:
// the release it ran, insmod, both collector runs, rmmod, kernel splats.
void judge_console(const std::vector<std::string>& lines, const std::string& release, const std::string& work_dir,
                   json& verdict, std::vector<std::string>& reasons) {
  if (auto facts = console_section(lines, "facts"))
    for (const auto& l : *facts)
      if (l.starts_with("uname=")) verdict["kernel"] = l.substr(6);
  if (verdict["kernel"] != release)
    reasons.push_back("the VM runs " + verdict["kernel"].get<std::string>() + ", not " + release);

  const bool loaded = console_marker(lines, "INSMOD 0 ").has_value();
  verdict["loaded"] = loaded;
  if (!loaded) {
    std::string err;
    if (auto e = console_section(lines, "insmod.err"))
      for (const auto& l : *e) err += " " + l;
    reasons.push_back("insmod failed:" + err);
  } else {
    RunFacts kmod = read_run(lines, "kmod", work_dir, reasons);
    verdict["events_per_type"] = kmod.events_per_type;
    verdict["default_rules_fired"] = rules_json(kmod.rules_fired);
    if (!console_marker(lines, "RMMOD 0 ")) reasons.push_back("rmmod kestrel failed");
  }
  RunFacts ebpf = read_run(lines, "ebpf", work_dir, reasons);
  verdict["ebpf"] = {{"loaded", ebpf.capturing},
                     {"events_per_type", ebpf.events_per_type},
                     {"default_rules_fired", rules_json(ebpf.rules_fired)}};

  // The kernel's complaints: the console (loglevel<3 only) and dmesg. The
  // scenario's own sections are left out: collector output and base64
  // captures could spell "Oops" by chance.
  std::vector<std::string> kernel_lines;
  bool in_section = false;
  for (const auto& l : lines) {
    if (l.starts_with("KESTREL-VM: BEGIN ")) in_section = l != "KESTREL-VM: BEGIN dmesg";
    else if (l.starts_with("KESTREL-VM: END ")) in_section = false;
    else if (!in_section) kernel_lines.push_back(l);
  }
  std::vector<std::string> splats = kernel_splats(kernel_lines);
  verdict["oops"] = !splats.empty();
  for (size_t i = 0; i < splats.size() && i < 5; ++i) reasons.push_back("kernel splat: " + splats[i]);
}

}  // namespace

int run_verify(const VerifyOptions& o, std::ostream& out) {
  Progress progress(out);
  std::error_code ec;
  if (!fs::is_regular_file(o.artifact, ec)) {
    progress.error("no artifact " + o.artifact);
    return kVerifyUsage;
  }
  const fs::path artifact = fs::absolute(o.artifact);
  const std::string manifest_path =
      o.manifest.empty() ? fs::path(artifact).replace_extension(".json").string() : o.manifest;
  auto manifest = read_manifest(manifest_path);
  if (!manifest.ok()) {
    progress.error(manifest.status().to_string());
    return kVerifyUsage;
  }
  for (const auto& [what, path] : {std::pair{"--kestrel", o.kestrel}, std::pair{"module_loader", o.module_loader},
                                   std::pair{"scenario", o.scenario}})
    if (!fs::is_regular_file(path, ec)) {
      progress.error(std::string("no ") + what + " " + path);
      return kVerifyUsage;
    }
  const std::string work_dir =
      o.work_dir.empty() ? fs::path(artifact).replace_extension(".verify").string() : o.work_dir;
  fs::create_directories(work_dir, ec);
  if (ec) {
    progress.error("cannot create " + work_dir + ": " + ec.message());
    return kVerifyUsage;
  }

  std::vector<std::string> reasons;
  json verdict = {{"status", "fail"}, {"kernel", ""}, {"date", utc_now()}, {"loaded", false},
                  {"events_per_type", json::object()}, {"default_rules_fired", json::array()}, {"oops", false},
                  {"ebpf", {{"loaded", false}, {"events_per_type", json::object()},
                            {"default_rules_fired", json::array()}}}};
  auto finish = [&](double vm_seconds) {
    verdict["status"] = reasons.empty() ? "pass" : "fail";
    verdict["reasons"] = reasons;
    if (vm_seconds >= 0) verdict["vm_seconds"] = std::round(vm_seconds * 10) / 10;
    (*manifest)["verify"] = verdict;
    if (Status st = write_manifest(manifest_path, *manifest); !st.ok()) {
      progress.error(st.to_string());
      return kVerifyUsage;
    }
    for (const auto& r : reasons) progress.line("FAIL: " + r);
    progress.line(std::string(reasons.empty() ? "PASS" : "FAIL") + " " + artifact.filename().string() + " on " +
                  verdict["kernel"].get<std::string>() + " (verdict in " + manifest_path + ")");
    return reasons.empty() ? kVerifyPass : kVerifyFail;
  };

  // The manifest must describe this file, or its verdict would be about
  // another build.
  auto sha = sha256_file(artifact);
  if (!sha.ok()) {
    progress.error(sha.status().to_string());
    return kVerifyUsage;
  }
  if (manifest->contains("sha256") && (*manifest)["sha256"] != *sha)
    reasons.push_back("the manifest's sha256 " + (*manifest)["sha256"].dump() + " is not the artifact's (" + *sha +
                      "): the manifest belongs to another build");

  auto vermagic = module_vermagic(artifact);
  if (!vermagic.ok()) {
    progress.error(vermagic.status().to_string());
    return kVerifyUsage;
  }
  auto kernel = resolve_kernel(o, work_dir, progress);
  if (!kernel.ok()) {
    progress.error(kernel.status().to_string());
    return kVerifyUsage;
  }
  verdict["kernel"] = kernel->release;
  const std::string module_release = vermagic_release(*vermagic);
  progress.line("artifact " + artifact.string() + ": vermagic \"" + *vermagic + "\"; kernel image release " +
                kernel->release);
  if (module_release != kernel->release) {
    reasons.push_back("vermagic mismatch: the module was built for " + module_release + ", the kernel is " +
                      kernel->release + " (the kernel would refuse it: insmod \"Invalid module format\"); no VM booted");
    return finish(-1);
  }
  auto workload = workload_module(kernel->dir);
  if (!workload) {
    progress.error("no small module (lib/crc7, lib/crc-itu-t, lib/ts_kmp, ...) below " + kernel->dir +
                   "/modules/kernel for the module-load workload");
    return kVerifyUsage;
  }

  const std::string initrd = work_dir + "/initrd.gz", log = work_dir + "/console.log";
  progress.line("packing the initramfs (kestrel " + o.kestrel + ", workload module " + workload->rel + ")");
  if (Status st = pack_initramfs(o, artifact.string(), kernel->dir, *workload, work_dir, initrd); !st.ok()) {
    progress.error(st.to_string());
    return kVerifyUsage;
  }
  progress.line("booting " + kernel->release + (o.append.empty() ? "" : " (" + o.append + ")") +
                " in qemu (TCG), timeout " + std::to_string(o.timeout_s) +
                "s; console in " + log);
  const double vm_start = progress.seconds();
  const int rc = boot_vm(o, kernel->dir, initrd, log, progress);
  const double vm_seconds = progress.seconds() - vm_start;
  progress.line("VM finished in " + std::to_string(static_cast<int>(vm_seconds)) + "s (boot.sh exit " +
                std::to_string(rc) + ")");
  verdict["console_log"] = log;
  if (!o.append.empty()) verdict["append"] = o.append;

  const auto lines = console_lines(read_text(log));
  if (rc == 124) reasons.push_back("the VM timed out after " + std::to_string(o.timeout_s) + "s");
  else if (rc != 0) reasons.push_back("qemu exited " + std::to_string(rc) + ": " + read_text(log + ".boot-err"));
  if (!console_marker(lines, "READY")) {
    reasons.push_back("the kernel did not reach /init (see " + log + ")");
    return finish(vm_seconds);
  }
  judge_console(lines, kernel->release, work_dir, verdict, reasons);
  if (!console_marker(lines, "SCENARIO EXIT")) reasons.push_back("the scenario did not finish (see " + log + ")");
  return finish(vm_seconds);
}

}  // namespace kestrel::driverkit
