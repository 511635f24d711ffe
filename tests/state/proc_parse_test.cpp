#include "state/proc_parse.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "state/proc_fd.h"
#include "state/proc_net.h"

namespace kestrel {
namespace {

TEST(ProcParse, StatWithAnAwkwardComm) {
  auto s = parse_proc_stat(
      "4242 (my (weird) app) S 1 4240 4239 34817 4242 4194560 812 0 0 0 5 3 0 0 20 0 2 0 98765 123456 789 "
      "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->comm, "my (weird) app");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->pgrp, 4240);
  EXPECT_EQ(s->session, 4239);
  EXPECT_EQ(s->tty_nr, 34817u);
  EXPECT_EQ(s->starttime, 98765u);
  EXPECT_FALSE(parse_proc_stat("4242 (truncated) S 1 2").has_value());
  EXPECT_FALSE(parse_proc_stat("").has_value());
}

TEST(ProcParse, Status) {
  auto st = parse_proc_status(
      "Name:\tnginx: worker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nNgid:\t0\nPid:\t815\nPPid:\t800\n"
      "TracerPid:\t0\nUid:\t33\t33\t33\t33\nGid:\t34\t35\t34\t34\nFDSize:\t64\nNStgid:\t812\t12\nNSpid:\t815\t15\n"
      "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t0000000000000400\nCapBnd:\t000001ffffffffff\n");
  EXPECT_EQ(st.name, "nginx: worker");
  EXPECT_EQ(st.tgid, 812);
  EXPECT_EQ(st.ppid, 800);
  EXPECT_EQ(st.uid, 33u);
  EXPECT_EQ(st.gid, 34u);
  EXPECT_EQ(st.egid, 35u);
  EXPECT_EQ(st.cap_inheritable, 0u);
  EXPECT_EQ(st.cap_permitted, 0xa80425fbu);
  EXPECT_EQ(st.cap_effective, 0x400u);
  EXPECT_EQ(st.vpid, 12);
  EXPECT_EQ(st.vtid, 15);
}

TEST(ProcParse, BootTimeAndStartTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 1732860000\nprocesses 7\n"), 1732860000u);
  EXPECT_FALSE(parse_boot_time("cpu 1\n").has_value());
  EXPECT_EQ(start_time_ns(1732860000, 250, 100), 1732860002500000000ull);
  // A year of uptime at 1000 Hz does not overflow.
  EXPECT_EQ(start_time_ns(0, 31536000000ull, 1000), 31536000000000000ull);
}

constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 48213 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   1: 0F02000A:C350 22D8B85D:01BB 01 00000000:00000000 02:000A7E5F 00000000  1000        0 48999 2 "
    "0000000000000000 20 4 30 10 -1\n"
    "   2: 0F02000A:C351 22D8B85D:01BB 06 00000000:00000000 03:00001770 00000000     0        0 0 3 "
    "0000000000000000\n";

TEST(ProcNet, TcpListeningAndConnected) {
  ProcSocketMap m;
  parse_proc_net_inet(kTcp, false, IPPROTO_TCP, m);
  ASSERT_EQ(m.size(), 2u) << "TIME_WAIT entries have no inode";
  const ProcSocket& l = m.at(48213);
  EXPECT_EQ(l.type, FdType::kIpv4);
  EXPECT_TRUE(l.listening);
  EXPECT_EQ(l.name, "127.0.0.1:8080");
  EXPECT_EQ(l.l4proto, IPPROTO_TCP);
  const ProcSocket& c = m.at(48999);
  EXPECT_FALSE(c.listening);
  EXPECT_EQ(c.name, "10.0.2.15:50000->93.184.216.34:443");
}

TEST(ProcNet, Tcp6UdpUnixNetlink) {
  ProcSocketMap m;
  parse_proc_net_inet(
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
      "tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 "
      "00:00000000 00000000     0        0 51234 1 0000000000000000 100 0 0 10 0\n",
      true, IPPROTO_TCP, m);
  parse_proc_net_inet(
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
      "pointer drops\n"
      "  245: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 20123 2 "
      "0000000000000000 0\n",
      false, IPPROTO_UDP, m);
  parse_proc_net_unix(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 20941 /run/systemd/private\n"
      "0000000000000000: 00000003 00000000 00000000 0001 03 31337 /run/my socket\n"
      "0000000000000000: 00000002 00000000 00000000 0002 01 777\n",
      m);
  parse_proc_net_netlink(
      "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
      "0000000000000000 0   1          00000000 0        0        0     2        0        12345\n",
      m);
  EXPECT_EQ(m.at(51234).type, FdType::kIpv6);
  EXPECT_EQ(m.at(51234).name, "[::1]:8080");
  EXPECT_TRUE(m.at(51234).listening);
  EXPECT_EQ(m.at(20123).name, "127.0.0.53:53");
  EXPECT_EQ(m.at(20123).l4proto, IPPROTO_UDP);
  EXPECT_FALSE(m.at(20123).listening);
  EXPECT_EQ(m.at(20941).type, FdType::kUnix);
  EXPECT_EQ(m.at(20941).name, "/run/systemd/private");
  EXPECT_TRUE(m.at(20941).listening);
  EXPECT_EQ(m.at(31337).name, "/run/my socket");
  EXPECT_FALSE(m.at(31337).listening);
  EXPECT_EQ(m.at(777).name, "");
  EXPECT_EQ(m.at(12345).type, FdType::kNetlink);
}

TEST(ProcFd, ClassifiesLinkTexts) {
  ProcSocketMap m;
  parse_proc_net_inet(kTcp, false, IPPROTO_TCP, m);
  EXPECT_EQ(classify_fd_link(3, "/var/log/syslog", false, nullptr).type, FdType::kFile);
  EXPECT_EQ(classify_fd_link(3, "/var/log", true, nullptr).type, FdType::kDirectory);
  FdInfo memfd = classify_fd_link(4, "/memfd:jit-code (deleted)", false, nullptr);
  EXPECT_EQ(memfd.type, FdType::kMemfd);
  EXPECT_EQ(memfd.name, "memfd:jit-code");
  FdInfo sock = classify_fd_link(5, "socket:[48213]", false, &m);
  EXPECT_EQ(sock.type, FdType::kIpv4);
  EXPECT_EQ(sock.ino, 48213u);
  EXPECT_TRUE(sock.listening);
  EXPECT_EQ(sock.name, "127.0.0.1:8080");
  FdInfo lost = classify_fd_link(6, "socket:[1]", false, &m);
  EXPECT_EQ(lost.type, FdType::kUnknown);
  EXPECT_EQ(lost.name, "socket:[1]");
  FdInfo pipe = classify_fd_link(7, "pipe:[99]", false, nullptr);
  EXPECT_EQ(pipe.type, FdType::kPipe);
  EXPECT_EQ(pipe.ino, 99u);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:[eventpoll]", false, nullptr).type, FdType::kEventPoll);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:[eventfd]", false, nullptr).type, FdType::kEvent);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:inotify", false, nullptr).type, FdType::kInotify);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:[timerfd]", false, nullptr).type, FdType::kTimerFd);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:[signalfd]", false, nullptr).type, FdType::kSignalFd);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:bpf-map", false, nullptr).type, FdType::kBpf);
  EXPECT_EQ(classify_fd_link(8, "anon_inode:[io_uring]", false, nullptr).type, FdType::kIoUring);
  EXPECT_EQ(classify_fd_link(8, "net:[4026531840]", false, nullptr).type, FdType::kUnknown);
  EXPECT_FALSE(bracketed_inode("socket:[12x]", "socket:[").has_value());
  EXPECT_FALSE(bracketed_inode("socket:[]", "socket:[").has_value());
}

}  // namespace
}  // namespace kestrel
