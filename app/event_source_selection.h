// event_source_selection.h — Falco's --enable-source / --disable-source:
// which event sources run.
//
// The known sources are "syscall" and the event source of every loaded
// source plugin. --disable-source SRC (repeatable) turns SRC off;
// --enable-source SRC (repeatable) keeps only the sources named. Naming a
// source nothing provides, giving both flags, or turning every source off
// is an error, as in Falco (app/actions/select_event_sources.cpp), since
// each is a run that cannot be what was meant.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel {

inline constexpr const char* kSyscallSource = "syscall";

// The sources of `known` that must not run, or why the selection is refused.
Result<std::set<std::string>> disabled_event_sources(const std::vector<std::string>& known,
                                                     const std::vector<std::string>& enable,
                                                     const std::vector<std::string>& disable);

}  // namespace kestrel
