// The forward path in one process, over real sockets: a Forwarder (the
// guest's side) to a RemoteSource (the host's), over unix and TCP, plain
// and mutual TLS with certificates openssl makes here; back-pressure that
// never blocks append(); the host counting exactly the records the guest
// dropped; a restarted sender getting a new domain.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sources/remote/forwarder.h"
#include "sources/remote/remote_source.h"
#include "tests/capture/capture_test_data.h"

namespace kestrel::remote {
namespace {

using namespace std::chrono_literals;
using kcap::testing::Bytes;

struct Received {
  std::vector<Bytes> records;
  std::vector<DomainId> domains;
};

// Drains `src` until `want` records arrived or `timeout` passed.
Received drain(RemoteSource& src, size_t want, std::chrono::milliseconds timeout = 10s) {
  Received r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  EventBatch batch;
  while (r.records.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto out = src.next(batch, 50ms);
    EXPECT_TRUE(out.ok());
    for (const Event& e : batch.events) {
      r.records.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
      r.domains.push_back(e.domain);
    }
  }
  return r;
}

// Runs the engine side of a forwarder: append + poll, as the pipeline does.
void feed(Forwarder& f, const std::vector<Bytes>& events, const std::vector<ThreadInfo>& snapshot) {
  for (const auto& e : events) {
    f.append(e, 0);
    f.poll([&] { return snapshot; });
  }
}

// Polls (answering snapshot requests) until `done` or `timeout`.
template <typename Pred>
bool pump(Forwarder& f, const std::vector<ThreadInfo>& snapshot, Pred done, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    f.poll([&] { return snapshot; });
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

kcap::KcapHeader guest_header() {
  kcap::KcapHeader h = kcap::testing::make_header();
  h.machine.hostname = "guest-host";
  h.machine.kernel_release = "6.1.0-guest";
  h.machine.environment.kind = "vm";
  h.machine.environment.hypervisor = "kvm";
  h.machine.environment.dmi_product_uuid = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  return h;
}

TEST(RemoteForward, UnixSocketCarriesEveryRecordIntoTheGuestsOwnDomainWithItsSnapshotAndIdentity) {
  kcap::testing::TempDir dir;
  const std::string sock = dir.file("fwd.sock");
  MachineDirectory machines(local_machine_identity());
  RemoteSourceConfig rc;
  rc.listen = {"unix://" + sock + "?name=vm-one"};
  rc.machines = &machines;
  rc.log = [](const std::string&) {};
  RemoteSource src(rc);
  ASSERT_TRUE(src.open().ok());

  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint("unix://" + sock);
  fo.name = "guest-says-this";
  Forwarder fwd(fo);
  fwd.start(guest_header());
  auto events = kcap::testing::make_events(3000);
  auto snapshot = kcap::testing::make_snapshot();
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().snapshots_sent == 1; }));
  feed(fwd, events, snapshot);
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent == events.size(); }));
  Received got = drain(src, events.size());
  ASSERT_EQ(got.records.size(), events.size());
  EXPECT_EQ(got.records, events);
  const DomainId d = got.domains.front();
  EXPECT_GE(d, kFirstRemoteDomain);
  for (DomainId x : got.domains) EXPECT_EQ(x, d);
  // The listener's ?name= wins over what the guest says; the rest is the guest's.
  const MachineIdentity* id = machines.find(d);
  EXPECT_EQ(id->vm_name, "vm-one");
  EXPECT_EQ(id->vm_id, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  EXPECT_EQ(id->kernel, "6.1.0-guest");
  EXPECT_EQ(id->hypervisor, "kvm");
  EXPECT_TRUE(machines.is_remote(d));
  EXPECT_FALSE(machines.is_remote(0));
  // The snapshot answers for the guest's processes, in the guest's domain only.
  auto p = src.describe_process(d, snapshot.front().pid);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->front().comm, snapshot.front().comm);
  EXPECT_EQ(p->front().domain, d);
  EXPECT_FALSE(src.describe_process(0, snapshot.front().pid).has_value());
  fwd.stop();
  auto st = src.stats();
  EXPECT_EQ(st.drops["gap:vm-one"], 0u);
  EXPECT_EQ(st.counters["remote.vm-one.received"], events.size());
  src.close();
}

