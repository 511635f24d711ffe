#include "outputs/store/store_sink.h"

#include <atomic>
#include <vector>

#include "outputs/store/alert_query.h"

namespace kestrel::store {
namespace {

class StoreSink final : public engine::OutputSink {
 public:
  StoreSink(std::unique_ptr<AlertStore> store, std::shared_ptr<LiveFeed> feed)
      : store_(std::move(store)), feed_(std::move(feed)) {}

  std::string_view name() const override { return "store"; }

  Status write(const engine::Alert& alert, const std::string&) override {
    if (Status s = store_->begin(); !s.ok()) return s;
    auto id = store_->insert(alert);
    if (!id.ok()) return id.status();
    batch_.push_back(*id);
    if (batch_.size() >= kBatch) return commit_batch();
    return ok_status();
  }

  void queue_drained() override { (void)commit_batch(); }
  void flush() override { (void)commit_batch(); }

  std::map<std::string, uint64_t> counters() const override {
    return {{"retention_deleted_age", deleted_by_age_.load()},
            {"retention_deleted_size", deleted_by_size_.load()},
            {"commit_failed", commit_failed_.load()}};
  }

 private:
  Status commit_batch() {
    if (batch_.empty()) return ok_status();
    Status committed = store_->commit();
    if (!committed.ok()) {
      commit_failed_ += batch_.size();
      batch_.clear();
      return committed;
    }
    if (feed_ && feed_->subscribers() > 0)
      for (int64_t id : batch_) {
        auto row = get_alert(*store_, id);
        if (row.ok() && *row) feed_->publish((*row)->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    batch_.clear();
    apply_retention_when_due();
    return ok_status();
  }

  void apply_retention_when_due() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_retention_ < kRetentionEvery) return;
    last_retention_ = now;
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    RetentionResult r = store_->enforce_retention(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()));
    deleted_by_age_ += r.deleted_by_age;
    deleted_by_size_ += r.deleted_by_size;
  }

  std::unique_ptr<AlertStore> store_;
  std::shared_ptr<LiveFeed> feed_;
  std::vector<int64_t> batch_;  // ids inserted in the open transaction
  // The first batch applies retention (a store left over from long ago).
  std::chrono::steady_clock::time_point last_retention_{};
  std::atomic<uint64_t> deleted_by_age_{0}, deleted_by_size_{0}, commit_failed_{0};
};

}  // namespace

std::unique_ptr<engine::OutputSink> make_store_sink(std::unique_ptr<AlertStore> store,
                                                    std::shared_ptr<LiveFeed> feed) {
  return std::make_unique<StoreSink>(std::move(store), std::move(feed));
}

}  // namespace kestrel::store
