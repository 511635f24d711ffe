#include "app/falco_metrics.h"

#include "app/falco_drop_categories.h"
#include "app/falco_metric_names.h"
#include "outputs/alert_format.h"

#include <nlohmann/json.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <type_traits>
#include <variant>

namespace kestrel {
namespace {

constexpr const char* kHelp = "https://falco.org/docs/metrics/";

bool is_syscall_engine(const std::string& source_name) {
  return source_name == "ebpf" || source_name == "kmod" || source_name == "gvisor" || source_name == "capture";
}

std::string kernel_release() {
  struct utsname u {};
  return uname(&u) == 0 ? u.release : "";
}

// /proc/stat's btime, in ns.
uint64_t host_boot_ns() {
  std::ifstream in("/proc/stat");
  std::string key;
  uint64_t value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value * 1'000'000'000ull;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// A Prometheus label name from a rule tag: [a-zA-Z0-9_], never a digit first.
std::string tag_label(const std::string& tag) {
  std::string out = "tag_";
  for (char c : tag) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return out;
}

uint64_t reason(const SourceMetrics& src, const char* name) {
  auto it = src.drops.find(name);
  return it == src.drops.end() ? 0 : it->second;
}

void write_rule_matches(const MetricsSnapshot& s, PromWriter& w) {
  w.family("falcosecurity_falco_rules_matches_total", "counter", kHelp);
  for (const auto& m : s.rule_matches) {
    std::vector<std::string> tags = m.tags;
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    std::string joined;
    for (const auto& t : tags) joined += (joined.empty() ? "" : ", ") + t;
    PromLabels labels = {{"priority", std::to_string(static_cast<int>(m.priority))},
                         {"rule_name", m.rule},
                         {"source", m.source},
                         {"tags", joined}};
    for (const auto& t : tags) labels.emplace_back(tag_label(t), "true");
    w.sample_with("falcosecurity_falco_rules_matches_total", m.matches, labels);
  }
}

struct SyscallTotals {
  uint64_t events = 0, drops = 0, buffer = 0, scratch = 0;
  // buffer_full drops per Falco category (falco_drop_categories() order).
  std::vector<uint64_t> buffer_by_category = std::vector<uint64_t>(falco_drop_categories().size(), 0);
  std::vector<uint64_t> drops_per_cpu;  // every kernel drop reason, per ring/CPU
  std::vector<uint64_t> events_per_cpu;  // records delivered, where a ring is one CPU's
  std::string engine;
};

SyscallTotals syscall_totals(const MetricsSnapshot& s) {
  SyscallTotals t;
  for (const auto& src : s.sources) {
    if (!is_syscall_engine(src.name)) continue;
    t.events += src.events;
    for (const auto& [r, n] : src.drops) t.drops += n;
    t.buffer += reason(src, "buffer_full");
    t.scratch += reason(src, "scratch_unavailable");
    for (size_t type = 0; type < src.buffer_full_by_type.size(); ++type)
      if (auto c = falco_drop_category_of(static_cast<uint16_t>(type)))
        t.buffer_by_category[*c] += src.buffer_full_by_type[type];
    for (const auto& [r, cpus] : src.drops_per_cpu) {
      if (t.drops_per_cpu.size() < cpus.size()) t.drops_per_cpu.resize(cpus.size());
      for (size_t i = 0; i < cpus.size(); ++i) t.drops_per_cpu[i] += cpus[i];
    }
    if (t.events_per_cpu.size() < src.events_per_cpu.size()) t.events_per_cpu.resize(src.events_per_cpu.size());
    for (size_t i = 0; i < src.events_per_cpu.size(); ++i) t.events_per_cpu[i] += src.events_per_cpu[i];
    if (t.engine.empty()) t.engine = falco_engine_name(src.name);
  }
  // A kernel source has a ring per CPU: every CPU has its count, 0 before
  // its first drop, as Falco's per-CPU counters.
  const auto cpus = static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN));
  if (!t.engine.empty() && t.engine != "savefile" && t.drops_per_cpu.size() < cpus) t.drops_per_cpu.resize(cpus);
  return t;
}

uint64_t output_queue_drops(const MetricsSnapshot& s) {
  uint64_t n = 0;
  for (const auto& [sink, d] : s.outputs.sinks) n += d.dropped_queue_full;
  return n;
}

// One decimal, as Falco's JSON prints its rates and percentages.
double one_decimal(double v) { return static_cast<double>(static_cast<int64_t>(v * 10 + 0.5)) / 10; }

std::string file_name_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// One BPF program's figures as libs reports them (its libbpf stats).
struct BpfProgramFigures {
  uint64_t run_count = 0, run_time_ns = 0;
  uint64_t avg_time_ns() const { return run_count ? run_time_ns / run_count : 0; }
};

// The syscall sources' programs by kernel name; programs that share a
// (truncated) kernel name are added up, so each name is one figure.
std::map<std::string, BpfProgramFigures> bpf_programs(const MetricsSnapshot& s) {
  std::map<std::string, BpfProgramFigures> out;
  for (const auto& src : s.sources)
    for (const auto& p : src.bpf_programs) {
      auto& f = out[p.name];
      f.run_count += p.run_count;
      f.run_time_ns += p.run_time_ns;
    }
  return out;
}

// Seconds between two snapshots; the first one counts from the start, as
// Falco's first interval does.
double seconds_since(const MetricsSnapshot& s, const MetricsSnapshot* previous) {
  return previous ? std::chrono::duration<double>(s.taken - previous->taken).count() : s.uptime_seconds;
}

double rate(uint64_t now, uint64_t before, double seconds) {
  return now > before && seconds > 0 ? one_decimal(static_cast<double>(now - before) / seconds) : 0.0;
}

}  // namespace

