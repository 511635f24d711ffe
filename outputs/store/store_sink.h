// store_sink.h — the output sink that writes alerts into the AlertStore.
//
// It is one more sink of the AlertDispatcher, so it has that stage's
// bounded queue and worker thread (sink_worker.h): when SQLite is slow the
// queue fills and alerts are dropped and counted (per sink, "store", in
// the summary and /metrics), never holding up the engine or other sinks.
//
// Batching: alerts are inserted into an open transaction that is committed
// when the worker's queue runs empty (queue_drained()), after kBatch
// alerts, and at flush(). An alert alone is committed at once; a burst
// shares one commit per kBatch, which is what lets the writer keep up
// (bench/alert_store_bench). Once committed, each alert is published on
// the LiveFeed (when someone listens). Every kRetentionEvery, between
// batches, retention runs.
//
// Counters (OutputSink::counters, in /metrics): retention_deleted_age,
// retention_deleted_size, and commit_failed (alerts written but lost
// because their transaction failed to commit; they were counted delivered).
#pragma once

#include <chrono>
#include <memory>

#include "outputs/output_sink.h"
#include "outputs/store/alert_store.h"
#include "outputs/store/live_feed.h"

namespace kestrel::store {

inline constexpr std::chrono::seconds kRetentionEvery{60};
inline constexpr size_t kBatch = 512;

// `store` is opened by the caller (so a bad path fails at start-up);
// `feed` may be null.
std::unique_ptr<engine::OutputSink> make_store_sink(std::unique_ptr<AlertStore> store,
                                                    std::shared_ptr<LiveFeed> feed);

}  // namespace kestrel::store
