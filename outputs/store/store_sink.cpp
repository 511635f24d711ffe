#include "outputs/store/store_sink.h"

#include <atomic>

#include "outputs/store/alert_query.h"

namespace kestrel::store {
namespace {

class StoreSink final : public engine::OutputSink {
 public:
  StoreSink(std::unique_ptr<AlertStore> store, std::shared_ptr<LiveFeed> feed)
      : store_(std::move(store)), feed_(std::move(feed)) {}

  std::string_view name() const override { return "store"; }

  Status write(const engine::Alert& alert, const std::string&) override {
    auto id = store_->insert(alert);
    if (!id.ok()) return id.status();
    if (feed_ && feed_->subscribers() > 0) {
      auto row = get_alert(*store_, *id);
      if (row.ok() && *row) feed_->publish((*row)->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_retention_ >= kRetentionEvery) {
      last_retention_ = now;
      const auto wall = std::chrono::system_clock::now().time_since_epoch();
      RetentionResult r = store_->enforce_retention(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()));
      deleted_by_age_ += r.deleted_by_age;
      deleted_by_size_ += r.deleted_by_size;
    }
    return ok_status();
  }

  std::map<std::string, uint64_t> counters() const override {
    return {{"retention_deleted_age", deleted_by_age_.load()}, {"retention_deleted_size", deleted_by_size_.load()}};
  }

 private:
  std::unique_ptr<AlertStore> store_;
  std::shared_ptr<LiveFeed> feed_;
  // The first alert applies retention (a store left over from long ago).
  std::chrono::steady_clock::time_point last_retention_{};
  std::atomic<uint64_t> deleted_by_age_{0}, deleted_by_size_{0};
};

}  // namespace

std::unique_ptr<engine::OutputSink> make_store_sink(std::unique_ptr<AlertStore> store,
                                                    std::shared_ptr<LiveFeed> feed) {
  return std::make_unique<StoreSink>(std::move(store), std::move(feed));
}

}  // namespace kestrel::store
