// list_events.h — `kestrel --list-events`: the event table as text.
#pragma once

#include <ostream>

namespace kestrel {

// One line per event type: name, category, then each param as
// name:type (flag and enum params also name their symbol set).
void print_event_table(std::ostream& out);

}  // namespace kestrel
