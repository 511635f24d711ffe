// list_events.h — `kestrel --list-events`: the event table as text.
#pragma once

#include <ostream>

namespace kestrel {

// One line per event type: name, category, then each param as
// name:type (flag and enum params also name their symbol set).
void print_event_table(std::ostream& out);

// `kestrel --list-syscall-events`: the syscalls Kestrel decodes (the
// event types that are syscalls and exist on this architecture), one per
// line, sorted; with `markdown` a Markdown table with each one's params.
void print_syscall_events(std::ostream& out, bool markdown);

}  // namespace kestrel
