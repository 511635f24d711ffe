// ContainerStore and DockerRuntime against real unix sockets: a path with
// no server (the runtime is not running), a server that accepts and never
// answers (a hung daemon), and a minimal HTTP server answering with Engine
// API documents written here from the API reference. The live Docker
// test (docker_runsc_live_test.py) runs the same code against dockerd.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "state/containers/container_store.h"
#include "state/containers/docker_inspect.h"
#include "state/containers/docker_runtime.h"
#include "state/containers/image_ref.h"

namespace kestrel {
namespace {

using namespace std::chrono_literals;

const std::string kId = "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

std::string temp_socket(const char* tag) {
  return "/tmp/kestrel_ctr_" + std::string(tag) + "_" + std::to_string(getpid()) + ".sock";
}

// A unix socket server on its own thread. `answer` (empty: never answer)
// is sent after reading the request head; requests are counted.
class SocketServer {
 public:
  SocketServer(std::string path, std::function<std::string(const std::string&)> answer)
      : path_(std::move(path)), answer_(std::move(answer)) {
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~SocketServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int c : clients_) close(c);
    unlink(path_.c_str());
  }
  int requests() const { return requests_.load(); }

 private:
  void serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      clients_.push_back(c);
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::string reply = answer_(req);
      if (!reply.empty()) (void)!write(c, reply.data(), reply.size());
    }
  }
  std::string path_;
  std::function<std::string(const std::string&)> answer_;
  int fd_ = -1;
  std::thread thread_;
  std::vector<int> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
};

std::string http(int code, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// A ContainerInspectResponse with the members the store reads (Engine API
// v1.41 reference), a Kubernetes container's labels included.
const std::string kInspect = R"({
  "Id": ")" + kId + R"(",
  "Created": "2026-12-06T19:38:02.5Z",
  "Name": "/web-1",
  "Image": "sha256:d807c56d25b3c9d62b9ab822b6dc03092dd92be44c4ba85241ba1b2e9922fb5b",
  "State": {"Status": "running", "StartedAt": "2026-12-06T19:38:03.123456789Z"},
  "HostConfig": {"Privileged": true, "Runtime": "runsc", "PidMode": "host", "NetworkMode": "none", "IpcMode": "private"},
  "Mounts": [
    {"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "Mode": "", "RW": true, "Propagation": "rprivate"},
    {"Type": "bind", "Source": "/etc", "Destination": "/host/etc", "Mode": "ro", "RW": false, "Propagation": "rslave"}
  ],
  "Config": {
    "Image": "registry.local:5000/team/web:2.1",
    "Labels": {"io.kubernetes.pod.name": "web-abc", "io.kubernetes.pod.namespace": "shop",
               "io.kubernetes.pod.uid": "8e1d-uid", "app": "web"},
    "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/"]}
  },
  "NetworkSettings": {"IPAddress": "172.17.0.5"}
})";

TEST(ImageRef, SplitsRepositoryTagAndDigest) {
  auto r = parse_image_ref("registry.local:5000/team/web:2.1");
  EXPECT_EQ(r.repository, "registry.local:5000/team/web");
  EXPECT_EQ(r.tag, "2.1");
  r = parse_image_ref("registry.local:5000/team/web");
  EXPECT_EQ(r.repository, "registry.local:5000/team/web");
  EXPECT_EQ(r.tag, "latest");
  r = parse_image_ref("busybox@sha256:abcd");
  EXPECT_EQ(r.repository, "busybox");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, "sha256:abcd");
  r = parse_image_ref("nginx:1.25@sha256:ef01");
  EXPECT_EQ(r.repository, "nginx");
  EXPECT_EQ(r.tag, "1.25");
  EXPECT_EQ(r.digest, "sha256:ef01");
}

