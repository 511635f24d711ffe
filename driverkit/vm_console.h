// vm_console.h — reads what a scenario printed on the serial console of a
// VM booted by scripts/vm/ (see scripts/vm/README.md for the protocol):
// sections between "KESTREL-VM: BEGIN <name>" and "KESTREL-VM: END <name>",
// single "KESTREL-VM: <WORD> ..." marker lines, base64 payloads inside a
// section, and the kernel's own complaints (oops, WARN, BUG, lockdep).
//
// The console also carries kernel messages, interleaved with the
// scenario's lines at any point; every reader here tolerates that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kestrel::driverkit {

// The console split into lines, '\r' removed.
std::vector<std::string> console_lines(const std::string& console);

// The lines between "KESTREL-VM: BEGIN name" and "KESTREL-VM: END name";
// nullopt when the BEGIN marker is missing (an END that never comes takes
// the rest of the console).
std::optional<std::vector<std::string>> console_section(const std::vector<std::string>& lines,
                                                        const std::string& name);

// The first line starting with "KESTREL-VM: <prefix>", or nullopt.
std::optional<std::string> console_marker(const std::vector<std::string>& lines, const std::string& prefix);

// Decodes base64 lines as `base64` prints them. A line with a character
// outside the alphabet (a kernel message on the console) is skipped; if it
// cut a payload line, the consumer's own check (gzip, crc) fails.
std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines);

// Whether a console or kernel-log line reports a kernel problem: an oops, a
// WARN/BUG, a lockdep report, a call trace (x86 and arm64 wording), a GPF,
// a panic, a sanitizer report, a hung task, an RCU stall. The scenario's
// own "KESTREL-VM:" lines never do. (The tests' VM harness uses it too.)
bool is_kernel_splat(const std::string& line);

// The lines of a kernel log for which is_kernel_splat() holds. Empty when
// the kernel did not complain.
std::vector<std::string> kernel_splats(const std::vector<std::string>& lines);

}  // namespace kestrel::driverkit
