#include "outputs/nats_sink.h"

#include <nats/nats.h>

#include <atomic>

#include "outputs/alert_format.h"
#include "outputs/retry_wait.h"

namespace kestrel::engine {
namespace {

class NatsSink : public OutputSink {
 public:
  NatsSink(std::shared_ptr<fleet::NatsBus> bus, NatsSinkOptions options)
      : bus_(std::move(bus)),
        options_(std::move(options)),
        subject_(fleet::alerts_subject(options_.node)),
        id_prefix_(fleet::subject_token(options_.node) + "-" +
                   std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()) +
                   "-") {
    // Every property, so the receiving side can rebuild the alert whole.
    format_.json = true;
    format_.include_output = true;
    format_.include_tags = true;
    format_.include_message = true;
    format_.include_output_fields = true;
    format_.iso_time = options_.iso_time;
  }

  std::string_view name() const override { return "nats"; }

  Status write(const Alert& alert, const std::string&) override {
    const std::string body = format_alert(alert, format_);
    const std::string id = id_prefix_ + std::to_string(++sequence_);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    po.MaxWait = options_.publish_timeout.count();
    auto backoff = options_.initial_backoff;
    for (;;) {
      if (retry_.cancelled()) return Status(StatusCode::kUnavailable, "nats output: shutting down");
      jsPubAck* ack = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_Publish(&ack, bus_->jetstream(), subject_.c_str(), body.data(), static_cast<int>(body.size()),
                                &po, &jerr);
      if (s == NATS_OK) {
        if (ack && ack->Duplicate) ++duplicates_;
        jsPubAck_Destroy(ack);
        ++published_;
        return ok_status();
      }
      jsPubAck_Destroy(ack);
      ++retries_;
      if (!retry_.wait(backoff, options_.max_backoff))
        return Status(StatusCode::kUnavailable, "nats output: shutting down");
    }
  }

  void cancel() override { retry_.cancel(); }

  std::map<std::string, uint64_t> counters() const override {
    return {{"published", published_.load()}, {"retries", retries_.load()}, {"duplicates", duplicates_.load()}};
  }

 private:
  std::shared_ptr<fleet::NatsBus> bus_;
  NatsSinkOptions options_;
  AlertFormatOptions format_;
  std::string subject_;
  std::string id_prefix_;
  uint64_t sequence_ = 0;  // the worker thread's alone
  RetryWait retry_;
  std::atomic<uint64_t> published_{0}, retries_{0}, duplicates_{0};
};

}  // namespace

std::unique_ptr<OutputSink> make_nats_sink(std::shared_ptr<fleet::NatsBus> bus, NatsSinkOptions options) {
  return std::make_unique<NatsSink>(std::move(bus), std::move(options));
}

}  // namespace kestrel::engine
