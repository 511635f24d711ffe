// grpc_sink.h — the output sink behind Falco's `grpc_output.enabled`:
// publishes each alert to the AlertHub the gRPC server streams from, with
// the line Falco's gRPC `output` carries: the alert formatted as Falco
// formats it for its outputs (`format`: text, or JSON with json_output;
// OCSF never — it is Kestrel's, and Falco clients parse Falco's forms).
// flush() (end of run) waits up to `drain_timeout` for consumers to have
// taken what was queued.
#pragma once

#include <chrono>
#include <memory>

#include "outputs/alert_format.h"
#include "outputs/grpc/alert_hub.h"
#include "outputs/output_sink.h"

namespace kestrel::engine {

std::unique_ptr<OutputSink> make_grpc_sink(std::shared_ptr<AlertHub> hub,
                                           std::chrono::milliseconds drain_timeout = std::chrono::seconds(5),
                                           AlertFormatOptions format = {});

}  // namespace kestrel::engine
