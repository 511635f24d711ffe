// Our github plugin as GitHub and an attacker meet it: the real `kestrel`
// binary with the plugin's webhook listening, GitHub webhook deliveries
// (payloads written for this test from GitHub's published "Webhook events
// and payloads", tests/fixtures/plugins/github/) POSTed over real HTTP with
// their X-GitHub-Event and X-Hub-Signature-256 headers, and Falco's
// upstream github.yaml as the rules.
//
// - A delivery without a signature, or with a wrong one, gets 401, is
//   counted, and raises nothing; the same delivery signed right raises its
//   rule. The signature check agrees with GitHub's own documented example
//   (secret "It's a Secret to Everybody", body "Hello, World!").
// - Every fixture raises exactly the rules written for it (by reading the
//   rule conditions); each has its own sender, so alerts name it by
//   github.user. Secrets and miners need the pushed code: a local HTTP
//   server stands in for api.github.com (which this machine cannot reach),
//   answering the two REST calls the plugin makes with the diff and
//   workflow file from the fixtures, in GitHub's media types.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "../support/free_port.h"
#include "../support/kestrel_collector.h"

namespace {

namespace fs = std::filesystem;
using kestrel::testing::Collector;
using kestrel::testing::free_port;

const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/github.yaml";
const std::string kFixtures = std::string(KESTREL_SOURCE_DIR) + "/tests/fixtures/plugins/github/";
const std::string kSecret = "w3bh00k-s3cret-for-tests";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The test's own HMAC-SHA256 (libcrypto), as GitHub computes it.
std::string sign(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < len; ++i) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return "sha256=" + std::string(hex, 2 * len);
}

// HTTP status of a delivery; -1 without an answer.
int deliver(int port, const std::string& event, const std::string& body, const std::string& signature) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30, 0);
  httplib::Headers headers = {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
                              {"User-Agent", "GitHub-Hookshot/044aadd"}};
  if (!signature.empty()) headers.emplace("X-Hub-Signature-256", signature);
  auto res = cli.Post("/github", headers, body, "application/json");
  return res ? res->status : -1;
}