TEST(RemoteForward, AppendNeverBlocksWhileTheHostIsAwayAndTheHostCountsExactlyWhatWasDropped) {
  kcap::testing::TempDir dir;
  const std::string sock = dir.file("late.sock");
  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint("unix://" + sock);
  fo.buffer_bytes = 64 << 10;  // a few batches
  fo.batch_records = 64;
  fo.max_backoff = 200ms;
  fo.progress_interval = 100ms;
  Forwarder fwd(fo);
  fwd.start(guest_header());
  auto events = kcap::testing::make_events(20000, 5);
  auto snapshot = kcap::testing::make_snapshot();
  // Nobody listens: capture goes on at full speed, the buffer fills, the
  // rest is dropped and counted.
  auto t0 = std::chrono::steady_clock::now();
  feed(fwd, events, snapshot);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 2.0) << "20000 appends took " << secs << " s: append must not wait for the host";
  ForwarderStats before = fwd.stats();
  EXPECT_EQ(before.produced, events.size());
  EXPECT_GT(before.dropped, 10000u);
  EXPECT_EQ(before.sent, 0u);

  // The host comes up: the guest connects, sends what it kept.
  MachineDirectory machines(local_machine_identity());
  RemoteSourceConfig rc;
  rc.listen = {"unix://" + sock};
  rc.machines = &machines;
  rc.log = [](const std::string&) {};
  RemoteSource src(rc);
  ASSERT_TRUE(src.open().ok());
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent + fwd.stats().dropped == events.size(); }));
  Received got = drain(src, events.size() - fwd.stats().dropped);
  EXPECT_EQ(got.records.size(), fwd.stats().sent);
  // The dropped records were the newest, so the host learns of them from
  // the next batch's sequence number (a progress frame only reports how far
  // the guest got): one more record, flushed, makes the gap visible
  // whether or not the capture's last records happened to fill a batch.
  const uint64_t sent_before = fwd.stats().sent;
  fwd.append(events.front(), 0);
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent > sent_before; }));
  ASSERT_EQ(drain(src, 1).records.size(), 1u);
  auto st = src.stats();
  // No listener name, no qemu, no TLS: the guest's own name (its hostname).
  EXPECT_EQ(st.drops["gap:guest-host"], fwd.stats().dropped);
  EXPECT_EQ(st.counters["remote.guest-host.received"] + st.drops["gap:guest-host"], events.size() + 1);
  fwd.stop();
  src.close();
}

TEST(RemoteForward, ARestartedSenderIsANewDomainAndItsLostTailIsCounted) {
  kcap::testing::TempDir dir;
  const std::string sock = dir.file("restart.sock");
  MachineDirectory machines(local_machine_identity());
  RemoteSourceConfig rc;
  rc.listen = {"unix://" + sock + "?name=vm-r"};
  rc.machines = &machines;
  rc.log = [](const std::string&) {};
  RemoteSource src(rc);
  ASSERT_TRUE(src.open().ok());
  auto snapshot = kcap::testing::make_snapshot();
  auto events = kcap::testing::make_events(100, 9);
  DomainId first_domain = 0;
  {
    ForwarderOptions fo;
    fo.endpoint = *parse_endpoint("unix://" + sock);
    Forwarder fwd(fo);
    fwd.start(guest_header());
    feed(fwd, events, snapshot);
    ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent == events.size(); }));
    Received got = drain(src, events.size());
    ASSERT_EQ(got.records.size(), events.size());
    first_domain = got.domains.front();
    fwd.stop(0ms);
  }
  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint("unix://" + sock);
  Forwarder again(fo);
  again.start(guest_header());
  feed(again, events, snapshot);
  ASSERT_TRUE(pump(again, snapshot, [&] { return again.stats().sent == events.size(); }));
  Received got = drain(src, events.size());
  ASSERT_EQ(got.records.size(), events.size());
  EXPECT_NE(got.domains.front(), first_domain);
  EXPECT_EQ(machines.find(got.domains.front())->vm_name, "vm-r");
  auto st = src.stats();
  EXPECT_EQ(st.counters["remote.vm-r.restarts"], 1u);
  EXPECT_EQ(st.counters["remote.vm-r.connections"], 2u);
  again.stop();
  src.close();
}

// Certificates made here with openssl: a CA, a host and a guest signed by
// it, and a stranger signed by another CA.
struct Pki {
  std::string dir;
  explicit Pki(const std::string& d) : dir(d) {
    const std::string script =
        "set -e; cd '" + dir + "'\n"
        "for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$ca "
        "-keyout $ca.key -out $ca.pem 2>/dev/null; done;"
        "sign() { openssl req -newkey rsa:2048 -nodes -subj /CN=$1 -keyout $1.key -out $1.csr 2>/dev/null;"
        " openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -days 1 "
        " -extfile <(printf 'subjectAltName=IP:127.0.0.1') -out $1.pem 2>/dev/null; };"
        "sign host ca; sign guest-cert ca; sign stranger other";
    std::ofstream(dir + "/pki.sh") << script << "\n";
    EXPECT_EQ(std::system(("bash '" + dir + "/pki.sh'").c_str()), 0) << "openssl failed";
  }
  TlsFiles files(const std::string& who, const std::string& ca = "ca") const {
    return {dir + "/" + who + ".pem", dir + "/" + who + ".key", dir + "/" + ca + ".pem"};
  }
};

