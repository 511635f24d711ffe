// falco_drop_categories.h — Falco's coarse categories of ring-buffer drops
// (libs' n_drops_buffer_<drop>_<dir> counters, published by Falco as
// falcosecurity_scap_n_drops_buffer_total{dir,drop}), applied to Kestrel's
// event types.
//
// The categories and which syscalls fall in each are libs' (the modern eBPF
// driver's per-event-type switch run when the ring has no room): open,
// dir_file, clone_fork, execve, connect, other_interest (bpf, setpgid,
// ptrace, seccomp, setns, setresgid, setresuid, setsid, unshare, capset),
// enter and exit each, plus close exit and proc exit. A Kestrel event type
// lands in the category of the same syscall; types libs leaves out of every
// category (read, write, socket, mmap, ...) land in none, as in Falco, so
// the categories sum to less than all buffer drops (the total stays in
// kestrel_event_drops_total{reason="buffer_full"} and the metrics snapshot's
// scap.n_drops_buffer_total).
//
// Kestrel emits every event once, at syscall exit (events.def): a dropped
// Kestrel record is an exit event (procexit: Falco's "proc" "exit"), and
// the enter categories stay 0 — there is no enter event to lose.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kestrel {

struct FalcoDropCategory {
  const char* drop;  // Falco's `drop` label: "open", "clone_fork", ...
  const char* dir;   // Falco's `dir` label: "enter" or "exit"
  // libs' counter name, the metrics snapshot's key after "scap.":
  // n_drops_buffer_<drop>_<dir>.
  std::string counter_name() const;
};

// The fourteen categories Falco publishes, in libs' order.
std::span<const FalcoDropCategory> falco_drop_categories();

// Index into falco_drop_categories() of Kestrel event type `type`'s
// category, or nullopt for a type in no category.
std::optional<size_t> falco_drop_category_of(uint16_t type);

}  // namespace kestrel
