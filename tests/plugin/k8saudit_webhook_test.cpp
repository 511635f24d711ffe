// The k8saudit webhook as an attacker and an operator meet it: the real
// `kestrel` binary with our k8saudit plugin listening for POSTs (issue 11,
// item 1). Hostile bodies get a 4xx and the collector stays up and keeps
// accepting events; the default address is loopback only; a bearer token
// and TLS work when configured; every refusal shows in /metrics.
//
// Addresses: only this machine's own (127.0.0.1 and, for the exposure
// check, its first non-loopback IPv4 address from getifaddrs).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../support/kestrel_collector.h"
#include "../support/free_port.h"

namespace {

using kestrel::testing::Collector;

const std::string kTraces = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/";
const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml";
// k8s_audit_rules.yaml requires the json plugin (>= 0.7.0) beside k8saudit:
// JSON_PLUGIN is ours (plugins/json).
const std::string kJsonPlugin = std::string(", {name: json, library_path: ") + JSON_PLUGIN + "}";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using kestrel::testing::free_port;

// This machine's first up, non-loopback IPv4 address; empty if none.
std::string own_non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string out;
  for (ifaddrs* i = list; i && out.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
    out = buf;
  }
  freeifaddrs(list);
  return out;
}

// True when a TCP connection to host:port is accepted.
bool can_connect(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// HTTP status of a POST, -1 when there was no answer (connection failed or
// reset — what a crashed collector gives).
int post(int port, const std::string& body, const std::string& token = "", const std::string& path = "/k8s-audit") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = cli.Post(path.c_str(), headers, body, "application/json");
  return res ? res->status : -1;
}

bool alive(pid_t pid) { return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0; }

struct Webhook {
  Collector c;
  int port = 0;
  int metrics_port = 0;

  // A failed assertion must not leave a collector running.
  ~Webhook() {
    if (c.pid > 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, nullptr, 0);
    }
  }

  // Starts kestrel with the k8saudit webhook on `url_host`:port and the
  // webserver on a kernel-chosen port; `init_config` is a YAML flow map.
  // `extra`: more -o settings.
  void start(const std::string& url_host, const std::string& init_config = "{}", const std::string& scheme = "http",
             const std::vector<std::string>& extra = {}) {
    port = free_port();
    std::string plugins = std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN +
                          ", init_config: " + init_config + ", open_params: '" + scheme + "://" + url_host + ":" +
                          std::to_string(port) + "/k8s-audit'}" + kJsonPlugin + "]";
    std::vector<std::string> args = {KESTREL_BINARY, "-r", kRules, "-o", "engine.kind=none", "-o", "json_output=true",
                                     "-o", "load_plugins=[k8saudit, json]", "-o", plugins, "-o",
                                     "webserver.enabled=true", "-o", "webserver.listen_address=127.0.0.1", "-o",
                                     "webserver.listen_port=0", "-M", "300"};
    for (const auto& e : extra) {
      args.push_back("-o");
      args.push_back(e);
    }
    c.start(args);
    ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(60))) << c.err;
    std::smatch m;
    static const std::regex kWeb("webserver on [^:\\s]+:(\\d+)");
    ASSERT_TRUE(std::regex_search(c.err, m, kWeb)) << c.err;
    metrics_port = std::stoi(m[1]);
  }

  // Waits until an alert for `rule` appears on stdout.
  bool wait_for_alert(const std::string& rule, std::chrono::seconds limit) {
    auto end = Collector::Clock::now() + limit;
    while (Collector::Clock::now() < end) {
      c.pump(100);
      for (const auto& a : c.alerts())
        if (a["rule"] == rule) return true;
    }
    return false;
  }

  // The value of kestrel_source_counter_total{source="k8saudit",counter=...}
  // once it reaches `want` (the snapshot is refreshed every second); the
  // last value seen otherwise, -1 if never present.
  long long counter(const std::string& name, long long want) {
    return sample("kestrel_source_counter_total{source=\"k8saudit\",counter=\"" + name + "\"}", want);
  }

  // Likewise for any sample of /metrics, by its name and labels.
  long long sample(const std::string& name_and_labels, long long want) {
    long long last = -1;
    const std::string key = "\n" + name_and_labels + " ";  // a sample line, not its # HELP / # TYPE
    for (int i = 0; i < 100; ++i) {
      httplib::Client cli("127.0.0.1", metrics_port);
      if (auto res = cli.Get("/metrics")) {
        auto at = res->body.find(key);
        if (at != std::string::npos) last = std::stoll(res->body.substr(at + key.size()));
        if (last == want) return last;
      }
      c.pump(100);
    }
    return last;
  }
};

TEST(K8sauditWebhook, NestedArrayPostGets400AndTheCollectorKeepsWorking) {
  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start("127.0.0.1"));
  // 20,000 nested arrays: 40 KB, once enough to overflow the stack.
  const std::string deep_array = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_EQ(post(w.port, deep_array), 400);
  ASSERT_TRUE(alive(w.c.pid)) << w.c.err;
  // 100,000 nested objects: once a crash in the JSON library's dump().
  std::string deep_object;
  for (int i = 0; i < 100000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(100000, '}');
  EXPECT_EQ(post(w.port, deep_object), 400);
  ASSERT_TRUE(alive(w.c.pid)) << w.c.err;
  EXPECT_EQ(post(w.port, "this is not json"), 400);

  // Still serving: a real audit event is accepted and raises its rule.
  EXPECT_EQ(post(w.port, read_file(kTraces + "create_nginx_pod_privileged.json")), 200);
  EXPECT_TRUE(w.wait_for_alert("Create Privileged Pod", std::chrono::seconds(30))) << w.c.out << w.c.err;

  EXPECT_EQ(w.counter("webhook_refused_too_deep", 2), 2);
  EXPECT_EQ(w.counter("webhook_refused_not_json", 1), 1);
  EXPECT_EQ(w.counter("webhook_requests_accepted", 1), 1);
  EXPECT_EQ(w.counter("webhook_events_accepted", 1), 1);
  // The same plugin metrics under Falco's name (plugins_metrics_enabled).
  EXPECT_EQ(w.sample("falcosecurity_plugins_k8saudit_webhook_events_accepted_total", 1), 1);
  EXPECT_EQ(w.sample("falcosecurity_plugins_k8saudit_webhook_refused_too_deep_total", 2), 2);
  ASSERT_TRUE(alive(w.c.pid));
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;
}

