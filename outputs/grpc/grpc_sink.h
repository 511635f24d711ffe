// grpc_sink.h — the output sink behind Falco's `grpc_output.enabled`:
// publishes each alert to the AlertHub the gRPC server streams from.
// flush() (end of run) waits up to `drain_timeout` for every subscriber to
// have been sent what was queued for it.
#pragma once

#include <chrono>
#include <memory>

#include "outputs/grpc/alert_hub.h"
#include "outputs/output_sink.h"

namespace kestrel::engine {

std::unique_ptr<OutputSink> make_grpc_sink(std::shared_ptr<AlertHub> hub,
                                           std::chrono::milliseconds drain_timeout = std::chrono::seconds(5));

}  // namespace kestrel::engine
