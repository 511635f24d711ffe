// The default ruleset must stay quiet on ordinary work: while the real
// collector runs the embedded rules live, a developer-like workload —
// build and run a small C++ program with CMake, reinstall a small Debian
// package with apt, use git on a local repository, read /proc, serve and
// fetch a page from a local HTTP server — must raise no alert at NOTICE or
// above. Alerts are attributed to the workload by its process tree
// (trigger_tree.h), so other processes on the machine do not count.
//
// Silence proves nothing by itself (a collector that captured nothing is
// silent too), so the same run has positive controls: a test-only DEBUG
// rule reports the workload's programs as they start, and each must be
// seen from the workload's tree; after the workload a sensitive read must
// still raise its Warning; and the sentinel (trigger_tree.h) must arrive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sys/wait.h>
#include <fstream>
#include <string>

#include "tests/rules/trigger_tree.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {
namespace {

// Each step must succeed: a workload that silently did nothing would
// prove nothing. apt refreshes its lists only when the reinstall cannot
// find the package.
constexpr const char* kWorkload = R"SH(set -eu
W=$1
mkdir -p "$W/src"
cat > "$W/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(hello CXX)
add_executable(hello main.cpp)
EOF
cat > "$W/src/main.cpp" <<'EOF'
#include <iostream>
#include <fstream>
int main() { std::ofstream("out.txt") << "hello\n"; std::cout << "built and ran\n"; }
EOF
cmake -S "$W/src" -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release > "$W/cmake.log"
cmake --build "$W/build" >> "$W/cmake.log"
(cd "$W/build" && ./hello) | grep -q "built and ran"

export DEBIAN_FRONTEND=noninteractive
apt-get install --reinstall -y -q hostname > "$W/apt.log" 2>&1 ||
  { apt-get update -q >> "$W/apt.log" 2>&1 && apt-get install --reinstall -y -q hostname >> "$W/apt.log" 2>&1; }
hostname > /dev/null

git init -q "$W/repo"
echo "readme" > "$W/repo/README"
git -C "$W/repo" add README
git -C "$W/repo" -c user.name=Test -c user.email=test@example.invalid commit -q -m "first commit"
git -C "$W/repo" log --oneline | grep -q "first commit"

cat /proc/cpuinfo /proc/meminfo /proc/loadavg /proc/self/status /proc/self/maps /proc/mounts > /dev/null
ps aux > /dev/null

mkdir "$W/www" && echo "page" > "$W/www/index.html"
python3 -m http.server 8731 --bind 127.0.0.1 --directory "$W/www" > "$W/http.log" 2>&1 &
SERVER=$!
for i in $(seq 1 50); do
  curl -sf http://127.0.0.1:8731/index.html > "$W/page" 2>/dev/null && break
  sleep 0.1
done
kill $SERVER
wait $SERVER || true
grep -q page "$W/page"
)SH";

// Programs the workload runs; the step rule must see each start.
const std::set<std::string> kSteps = {"cmake", "ninja", "hello", "apt-get", "dpkg", "hostname",
                                      "git", "ps", "python3", "curl"};

std::string step_rule() {
  std::string names;
  for (const auto& n : kSteps) names += (names.empty() ? "" : ", ") + n;
  return "- rule: Benign Workload Step\n"
         "  desc: test only; a program of the benign workload started\n"
         "  condition: kestrel_spawned_process and proc.name in (" + names + ")\n"
         "  output: \"step %proc.name " + lineage_output() + "\"\n"
         "  priority: DEBUG\n";
}

bool notice_or_above(const std::string& priority) {
  for (const char* p : {"Emergency", "Alert", "Critical", "Error", "Warning", "Notice"})
    if (priority == p) return true;
  return false;
}

TEST(BenignWorkload, RaisesNoAlertAtNoticeOrAbove) {
  ASSERT_EQ(geteuid(), 0u) << "the benign workload test needs root";
  std::string work = "/tmp/kestrel-benign-" + std::to_string(getpid());
  std::string script = work + ".sh";
  std::ofstream(script) << kWorkload;

  Collector c;
  std::vector<std::string> args = {KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all",
                                   "-o", "priority=debug", "-M", "600"};
  for (auto& a : default_rules_with_ancestry(work + ".rules.yaml", step_rule())) args.push_back(std::move(a));
  c.start(args);
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  int status = 0;
  pid_t workload = run_rooted("bash " + script + " " + work + " > " + work + ".log 2>&1", status);
  std::vector<Trigger> control = {{"Sensitive File Read By Untrusted Program", "Warning",
                                   "cat /etc/shadow > /dev/null", {{"fd.name", "/etc/shadow"}, {"proc.name", "cat"}}}};
  run_triggers(control);
  pid_t sentinel = run_sentinel();
  wait_for_alerts(c, control, sentinel, 120000);
  int code = c.stop();

  std::ifstream log(work + ".log");
  std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the workload itself failed:\n" << log_text;
  EXPECT_EQ(code, 0) << c.err;

  std::set<std::string> steps_seen;
  for (const auto& a : c.alerts()) {
    if (!alert_from_tree(a, workload)) continue;
    if (a.value("rule", "") == "Benign Workload Step") {
      steps_seen.insert(a["output_fields"].value("proc.name", ""));
    } else if (notice_or_above(a.value("priority", ""))) {
      ADD_FAILURE() << "alert from the benign workload: " << a.dump();
    }
  }
  for (const auto& step : kSteps)
    EXPECT_TRUE(steps_seen.count(step)) << "the collector did not see the workload start " << step;
  check_triggers(c, control);
  EXPECT_NE(c.err.find("Events processed:"), std::string::npos) << c.err;

  std::system(("rm -rf " + work + " " + script + " " + work + ".log " + work + ".rules.yaml").c_str());
}

}  // namespace
}  // namespace kestrel::testing
