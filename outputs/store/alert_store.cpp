#include "outputs/store/alert_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "outputs/alert_format.h"

namespace kestrel::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  host TEXT NOT NULL,
  rule TEXT NOT NULL,
  priority INTEGER NOT NULL,
  source TEXT NOT NULL,
  container_id TEXT NOT NULL,
  container_name TEXT NOT NULL,
  tags TEXT NOT NULL,
  output TEXT NOT NULL,
  fields TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_ns);
CREATE INDEX IF NOT EXISTS alerts_rule_time ON alerts(rule, time_ns);
CREATE INDEX IF NOT EXISTS alerts_host_time ON alerts(host, time_ns);
CREATE TABLE IF NOT EXISTS nodes(
  node TEXT PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  status TEXT NOT NULL);
)sql";

// The fewest rows deleted per step while the file is over its size cap.
constexpr uint64_t kMinSizeStep = 100;

Status sqlite_error(sqlite3* db, const std::string& what) {
  return Status(StatusCode::kInternal, "store: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

std::string field_text(const engine::Alert& alert, std::string_view name) {
  for (const auto& [key, value] : alert.output_fields)
    if (key == name)
      if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return {};
}

}  // namespace

std::string container_id_of(const engine::Alert& alert) { return field_text(alert, "container.id"); }
std::string container_name_of(const engine::Alert& alert) { return field_text(alert, "container.name"); }

AlertStore::~AlertStore() {
  if (insert_stmt_) sqlite3_finalize(insert_stmt_);
  sqlite3_close(db_);
}

Status AlertStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status(StatusCode::kInternal, "store " + options_.path + ": " + msg);
  }
  return ok_status();
}

Result<std::unique_ptr<AlertStore>> AlertStore::open_writer(const StoreOptions& options) {
  std::error_code ec;
  const auto dir = std::filesystem::path(options.path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status(StatusCode::kUnavailable, "store: cannot create " + dir.string() + ": " + ec.message() +
                                                " (set store.path, or store.enabled=false)");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options.path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    Status s = sqlite_error(db, "cannot open " + options.path + " (set store.path, or store.enabled=false)");
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<AlertStore> store(new AlertStore(db, options));
  // Other Kestrels (tests, a second collector) may share the file: wait
  // for their write rather than fail.
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema})
    if (Status s = store->exec(sql); !s.ok()) return s;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO alerts(time_ns,host,rule,priority,source,container_id,container_name,tags,"
                         "output,fields) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         -1, &store->insert_stmt_, nullptr) != SQLITE_OK)
    return sqlite_error(db, "prepare insert");
  return store;
}

Result<std::unique_ptr<AlertStore>> AlertStore::open_reader(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Status s = sqlite_error(db, "cannot open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 2000);
  return std::unique_ptr<AlertStore>(new AlertStore(db, StoreOptions{path, 0, 0}));
}

Result<int64_t> AlertStore::insert_one(const engine::Alert& alert) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [key, value] : alert.output_fields) fields[key] = engine::field_value_json(value);
  for (const auto& [key, value] : alert.extra_fields) fields[key] = engine::field_value_json(value);
  const std::string tags = nlohmann::json(alert.tags).dump();
  const std::string fields_text = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string cid = container_id_of(alert), cname = container_name_of(alert);
  sqlite3_stmt* st = insert_stmt_;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(alert.time_ns));
  sqlite3_bind_text(st, 2, alert.hostname.data(), static_cast<int>(alert.hostname.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 3, alert.rule.data(), static_cast<int>(alert.rule.size()), SQLITE_STATIC);
  sqlite3_bind_int(st, 4, static_cast<int>(alert.priority));
  sqlite3_bind_text(st, 5, alert.source.data(), static_cast<int>(alert.source.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 6, cid.data(), static_cast<int>(cid.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 7, cname.data(), static_cast<int>(cname.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 8, tags.data(), static_cast<int>(tags.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 9, alert.output.data(), static_cast<int>(alert.output.size()), SQLITE_STATIC);
  sqlite3_bind_text(st, 10, fields_text.data(), static_cast<int>(fields_text.size()), SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) return sqlite_error(db_, "insert into " + options_.path);
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<int64_t> AlertStore::insert(const engine::Alert& alert) { return insert_one(alert); }

Status AlertStore::begin() {
  if (in_transaction_) return ok_status();
  if (Status s = exec("BEGIN"); !s.ok()) return s;
  in_transaction_ = true;
  return ok_status();
}

Status AlertStore::commit() {
  if (!in_transaction_) return ok_status();
  in_transaction_ = false;
  if (Status s = exec("COMMIT"); !s.ok()) {
    (void)exec("ROLLBACK");
    return s;
  }
  return ok_status();
}

Result<int64_t> AlertStore::insert_all(const std::vector<engine::Alert>& alerts) {
  if (in_transaction_) return Status(StatusCode::kInternal, "store: insert_all inside a transaction");
  if (Status s = exec("BEGIN"); !s.ok()) return s;
  int64_t last = 0;
  for (const auto& a : alerts) {
    auto id = insert_one(a);
    if (!id.ok()) {
      (void)exec("ROLLBACK");
      return id.status();
    }
    last = *id;
  }
  if (Status s = exec("COMMIT"); !s.ok()) return s;
  return last;
}

uint64_t AlertStore::size_bytes() {
  auto pragma = [&](const char* sql) -> int64_t {
    sqlite3_stmt* st = nullptr;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  // Free pages are reused by later inserts, so they do not count.
  return static_cast<uint64_t>((pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) *
                               pragma("PRAGMA page_size"));
}

RetentionResult AlertStore::enforce_retention(uint64_t now_ns) {
  RetentionResult r;
  if (options_.retention_days > 0) {
    const uint64_t horizon = options_.retention_days * 86400ull * 1000000000ull;
    if (now_ns > horizon) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db_, "DELETE FROM alerts WHERE time_ns < ?", -1, &st, nullptr) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, static_cast<int64_t>(now_ns - horizon));
        if (sqlite3_step(st) == SQLITE_DONE) r.deleted_by_age = static_cast<uint64_t>(sqlite3_changes(db_));
      }
      sqlite3_finalize(st);
      // Nodes not heard from for as long (node_table.h).
      st = nullptr;
      if (sqlite3_prepare_v2(db_, "DELETE FROM nodes WHERE received_ns < ?", -1, &st, nullptr) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, static_cast<int64_t>(now_ns - horizon));
        sqlite3_step(st);
      }
      sqlite3_finalize(st);
    }
  }
  if (options_.max_size_mb > 0) {
    const uint64_t cap = options_.max_size_mb * 1024ull * 1024ull;
    for (uint64_t size = size_bytes(); size > cap; size = size_bytes()) {
      // The oldest rows in proportion to the excess (rows are of similar
      // size), a little more so one or two steps reach the cap.
      uint64_t rows = 0;
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM alerts", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW)
        rows = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
      sqlite3_finalize(st);
      const auto excess = static_cast<double>(size - cap) / static_cast<double>(size);
      const auto n = std::max<uint64_t>(kMinSizeStep, static_cast<uint64_t>(static_cast<double>(rows) * excess * 1.05));
      const std::string sql =
          "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts ORDER BY id LIMIT " + std::to_string(n) + ")";
      if (!exec(sql.c_str()).ok()) break;
      const auto deleted = static_cast<uint64_t>(sqlite3_changes(db_));
      if (deleted == 0) break;
      r.deleted_by_size += deleted;
    }
  }
  return r;
}

}  // namespace kestrel::store
