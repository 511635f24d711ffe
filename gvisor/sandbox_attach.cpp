#include "gvisor/sandbox_attach.h"

#include "gvisor/runsc_command.h"

namespace kestrel::gvisor {

namespace {

std::vector<std::string> runsc_argv(const AttachOptions& o, std::initializer_list<std::string> rest) {
  std::vector<std::string> argv = {o.runsc, "--root", o.root};
  argv.insert(argv.end(), rest);
  return argv;
}

// Runs one runsc call; on failure appends "what: why" to the report.
bool run_step(const AttachOptions& o, const std::vector<std::string>& argv, const std::string& what,
              AttachReport& report, CommandResult& out, const CommandOptions& extra = {}) {
  CommandOptions co = extra;
  co.timeout = o.timeout;
  Result<CommandResult> r = run_command(argv, co);
  if (!r.ok()) {
    report.messages.push_back(what + ": " + r.status().message());
    return false;
  }
  out = std::move(*r);
  if (out.timed_out || out.exit_code != 0) {
    report.messages.push_back(what + ": " + describe_failure(out, o.timeout));
    return false;
  }
  return true;
}

}  // namespace

AttachReport attach_running_sandboxes(const AttachOptions& o, MonitorServer& server) {
  AttachReport report;
  if (o.root.empty()) return report;
  CommandResult listed;
  if (!run_step(o, runsc_argv(o, {"list", "-sandbox", "-format=json"}), "runsc --root " + o.root + " list", report,
                listed)) {
    ++report.failed;
    return report;
  }
  Result<std::vector<ListedSandbox>> sandboxes = parse_runsc_list(listed.out);
  if (!sandboxes.ok()) {
    report.messages.push_back(sandboxes.status().message());
    ++report.failed;
    return report;
  }
  report.listed = sandboxes->size();
  for (const ListedSandbox& sb : *sandboxes) {
    if (sb.status != "running") continue;
    ++report.running;
    const std::string what = "sandbox " + sb.id;
    DomainId domain = server.reserve_domain();
    pid_t child = 0;
    CommandOptions gated;
    gated.before_start = [&](pid_t pid) {
      child = pid;
      server.expect_peer(pid, domain);
    };
    CommandResult created;
    bool ok = run_step(o, runsc_argv(o, {"trace", "create", "--force", "--config", o.session_config, sb.id}),
                       what + ": runsc trace create", report, created, gated);
    // The connection, if any, was accepted before trace create returned (it
    // waits for our handshake reply); an entry left over is stale.
    if (child > 0) server.forget_peer(child);
    if (!ok) {
      ++report.failed;
      continue;
    }
    ++report.attached;
    AttachedSandbox attached{sb.id, domain, 0, sb.bundle};
    CommandResult dump;
    if (run_step(o, runsc_argv(o, {"trace", "procfs", sb.id}), what + ": runsc trace procfs", report, dump)) {
      Result<ProcfsDump> parsed = parse_procfs_dump(dump.out, domain, sb.id, o.procfs);
      if (parsed.ok()) {
        attached.processes = parsed->threads.size();
        for (ThreadInfo& t : parsed->threads) report.threads.push_back(std::move(t));
        if (parsed->skipped > 0)
          report.messages.push_back(what + ": " + std::to_string(parsed->skipped) +
                                    " procfs entries did not parse and were skipped");
      } else {
        report.messages.push_back(what + ": " + parsed.status().message());
      }
    }
    // Attached but unseeded still streams; its older processes just lack
    // their history. Not counted as failed.
    report.sandboxes.push_back(std::move(attached));
  }
  return report;
}

}  // namespace kestrel::gvisor
