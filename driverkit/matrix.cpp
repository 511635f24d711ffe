#include "driverkit/matrix.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <streambuf>
#include <thread>

#include "driverkit/build.h"
#include "driverkit/driver_index.h"
#include "driverkit/kernel_list.h"
#include "driverkit/manifest.h"
#include "driverkit/progress.h"
#include "driverkit/subprocess.h"
#include "driverkit/target.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// A kernel's log: every byte to its file, every whole line to a callback
// (the bar shows the latest).
class LogSink : public std::streambuf {
 public:
  LogSink(const std::string& path, std::function<void(const std::string&)> on_line)
      : file_(path, std::ios::trunc), on_line_(std::move(on_line)) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    file_.put(static_cast<char>(c));
    if (c == '\n') {
      file_.flush();
      if (!line_.empty()) on_line_(line_);
      line_.clear();
    } else {
      line_ += static_cast<char>(c);
    }
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) overflow(static_cast<unsigned char>(s[i]));
    return n;
  }

 private:
  std::ofstream file_;
  std::function<void(const std::string&)> on_line_;
  std::string line_;
};

Result<json> read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "no " + path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status(StatusCode::kCorrupt, path + " is not a JSON object");
  return j;
}

// Why the artifact in the output dir cannot be reused, or "" when it can:
// it is this kernel's, its manifest describes it and it came from the
// entry's headers.
std::string reuse_blocker(const KernelEntry& e, const std::string& artifact, const json& manifest) {
  std::error_code ec;
  if (!fs::is_regular_file(artifact, ec)) return "no artifact";
  auto sum = sha256_file(artifact);
  if (!sum.ok()) return sum.status().message();
  if (manifest.value("sha256", "") != *sum) return "the manifest's sha256 is not the artifact's";
  if (manifest.value("kernelrelease", "") != e.kernelrelease) return "the manifest is for another kernel";
  std::set<std::string> headers(e.headers.begin(), e.headers.end());
  if (!manifest.contains("inputs") || !manifest["inputs"].is_array() || manifest["inputs"].empty())
    return "the manifest lists no inputs";
  for (const auto& in : manifest["inputs"])
    if (!headers.contains(in.value("origin", ""))) return "built from other headers (" + in.value("origin", "") + ")";
  return "";
}