// metrics.plugins_metrics_enabled=false takes the plugins' figures out of
// Falco's families; Kestrel's own counters stay.
TEST(K8sauditWebhook, PluginsMetricsSwitchTakesFalcosPluginFamiliesOut) {
  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start("127.0.0.1", "{}", "http", {"metrics.plugins_metrics_enabled=false"}));
  EXPECT_EQ(post(w.port, read_file(kTraces + "create_nginx_pod_privileged.json")), 200);
  EXPECT_EQ(w.counter("webhook_events_accepted", 1), 1);
  EXPECT_EQ(w.sample("falcosecurity_plugins_k8saudit_webhook_events_accepted_total", 1), -1);
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;
}

TEST(K8sauditWebhook, OversizedBodiesAndEventsGet413AndAreCounted) {
  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start("127.0.0.1", "{maxEventSize: 2000, webhookMaxBatchSize: 100000}"));
  // create_nginx_pod_privileged.json is one event of about 3 KB.
  EXPECT_EQ(post(w.port, read_file(kTraces + "create_nginx_pod_privileged.json")), 413);
  EXPECT_EQ(post(w.port, "[" + std::string(200000, ' ') + "]"), 413);
  EXPECT_EQ(post(w.port, read_file(kTraces + "delete_secret.json")), 200);  // 759 bytes
  EXPECT_EQ(post(w.port, "[]", "", "/elsewhere"), 404);
  EXPECT_EQ(w.counter("webhook_refused_too_large", 2), 2);
  EXPECT_EQ(w.counter("webhook_refused_not_found", 1), 1);
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;
}

TEST(K8sauditWebhook, NoHostInTheUrlMeansLoopbackOnly) {
  const std::string own = own_non_loopback_ipv4();
  ASSERT_FALSE(own.empty()) << "this machine has no non-loopback IPv4 address to check exposure against";
  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start(""));  // "http://:PORT/k8s-audit", the documented form
  EXPECT_TRUE(can_connect("127.0.0.1", w.port));
  EXPECT_FALSE(can_connect(own, w.port)) << "webhook reachable on " << own;
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;

  // An explicit 0.0.0.0 still means every interface.
  Webhook all;
  ASSERT_NO_FATAL_FAILURE(all.start("0.0.0.0"));
  EXPECT_TRUE(can_connect(own, all.port));
  EXPECT_EQ(all.c.stop(), 0) << all.c.err;
}

TEST(K8sauditWebhook, BearerTokenIsRequiredWhenConfigured) {
  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start("127.0.0.1", "{webhookBearerToken: s3cret-token}"));
  const std::string event = read_file(kTraces + "create_nginx_pod_privileged.json");
  EXPECT_EQ(post(w.port, event), 401);
  EXPECT_EQ(post(w.port, event, "wrong-token"), 401);
  EXPECT_EQ(post(w.port, event, "s3cret-token"), 200);
  EXPECT_TRUE(w.wait_for_alert("Create Privileged Pod", std::chrono::seconds(30))) << w.c.out << w.c.err;
  EXPECT_EQ(w.counter("webhook_refused_unauthorized", 2), 2);
  EXPECT_EQ(w.counter("webhook_requests_accepted", 1), 1);
  // Only the authorised event reached the rules.
  int alerts = 0;
  for (const auto& a : w.c.alerts()) alerts += a["rule"] == "Create Privileged Pod";
  EXPECT_EQ(alerts, 1);
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;
}

TEST(K8sauditWebhook, TlsRoundTrip) {
  // A throwaway self-signed certificate and key in one PEM, as upstream's
  // sslCertificate expects.
  const std::string dir = std::filesystem::temp_directory_path() / ("kestrel-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string pem = dir + "/webhook.pem";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + dir +
                    "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1 && cat " + dir + "/cert.pem " + dir +
                    "/key.pem > " + pem;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI needed (scripts/install-deps.sh)";

  Webhook w;
  ASSERT_NO_FATAL_FAILURE(w.start("127.0.0.1", "{sslCertificate: '" + pem + "'}", "https"));
  httplib::SSLClient cli("127.0.0.1", w.port);
  cli.enable_server_certificate_verification(false);
  auto res = cli.Post("/k8s-audit", read_file(kTraces + "create_nginx_pod_privileged.json"), "application/json");
  ASSERT_TRUE(res) << "no TLS answer";
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(w.wait_for_alert("Create Privileged Pod", std::chrono::seconds(30))) << w.c.out << w.c.err;
  // Plain HTTP to the TLS port gets no HTTP answer.
  EXPECT_EQ(post(w.port, "[]"), -1);
  EXPECT_EQ(w.c.stop(), 0) << w.c.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