TEST(DockerInspect, ReadsEveryMember) {
  auto c = parse_docker_inspect(kInspect, "docker");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->id, kId);
  EXPECT_EQ(c->name, "web-1");
  EXPECT_EQ(c->image, "registry.local:5000/team/web:2.1");
  EXPECT_EQ(c->image_repository, "registry.local:5000/team/web");
  EXPECT_EQ(c->image_tag, "2.1");
  EXPECT_EQ(c->image_id, "d807c56d25b3c9d62b9ab822b6dc03092dd92be44c4ba85241ba1b2e9922fb5b");
  EXPECT_TRUE(c->privileged_known);
  EXPECT_TRUE(c->privileged);
  EXPECT_TRUE(c->host_pid);
  EXPECT_FALSE(c->host_network);
  EXPECT_FALSE(c->host_ipc);
  EXPECT_EQ(c->runtime, "runsc");
  ASSERT_EQ(c->mounts.size(), 2u);
  EXPECT_EQ(c->mounts[1].source, "/etc");
  EXPECT_EQ(c->mounts[1].dest, "/host/etc");
  EXPECT_EQ(c->mounts[1].mode, "ro");
  EXPECT_FALSE(c->mounts[1].rw);
  EXPECT_EQ(c->mounts[1].propagation, "rslave");
  EXPECT_EQ(c->start_ts, 1796585883123456789ull);  // date -d 2026-12-06T19:38:03Z +%s = 1796585883
  EXPECT_EQ(c->healthcheck, "/bin/sh -c curl -f http://localhost/");
  EXPECT_EQ(c->ip, "172.17.0.5");
  EXPECT_EQ(c->pod_name, "web-abc");
  EXPECT_EQ(c->pod_namespace, "shop");
  EXPECT_EQ(c->pod_uid, "8e1d-uid");
  EXPECT_EQ(c->labels.at("app"), "web");
}

TEST(DockerInspect, StartTimeFallsBackToCreatedBeforeStart) {
  std::string created = kInspect;
  created.replace(created.find("2026-12-06T19:38:03.123456789Z"), 30, "0001-01-01T00:00:00Z");
  auto c = parse_docker_inspect(created, "docker");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->start_ts, 1796585882500000000ull);
}

TEST(DockerInspect, RefusesWhatIsNotAnInspectAnswer) {
  EXPECT_FALSE(parse_docker_inspect("[1,2]", "docker").ok());
  EXPECT_FALSE(parse_docker_inspect("{\"Name\":\"/x\"}", "docker").ok());
  EXPECT_FALSE(parse_docker_inspect("{not json", "docker").ok());
}

TEST(DockerEvents, ParsesContainerEventsOnly) {
  auto e = parse_docker_event(R"({"status":"start","id":"abc","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"x"}},"time":1})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, "abc");
  EXPECT_EQ(e->action, "start");
  EXPECT_FALSE(parse_docker_event(R"({"Type":"network","Action":"connect","Actor":{"ID":"n"}})").has_value());
  EXPECT_FALSE(parse_docker_event("garbage").has_value());
}

TEST(DockerRuntime, RefusesIdsThatCouldEscapeTheRequestPath) {
  EXPECT_TRUE(is_plausible_container_ref(kId));
  EXPECT_FALSE(is_plausible_container_ref("../../images/x"));
  EXPECT_FALSE(is_plausible_container_ref("a?b"));
  EXPECT_FALSE(is_plausible_container_ref(std::string(200, 'a')));
}

TEST(ContainerStore, NoSocketMeansUnknownAtOnce) {
  std::vector<std::unique_ptr<ContainerRuntime>> rt;
  rt.push_back(std::make_unique<DockerRuntime>(temp_socket("absent")));
  ContainerStore store(std::move(rt));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(store.find(kId), nullptr);
  EXPECT_EQ(store.find(kId), nullptr);  // remembered: not asked again
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);
  EXPECT_EQ(store.stats().lookups.load(), 1u);
  EXPECT_EQ(store.stats().lookup_unavailable.load(), 1u);
  EXPECT_EQ(store.stats().hits.load(), 1u);
}

TEST(ContainerStore, HungDaemonTimesOutOnceAndIsCounted) {
  const std::string path = temp_socket("hung");
  SocketServer server(path, [](const std::string&) { return std::string(); });
  std::vector<std::unique_ptr<ContainerRuntime>> rt;
  rt.push_back(std::make_unique<DockerRuntime>(path));
  ContainerStoreOptions o;
  o.lookup_timeout = 100ms;
  ContainerStore store(std::move(rt), o);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(store.find(kId), nullptr);
  auto first = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(first, 90ms);
  EXPECT_LT(first, 1000ms);
  EXPECT_EQ(store.stats().lookup_timeouts.load(), 1u);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(store.find(kId), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);  // within retry_after: nothing blocks
  EXPECT_EQ(store.stats().lookup_timeouts.load(), 1u);
}