FalcoMetricFields falco_metrics_output_fields(const MetricsSnapshot& s, const MetricsSnapshot* previous) {
  const MetricsGroups& g = s.groups;
  const SyscallTotals now = syscall_totals(s);
  const SyscallTotals before = previous ? syscall_totals(*previous) : SyscallTotals{};
  FalcoMetricFields f;
  // A group's figure: left out when 0 unless include_empty_values, as Falco.
  auto figure = [&](std::string key, engine::FieldValue v) {
    const bool empty = std::visit(
        [](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) return true;
          else if constexpr (std::is_same_v<T, std::string>) return x.empty();
          else return x == T{};
        },
        v);
    if (!empty || g.include_empty_values) f.emplace_back(std::move(key), std::move(v));
  };
  // Memory: libs reports kB under *_kb; convert_memory_to_mb renames and converts to *_mb.
  auto memory_kb = [&](const std::string& name, double kb) {
    if (g.convert_memory_to_mb) figure("falco." + name + "_mb", one_decimal(kb / 1024.0));
    else figure("falco." + name + "_kb", static_cast<uint64_t>(kb));
  };
  // Wrapper fields: always there.
  f.emplace_back("evt.hostname", s.hostname);
  f.emplace_back("evt.source", std::string("syscall"));
  f.emplace_back("evt.time", static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(s.taken.time_since_epoch()).count()));
  f.emplace_back("falco.version", std::string(KESTREL_VERSION));
  f.emplace_back("falco.start_ts", s.start_ns);
  f.emplace_back("falco.duration_sec", static_cast<uint64_t>(s.uptime_seconds));
  f.emplace_back("falco.host_boot_ts", host_boot_ns());
  f.emplace_back("falco.host_num_cpus", static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  f.emplace_back("falco.kernel_release", kernel_release());
  f.emplace_back("falco.num_evts", s.events);
  f.emplace_back("falco.num_evts_prev", previous ? previous->events : uint64_t{0});
  // As Falco's stats writer: the userspace rate only once a previous
  // snapshot counted events (never on the first line).
  if (previous && previous->events != 0)
    f.emplace_back("falco.evts_rate_sec", one_decimal(s.events_per_second));
  f.emplace_back("falco.outputs_queue_num_drops", output_queue_drops(s));
  f.emplace_back("falco.reload_ts", s.reload_ns);
  for (const auto& [path, sha] : s.rules_files_sha256)
    f.emplace_back("falco.sha256_rules_file." + falco_sanitized_name(file_name_of(path)), sha);
  for (const auto& [path, sha] : s.config_files_sha256)
    f.emplace_back("falco.sha256_config_file." + falco_sanitized_name(file_name_of(path)), sha);
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& a : v) out += (out.empty() ? "" : ",") + a;
    return out;
  };
  for (const auto& [ifname, a] : s.netinfo) {
    if (!a.ipv4.empty())
      f.emplace_back("falco.host_netinfo.interfaces." + ifname + ".protocols.ipv4.addresses", join(a.ipv4));
    if (!a.ipv6.empty())
      f.emplace_back("falco.host_netinfo.interfaces." + ifname + ".protocols.ipv6.addresses", join(a.ipv6));
  }
  if (!now.engine.empty()) f.emplace_back("scap.engine_name", now.engine);
  if (g.resource_utilization) {
    figure("falco.cpu_usage_perc",
           one_decimal(s.uptime_seconds > 0 ? 100 * s.process.cpu_seconds / s.uptime_seconds : 0));
    memory_kb("memory_rss", s.process.rss_bytes / 1024.0);
    memory_kb("memory_vsz", s.process.vsz_bytes / 1024.0);
    memory_kb("memory_pss", s.process.pss_bytes / 1024.0);
    // libs reports this one in bytes (container_memory_used_bytes), not kB.
    if (g.convert_memory_to_mb)
      figure("falco.container_memory_used_mb", one_decimal(s.process.container_memory_bytes / (1024.0 * 1024.0)));
    else
      figure("falco.container_memory_used_bytes", s.process.container_memory_bytes);
    figure("falco.host_cpu_usage_perc", s.host.cpu_usage_perc);
    memory_kb("host_memory_used", static_cast<double>(s.host.memory_used_kb));
    figure("falco.host_procs_running", s.host.procs_running);
    figure("falco.host_open_fds", s.host.open_fds);
  }
  if (g.state_counters) {
    figure("falco.n_threads", s.state.threads);
    figure("falco.n_fds", s.state.fds);
  }
  if (g.rules_counters) {
    uint64_t matches = 0;
    for (const auto& m : s.rule_matches) {
      figure("falco.rules." + falco_sanitized_name(m.rule), m.matches);
      matches += m.matches;
    }
    f.emplace_back("falco.rules.matches_total", matches);
  }
  if (g.kernel_event_counters) {
    // n_evts, n_drops and n_drops_perc always, even when 0 (as Falco),
    // with the previous snapshot's counts and the rates since.
    const double seconds = seconds_since(s, previous);
    f.emplace_back("scap.n_evts", now.events);
    f.emplace_back("scap.n_evts_prev", before.events);
    f.emplace_back("scap.evts_rate_sec", rate(now.events, before.events, seconds));
    f.emplace_back("scap.n_drops", now.drops);
    f.emplace_back("scap.n_drops_prev", before.drops);
    f.emplace_back("scap.evts_drop_rate_sec", rate(now.drops, before.drops, seconds));
    figure("scap.n_drops_buffer_total", now.buffer);
    const auto categories = falco_drop_categories();
    for (size_t c = 0; c < categories.size(); ++c)
      figure("scap." + categories[c].counter_name(), now.buffer_by_category[c]);
    figure("scap.n_drops_scratch_map", now.scratch);
    const uint64_t new_evts = now.events - std::min(now.events, before.events);
    const uint64_t new_drops = now.drops - std::min(now.drops, before.drops);
    f.emplace_back("scap.n_drops_perc",
                   one_decimal(new_evts + new_drops ? 100.0 * new_drops / (new_evts + new_drops) : 0.0));
  }
  if (g.kernel_event_counters_per_cpu) {
    for (size_t cpu = 0; cpu < now.events_per_cpu.size(); ++cpu)
      figure("scap.n_evts_cpu_" + std::to_string(cpu), now.events_per_cpu[cpu]);
    for (size_t cpu = 0; cpu < now.drops_per_cpu.size(); ++cpu)
      figure("scap.n_drops_cpu_" + std::to_string(cpu), now.drops_per_cpu[cpu]);
  }
  if (g.libbpf_stats)
    for (const auto& [name, p] : bpf_programs(s)) {
      figure("scap." + name + ".run_cnt", p.run_count);
      figure("scap." + name + ".run_time_ns", p.run_time_ns);
      figure("scap." + name + ".avg_time_ns", p.avg_time_ns());
    }
  if (g.plugins_metrics)
    for (const auto& src : s.sources)
      for (const auto& [metric, value] : src.plugin_metrics) figure("plugins." + src.name + "." + metric, value);
  return f;
}

