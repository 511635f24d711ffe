#include "outputs/store/node_table.h"

#include <sqlite3.h>

namespace kestrel::store {
namespace {

Status sql_error(AlertStore& store, const std::string& what) {
  return Status(StatusCode::kInternal,
                "store " + store.options().path + ": nodes table: " + what + ": " + sqlite3_errmsg(store.db()));
}

std::string column_text(sqlite3_stmt* st, int i) {
  const auto* p = sqlite3_column_text(st, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, i))) : "";
}

}  // namespace

Result<bool> put_node_status(AlertStore& store, const StoredNodeStatus& row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(store.db(),
                         "INSERT INTO nodes(node,time_ns,received_ns,status) VALUES(?,?,?,?) "
                         "ON CONFLICT(node) DO UPDATE SET time_ns=excluded.time_ns, "
                         "received_ns=excluded.received_ns, status=excluded.status "
                         "WHERE excluded.time_ns >= nodes.time_ns",
                         -1, &st, nullptr) != SQLITE_OK)
    return sql_error(store, "prepare");
  sqlite3_bind_text(st, 1, row.node.data(), static_cast<int>(row.node.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(row.time_ns));
  sqlite3_bind_int64(st, 3, static_cast<int64_t>(row.received_ns));
  sqlite3_bind_text(st, 4, row.status.data(), static_cast<int>(row.status.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sql_error(store, "upsert of node '" + row.node + "'");
  return sqlite3_changes(store.db()) > 0;
}

Result<std::vector<StoredNodeStatus>> list_node_statuses(AlertStore& store) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(store.db(), "SELECT node,time_ns,received_ns,status FROM nodes ORDER BY node", -1, &st,
                         nullptr) != SQLITE_OK)
    return sql_error(store, "prepare");
  std::vector<StoredNodeStatus> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    rows.push_back({column_text(st, 0), static_cast<uint64_t>(sqlite3_column_int64(st, 1)),
                    static_cast<uint64_t>(sqlite3_column_int64(st, 2)), column_text(st, 3)});
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sql_error(store, "read");
  return rows;
}

}  // namespace kestrel::store
