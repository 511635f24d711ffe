#include "gvisor/gvisor_source.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "gvisor/pod_init_config.h"
#include "gvisor/sandbox_users.h"
#include "gvisor/seccomp_confine.h"
#include "base/capabilities.h"

namespace kestrel::gvisor {

namespace {
EventTypeSet supported_types() {
  EventTypeSet all;
  all.set();
  EventTypeSet out = all & ~unsupported_types(all);
  out.reset(KE_NONE);
  return out;
}
}  // namespace

namespace {
std::function<void(const std::string&)> log_or_stderr(const std::function<void(const std::string&)>& log) {
  if (log) return log;
  return [](const std::string& line) { std::cerr << line + "\n" << std::flush; };
}
}  // namespace

GvisorSource::GvisorSource(GvisorSourceConfig config)
    : config_(std::move(config)), server_(config_.server), report_(log_or_stderr(config_.log)) {
  caps_.name = "gvisor";
  caps_.live = true;
  caps_.sees_containers = true;
  caps_.sees_sandboxes = true;
  caps_.event_types = supported_types();
  filter_.set();
}

GvisorSource::~GvisorSource() { close(); }

std::unique_ptr<GvisorSource> make_gvisor_source(GvisorSourceConfig config) {
  return std::make_unique<GvisorSource>(std::move(config));
}

Status GvisorSource::open() {
  if (thread_.joinable()) return ok_status();
  if (Status s = server_.open(); !s.ok()) return s;
  stop_ = false;
  // The thread reports whether confinement worked before open() returns, so
  // a source that could not be confined never runs unconfined silently.
  std::promise<Status> started;
  std::future<Status> started_f = started.get_future();
  thread_ = std::thread([this, p = std::move(started)]() mutable {
    // The parser needs no capability once the socket is bound; give them
    // all up before seccomp makes capset impossible here (the collector's
    // later drop, base/capabilities.h, then finds nothing to do).
    Status s = config_.confine ? drop_thread_capabilities(0) : ok_status();
    if (s.ok() && config_.confine) s = confine_parser_thread();
    bool ok = s.ok();
    p.set_value(std::move(s));
    if (ok) run();
  });
  Status s = started_f.get();
  if (!s.ok()) {
    thread_.join();
    server_.close();
    return s;
  }
  attach_running();
  return s;
}

void GvisorSource::attach_running() {
  if (config_.attach.root.empty()) return;
  AttachOptions options = config_.attach;
  std::string temp;
  if (options.session_config.empty()) {
    char path[] = "/tmp/kestrel-gvisor-session-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd >= 0) {
      PodInitConfigOptions pod;
      pod.endpoint = server_.socket_path();
      {
        std::lock_guard<std::mutex> lock(mu_);
        request_fields(pod, requested_params_);
      }
      if (auto known = installed_runsc_points(options.runsc, options.timeout); known.ok()) pod.runsc_points = *known;
      std::string text = pod_init_config_json(caps_.event_types, pod);
      bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      temp = path;
      if (written) options.session_config = temp;
    }
    if (options.session_config.empty()) {
      attach_.messages.push_back("cannot write a session config to /tmp; no sandbox attached");
      ++attach_.failed;
    }
  }
  if (!options.session_config.empty()) attach_ = attach_running_sandboxes(options, server_);
  if (!temp.empty()) ::unlink(temp.c_str());
  auto log = log_or_stderr(config_.log);
  for (const std::string& m : attach_.messages) log("kestrel: gvisor: attach: " + m);
  if (attach_.running > 0 || attach_.failed > 0)
    log("kestrel: gvisor: attached " + std::to_string(attach_.attached) + " of " + std::to_string(attach_.running) +
        " running sandboxes under " + options.root + " (" + std::to_string(attach_.threads.size()) +
        " processes seeded, " + std::to_string(attach_.failed) + " failed)");
}

std::vector<ThreadInfo> GvisorSource::initial_state() { return std::move(attach_.threads); }

void GvisorSource::run() {
  MessageDecoder decoder(config_.decoder);
  RecordArena work;
  std::vector<SandboxStats> snapshot;
  auto last_stats = std::chrono::steady_clock::now();
  while (!stop_.load(std::memory_order_relaxed)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (filter_changed_) {
        decoder.set_filter(filter_);
        filter_changed_ = false;
      }
    }
    if (!server_.poll_once(100, decoder, work)) {
      std::lock_guard<std::mutex> lock(mu_);
      thread_error_ = Status(StatusCode::kInternal, "gvisor: epoll_wait failed on " + server_.socket_path());
      break;
    }
    auto now = std::chrono::steady_clock::now();
    bool refresh = now - last_stats > std::chrono::milliseconds(200) || !work.empty();
    if (refresh) {
      snapshot = server_.sandbox_stats();
      last_stats = now;
    }
    std::vector<RefusedPeer> refused = server_.take_refusals();
    std::unique_lock<std::mutex> lock(mu_);
    if (refresh) {
      sandboxes_.swap(snapshot);
      totals_ = server_.sandbox_totals();
      counters_ = server_.counters();
    }
    for (RefusedPeer& r : refused) {  // one entry per (pid, reason) until next() takes them
      auto same = std::find_if(refusals_.begin(), refusals_.end(), [&](const RefusedPeer& x) {
        return x.peer.pid == r.peer.pid && x.reason == r.reason;
      });
      if (same != refusals_.end()) same->count += r.count;
      else if (refusals_.size() < MonitorServer::kMaxRefusedPeersKept) refusals_.push_back(std::move(r));
    }
    if (work.empty()) continue;
    // Backpressure: hold off reading until the reader catches up.
    cv_.wait(lock, [&] { return pending_.bytes() < config_.queue_bytes || stop_.load(); });
    if (pending_.empty()) {
      pending_.swap(work);
    } else {
      for (size_t i = 0; i < work.size(); ++i) pending_.append(work.record(i), work.domain(i), work.context(i));
    }
    work.clear();
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  sandboxes_ = server_.sandbox_stats();
  totals_ = server_.sandbox_totals();
  counters_ = server_.counters();
  thread_done_ = true;
  cv_.notify_all();
}