TEST(ContainerStore, AnswersFromTheRuntimeThenFromTheCache) {
  const std::string path = temp_socket("api");
  SocketServer server(path, [](const std::string& req) {
    if (req.find("GET /containers/" + kId + "/json") == 0) return http(200, kInspect);
    if (req.find("GET /images/") == 0)
      return http(200, R"({"RepoDigests":["registry.local:5000/team/web@sha256:feed"]})");
    return http(404, R"({"message":"No such container"})");
  });
  std::vector<std::unique_ptr<ContainerRuntime>> rt;
  rt.push_back(std::make_unique<DockerRuntime>(path));
  ContainerStore store(std::move(rt));
  const ContainerInfo* c = store.find(kId);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "web-1");
  EXPECT_EQ(c->image_digest, "sha256:feed");
  int asked = server.requests();
  for (int i = 0; i < 10; ++i) ASSERT_NE(store.find(kId), nullptr);
  EXPECT_EQ(server.requests(), asked);
  EXPECT_EQ(store.stats().hits.load(), 10u);
  EXPECT_EQ(store.find(std::string(64, 'a')), nullptr);  // 404: not found
  EXPECT_EQ(store.stats().lookup_not_found.load(), 1u);
}

TEST(ContainerStore, EvictsTheLeastRecentlyUsed) {
  const std::string path = temp_socket("evict");
  SocketServer server(path, [](const std::string& req) {
    // Any id: the same document with that id.
    size_t at = req.find("/containers/");
    if (at == std::string::npos) return http(404, "{}");
    std::string id = req.substr(at + 12, 64);
    std::string body = kInspect;
    body.replace(body.find(kId), kId.size(), id);
    return http(200, body);
  });
  std::vector<std::unique_ptr<ContainerRuntime>> rt;
  rt.push_back(std::make_unique<DockerRuntime>(path));
  ContainerStoreOptions o;
  o.capacity = 2;
  ContainerStore store(std::move(rt), o);
  const std::string a(64, 'a'), b(64, 'b'), c(64, 'c');
  ASSERT_NE(store.find(a), nullptr);
  ASSERT_NE(store.find(b), nullptr);
  ASSERT_NE(store.find(a), nullptr);  // a is now the most recent
  ASSERT_NE(store.find(c), nullptr);  // evicts b
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.stats().evictions.load(), 1u);
  uint64_t lookups = store.stats().lookups.load();
  ASSERT_NE(store.find(a), nullptr);
  EXPECT_EQ(store.stats().lookups.load(), lookups);
  ASSERT_NE(store.find(b), nullptr);
  EXPECT_EQ(store.stats().lookups.load(), lookups + 1);
}

TEST(ContainerStore, KeepsItsShareOfTheMemoryBudget) {
  // The same per-id document server as above: every container is known.
  const std::string path = temp_socket("budget");
  SocketServer server(path, [](const std::string& req) {
    size_t at = req.find("/containers/");
    if (at == std::string::npos) return http(404, "{}");
    std::string body = kInspect;
    body.replace(body.find(kId), kId.size(), req.substr(at + 12, 64));
    return http(200, body);
  });
  std::vector<std::unique_ptr<ContainerRuntime>> rt;
  rt.push_back(std::make_unique<DockerRuntime>(path));
  ContainerStore store(std::move(rt));
  // A share of 8 KiB (limit / MemoryBudget::kCacheShareDivisor).
  MemoryBudget budget(8 * 1024 * MemoryBudget::kCacheShareDivisor);
  store.set_budget(&budget);
  auto id = [](int i) {
    std::string s = std::to_string(i);
    return std::string(64 - s.size(), 'c') + s;
  };
  for (int i = 0; i < 40; ++i) {
    const ContainerInfo* c = store.find(id(i));
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->name, "web-1") << "the container just found is never the one evicted";
    EXPECT_LE(budget.bytes(MemoryTable::kContainers), 8u * 1024u);
  }
  // Each entry holds its id, names, labels and mounts: well over 200 bytes.
  EXPECT_GT(store.size(), 1u);
  EXPECT_LT(store.size(), 40u);
  const uint64_t evicted = budget.stats().evictions[static_cast<size_t>(MemoryTable::kContainers)];
  EXPECT_EQ(evicted, 40u - store.size());
  EXPECT_EQ(store.stats().evictions.load(), evicted);
  // The most recent are kept, the oldest asked again.
  const uint64_t lookups = store.stats().lookups.load();
  ASSERT_NE(store.find(id(39)), nullptr);
  EXPECT_EQ(store.stats().lookups.load(), lookups);
  ASSERT_NE(store.find(id(0)), nullptr);
  EXPECT_EQ(store.stats().lookups.load(), lookups + 1);
  // Leaving the budget takes the store's bytes with it.
  store.set_budget(nullptr);
  EXPECT_EQ(budget.total(), 0u);
}

}  // namespace
}  // namespace kestrel
