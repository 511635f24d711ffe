// cri_launch — starts one pod and one container in it through a CRI socket,
// as the kubelet would (RunPodSandbox, CreateContainer, StartContainer),
// for cri_live_test.py. The pod uses the host's network namespace, so no
// CNI plugin is needed. Prints the container's id on stdout.
//
// usage: cri_launch SOCKET POD NAMESPACE UID CONTAINER IMAGE PRIVILEGED(0|1) MOUNT_SRC|- COMMAND...
//   MOUNT_SRC: a host directory mounted read-only at /data ("-": none)
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "k8s.io/cri-api/pkg/apis/runtime/v1/api.grpc.pb.h"

namespace cri = runtime::v1;

namespace {

bool ok(const grpc::Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "cri_launch: %s: %d %s\n", what, static_cast<int>(s.error_code()), s.error_message().c_str());
  return false;
}

void deadline(grpc::ClientContext& ctx) { ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 10) {
    std::fprintf(stderr, "usage: cri_launch SOCKET POD NAMESPACE UID CONTAINER IMAGE PRIVILEGED MOUNT_SRC|- COMMAND...\n");
    return 2;
  }
  const std::string socket = argv[1], pod = argv[2], ns = argv[3], uid = argv[4], name = argv[5], image = argv[6];
  const bool privileged = std::string(argv[7]) == "1";
  const std::string mount_src = argv[8];
  auto stub = cri::RuntimeService::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));

  cri::PodSandboxConfig sandbox;
  sandbox.mutable_metadata()->set_name(pod);
  sandbox.mutable_metadata()->set_namespace_(ns);
  sandbox.mutable_metadata()->set_uid(uid);
  (*sandbox.mutable_labels())["app"] = pod;
  auto* sc = sandbox.mutable_linux()->mutable_security_context();
  sc->mutable_namespace_options()->set_network(cri::NODE);  // no CNI here
  sc->set_privileged(privileged);  // a privileged container needs a privileged pod

  cri::RunPodSandboxRequest run;
  *run.mutable_config() = sandbox;
  cri::RunPodSandboxResponse ran;
  grpc::ClientContext c1;
  deadline(c1);
  if (!ok(stub->RunPodSandbox(&c1, run, &ran), "RunPodSandbox")) return 1;

  cri::CreateContainerRequest create;
  create.set_pod_sandbox_id(ran.pod_sandbox_id());
  *create.mutable_sandbox_config() = sandbox;
  cri::ContainerConfig* cfg = create.mutable_config();
  cfg->mutable_metadata()->set_name(name);
  cfg->mutable_image()->set_image(image);
  for (int i = 9; i < argc; ++i) cfg->add_command(argv[i]);
  cfg->mutable_linux()->mutable_security_context()->set_privileged(privileged);
  if (mount_src != "-") {
    cri::Mount* m = cfg->add_mounts();
    m->set_host_path(mount_src);
    m->set_container_path("/data");
    m->set_readonly(true);
  }
  cri::CreateContainerResponse created;
  grpc::ClientContext c2;
  deadline(c2);
  if (!ok(stub->CreateContainer(&c2, create, &created), "CreateContainer")) return 1;

  cri::StartContainerRequest start;
  start.set_container_id(created.container_id());
  cri::StartContainerResponse started;
  grpc::ClientContext c3;
  deadline(c3);
  if (!ok(stub->StartContainer(&c3, start, &started), "StartContainer")) return 1;
  std::printf("%s\n", created.container_id().c_str());
  return 0;
}
