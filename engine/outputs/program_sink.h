// program_sink.h — alerts piped to a shell command (Falco's program_output).
//
// The command runs as `/bin/sh -c PROGRAM` with the alert lines on its
// stdin. keep_alive=false starts the command for each alert and waits for
// it (Falco's default); keep_alive=true keeps one process for all alerts
// and restarts it when it has died (checked before each write, and on a
// broken pipe the line is retried once on a fresh process). reopen()
// closes the pipe so the next alert starts a new process (SIGHUP).
// SIGPIPE is blocked on the writing thread only, so a dead reader is an
// error value here and never a process-wide signal.
#pragma once

#include <memory>
#include <string>

#include "engine/outputs/output_sink.h"

namespace kestrel::engine {

std::unique_ptr<OutputSink> make_program_sink(std::string program, bool keep_alive);

}  // namespace kestrel::engine
