// alert_store.h — alerts kept in an embedded SQLite database.
//
// One table, `alerts`, one row per alert, whichever node raised it:
//   id        INTEGER PRIMARY KEY (rowid: insertion order, the API's cursor)
//   time_ns   the event's time, ns since the epoch
//   host      the node that raised it (the alert's hostname); a central
//             Kestrel reading the fleet bus stores each node's alerts with
//             that node's name, so the same queries see the whole fleet
//   rule, priority (0 Emergency .. 7 Debug, engine::Priority), source
//   container_id, container_name   from output_fields (empty when absent)
//   tags      JSON array of the rule's tags
//   output    the rule's output, fields substituted
//   fields    output_fields (and extra_fields) as a JSON object
// Drop and health events the collector raises about itself are alerts of
// source "internal" (engine::kInternalSource) and are stored the same way.
// A second table, `nodes`, keeps the fleet nodes' last statuses
// (node_table.h); the schema of both is created here.
//
// The file is opened in WAL mode with synchronous=NORMAL: readers (the
// webserver's API) never wait for the writer, and a commit costs no fsync
// (a power cut may lose the last commits, never corrupt the file).
//
// Retention: enforce_retention() deletes rows older than `retention_days`
// and, while the database is larger than `max_size_mb`, the oldest rows in
// chunks; the writer (store_sink.h) calls it periodically.
//
// Threads: an AlertStore is one SQLite connection and is used by one thread
// at a time (the store sink's worker, or a reader made per request by
// open_reader()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/alert.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kestrel::store {

struct StoreOptions {
  std::string path;              // store.path
  uint64_t retention_days = 30;  // store.retention_days; 0: keep forever
  uint64_t max_size_mb = 1024;   // store.max_size_mb; 0: no size cap
};

struct RetentionResult {
  uint64_t deleted_by_age = 0;
  uint64_t deleted_by_size = 0;
};

class AlertStore {
 public:
  ~AlertStore();
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  // Opens (creating the file, its directory and the schema when missing)
  // for writing. Errors name the path and SQLite's message.
  static Result<std::unique_ptr<AlertStore>> open_writer(const StoreOptions& options);
  // Opens an existing store read-only (the API's per-request connection).
  static Result<std::unique_ptr<AlertStore>> open_reader(const std::string& path);

  // Inserts one alert: in its own transaction, or in the one begin()
  // opened (visible to readers at commit()). Returns its id.
  Result<int64_t> insert(const engine::Alert& alert);
  Status begin();
  Status commit();
  bool in_transaction() const { return in_transaction_; }
  // Inserts many in one transaction (the benchmark; bulk loads); returns
  // the id of the last one.
  Result<int64_t> insert_all(const std::vector<engine::Alert>& alerts);
  RetentionResult enforce_retention(uint64_t now_ns);
  // Bytes the database file occupies (page_count * page_size).
  uint64_t size_bytes();

  sqlite3* db() { return db_; }
  const StoreOptions& options() const { return options_; }

 private:
  AlertStore(sqlite3* db, StoreOptions options) : db_(db), options_(std::move(options)) {}
  Status exec(const char* sql);
  Result<int64_t> insert_one(const engine::Alert& alert);

  sqlite3* db_;
  StoreOptions options_;
  sqlite3_stmt* insert_stmt_ = nullptr;
  bool in_transaction_ = false;
};

// The columns an alert fills, as the store derives them (also what the
// API's filters compare against).
std::string container_id_of(const engine::Alert& alert);
std::string container_name_of(const engine::Alert& alert);

}  // namespace kestrel::store
