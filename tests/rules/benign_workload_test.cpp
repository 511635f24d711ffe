// The default ruleset must stay quiet on ordinary work: while the real
// collector runs the embedded rules live, a developer-like workload —
// build and run a small C++ program with CMake, reinstall a small Debian
// package with apt, use git on a local repository, read /proc, serve and
// fetch a page from a local HTTP server — must raise no alert at NOTICE or
// above. Alerts are attributed to the workload by event time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/rules/rule_window.h"
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

TEST(BenignWorkload, RaisesNoAlertAtNoticeOrAbove) {
  ASSERT_EQ(geteuid(), 0u) << "the benign workload test needs root";
  std::string work = "/tmp/kestrel-benign-" + std::to_string(getpid());
  std::string script = work + ".sh";
  std::ofstream(script) << kWorkload;

  Collector c;
  c.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-o", "priority=notice", "-M",
           "600"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  uint64_t begin = wall_clock_ns();
  int rc = std::system(("bash " + script + " " + work + " > " + work + ".log 2>&1").c_str());
  uint64_t end = wall_clock_ns();
  for (int i = 0; i < 20; ++i) c.pump(50);
  int code = c.stop();

  std::ifstream log(work + ".log");
  std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << "the workload itself failed:\n" << log_text;
  EXPECT_EQ(code, 0) << c.err;
  auto alerts = alerts_between(c.alerts(), begin, end);
  for (const auto& a : alerts) ADD_FAILURE() << "alert during the benign workload: " << a.dump();
  EXPECT_NE(c.err.find("Events processed:"), std::string::npos) << c.err;

  std::system(("rm -rf " + work + " " + script + " " + work + ".log").c_str());
}

}  // namespace
}  // namespace kestrel::testing
