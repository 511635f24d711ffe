#include "state/containers/cri_runtime.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <thread>

#include "k8s.io/cri-api/pkg/apis/runtime/v1/api.grpc.pb.h"
#include "state/containers/cri_container.h"
#include "state/containers/docker_inspect.h"
#include "state/containers/grpc_lookup.h"

namespace kestrel {

namespace cri = runtime::v1;
using Clock = std::chrono::steady_clock;

struct CriRuntime::Client {
  std::string socket;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<cri::RuntimeService::Stub> stub;
  std::mutex mu;
  std::string type;  // container.type, once Version answered
};

std::vector<std::string> default_cri_sockets() {
  return {"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock"};
}

CriRuntime::CriRuntime(std::vector<std::string> socket_candidates) : candidates_(std::move(socket_candidates)) {}

CriRuntime::~CriRuntime() = default;

std::shared_ptr<CriRuntime::Client> CriRuntime::client() {
  std::lock_guard lock(mu_);
  if (client_ && socket_exists(client_->socket)) return client_;
  for (const std::string& s : candidates_) {
    if (!socket_exists(s)) continue;
    if (client_ && client_->socket == s) return client_;
    auto c = std::make_shared<Client>();
    c->socket = s;
    c->channel = unix_channel(s);
    c->stub = cri::RuntimeService::NewStub(c->channel);
    client_ = c;
    return client_;
  }
  return nullptr;
}

LookupResult CriRuntime::status(Client& client, std::string_view id, Clock::time_point deadline) {
  std::string type;
  {
    std::lock_guard lock(client.mu);
    type = client.type;
  }
  if (type.empty()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(wall_deadline(deadline));
    cri::VersionRequest req;
    cri::VersionResponse resp;
    grpc::Status s = client.stub->Version(&ctx, req, &resp);
    if (!s.ok()) {
      LookupResult out = failed_call(s, "CRI Version on " + client.socket);
      // A containerd without its CRI plugin (Docker's own) on that socket:
      // no CRI here, as if there were no socket; the next runtime answers.
      if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) out.outcome = LookupOutcome::kUnavailable;
      return out;
    }
    type = cri_container_type(resp.runtime_name());
    std::lock_guard lock(client.mu);
    client.type = type;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(wall_deadline(deadline));
  cri::ContainerStatusRequest req;
  req.set_container_id(std::string(id));
  req.set_verbose(true);
  cri::ContainerStatusResponse resp;
  grpc::Status s = client.stub->ContainerStatus(&ctx, req, &resp);
  LookupResult out;
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  // A sandbox id is not a container of the CRI: containerd answers
  // NotFound; others say so in an error text. Either way, not ours.
  if (!s.ok()) return failed_call(s, "CRI ContainerStatus " + std::string(id) + " on " + client.socket);
  out.outcome = LookupOutcome::kFound;
  out.info = cri_container_info(resp, type);
  std::string sandbox = out.info.pod_sandbox_id;
  if (sandbox.empty()) {
    // No verbose info: ListContainers names the container's sandbox.
    grpc::ClientContext lctx;
    lctx.set_deadline(wall_deadline(deadline));
    cri::ListContainersRequest lreq;
    lreq.mutable_filter()->set_id(out.info.id);
    cri::ListContainersResponse lresp;
    if (client.stub->ListContainers(&lctx, lreq, &lresp).ok() && lresp.containers_size() > 0)
      sandbox = lresp.containers(0).pod_sandbox_id();
  }
  if (sandbox.empty()) return out;
  grpc::ClientContext sctx;
  sctx.set_deadline(wall_deadline(deadline));
  cri::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(sandbox);
  cri::PodSandboxStatusResponse sresp;
  grpc::Status ss = client.stub->PodSandboxStatus(&sctx, sreq, &sresp);
  // The pod is part of the answer: without it the k8s.* fields would be
  // cached as <NA>, so a failed sandbox read fails the lookup.
  if (!ss.ok()) return failed_call(ss, "CRI PodSandboxStatus " + sandbox + " on " + client.socket);
  cri_apply_sandbox(out.info, sresp.status());
  return out;
}

LookupResult CriRuntime::inspect(std::string_view id, std::chrono::milliseconds timeout) {
  LookupResult out;
  if (!is_plausible_container_ref(id)) {
    out.outcome = LookupOutcome::kNotFound;
    return out;
  }
  std::shared_ptr<Client> c = client();
  if (!c) {
    out.outcome = LookupOutcome::kUnavailable;
    out.error = "no CRI socket";
    return out;
  }
  return status(*c, id, Clock::now() + timeout);
}

void CriRuntime::watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) {
  std::string last_error;
  while (!stop.load()) {
    std::shared_ptr<Client> c = client();
    if (!c) {
      sleep_unless_stopped(stop, 10);
      continue;
    }
    grpc::ClientContext ctx;
    cri::GetEventsRequest req;
    std::unique_ptr<grpc::ClientReader<cri::ContainerEventResponse>> reader = c->stub->GetContainerEvents(&ctx, req);
    grpc::Status s = read_stream(ctx, *reader, stop, [&](const cri::ContainerEventResponse& ev) {
      ContainerChange change;
      change.id = ev.container_id();
      if (ev.container_event_type() == cri::CONTAINER_DELETED_EVENT) {
        change.kind = ContainerChange::Kind::kGone;
        sink(std::move(change));
        return;
      }
      LookupResult r = status(*c, change.id, Clock::now() + std::chrono::seconds(2));
      if (r.outcome != LookupOutcome::kFound) return;
      change.kind = ContainerChange::Kind::kUpdated;
      change.info = std::move(r.info);
      sink(std::move(change));
    });
    if (stop.load()) break;
    std::string reason = std::to_string(static_cast<int>(s.error_code())) + " " + s.error_message();
    if (reason != last_error) {
      std::fprintf(stderr, "kestrel: containers: cri: GetContainerEvents on %s: %s%s\n", c->socket.c_str(),
                   reason.c_str(),
                   s.error_code() == grpc::StatusCode::UNIMPLEMENTED ? " (metadata from lookups only)" : "");
      last_error = std::move(reason);
    }
    // UNIMPLEMENTED will not change while this runtime runs: ask rarely.
    sleep_unless_stopped(stop, s.error_code() == grpc::StatusCode::UNIMPLEMENTED ? 300 : 10);
  }
}

}  // namespace kestrel