TEST(RemoteForward, MutualTlsOnLoopbackCarriesTheStreamAndNamesTheVmByItsCertificate) {
  kcap::testing::TempDir dir;
  Pki pki(dir.file(""));
  MachineDirectory machines(local_machine_identity());
  RemoteSourceConfig rc;
  rc.listen = {"tcp://127.0.0.1:0"};
  rc.tls = pki.files("host");
  rc.machines = &machines;
  std::vector<std::string> lines;
  std::mutex lines_mu;
  rc.log = [&](const std::string& l) {
    std::lock_guard lock(lines_mu);
    lines.push_back(l);
  };
  RemoteSource src(rc);
  ASSERT_TRUE(src.open().ok());
  const std::string uri = "tcp://127.0.0.1:" + std::to_string(src.ports().at(0));

  auto snapshot = kcap::testing::make_snapshot();
  auto events = kcap::testing::make_events(500, 3);
  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint(uri);
  fo.tls = pki.files("guest-cert");
  Forwarder fwd(fo);
  fwd.start(guest_header());
  feed(fwd, events, snapshot);
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent == events.size(); }));
  Received got = drain(src, events.size());
  ASSERT_EQ(got.records, events);
  EXPECT_EQ(machines.find(got.domains.front())->vm_name, "guest-cert");  // the certificate's CN
  fwd.stop();

  // A guest whose certificate another CA signed is refused: nothing arrives.
  ForwarderOptions bad = fo;
  bad.tls = pki.files("stranger", "ca");
  bad.max_backoff = 100ms;
  Forwarder stranger(bad);
  stranger.start(guest_header());
  feed(stranger, events, snapshot);
  pump(stranger, snapshot, [] { return false; }, 1500ms);
  // Not checked on the guest's side: with TLS 1.3 the client finishes its
  // handshake before the host has judged its certificate, so it may write
  // records (and count them sent) into a connection the host then
  // refuses. What counts is below: nothing arrives, the refusals counted.
  stranger.stop(0ms);
  // A guest without TLS at all is refused as well.
  ForwarderOptions plain = fo;
  plain.tls = {};
  Forwarder cleartext(plain);
  cleartext.start(guest_header());
  feed(cleartext, events, snapshot);
  pump(cleartext, snapshot, [] { return false; }, 1500ms);
  cleartext.stop(0ms);
  EXPECT_TRUE(drain(src, 1, 500ms).records.empty());
  EXPECT_GE(src.stats().counters["remote.connections_refused"], 2u);
  src.close();
}

TEST(RemoteForward, PlainTcpOnLoopback) {
  MachineDirectory machines(local_machine_identity());
  RemoteSourceConfig rc;
  rc.listen = {"tcp://127.0.0.1:0?name=tcp-vm"};
  rc.machines = &machines;
  rc.log = [](const std::string&) {};
  RemoteSource src(rc);
  ASSERT_TRUE(src.open().ok());
  ForwarderOptions fo;
  fo.endpoint = *parse_endpoint("tcp://127.0.0.1:" + std::to_string(src.ports().at(0)));
  Forwarder fwd(fo);
  fwd.start(guest_header());
  auto snapshot = kcap::testing::make_snapshot();
  auto events = kcap::testing::make_events(1000, 4);
  feed(fwd, events, snapshot);
  ASSERT_TRUE(pump(fwd, snapshot, [&] { return fwd.stats().sent == events.size(); }));
  EXPECT_EQ(drain(src, events.size()).records, events);
  fwd.stop();
  src.close();
}

TEST(RemoteForward, EndpointsParseAndBadOnesNameTheAcceptedForms) {
  EXPECT_EQ(parse_endpoint("vsock://2:5555")->cid, 2u);
  EXPECT_EQ(parse_endpoint("vsock://2:5555")->port, 5555);
  EXPECT_EQ(parse_endpoint("vsock://-1:5555")->cid, UINT32_MAX);
  EXPECT_EQ(parse_endpoint("virtio-serial:///dev/vport0p1")->path, "/dev/vport0p1");
  EXPECT_EQ(parse_endpoint("/dev/virtio-ports/kestrel")->kind, EndpointKind::kSerial);
  EXPECT_EQ(parse_endpoint("tcp://[::1]:99")->host, "::1");
  EXPECT_EQ(parse_endpoint("unix:///run/k.sock?name=vm7")->name, "vm7");
  auto bad = parse_endpoint("http://x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("vsock://CID:PORT"), std::string::npos);
  EXPECT_FALSE(parse_endpoint("tcp://host").ok());
  EXPECT_FALSE(parse_endpoint("vsock://x:1").ok());
}

}  // namespace
}  // namespace kestrel::remote