Status GvisorSource::set_capture_request(const CaptureRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_params_ = request.process_params;
  }
  return set_event_filter(request.event_types);
}

Status GvisorSource::set_event_filter(const EventTypeSet& types) {
  std::lock_guard<std::mutex> lock(mu_);
  filter_ = types;
  filter_changed_ = true;
  return ok_status();
}

Result<NextOutcome> GvisorSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  delivered_.clear();
  report_peers();
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !pending_.empty() || thread_done_; });
    if (pending_.empty()) {
      if (thread_done_ && !thread_error_.ok()) return thread_error_;
      return NextOutcome::kIdle;
    }
    delivered_.swap(pending_);
    cv_.notify_all();
  }
  out.events.reserve(delivered_.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < delivered_.size(); ++i) {
    Result<EventView> v = EventView::parse(delivered_.record(i));
    if (!v.ok()) continue;  // cannot happen: the decoder built it
    out.events.push_back(Event{*v, delivered_.domain(i), 0});
    bytes += delivered_.record(i).size();
    processes_.remember(delivered_.domain(i), delivered_.context(i));
  }
  std::lock_guard<std::mutex> lock(mu_);
  events_ += out.events.size();
  bytes_ += bytes;
  return NextOutcome::kBatch;
}

std::optional<CaptureUsers> GvisorSource::domain_users(DomainId domain) const {
  std::lock_guard<std::mutex> users_lock(users_mu_);
  if (auto it = users_.find(domain); it != users_.end()) return it->second;
  // An attached sandbox: the bundle `runsc list` named. Else the runsc
  // process that connected (its peer pid), while it runs.
  std::string bundle;
  for (const AttachedSandbox& a : attach_.sandboxes)
    if (a.domain == domain) bundle = a.bundle;
  pid_t peer = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const SandboxStats& s : sandboxes_)
      if (s.domain == domain) peer = s.peer.pid;
  }
  if (bundle.empty() && peer == 0) return std::nullopt;  // not connected (yet)
  Result<std::string> rootfs = bundle.empty() ? rootfs_of_runsc_process(peer) : rootfs_of_bundle(bundle);
  Result<CaptureUsers> users = rootfs.ok() ? read_rootfs_users(*rootfs) : Result<CaptureUsers>(rootfs.status());
  if (!users.ok()) {
    if (users_failed_logged_.insert(domain).second && users_failed_logged_.size() <= 1024)
      log_or_stderr(config_.log)("kestrel: gvisor: sandbox " + std::to_string(domain) +
                                 ": user and group names unknown: " + users.status().message());
    return std::nullopt;
  }
  // One entry per sandbox seen; a long run with many short sandboxes keeps
  // at most the newest 1024.
  if (users_.size() >= 1024) users_.erase(users_.begin());
  return users_.emplace(domain, std::move(*users)).first->second;
}

std::vector<SandboxStats> GvisorSource::sandbox_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sandboxes_;
}

void GvisorSource::report_peers() {
  std::vector<RefusedPeer> refused;
  std::vector<SandboxStats> sandboxes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refused.swap(refusals_);
    sandboxes = sandboxes_;
  }
  report_.add_refusals(refused);
  report_.flush(sandboxes);
}

const std::set<std::string>& untrusted_drop_reasons() {
  static const std::set<std::string> reasons = {
      "sandbox_reported",        "malformed",     "unknown_type",  "too_large", "refused_per_peer", "handshake_timeout",
      "refused_max_connections", "accept_failed", "param_mismatch"};
  return reasons;
}

SourceStats GvisorSource::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SourceStats s;
  s.events = events_;
  s.bytes = bytes_;
  s.drops["sandbox_reported"] = totals_.sandbox_dropped;
  s.drops["malformed"] = totals_.malformed;
  s.drops["unknown_type"] = totals_.unknown_type;
  s.drops["too_large"] = totals_.too_large;
  // A converter bug, but the sandbox chooses the input that reaches it, so
  // it is an untrusted reason like malformed.
  s.drops["param_mismatch"] = totals_.param_mismatch;
  // Not a drop: the execve is kept without the digest the sandbox garbled.
  s.counters["bad_exe_sha256"] = totals_.bad_exe_sha256;
  s.drops["refused_max_connections"] = counters_.refused_max_connections;
  s.drops["refused_per_peer"] = counters_.refused_per_peer;
  s.drops["handshake_timeout"] = counters_.handshake_timeouts;
  s.drops["accept_failed"] = counters_.accept_failed;
  // Sandboxes that kept running unwatched because attaching failed.
  s.drops["attach_failed"] = attach_.failed;
  s.untrusted_reasons = untrusted_drop_reasons();
  return s;
}

void GvisorSource::close() {
  if (thread_.joinable()) {
    stop_ = true;
    server_.wake();
    cv_.notify_all();
    thread_.join();
  }
  server_.close();
}

}  // namespace kestrel::gvisor