// A stand-in for api.github.com: the commit diffs and the workflow file.
struct FakeGithubApi {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<int> requests{0};
  FakeGithubApi() {
    server.Get(R"(/repos/octo-org/([^/]+)/commits/([0-9a-f]{40}))", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests;
      const std::string diff = kFixtures + "commit_" + std::string(req.matches[2]) + ".diff";
      if (req.get_header_value("Accept") != "application/vnd.github.diff" || !fs::exists(diff)) {
        res.status = 404;
        return;
      }
      res.set_content(read_file(diff), "text/plain; charset=utf-8");
    });
    server.Get(R"(/repos/octo-org/api/contents/\.github/workflows/ci\.yml)", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests;
      if (req.get_header_value("Accept") != "application/vnd.github.raw" ||
          req.get_param_value("ref") != "c3d4e5f60718293a4b5c6d7e8f90123456789012") {
        res.status = 404;
        return;
      }
      res.set_content(read_file(kFixtures + "workflows/ci.yml"), "application/vnd.github.raw");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~FakeGithubApi() {
    server.stop();
    thread.join();
  }
};

struct Github {
  Collector c;
  int port = 0;
  int metrics_port = 0;
  ~Github() {
    if (c.pid > 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, nullptr, 0);
    }
  }
  void start(const std::string& secret, int api_port) {
    port = free_port();
    const std::string init = "{webhookSecret: \"" + secret + "\", apiURL: 'http://127.0.0.1:" +
                             std::to_string(api_port) + "'}";
    const std::string plugins = std::string("plugins=[{name: github, library_path: ") + GITHUB_PLUGIN +
                                ", init_config: " + init + ", open_params: 'http://:" + std::to_string(port) +
                                "/github'}]";
    c.start({KESTREL_BINARY, "-r", kRules, "-o", "engine.kind=none", "-o", "json_output=true", "-o",
             "rule_matching=all", "-o", "load_plugins=github", "-o", plugins, "-o", "webserver.enabled=true", "-o",
             "webserver.listen_address=127.0.0.1", "-o", "webserver.listen_port=0", "-M", "300"});
    ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(60))) << c.err;
    std::smatch m;
    static const std::regex kWeb("webserver on [^:\\s]+:(\\d+)");
    ASSERT_TRUE(std::regex_search(c.err, m, kWeb)) << c.err;
    metrics_port = std::stoi(m[1]);
  }
  // Pumps until `n` alerts arrived or `limit` passed.
  size_t wait_for_alerts(size_t n, std::chrono::seconds limit) {
    auto end = Collector::Clock::now() + limit;
    while (Collector::Clock::now() < end && c.alerts().size() < n) c.pump(100);
    return c.alerts().size();
  }
  // kestrel_source_counter_total{source="github",counter=name} once it is
  // `want`; the last value seen otherwise (-1: never).
  long long counter(const std::string& name, long long want) {
    long long last = -1;
    const std::string key = "kestrel_source_counter_total{source=\"github\",counter=\"" + name + "\"} ";
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

TEST(GithubWebhook, WrongOrMissingSignatureIsRefusedAndRaisesNothing) {
  FakeGithubApi api;
  Github g;
  ASSERT_NO_FATAL_FAILURE(g.start(kSecret, api.port));
  const std::string body = read_file(kFixtures + "repository__publicized.json");
  EXPECT_EQ(deliver(g.port, "repository", body, std::string()), 401);
  EXPECT_EQ(deliver(g.port, "repository", body, sign("not-the-secret", body)), 401);
  EXPECT_EQ(deliver(g.port, "repository", body, sign(kSecret, body + " ")), 401);  // signs another body
  EXPECT_EQ(deliver(g.port, "repository", body, "sha256=zz"), 401);
  EXPECT_EQ(g.counter("webhook_refused_unsigned", 1), 1);
  EXPECT_EQ(g.counter("webhook_refused_bad_signature", 3), 3);
  EXPECT_EQ(g.counter("webhook_deliveries_accepted", 0), 0);
  // The same delivery, signed right: accepted and raises its rule, once.
  EXPECT_EQ(deliver(g.port, "repository", body, sign(kSecret, body)), 200);
  EXPECT_EQ(g.wait_for_alerts(1, std::chrono::seconds(30)), 1u) << g.c.out << g.c.err;
  g.c.pump(1000);
  ASSERT_EQ(g.c.alerts().size(), 1u) << g.c.out;
  EXPECT_EQ(g.c.alerts()[0]["rule"], "Private Repository Becoming Public");
  EXPECT_EQ(g.counter("webhook_deliveries_accepted", 1), 1);
  EXPECT_EQ(g.c.stop(), 0) << g.c.err;
}

TEST(GithubWebhook, SignatureMatchesGithubsDocumentedExample) {
  // GitHub's "Validating webhook deliveries" example: this secret and body
  // give this signature. The body is not JSON: a right signature gets past
  // the 401 and then the payload check refuses it (400), a wrong one never
  // gets that far.
  FakeGithubApi api;
  Github g;
  ASSERT_NO_FATAL_FAILURE(g.start("It's a Secret to Everybody", api.port));
  const std::string documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  EXPECT_EQ(deliver(g.port, "ping", "Hello, World!", documented), 400);
  EXPECT_EQ(deliver(g.port, "ping", "Hello, World?", documented), 401);
  EXPECT_EQ(g.counter("webhook_refused_not_json", 1), 1);
  EXPECT_EQ(g.counter("webhook_refused_bad_signature", 1), 1);
  EXPECT_EQ(g.c.stop(), 0) << g.c.err;
}

TEST(GithubWebhook, HostileSignedBodiesAreRefusedAndCounted) {
  // Signed right (a sender holding the secret is still untrusted input).
  FakeGithubApi api;
  Github g;
  ASSERT_NO_FATAL_FAILURE(g.start(kSecret, api.port));
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_EQ(deliver(g.port, "push", deep, sign(kSecret, deep)), 400);
  EXPECT_EQ(deliver(g.port, "push", "[1,2]", sign(kSecret, "[1,2]")), 400);  // not an object
  const std::string big = "{\"pad\":\"" + std::string(26u << 20, 'x') + "\"}";  // over GitHub's 25 MB
  EXPECT_EQ(deliver(g.port, "push", big, sign(kSecret, big)), 413);
  EXPECT_EQ(g.counter("webhook_refused_too_deep", 1), 1);
  EXPECT_EQ(g.counter("webhook_refused_not_json", 1), 1);
  EXPECT_EQ(g.counter("webhook_refused_too_large", 1), 1);
  // Still serving.
  const std::string ping = read_file(kFixtures + "ping__hook_created.json");
  EXPECT_EQ(deliver(g.port, "ping", ping, sign(kSecret, ping)), 200);
  EXPECT_EQ(g.wait_for_alerts(1, std::chrono::seconds(30)), 1u) << g.c.out << g.c.err;
  EXPECT_EQ(g.c.stop(), 0) << g.c.err;
}

// X-GitHub-Event is the fixture name's prefix ("repository__publicized").
const std::map<std::string, std::multiset<std::string>> kExpected = {
    {"pinger", {"Webhook Connected"}},
    {"unhooker", {"Webhook Disconnected"}},
    {"publicizer", {"Private Repository Becoming Public"}},
    {"privatizer", {"Public Repository Becoming Private"}},
    {"public-creator", {"Create Public Repository", "Create Repository"}},
    {"private-creator", {"Create Repository"}},
    {"public-deleter", {"Delete Public Repository", "Delete Repository"}},
    {"keymaker", {"Create Deploy Key"}},
    {"keybreaker", {"Delete Deploy Key"}},
    {"inviter", {"Add Collaborator to Repository"}},
    {"remover", {"Remove Collaborator from Repository"}},
    // stargazer: a star raises nothing. careful: a push without secrets.
    {"leaker", {"Secret pushed into a public repository"}},
    {"miner-pusher", {"Github action with miners"}},
};

TEST(GithubWebhook, EachDeliveryRaisesExactlyTheRulesItWasWrittenFor) {
  FakeGithubApi api;
  Github g;
  ASSERT_NO_FATAL_FAILURE(g.start(kSecret, api.port));
  size_t deliveries = 0;
  for (const auto& entry : fs::directory_iterator(kFixtures)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    const std::string event = name.substr(0, name.find("__"));
    const std::string body = read_file(entry.path().string());
    EXPECT_EQ(deliver(g.port, event, body, sign(kSecret, body)), 200) << name;
    ++deliveries;
  }
  EXPECT_EQ(deliveries, 15u);
  size_t want = 0;
  for (const auto& [user, rules] : kExpected) want += rules.size();
  g.wait_for_alerts(want, std::chrono::seconds(60));
  g.c.pump(1000);  // nothing more may come
  std::map<std::string, std::multiset<std::string>> got;
  for (const auto& a : g.c.alerts()) got[a["output_fields"].value("github.user", std::string("<NA>"))].insert(a["rule"].get<std::string>());
  EXPECT_EQ(got, kExpected) << g.c.out << g.c.err;
  for (const auto& a : g.c.alerts()) {
    EXPECT_EQ(a.value("source", std::string()), "github");
    const auto& f = a["output_fields"];
    if (a["rule"] == "Secret pushed into a public repository") {
      EXPECT_EQ(f.value("github.diff.committed_secrets.desc", std::string()), "aws_access_key");
      EXPECT_EQ(f.value("github.diff.committed_secrets.files", std::string()), "deploy/config.env");
      EXPECT_EQ(f.value("github.diff.committed_secrets.lines", std::string()), "3");
      EXPECT_EQ(f.value("github.repo.name", std::string()), "octo-org/website");
    }
    if (a["rule"] == "Github action with miners") {
      EXPECT_EQ(f.value("github.workflow.filename", std::string()), ".github/workflows/ci.yml");
    }
    if (a["rule"] == "Add Collaborator to Repository") {
      EXPECT_EQ(f.value("github.collaborator.name", std::string()), "newcollab");
      EXPECT_EQ(f.value("github.collaborator.role", std::string()), "write");
    }
    if (a["rule"] == "Webhook Connected") {
      EXPECT_EQ(f.value("github.webhook.id", std::string()), "460123456");
    }
  }
  // Two pushes (one commit each) and one workflow file.
  EXPECT_EQ(api.requests.load(), 3);
  EXPECT_EQ(g.counter("api_errors", 0), 0);
  EXPECT_EQ(g.c.stop(), 0) << g.c.err;
}

}  // namespace
