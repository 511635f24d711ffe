// program_sink.h — alerts piped to a shell command (Falco's program_output).
//
// The command runs as `/bin/sh -c PROGRAM`, in its own process group, with
// the alert lines on its stdin. keep_alive=false starts the command for
// each alert and waits for it to exit (Falco's default); keep_alive=true
// keeps one process for all alerts and restarts it when it has died
// (checked before each write; on a broken pipe the line is retried once on
// a fresh process). reopen() and flush() close the pipe and let the
// command finish.
//
// Nothing here waits without a bound: a command that does not take a line
// within `timeout` (a full pipe nobody reads), or — without keep_alive —
// does not exit within `timeout` after its line, is killed (its whole
// process group) and counted ("timeouts"); that alert is reported lost and
// the next one starts a fresh process ("restarts"). Closing waits at most
// `timeout` too. cancel() makes a write or close in progress give up at
// once. SIGPIPE is blocked on the writing thread only, so a dead reader is
// an error value here and never a process-wide signal.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "outputs/output_sink.h"

namespace kestrel::engine {

std::unique_ptr<OutputSink> make_program_sink(std::string program, bool keep_alive,
                                              std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace kestrel::engine