// The manifest's verify verdict as the index keeps it: nothing that
// depends on when or where it ran (no date; the console log relative to
// the index).
json index_verify(const json& verdict, const std::string& output_dir) {
  if (!verdict.is_object()) return nullptr;
  json v = verdict;
  v.erase("date");
  if (v.contains("console_log") && v["console_log"].is_string()) {
    fs::path log(v["console_log"].get<std::string>());
    if (log.is_absolute())
      v["console_log"] = log.lexically_normal().lexically_relative(fs::absolute(output_dir).lexically_normal()).string();
  }
  return v;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

struct Outcome {
  IndexRow row;
  std::string how;        // built | skipped (built) | failed
  double seconds = 0;     // this run's wall clock for the kernel
  std::string verify_note;
};

class Matrix {
 public:
  Matrix(const MatrixOptions& o, std::vector<KernelEntry> entries, MatrixProgress& bar, std::string index_path)
      : o_(o), entries_(std::move(entries)), bar_(bar), index_path_(std::move(index_path)),
        outcomes_(entries_.size()), finished_(entries_.size(), false), host_arch_(host_architecture()) {}

  void run() {
    const int workers = std::max(1, std::min<int>(o_.jobs, static_cast<int>(entries_.size())));
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back([this] {
        for (size_t i = next_++; i < entries_.size(); i = next_++) {
          Outcome out = run_one(entries_[i]);
          std::lock_guard<std::mutex> lock(mu_);
          outcomes_[i] = std::move(out);
          finished_[i] = true;
          write_partial_index_locked();
        }
      });
    for (auto& t : threads) t.join();
  }

  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  const Status& index_status() const { return index_status_; }

 private:
  void write_partial_index_locked() {
    DriverIndex index;
    for (size_t i = 0; i < outcomes_.size(); ++i)
      if (finished_[i]) index.kernels.push_back(outcomes_[i].row);
    index_status_ = write_index(std::move(index), index_path_);
  }

  // The kernel's architecture as its target tells it from the release
  // (the same rule `build` applies); "" when the target cannot tell.
  std::string kernel_architecture(const KernelEntry& e) const {
    auto target = make_target(e.target);
    if (!target.ok()) return "";
    BuildConfig c;
    c.target = e.target;
    c.kernelrelease = e.kernelrelease;
    auto arch = (*target)->architecture(c, host_arch_);
    return arch.ok() ? *arch : "";
  }

  int make_jobs() const {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return std::max(1, static_cast<int>(cores) / std::max(1, o_.jobs));
  }

  Outcome run_one(const KernelEntry& e) {
    const auto start = std::chrono::steady_clock::now();
    const std::string& name = e.kernelrelease;
    const std::string file = artifact_name(e.target, e.kernelrelease, e.kernelversion);
    const std::string artifact = (fs::path(o_.output_dir) / file).string();
    const std::string manifest_path = manifest_path_for(artifact);
    const std::string log_rel = "logs/" + fs::path(file).replace_extension(".log").string();
    LogSink sink((fs::path(o_.output_dir) / log_rel).string(),
                 [&](const std::string& line) { bar_.activity(name, line); });
    std::ostream log(&sink);

    Outcome out;
    IndexRow& row = out.row;
    row.kernelrelease = e.kernelrelease;
    row.kernelversion = e.kernelversion;
    row.target = e.target;
    row.architecture = kernel_architecture(e);
    row.log = log_rel;
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    auto finish = [&](const std::string& how) {
      out.how = how;
      out.seconds = seconds();
      const bool failed = row.status != IndexStatus::kOk;
      std::string result = std::string(index_status_name(row.status)) + " (" + how + ", " +
                           format_seconds(out.seconds) + " s" + (row.verified ? ", verified" : "") +
                           (out.verify_note.empty() ? "" : ", " + out.verify_note) + ")";
      if (failed) result += ": " + last_lines(row.error, 1) + " [" + log_rel + "]";
      bar_.finished(name, result, failed);
      return out;
    };
    bar_.started(name);

    // 1. Reuse what a previous run built, when it is valid.
    std::string how = "built";
    auto manifest = read_json_file(manifest_path);
    std::string blocker = o_.rebuild ? "--rebuild" : manifest.ok() ? reuse_blocker(e, artifact, *manifest)
                                                                   : manifest.status().message();
    if (blocker.empty() && o_.verify && row.architecture == "amd64") {
      const json& v = (*manifest)["verify"];
      if (!v.is_object() || v.value("status", "") != "pass") blocker = "not verified yet";
    }
    const bool reuse = blocker.empty() || blocker == "not verified yet";
    if (reuse) {
      how = "skipped (built)";
      log << "skipped (built): " << artifact << " is built and valid"
          << (blocker.empty() ? "" : " (" + blocker + ": verify runs)") << "\n";
      bar_.activity(name, "skipped (built)");
    } else {
      // 2. Build, through the same code as `kestrel-driverkit build`.
      log << "building: " << (manifest.ok() ? blocker : "no previous build") << "\n";
      BuildConfig c;
      c.target = e.target;
      c.kernelrelease = e.kernelrelease;
      c.kernelversion = e.kernelversion;
      c.kernelurls = e.headers;
      c.cache_dir = o_.cache_dir;
      c.output_module = artifact;
      c.source_root = o_.source_root;
      c.make_jobs = make_jobs();
      Progress progress(log, /*terminal=*/false);  // its lines reach the bar through the log
      auto built = run_build(c, progress);
      if (!built.ok()) {
        row.status = IndexStatus::kBuildFailed;
        row.error = last_lines(built.status().to_string(), 20);
        log << "build failed: " << built.status().to_string() << "\n";
        return finish("failed");
      }
      manifest = read_json_file(manifest_path);
      if (!manifest.ok()) {
        row.status = IndexStatus::kBuildFailed;
        row.error = manifest.status().message();
        return finish("failed");
      }
    }
    row.artifact = file;
    row.size = manifest->value("size", uint64_t{0});
    row.sha256 = manifest->value("sha256", "");
    row.build_seconds = std::round(manifest->value("build_seconds", 0.0) * 10) / 10;
    row.status = IndexStatus::kOk;

    // 3. Prove it in a VM.
    if (o_.verify && row.architecture != "amd64") {
      out.verify_note = "not verified: the VM is x86_64";
      log << "verify: skipped, " << row.architecture << " kernels do not boot in qemu-system-x86_64 here\n";
    } else if (o_.verify && !((*manifest)["verify"].is_object() &&
                              (*manifest)["verify"].value("status", "") == "pass" && how != "built")) {
      VerifyOptions v = o_.verify_defaults;
      v.artifact = artifact;
      v.kernel_image = e.kernelrelease;
      v.manifest = manifest_path;
      v.work_dir = "";
      bar_.activity(name, "verifying in qemu");
      int rc = run_verify(v, log);
      log.flush();
      manifest = read_json_file(manifest_path);
      const json verdict = manifest.ok() ? (*manifest)["verify"] : json(nullptr);
      if (rc != kVerifyPass) {
        row.status = IndexStatus::kVerifyFailed;
        std::string reasons;
        if (rc == kVerifyFail && verdict.is_object() && verdict.contains("reasons"))
          for (const auto& r : verdict["reasons"]) reasons += r.get<std::string>() + "\n";
        row.error = last_lines(reasons, 20);
        if (reasons.empty()) {
          // No verdict (a usage error: the kernel image cannot be fetched,
          // ...): verify's own error, from the log.
          std::ifstream in((fs::path(o_.output_dir) / log_rel).string());
          std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          size_t at = text.rfind("verify: error: ");
          std::string why = at == std::string::npos ? last_lines(text, 10) : text.substr(at + 15);
          row.error = "verify could not run (exit " + std::to_string(rc) + "): " + why;
          if (size_t cut = row.error.find('\n'); cut != std::string::npos) {
            // At most 20 lines, from the start: the first says what failed.
            size_t n = cut;
            for (int lines = 1; lines < 20 && n != std::string::npos; ++lines) n = row.error.find('\n', n + 1);
            if (n != std::string::npos) row.error.resize(n);
          }
          while (!row.error.empty() && row.error.back() == '\n') row.error.pop_back();
        }
      }
    }
    if (manifest.ok() && (*manifest)["verify"].is_object()) {
      row.verify = index_verify((*manifest)["verify"], o_.output_dir);
      row.verified = row.verify.value("status", "") == "pass";
    }
    return finish(how);
  }

  const MatrixOptions& o_;
  std::vector<KernelEntry> entries_;
  MatrixProgress& bar_;
  std::string index_path_;
  std::atomic<size_t> next_{0};
  std::mutex mu_;
  std::vector<Outcome> outcomes_;
  std::vector<bool> finished_;
  std::string host_arch_;  // the build host's (vanilla kernels are its)
  Status index_status_;
};

void print_table(std::ostream& out, const std::vector<Outcome>& outcomes) {
  size_t width = 6;
  for (const auto& o : outcomes) width = std::max(width, o.row.kernelrelease.size());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s  %-13s  %-15s  %8s  %8s  %s\n", static_cast<int>(width), "kernel", "status",
                "this run", "seconds", "build s", "verified");
  out << buf;
  for (const auto& o : outcomes) {
    const IndexRow& r = o.row;
    std::string verified = r.verified ? "yes" : r.verify.is_object() ? "FAILED" : "no";
    if (r.verify.is_object() && r.verify.contains("vm_seconds"))
      verified += " (VM " + format_seconds(r.verify["vm_seconds"].get<double>()) + " s)";
    std::snprintf(buf, sizeof buf, "%-*s  %-13s  %-15s  %8.1f  %8s  %s\n", static_cast<int>(width),
                  r.kernelrelease.c_str(), index_status_name(r.status), o.how.c_str(), o.seconds,
                  r.status == IndexStatus::kBuildFailed ? "-" : format_seconds(r.build_seconds).c_str(),
                  verified.c_str());
    out << buf;
  }
}

}  // namespace

