#include "state/containers/containerd_runtime.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "github.com/containerd/containerd/api/events/container.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"
#include "state/containers/containerd_container.h"
#include "state/containers/docker_inspect.h"
#include "state/containers/grpc_lookup.h"
#include "state/containers/kubernetes_labels.h"

namespace kestrel {

namespace ctr = containerd::services::containers::v1;
namespace evs = containerd::services::events::v1;

struct ContainerdRuntime::Client {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<ctr::Containers::Stub> containers;
  std::unique_ptr<evs::Events::Stub> events;
};

namespace {

using Clock = std::chrono::steady_clock;

// containerd keys every request by this header.
void set_namespace(grpc::ClientContext& ctx, const std::string& ns) { ctx.AddMetadata("containerd-namespace", ns); }

// The container a task's start, exit or delete names, "" for other topics.
std::string task_container_id(const evs::Envelope& env) {
  const std::string& topic = env.topic();
  const std::string& value = env.event().value();
  if (topic == "/tasks/start") {
    containerd::events::TaskStart e;
    return e.ParseFromString(value) ? e.container_id() : std::string();
  }
  if (topic == "/tasks/exit") {
    containerd::events::TaskExit e;
    return e.ParseFromString(value) ? e.container_id() : std::string();
  }
  if (topic == "/tasks/delete") {
    containerd::events::TaskDelete e;
    return e.ParseFromString(value) ? e.container_id() : std::string();
  }
  return {};
}

// The id an event names, "" for topics other than the container ones.
std::string event_container_id(const evs::Envelope& env, bool& gone) {
  gone = false;
  const std::string& topic = env.topic();
  const std::string& value = env.event().value();
  if (topic == "/containers/create") {
    containerd::events::ContainerCreate e;
    return e.ParseFromString(value) ? e.id() : std::string();
  }
  if (topic == "/containers/update") {
    containerd::events::ContainerUpdate e;
    return e.ParseFromString(value) ? e.id() : std::string();
  }
  if (topic == "/containers/delete") {
    containerd::events::ContainerDelete e;
    gone = true;
    return e.ParseFromString(value) ? e.id() : std::string();
  }
  return {};
}

}  // namespace

ContainerdRuntime::ContainerdRuntime(std::string socket_path, std::vector<std::string> namespaces, bool cri_owns_k8s)
    : socket_(std::move(socket_path)), namespaces_(std::move(namespaces)), cri_owns_k8s_(cri_owns_k8s) {}

ContainerdRuntime::~ContainerdRuntime() = default;

std::shared_ptr<ContainerdRuntime::Client> ContainerdRuntime::client() {
  std::lock_guard lock(mu_);
  if (client_) return client_;
  auto c = std::make_shared<Client>();
  c->channel = unix_channel(socket_);
  c->containers = ctr::Containers::NewStub(c->channel);
  c->events = evs::Events::NewStub(c->channel);
  client_ = c;
  return client_;
}

LookupResult ContainerdRuntime::get_in(Client& client, const std::string& ns, std::string_view id,
                                       Clock::time_point deadline) {
  LookupResult out;
  grpc::ClientContext ctx;
  set_namespace(ctx, ns);
  ctx.set_deadline(wall_deadline(deadline));
  ctr::GetContainerRequest req;
  req.set_id(std::string(id));
  ctr::GetContainerResponse resp;
  grpc::Status s = client.containers->Get(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  if (!s.ok()) return failed_call(s, "Containers.Get " + std::string(id) + " in namespace " + ns);
  out.outcome = LookupOutcome::kFound;
  out.info = containerd_container_info(resp.container(), ns);
  // A CRI container's pod labels are its sandbox's own labels. Extra:
  // what cannot be fetched before the deadline stays empty.
  const std::string& sandbox = out.info.pod_sandbox_id;
  if (!sandbox.empty() && sandbox != out.info.id && Clock::now() < deadline) {
    grpc::ClientContext sctx;
    set_namespace(sctx, ns);
    sctx.set_deadline(wall_deadline(deadline));
    ctr::GetContainerRequest sreq;
    sreq.set_id(sandbox);
    ctr::GetContainerResponse sresp;
    if (client.containers->Get(&sctx, sreq, &sresp).ok())
      for (const auto& [k, v] : sresp.container().labels())
        if (!is_runtime_label(k)) out.info.pod_labels[k] = v;
  }
  return out;
}

LookupResult ContainerdRuntime::inspect(std::string_view id, std::chrono::milliseconds timeout) {
  LookupResult out;
  if (!is_plausible_container_ref(id)) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  if (!socket_exists(socket_)) {
    out.outcome = LookupOutcome::kUnavailable;
    out.error = socket_ + ": no socket";
    return out;
  }
  auto deadline = Clock::now() + timeout;
  std::shared_ptr<Client> c = client();
  out.outcome = LookupOutcome::kNotFound;
  for (const std::string& ns : namespaces_) {
    LookupResult r = get_in(*c, ns, id, deadline);
    if (r.outcome != LookupOutcome::kNotFound) return r;
  }
  return out;
}

void ContainerdRuntime::watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) {
  evs::SubscribeRequest req;
  // Filters are alternatives; within one, conditions joined by ',' all hold.
  for (const std::string& ns : namespaces_) req.add_filters("namespace==\"" + ns + "\",topic~=\"^/containers/\"");
  // The CRI's containers: their tasks' start, exit and delete too, to
  // refresh what the CRI said (its started_at, its state).
  if (cri_owns_k8s_ && std::find(namespaces_.begin(), namespaces_.end(), "k8s.io") != namespaces_.end())
    req.add_filters("namespace==\"k8s.io\",topic~=\"^/tasks/(start|exit|delete)$\"");
  std::string last_error;
  while (!stop.load()) {
    // As in DockerRuntime::watch: connect only once the socket exists.
    if (!socket_exists(socket_)) {
      sleep_unless_stopped(stop, 10);
      continue;
    }
    std::shared_ptr<Client> c = client();
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<evs::Envelope>> reader = c->events->Subscribe(&ctx, req);
    grpc::Status s = read_stream(ctx, *reader, stop, [&](const evs::Envelope& env) {
      bool gone = false;
      std::string id = event_container_id(env, gone);
      const bool cri_owned = cri_owns_k8s_ && env.namespace_() == "k8s.io";
      if (id.empty() && cri_owned) id = task_container_id(env);
      if (id.empty()) return;
      ContainerChange change;
      change.id = id;
      if (gone) {
        change.kind = ContainerChange::Kind::kGone;
        sink(std::move(change));
        return;
      }
      if (cri_owned) {  // the CRI's to describe: the store asks it again
        change.kind = ContainerChange::Kind::kRefresh;
        sink(std::move(change));
        return;
      }
      LookupResult r = get_in(*c, env.namespace_(), id, Clock::now() + std::chrono::seconds(2));
      if (r.outcome != LookupOutcome::kFound) return;
      change.kind = ContainerChange::Kind::kUpdated;
      change.info = std::move(r.info);
      sink(std::move(change));
    });
    // The stream's end (containerd gone, cancelled, a refused filter):
    // said once per distinct reason, then subscribe again.
    if (!stop.load() && s.error_code() != grpc::StatusCode::OK) {
      std::string reason = std::to_string(static_cast<int>(s.error_code())) + " " + s.error_message();
      if (reason != last_error) {
        std::fprintf(stderr, "kestrel: containers: containerd: Events.Subscribe on %s: %s\n", socket_.c_str(),
                     reason.c_str());
        last_error = std::move(reason);
      }
    }
    sleep_unless_stopped(stop, 10);
  }
}

}  // namespace kestrel