engine::Alert falco_metrics_snapshot_alert(const MetricsSnapshot& s, const MetricsSnapshot* previous) {
  engine::Alert a;
  a.time_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(s.taken.time_since_epoch()).count());
  a.rule = "Falco internal: metrics snapshot";
  a.priority = engine::Priority::kInformational;
  a.source = engine::kInternalSource;
  a.hostname = s.hostname;
  a.output = "Falco metrics snapshot";
  a.output_fields = falco_metrics_output_fields(s, previous);
  return a;
}

std::string falco_metrics_file_line(const MetricsSnapshot& s, const MetricsSnapshot* previous, uint64_t sample) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, value] : falco_metrics_output_fields(s, previous))
    fields[name] = engine::field_value_json(value);
  nlohmann::json line = nlohmann::json::object();
  line["output_fields"] = std::move(fields);
  line["sample"] = sample;
  return line.dump();
}

namespace {

// resource_utilization: the process's and the host's CPU, memory, open fds.
void write_resource_utilization(const MetricsSnapshot& s, PromWriter& w) {
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.6f", s.uptime_seconds > 0 ? s.process.cpu_seconds / s.uptime_seconds : 0.0);
  w.family("falcosecurity_falco_cpu_usage_ratio", "gauge", kHelp);
  w.sample("falcosecurity_falco_cpu_usage_ratio", ratio);
  w.family("falcosecurity_falco_memory_rss_bytes", "gauge", kHelp);
  w.sample("falcosecurity_falco_memory_rss_bytes", s.process.rss_bytes);
  w.family("falcosecurity_falco_memory_vsz_bytes", "gauge", kHelp);
  w.sample("falcosecurity_falco_memory_vsz_bytes", s.process.vsz_bytes);

  w.family("falcosecurity_falco_memory_pss_bytes", "gauge", kHelp);
  w.sample("falcosecurity_falco_memory_pss_bytes", s.process.pss_bytes);
  w.family("falcosecurity_falco_container_memory_used_bytes", "gauge", kHelp);
  w.sample("falcosecurity_falco_container_memory_used_bytes", s.process.container_memory_bytes);
  char host_ratio[32];
  std::snprintf(host_ratio, sizeof host_ratio, "%.6f", s.host.cpu_usage_perc / 100.0);
  w.family("falcosecurity_falco_host_cpu_usage_ratio", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_cpu_usage_ratio", host_ratio);
  w.family("falcosecurity_falco_host_memory_used_bytes", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_memory_used_bytes", s.host.memory_used_kb * 1024);
  w.family("falcosecurity_falco_host_procs_running_total", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_procs_running_total", s.host.procs_running);
  w.family("falcosecurity_falco_host_open_fds_total", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_open_fds_total", s.host.open_fds);
}

// kernel_event_counters: what the syscall sources delivered and lost.
void write_kernel_event_counters(const SyscallTotals& t, PromWriter& w) {
  w.family("falcosecurity_scap_n_evts_total", "counter", kHelp);
  w.sample("falcosecurity_scap_n_evts_total", t.events);
  w.family("falcosecurity_scap_n_drops_total", "counter", kHelp);
  w.sample("falcosecurity_scap_n_drops_total", t.drops);
  // As Falco: one sample per category, none for the total.
  w.family("falcosecurity_scap_n_drops_buffer_total", "counter", kHelp);
  const auto categories = falco_drop_categories();
  for (size_t c = 0; c < categories.size(); ++c)
    w.sample("falcosecurity_scap_n_drops_buffer_total", t.buffer_by_category[c],
             {{"dir", categories[c].dir}, {"drop", categories[c].drop}});
  w.family("falcosecurity_scap_n_drops_scratch_map_total", "counter", kHelp);
  w.sample("falcosecurity_scap_n_drops_scratch_map_total", t.scratch);
}

// libbpf_stats: per program, Falco's three families under libs' names.
void write_libbpf_stats(const MetricsSnapshot& s, PromWriter& w) {
  for (const auto& [name, p] : bpf_programs(s)) {
    const std::string runs = libs_prometheus_name("scap", name + ".run_cnt", "total");
    const std::string time = libs_prometheus_name("scap", name + ".run_time_ns", "nanoseconds_total");
    const std::string avg = libs_prometheus_name("scap", name + ".avg_time_ns", "nanoseconds");
    w.family(runs, "counter", kHelp);
    w.sample(runs, p.run_count);
    w.family(time, "counter", kHelp);
    w.sample(time, p.run_time_ns);
    w.family(avg, "gauge", kHelp);
    w.sample(avg, p.avg_time_ns());
  }
}

// plugins_metrics: each plugin source's counters, as libs names them
// (<plugin>.<metric> in the "plugins" subsystem; Kestrel reads monotonic
// counters only, hence counters with unit "total").
void write_plugin_metrics(const MetricsSnapshot& s, PromWriter& w) {
  for (const auto& src : s.sources)
    for (const auto& [metric, value] : src.plugin_metrics) {
      const std::string name = libs_prometheus_name("plugins", src.name + "." + metric, "total");
      w.family(name, "counter", kHelp);
      w.sample(name, value);
    }
}

// The sha256 info gauges: one sample per file, labelled with its name.
void write_file_digests(const char* family, const std::vector<std::pair<std::string, std::string>>& files,
                        PromWriter& w) {
  w.family(family, "gauge", kHelp);
  for (const auto& [path, sha] : files) w.sample(family, 1, {{"file_name", file_name_of(path)}, {"sha256", sha}});
}

}  // namespace

std::string falco_engine_name(const std::string& source_name) {
  if (source_name == "ebpf") return "modern_bpf";
  if (source_name == "kmod") return "kmod";
  if (source_name == "gvisor") return "gvisor";
  if (source_name == "capture") return "savefile";
  return "source_plugin";
}

void write_falco_prometheus(const MetricsSnapshot& s, PromWriter& w) {
  w.family("falcosecurity_falco_version_info", "gauge", kHelp);
  w.sample("falcosecurity_falco_version_info", 1, {{"version", KESTREL_VERSION}});
  write_file_digests("falcosecurity_falco_sha256_rules_files_info", s.rules_files_sha256, w);
  write_file_digests("falcosecurity_falco_sha256_config_files_info", s.config_files_sha256, w);
  w.family("falcosecurity_falco_reload_timestamp_nanoseconds", "gauge", kHelp);
  w.sample("falcosecurity_falco_reload_timestamp_nanoseconds", s.reload_ns);
  w.family("falcosecurity_scap_engine_name_info", "gauge", kHelp);
  for (const auto& src : s.sources) {
    if (src.name == "plugin_async") continue;  // not an event source of its own
    const std::string engine = falco_engine_name(src.name);
    if (is_syscall_engine(src.name))
      w.sample("falcosecurity_scap_engine_name_info", 1, {{"engine_name", engine}, {"evt_source", "syscall"}});
    else
      w.sample("falcosecurity_scap_engine_name_info", 1, {{"engine_name", engine}, {"evt_source", src.name}});
  }
  w.family("falcosecurity_falco_evt_source_info", "gauge", kHelp);
  if (std::any_of(s.sources.begin(), s.sources.end(), [](const auto& src) { return is_syscall_engine(src.name); }))
    w.sample("falcosecurity_falco_evt_source_info", 1, {{"evt_source", "syscall"}});
  w.family("falcosecurity_evt_hostname_info", "gauge", kHelp);
  w.sample("falcosecurity_evt_hostname_info", 1, {{"hostname", s.hostname}});
  w.family("falcosecurity_falco_kernel_release_info", "gauge", kHelp);
  w.sample("falcosecurity_falco_kernel_release_info", 1, {{"kernel_release", kernel_release()}});
  w.family("falcosecurity_falco_start_timestamp_nanoseconds", "gauge", kHelp);
  w.sample("falcosecurity_falco_start_timestamp_nanoseconds", s.start_ns);
  w.family("falcosecurity_falco_host_boot_timestamp_nanoseconds", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_boot_timestamp_nanoseconds", host_boot_ns());
  w.family("falcosecurity_falco_host_num_cpus_total", "gauge", kHelp);
  w.sample("falcosecurity_falco_host_num_cpus_total", sysconf(_SC_NPROCESSORS_ONLN));
  w.family("falcosecurity_falco_duration_seconds_total", "counter", kHelp);
  w.sample("falcosecurity_falco_duration_seconds_total", static_cast<uint64_t>(s.uptime_seconds));
  w.family("falcosecurity_falco_n_evts_total", "counter", kHelp);
  w.sample("falcosecurity_falco_n_evts_total", s.events);

  uint64_t queue_full = 0;
  for (const auto& [sink, d] : s.outputs.sinks) queue_full += d.dropped_queue_full;
  w.family("falcosecurity_falco_outputs_queue_num_drops_total", "counter", kHelp);
  w.sample("falcosecurity_falco_outputs_queue_num_drops_total", queue_full);

  const MetricsGroups& g = s.groups;
  if (g.rules_counters) write_rule_matches(s, w);
  if (g.resource_utilization) write_resource_utilization(s, w);
  const SyscallTotals t = syscall_totals(s);
  if (g.kernel_event_counters) write_kernel_event_counters(t, w);
  if (g.kernel_event_counters_per_cpu) {
    w.family("falcosecurity_scap_n_evts_cpu_total", "counter", kHelp);
    for (size_t cpu = 0; cpu < t.events_per_cpu.size(); ++cpu)
      w.sample("falcosecurity_scap_n_evts_cpu_total", t.events_per_cpu[cpu], {{"cpu", std::to_string(cpu)}});
    w.family("falcosecurity_scap_n_drops_cpu_total", "counter", kHelp);
    for (size_t cpu = 0; cpu < t.drops_per_cpu.size(); ++cpu)
      w.sample("falcosecurity_scap_n_drops_cpu_total", t.drops_per_cpu[cpu], {{"cpu", std::to_string(cpu)}});
  }
  if (g.libbpf_stats) write_libbpf_stats(s, w);
  if (g.plugins_metrics) write_plugin_metrics(s, w);
  if (g.state_counters) {
    w.family("falcosecurity_scap_n_drops_full_threadtable_total", "counter", kHelp);
    w.sample("falcosecurity_scap_n_drops_full_threadtable_total", 0);
    w.family("falcosecurity_scap_n_threads_total", "gauge", kHelp);
    w.sample("falcosecurity_scap_n_threads_total", s.state.threads);
    w.family("falcosecurity_scap_n_fds_total", "gauge", kHelp);
    w.sample("falcosecurity_scap_n_fds_total", s.state.fds);
  }
}

}  // namespace kestrel