std::string index_file_name(const std::string& shard) {
  if (shard.empty()) return "index.json";
  auto s = parse_shard(shard);
  if (!s.ok()) return "index.json";
  return "index.shard-" + std::to_string(s->index) + "-of-" + std::to_string(s->count) + ".json";
}

int run_matrix(const MatrixOptions& o, std::ostream& out, std::ostream& err, bool terminal) {
  auto usage = [&](const std::string& message) {
    err << "kestrel-driverkit matrix: " << message << "\n";
    return 2;
  };
  if (o.input.empty()) return usage("--input list.json is required (kestrel-crawler crawl writes it)");
  if (o.output_dir.empty()) return usage("--output-dir DIR is required");
  if (o.jobs < 1) return usage("-j must be at least 1");
  Shard shard;
  if (!o.shard.empty()) {
    auto s = parse_shard(o.shard);
    if (!s.ok()) return usage(s.status().message());
    shard = *s;
  }
  auto listed = read_kernel_list(o.input);
  if (!listed.ok()) return usage(listed.status().to_string());
  const size_t listed_count = listed->size();
  auto filtered = filter_kernels(std::move(*listed), o.filter);
  if (!filtered.ok()) return usage(filtered.status().message());
  const size_t filtered_count = filtered->size();
  std::vector<KernelEntry> mine = select_shard(std::move(*filtered), shard);

  std::error_code ec;
  fs::create_directories(fs::path(o.output_dir) / "logs", ec);
  if (ec) return usage("cannot create " + o.output_dir + "/logs: " + ec.message());
  MatrixOptions options = o;
  options.output_dir = fs::absolute(o.output_dir).lexically_normal().string();
  if (!options.output_dir.empty() && options.output_dir.back() == '/') options.output_dir.pop_back();
  const std::string index_path = options.output_dir + "/" + index_file_name(o.shard);

  MatrixProgress bar(err, terminal, mine.size());
  bar.note("matrix: " + std::to_string(mine.size()) + " kernels" +
           (o.shard.empty() ? "" : " (shard " + o.shard + ")") + " of " + std::to_string(filtered_count) +
           (o.filter.empty() ? "" : " matching " + o.filter) + ", " + std::to_string(listed_count) + " in " + o.input +
           "; " + std::to_string(o.jobs) + " at a time" + (o.verify ? ", each verified in qemu" : "") + "; into " +
           options.output_dir);
  Matrix matrix(options, std::move(mine), bar, index_path);
  matrix.run();
  if (matrix.outcomes().empty()) {
    // No kernel for this shard: still an index, so a merge finds every shard.
    if (Status s = write_index(DriverIndex{}, index_path); !s.ok()) return usage(s.to_string());
  }
  bar.close();
  if (!matrix.index_status().ok()) {
    err << "kestrel-driverkit matrix: " << matrix.index_status().to_string() << "\n";
    return 1;
  }
  print_table(out, matrix.outcomes());
  size_t failed = 0;
  for (const auto& oc : matrix.outcomes()) failed += oc.row.status != IndexStatus::kOk;
  out << "index: " << index_path << " (" << matrix.outcomes().size() - failed << " ok, " << failed << " failed)\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace kestrel::driverkit
