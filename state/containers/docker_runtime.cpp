#include "state/containers/docker_runtime.h"

#include <sys/stat.h>

#include <thread>

#include "state/containers/docker_inspect.h"
#include "state/containers/kubernetes_labels.h"
#include "state/containers/unix_http.h"

namespace kestrel {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return ms.count() < 1 ? std::chrono::milliseconds(1) : ms;
}

LookupResult failed(const HttpReply& r, std::string_view what) {
  LookupResult out;
  switch (r.status) {
    case HttpReply::Status::kNoSocket: out.outcome = LookupOutcome::kUnavailable; break;
    case HttpReply::Status::kTimeout: out.outcome = LookupOutcome::kTimeout; break;
    default: out.outcome = LookupOutcome::kError; break;
  }
  out.error = std::string(what) + ": " + (r.status == HttpReply::Status::kOk ? "HTTP " + std::to_string(r.code) : r.error);
  return out;
}

}  // namespace

DockerRuntime::DockerRuntime(std::string socket_path, std::string type)
    : socket_(std::move(socket_path)), type_(std::move(type)) {}

LookupResult DockerRuntime::inspect(std::string_view id, std::chrono::milliseconds timeout) {
  LookupResult out;
  if (!is_plausible_container_ref(id)) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  auto deadline = Clock::now() + timeout;
  HttpReply r = unix_http_get(socket_, "/containers/" + std::string(id) + "/json", timeout);
  if (r.status == HttpReply::Status::kOk && r.code == 404) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  if (r.status != HttpReply::Status::kOk || r.code != 200) return failed(r, "GET /containers/" + std::string(id) + "/json");
  auto info = parse_docker_inspect(r.body, type_);
  if (!info.ok()) {
    out.outcome = LookupOutcome::kError;
    out.error = info.status().message();
    return out;
  }
  out.outcome = LookupOutcome::kFound;
  out.info = std::move(*info);
  // Extras: what they cannot fetch within the deadline stays empty rather
  // than failing a lookup that has its essentials.
  if (out.info.image_digest.empty() && is_plausible_container_ref(out.info.image_id) && Clock::now() < deadline) {
    HttpReply img = unix_http_get(socket_, "/images/" + out.info.image_id + "/json", left(deadline));
    if (img.status == HttpReply::Status::kOk && img.code == 200) out.info.image_digest = parse_docker_image_digest(img.body);
  }
  const std::string& sandbox = out.info.pod_sandbox_id;
  if (!sandbox.empty() && sandbox != out.info.id && is_plausible_container_ref(sandbox) && Clock::now() < deadline) {
    HttpReply sb = unix_http_get(socket_, "/containers/" + sandbox + "/json", left(deadline));
    if (sb.status == HttpReply::Status::kOk && sb.code == 200) {
      if (auto pod = parse_docker_inspect(sb.body, type_); pod.ok())
        for (auto& [k, v] : pod->labels)
          if (!is_runtime_label(k)) out.info.pod_labels[k] = v;
    }
  }
  return out;
}

void DockerRuntime::watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) {
  // filters={"type":["container"]}, URL-encoded.
  const std::string path = "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D";
  auto on_line = [&](std::string_view line) {
    auto ev = parse_docker_event(line);
    if (!ev) return;
    if (ev->action == "destroy") {
      ContainerChange c;
      c.kind = ContainerChange::Kind::kGone;
      c.id = ev->id;
      sink(std::move(c));
      return;
    }
    if (ev->action != "create" && ev->action != "start" && ev->action != "rename" && ev->action != "update") return;
    LookupResult r = inspect(ev->id, std::chrono::milliseconds(2000));
    if (r.outcome != LookupOutcome::kFound) return;
    ContainerChange c;
    c.kind = ContainerChange::Kind::kUpdated;
    c.id = ev->id;
    c.info = std::move(r.info);
    sink(std::move(c));
  };
  while (!stop.load()) {
    // Connect only when the socket exists: a host without this runtime
    // then costs one stat() a second, not a socket and a failed connect
    // (which Kestrel's own capture would see, and which churns the
    // kernel's socket slab).
    struct stat st {};
    if (::stat(socket_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unix_http_stream(socket_, path, on_line, stop);
    // The daemon is not (or no longer) there: try again, checking `stop`.
    for (int i = 0; i < 10 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace kestrel
