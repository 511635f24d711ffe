// grpc_lookup.h — what the gRPC runtime clients (containerd, CRI) share:
// the socket check before connecting, deadlines, a channel that reconnects
// quickly, a failed call as a LookupResult, and reading an event stream
// until it ends or the watcher is stopped.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "state/containers/container_runtime.h"

namespace kestrel {

inline bool socket_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// gRPC takes deadlines on the system clock only.
inline std::chrono::system_clock::time_point wall_deadline(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - std::chrono::steady_clock::now());
}

inline LookupResult failed_call(const grpc::Status& s, std::string what) {
  LookupResult out;
  switch (s.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED: out.outcome = LookupOutcome::kTimeout; break;
    case grpc::StatusCode::UNAVAILABLE: out.outcome = LookupOutcome::kUnavailable; break;
    default: out.outcome = LookupOutcome::kError; break;
  }
  out.error = std::move(what) + ": " + std::to_string(static_cast<int>(s.error_code())) + " " + s.error_message();
  return out;
}

// gRPC's default reconnect backoff grows to two minutes: a runtime
// restarting would leave lookups failing long after it is back.
inline std::shared_ptr<grpc::Channel> unix_channel(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
}

inline void sleep_unless_stopped(const std::atomic<bool>& stop, int tenths) {
  for (int i = 0; i < tenths && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// Hands every message of a server stream to `on_message` until the stream
// ends; returns how it ended. Read() blocks until a message comes, so a
// second thread cancels the call once `stop` is set: the watcher returns
// within ~100 ms of it.
template <typename Message, typename OnMessage>
grpc::Status read_stream(grpc::ClientContext& ctx, grpc::ClientReader<Message>& reader, const std::atomic<bool>& stop,
                         OnMessage on_message) {
  std::atomic<bool> ended{false};
  std::thread canceller([&] {
    while (!ended.load() && !stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop.load()) ctx.TryCancel();
  });
  Message message;
  while (reader.Read(&message)) on_message(message);
  ended = true;
  canceller.join();
  return reader.Finish();
}

}  // namespace kestrel
