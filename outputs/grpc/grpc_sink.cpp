#include "outputs/grpc/grpc_sink.h"

#include <atomic>

namespace kestrel::engine {
namespace {

class GrpcSink : public OutputSink {
 public:
  GrpcSink(std::shared_ptr<AlertHub> hub, std::chrono::milliseconds drain_timeout, AlertFormatOptions format)
      : hub_(std::move(hub)), drain_timeout_(drain_timeout), format_(format) {
    format_.ocsf = false;
  }
  std::string_view name() const override { return "grpc"; }
  Status write(const Alert& alert, const std::string&) override {
    hub_->publish({alert, format_alert(alert, format_), format_.iso_time});
    return ok_status();
  }
  // Subscribers get up to drain_timeout to take what is queued for them,
  // unless the shutdown deadline cancels the wait first.
  void flush() override {
    const auto end = std::chrono::steady_clock::now() + drain_timeout_;
    while (!cancelled_.load() && std::chrono::steady_clock::now() < end)
      if (hub_->wait_drained(std::chrono::milliseconds(50))) return;
  }
  void cancel() override { cancelled_.store(true); }
  std::map<std::string, uint64_t> counters() const override {
    auto s = hub_->stats();
    return {{"published", s.published},
            {"queue_drops", s.queue_drops},
            {"subscribers", s.subscribers}};
  }

 private:
  std::shared_ptr<AlertHub> hub_;
  std::chrono::milliseconds drain_timeout_;
  AlertFormatOptions format_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::unique_ptr<OutputSink> make_grpc_sink(std::shared_ptr<AlertHub> hub, std::chrono::milliseconds drain_timeout,
                                           AlertFormatOptions format) {
  return std::make_unique<GrpcSink>(std::move(hub), drain_timeout, format);
}

}  // namespace kestrel::engine
