// param_format.h — the text form of a param, as evt.arg.<name> shows it.
//
// Follows Falco's rendering: integers in decimal, errors as their errno
// name ("ENOENT"), modes in octal ("0644"), flags by name
// ("O_RDONLY|O_CLOEXEC"), addresses as "ip:port", tuples as
// "sip:sport->dip:dport", string arrays joined with spaces, bytes with
// non-printables as '.'. An absent or unreadable param is "<NA>".
#pragma once

#include <cstdint>
#include <string>

#include "sources/event/event_view.h"

namespace kestrel {

inline constexpr std::string_view kNotAvailable = "<NA>";

std::string format_param(const EventView& ev, uint16_t index);

// "ENOENT" for -2; the decimal value for success values.
std::string format_errno(int64_t res);

}  // namespace kestrel
