#include "sources/capture/capture_recorder.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "sources/abi/kestrel_event.h"
#include "sources/capture/kcap_writer.h"
#include "sources/capture/scap_writer.h"

namespace kestrel {
namespace {

class KcapRecorder final : public CaptureRecorder {
 public:
  explicit KcapRecorder(bool gzip) : writer_(kcap::KcapWriterOptions{.gzip = gzip}) {}
  Status open(const std::string& path) { return writer_.open(path); }
  Status begin(const std::vector<ThreadInfo>& threads) override {
    kcap::KcapHeader header;
    header.producer = "kestrel";
    header.created_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    header.machine = kcap::local_machine_info();
    if (Status st = writer_.write_header(header); !st.ok()) return st;
    return writer_.write_snapshot(threads);
  }
  Status append(std::span<const uint8_t> record, uint32_t domain, bool) override {
    return writer_.append(record, domain);
  }
  Status close() override { return writer_.close(); }

 private:
  kcap::KcapWriter writer_;
};

// This machine as scap's machine info block and user list describe it
// (libscap fills them from the same places: sysconf, pid_max, passwd and
// group databases).
scap::ScapHeader local_scap_header() {
  scap::ScapHeader h;
  const kcap::MachineInfo m = kcap::local_machine_info();
  h.machine.hostname = m.hostname;
  h.machine.num_cpus = m.cpu_count;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) h.machine.memory_bytes = uint64_t(pages) * uint64_t(page);
  std::ifstream pid_max("/proc/sys/kernel/pid_max");
  pid_max >> h.machine.max_pid;
  setpwent();
  while (const passwd* p = getpwent())
    h.users.push_back({p->pw_uid, p->pw_gid, p->pw_name ? p->pw_name : "", p->pw_dir ? p->pw_dir : "",
                       p->pw_shell ? p->pw_shell : ""});
  endpwent();
  setgrent();
  while (const group* g = getgrent()) h.groups.push_back({g->gr_gid, g->gr_name ? g->gr_name : ""});
  endgrent();
  return h;
}

// Sandboxed (gVisor) events carry a domain the scap format has no place
// for: their pids would collide with the host's, so they are counted as
// not written rather than mixed in.
class ScapRecorder final : public CaptureRecorder {
 public:
  Status open(const std::string& path, bool gzip) { return writer_.open(path, gzip); }
  Status begin(const std::vector<ThreadInfo>& threads) override {
    if (Status st = writer_.write_header(local_scap_header()); !st.ok()) return st;
    std::vector<ThreadInfo> host;
    for (const ThreadInfo& t : threads)
      if (t.domain == 0) host.push_back(t);
    return writer_.write_threads(host);
  }
  Status append(std::span<const uint8_t> record, uint32_t domain, bool enter) override {
    // A replayed .scap's enter record: the writer emits every enter from
    // its exit's record, which carries the enter's params merged.
    if (enter) return ok_status();
    if (domain != 0) {
      if (record.size() >= sizeof(kestrel_event_hdr)) {
        kestrel_event_hdr hdr;
        std::memcpy(&hdr, record.data(), sizeof hdr);
        ++sandboxed_[hdr.type];
      }
      return ok_status();
    }
    return writer_.append(record);
  }
  Status close() override { return writer_.close(); }
  std::map<uint16_t, uint64_t> not_written() const override {
    std::map<uint16_t, uint64_t> out = writer_.not_written();
    for (auto [type, n] : sandboxed_) out[type] += n;
    return out;
  }

 private:
  scap::ScapWriter writer_;
  std::map<uint16_t, uint64_t> sandboxed_;
};

}  // namespace

Result<CaptureFormat> capture_format_for(const std::string& path, const std::optional<std::string>& forced) {
  if (forced) {
    if (*forced == "kcap") return CaptureFormat::kKcap;
    if (*forced == "scap") return CaptureFormat::kScap;
    return Status(StatusCode::kInvalidArgument,
                  "--capture-format '" + *forced + "': the accepted formats are kcap and scap");
  }
  if (path.ends_with(".kcap") || path.ends_with(".kcap.gz")) return CaptureFormat::kKcap;
  if (path.ends_with(".scap") || path.ends_with(".scap.gz")) return CaptureFormat::kScap;
  return Status(StatusCode::kInvalidArgument,
                "-w " + path +
                    ": the capture format is chosen by the extension, and this one is none of .kcap, .kcap.gz, "
                    ".scap, .scap.gz; rename the file or give --capture-format kcap|scap");
}

Result<std::unique_ptr<CaptureRecorder>> open_capture_recorder(const std::string& path, CaptureFormat format) {
  const bool gzip = path.ends_with(".gz");
  if (format == CaptureFormat::kKcap) {
    auto r = std::make_unique<KcapRecorder>(gzip);
    if (Status st = r->open(path); !st.ok()) return st;
    return std::unique_ptr<CaptureRecorder>(std::move(r));
  }
  auto r = std::make_unique<ScapRecorder>();
  if (Status st = r->open(path, gzip); !st.ok()) return st;
  return std::unique_ptr<CaptureRecorder>(std::move(r));
}

}  // namespace kestrel
