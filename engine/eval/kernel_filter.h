// kernel_filter.h — what the kernel may drop: per event type, the
// predicates every loaded rule on that type requires (issue #19).
//
// For each event type some rule can match, every rule's resolved condition
// is walked with the type fixed (evt.type checks become true or false) and
// negation pushed to the leaves. A leaf the kernel can check becomes a
// requirement; every other leaf is "anything" (never a requirement). So an
// alternative is implied by its rule: whenever the rule matches an event of
// the type, the alternative holds for it. The kernel sends an event up when
// any alternative of its type holds (sources/kernel_filter.h), so no event
// a rule would match is dropped. A type gets no filter as soon as one rule
// on it yields no requirement at all.
//
// Kernel-checkable leaves (positive, no transformer):
//   fd.name, fd.nameraw, evt.arg.name on open-family events: =, in, pmatch,
//     startswith, glob (its literal prefix), endswith / contains of a text
//     holding '/', as path atoms;
//   fd.directory: =, in, startswith, endswith '/…'; fd.filename: =, in,
//     startswith, as atoms anchored at a '/';
//   evt.res (SUCCESS or not), evt.failed, evt.rawres and, where it is the
//     result, fd.num compared with a number: the result's sign (also under
//     `not`, by the exact complement);
//   evt.is_open_read / evt.is_open_write (also under `not`): the access mode.
//
// State needs. Only types whose only state effect is the fd they create
// (KEF_CREATES_FD), whose state effect is on success only (execve,
// execveat, chdir, fchdir, chroot: their successful events always go up)
// or which change no state may be filtered. Every
// successful fd-creating event goes up when some rule on an event acting
// on an existing fd reads the fd table (fd.*, evt.arg*, proc.fd*) and is
// not confined to sockets (fd.typechar in ('4','6'), fd.rip = …), and
// when some rule reads a path the tables resolve through an fd (fd.name
// of a relative open against its dirfd, proc.cwd after fchdir(),
// proc.exepath of execveat(fd, "", AT_EMPTY_PATH)).
#pragma once

#include <string_view>

#include "engine/rule_set.h"
#include "sources/kernel_filter.h"

namespace kestrel::engine::eval {

// The filters for the enabled rules of `source` at or above `min_priority`
// (the rules a RuleEngine with those options loads).
// `extra_outputs`: text is appended to the rules' outputs (append_output),
// which may name any field: taken as reading the fd table.
KernelFilterSet derive_kernel_filters(const RuleSet& rules, std::string_view source = "syscall",
                                      Priority min_priority = Priority::kDebug, bool extra_outputs = false);

// One line for people (--dry-run, notes): "openat: (res>=0, acc {0,2},
// path ^/etc/shadow$ | …/.ssh/) or (…)".
std::string kernel_filter_text(const KernelEventFilter& filter);

}  // namespace kestrel::engine::eval
