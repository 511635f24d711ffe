// forward_bench — the forward path's throughput and CPU per event: a
// Forwarder (the guest's side: the engine thread's append() and the sender
// thread encoding and writing) to a RemoteSource (the host's side: reader
// thread decoding and checking every record, next() handing them out), in
// one process over loopback: unix socket, plain TCP, TCP with mutual TLS.
// A VM's virtio-serial or vsock channel replaces the loopback socket; the
// encode/decode/copy work measured here is the same.
//
// Records: the capture tests' varied mix (execve with args and env,
// openat, connect, read with data, ...), 2,000,000 of them. Reported per
// transport: events/s from the first append to the last record out of
// next(); CPU ns per event of the whole process (all threads: appender,
// sender, receiver, consumer) and of the appending thread alone (what
// forwarding adds to the guest's engine thread); drops (must be 0: the
// buffer is sized so the bench measures throughput, not loss).
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "sources/remote/forwarder.h"
#include "sources/remote/remote_source.h"
#include "tests/capture/capture_test_data.h"

using namespace kestrel;
using namespace kestrel::remote;
using namespace std::chrono_literals;

namespace {

double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

void run(const char* label, const std::string& listen, const std::string& connect, const TlsFiles& host_tls,
         const TlsFiles& guest_tls, const std::vector<std::vector<uint8_t>>& records, size_t total) {
  RemoteSourceConfig rc;
  rc.listen = {listen};
  rc.tls = host_tls;
  rc.log = [](const std::string&) {};
  rc.queue_bytes = 64u << 20;
  RemoteSource src(rc);
  if (Status st = src.open(); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", label, st.to_string().c_str());
    std::exit(1);
  }
  std::string uri = connect;
  if (uri.find(":0") != std::string::npos) uri = uri.substr(0, uri.rfind(':') + 1) + std::to_string(src.ports()[0]);
  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint(uri);
  fo.tls = guest_tls;
  fo.buffer_bytes = 256u << 20;
  Forwarder fwd(fo);
  kcap::KcapHeader header;
  header.machine = kcap::local_machine_info();
  fwd.start(header);
  std::vector<ThreadInfo> snapshot;
  while (fwd.stats().snapshots_sent == 0) {
    fwd.poll([&] { return snapshot; });
    std::this_thread::sleep_for(1ms);
  }
  size_t bytes = 0;
  const double cpu0 = cpu_seconds(RUSAGE_SELF);
  const auto t0 = std::chrono::steady_clock::now();
  double append_cpu = 0;
  std::thread consumer([&] {
    EventBatch batch;
    size_t got = 0;
    while (got < total) {
      if (!src.next(batch, 100ms).ok()) break;
      got += batch.events.size();
    }
  });
  {
    const double c0 = thread_cpu();
    for (size_t i = 0; i < total; ++i) {
      const auto& r = records[i % records.size()];
      bytes += r.size();
      fwd.append(r, 0);
      if ((i & 255) == 0) fwd.poll([&] { return snapshot; });
    }
    append_cpu = thread_cpu() - c0;
    while (fwd.stats().sent + fwd.stats().dropped < total) {
      fwd.poll([&] { return snapshot; });
      std::this_thread::sleep_for(1ms);
    }
  }
  consumer.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
  auto f = fwd.stats();
  std::printf("%-10s %9.0f events/s  %6.1f MB/s  cpu %6.0f ns/event (append alone %4.0f ns)  drops %llu\n", label,
              double(total) / wall, double(bytes) / wall / 1e6, cpu * 1e9 / double(total),
              append_cpu * 1e9 / double(total), static_cast<unsigned long long>(f.dropped));
  fwd.stop();
  src.close();
}

}  // namespace

int main() {
  const size_t total = 2'000'000;
  auto records = kcap::testing::make_events(4096, 11);
  size_t sum = 0;
  for (auto& r : records) sum += r.size();
  std::printf("forward_bench: %zu records, mean %zu bytes, one process over loopback\n", total, sum / records.size());
  char tmpl[] = "/tmp/forward-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  run("unix", "unix://" + dir + "/b.sock", "unix://" + dir + "/b.sock", {}, {}, records, total);
  run("tcp", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", {}, {}, records, total);
  const std::string pki =
      "set -e; cd " + dir +
      "; openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ca -keyout ca.key -out ca.pem 2>/dev/null;"
      " for n in host guest; do openssl req -newkey rsa:2048 -nodes -subj /CN=$n -keyout $n.key -out $n.csr "
      "2>/dev/null; openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -out $n.pem "
      "2>/dev/null; done";
  std::ofstream(dir + "/pki.sh") << pki << "\n";
  if (std::system(("sh " + dir + "/pki.sh").c_str()) != 0) {
    std::fprintf(stderr, "openssl failed\n");
    return 1;
  }
  run("tcp+mTLS", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0",
      {dir + "/host.pem", dir + "/host.key", dir + "/ca.pem"}, {dir + "/guest.pem", dir + "/guest.key", dir + "/ca.pem"},
      records, total);
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
