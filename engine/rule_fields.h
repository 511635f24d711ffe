// rule_fields.h — the fields a loaded rule set reads, and what they ask of
// the process params a source captures.
//
// Selective capture flows backwards (ARCHITECTURE.md, 4): as the rule set
// names the event types it needs, it names the fields it reads, in its
// conditions (exceptions are folded into them at load) and its outputs.
// The eBPF probe copies the expensive optional parts of the process block
// (environment, cgroup paths) only when a rule reads a field made from
// them; process_params_read() says which.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "engine/rule_items.h"
#include "engine/rule_set.h"

namespace kestrel::engine {

// Names of the fields that the enabled rules of `source` at or above
// `min_priority` (the rules a RuleEngine with those options loads) read,
// as written without a bracket argument: "proc.aname" for proc.aname[2],
// "evt.arg.flags" as is, "evt.arg" for evt.arg[0]. Shared macro subtrees
// are walked once, with an explicit stack (no recursion on untrusted trees).
std::set<std::string> fields_read(const RuleSet& rules, std::string_view source = "syscall",
                                  Priority min_priority = Priority::kDebug);

// The optional parts of the process block (execve/clone records) that
// fields read from. What the state tables need whatever the rules read is
// not here: the collector adds it (the cwd, for resolving relative paths).
struct ProcessParamsRead {
  bool env = false;      // proc.env, proc.aenv, evt.arg.env
  bool cwd = false;      // proc.cwd, evt.arg.cwd
  bool cgroups = false;  // container.*, k8s.* (from the container id the cgroups name), evt.arg.cgroups
  bool exe_sha256 = false;  // proc.exe_sha256, evt.arg.exe_sha256
};
// evt.args and evt.arg/evt.rawarg by position may show any param: all but
// exe_sha256 (asking a sandbox for it costs a read of every executable).
ProcessParamsRead process_params_read(const std::set<std::string>& fields);

}  // namespace kestrel::engine
