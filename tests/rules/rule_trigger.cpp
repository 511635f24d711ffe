// rule_trigger — makes the syscalls that the default ruleset's live tests
// need and that a shell cannot make: ptrace, memfd exec, userfaultfd,
// io_uring_setup, a BPF program load, init_module, setns/unshare, mount,
// packet sockets, a socket dup'ed onto stdout, setuid from a login session.
//
// Usage: rule_trigger COMMAND [ARGS...]; exit 0 when the syscall was made
// (whatever the kernel answered, where the rule does not care), non-zero
// with a message on stderr otherwise. Every command cleans up after itself
// and touches only loopback addresses and paths the test hands it.
//
//   in-cgroup REL CMD...    join the cgroup at relative path REL (parent
//                           made too) in the pids and unified hierarchies,
//                           then exec CMD
//   with-tty CMD...         run CMD on a new pseudo-terminal as its
//                           controlling tty, wait for it
//   ptrace-attach           attach to (and detach from) a child
//   ptrace-traceme          a child asks to be traced
//   ptrace-parent           a forked copy attaches to (and detaches from)
//                           its parent, as LeakSanitizer does at exit
//   memfd-exec              exec /bin/true from a memfd
//   userfaultfd             create a userfaultfd
//   io-uring                io_uring_setup with 4 entries
//   bpf-prog-load           load a two-instruction socket filter
//   init-module             init_module with an invalid image (refused)
//   unshare-uts             unshare(CLONE_NEWUTS)
//   setns-uts               setns into our own UTS namespace
//   mount-tmpfs DIR         mount a tmpfs on DIR and unmount it
//   packet-socket           socket(AF_PACKET, SOCK_RAW)
//   listen IP               listen on IP:0 (TCP)
//   connect IP PORT [REL]   listen on IP:PORT, connect to it from a child
//                           (in the cgroup at REL if given)
//   dup-socket-stdout       connect over loopback, dup2 the socket onto fd 1
//   setuid-root             set our loginuid to 1000, re-exec, seteuid(1000),
//                           setuid(0)
//   open-write PATH         open PATH O_WRONLY (no O_CREAT), close, write nothing
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kCgroupRoots[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"};

int fail(const char* what) {
  fprintf(stderr, "rule_trigger: %s: %s\n", what, strerror(errno));
  return 1;
}

// Our own path, so a re-exec keeps the name rule_trigger (through
// /proc/self/exe the process would be named "exe").
std::string self_path() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

int exec_argv(char** argv) {
  execvp(argv[0], argv);
  return fail(argv[0]);
}

// The pids v1 hierarchy and the unified one (or a pure cgroup v2 root):
// whichever the probe reports, the process sits at the same
// container-looking path. Only real cgroup file systems are touched.
int join_cgroup(const char* rel) {
  int joined = 0;
  for (const char* root : kCgroupRoots) {
    struct statfs sfs {};
    if (statfs(root, &sfs) != 0 || (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
      continue;
    std::string dir = std::string(root) + "/" + rel;
    std::string slice = dir.substr(0, dir.rfind('/'));
    mkdir(slice.c_str(), 0755);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) continue;
    std::ofstream procs(dir + "/cgroup.procs");
    procs << getpid() << std::flush;
    if (procs) ++joined;
  }
  return joined;
}

int in_cgroup(const char* rel, char** cmd) {
  if (join_cgroup(rel) == 0) return fail("joining a cgroup");
  return exec_argv(cmd);
}

int with_tty(char** cmd) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return fail("posix_openpt");
  const char* slave_name = ptsname(master);
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    setsid();
    int slave = open(slave_name, O_RDWR);
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0) _exit(fail("controlling tty"));
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    _exit(exec_argv(cmd));
  }
  char buf[256];
  while (read(master, buf, sizeof buf) > 0) {
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int ptrace_attach() {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  if (ptrace(PTRACE_ATTACH, child, nullptr, nullptr) != 0) return fail("PTRACE_ATTACH");
  waitpid(child, nullptr, 0);
  ptrace(PTRACE_DETACH, child, nullptr, nullptr);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return 0;
}

// LeakSanitizer's shape: a copy of the program (fork, no exec) attaches
// to its parent, then lets it go.
int ptrace_parent() {
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    if (ptrace(PTRACE_ATTACH, parent, nullptr, nullptr) != 0) _exit(fail("PTRACE_ATTACH"));
    waitpid(parent, nullptr, __WALL);
    ptrace(PTRACE_DETACH, parent, nullptr, nullptr);
    _exit(0);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int ptrace_traceme() {
  pid_t child = fork();
  if (child == 0) _exit(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? 0 : 1);
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int memfd_exec() {
  int fd = static_cast<int>(syscall(SYS_memfd_create, "kestrel_trigger", 0));
  if (fd < 0) return fail("memfd_create");
  int src = open("/bin/true", O_RDONLY);
  struct stat st {};
  if (src < 0 || fstat(src, &st) != 0) return fail("/bin/true");
  off_t off = 0;
  while (off < st.st_size)
    if (sendfile(fd, src, &off, static_cast<size_t>(st.st_size - off)) <= 0) return fail("sendfile");
  close(src);
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("true"), nullptr};
    char* envp[] = {nullptr};
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    _exit(fail("execveat"));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int userfaultfd() {
  int fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC));
  if (fd < 0) return fail("userfaultfd");
  close(fd);
  return 0;
}

int io_uring() {
  io_uring_params p{};
  int fd = static_cast<int>(syscall(SYS_io_uring_setup, 4, &p));
  if (fd < 0) return fail("io_uring_setup");
  close(fd);
  return 0;
}

int bpf_prog_load() {
  bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  insns[0].dst_reg = BPF_REG_0;
  insns[1].code = BPF_JMP | BPF_EXIT;
  union bpf_attr attr {};
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uint64_t>(insns);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>("GPL");
  int fd = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
  if (fd < 0) return fail("BPF_PROG_LOAD");
  close(fd);
  return 0;
}

// Not an ELF image: the kernel refuses it (ENOEXEC, or ENOSYS without
// module support) before anything is loaded.
int init_module() {
  static const char garbage[64] = "kestrel: not a kernel module";
  if (syscall(SYS_init_module, garbage, sizeof garbage, "") == 0) return fail("init_module accepted garbage");
  printf("%d\n", errno);
  return 0;
}

int unshare_uts() { return unshare(CLONE_NEWUTS) == 0 ? 0 : fail("unshare"); }

int setns_uts() {
  int fd = open("/proc/self/ns/uts", O_RDONLY);
  if (fd < 0) return fail("/proc/self/ns/uts");
  if (setns(fd, CLONE_NEWUTS) != 0) return fail("setns");
  close(fd);
  return 0;
}

int mount_tmpfs(const char* dir) {
  if (mount("kestrel-test", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0) return fail("mount");
  if (umount2(dir, 0) != 0) return fail("umount");
  return 0;
}

int packet_socket() {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) return fail("socket(AF_PACKET)");
  close(fd);
  return 0;
}

sockaddr_in address(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A listening TCP socket on ip:port (port 0: any); -1 on failure.
int listener(const char* ip, int port, sockaddr_in* bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = address(ip, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  if (bound) *bound = a;
  return fd;
}

int listen_on(const char* ip) {
  int fd = listener(ip, 0, nullptr);
  if (fd < 0) return fail("listen");
  close(fd);
  return 0;
}

// Connected client socket to a listener of our own at ip:port.
int connect_to(const char* ip, int port, int* server) {
  sockaddr_in a{};
  *server = listener(ip, port, &a);
  if (*server < 0) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

// With a cgroup, only the connecting child joins it: the listener stays
// outside, so a container rule sees the connect and nothing else.
int connect_only(const char* ip, int port) {
  sockaddr_in a = address(ip, port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return fail("connect");
  close(fd);
  return 0;
}

int connect_cmd(char* self, const char* ip, int port, const char* cgroup_rel) {
  sockaddr_in a{};
  int server = listener(ip, port, &a);
  if (server < 0) return fail("listen");
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    if (cgroup_rel) {
      // Kestrel learns a process's cgroups when it execs: join, then exec.
      if (join_cgroup(cgroup_rel) == 0) _exit(fail("joining a cgroup"));
      std::string port_text = std::to_string(ntohs(a.sin_port));
      char* argv[] = {self, const_cast<char*>("connect-only"), const_cast<char*>(ip), port_text.data(), nullptr};
      execv(self_path().c_str(), argv);
      _exit(fail("exec"));
    }
    _exit(connect_only(ip, ntohs(a.sin_port)));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(server);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int dup_socket_stdout() {
  int server = -1;
  int fd = connect_to("127.0.0.1", 0, &server);
  if (fd < 0) return fail("connect");
  int saved = dup(1);
  if (dup2(fd, 1) != 1) return fail("dup2");
  dup2(saved, 1);
  close(saved);
  close(fd);
  close(server);
  return 0;
}

int setuid_root(char* self) {
  std::ofstream loginuid("/proc/self/loginuid");
  loginuid << 1000 << std::flush;
  if (!loginuid) return fail("writing /proc/self/loginuid");
  loginuid.close();
  // The new exec carries the loginuid into Kestrel's process table.
  char* argv[] = {self, const_cast<char*>("setuid-root-2"), nullptr};
  execv(self_path().c_str(), argv);
  return fail("re-exec");
}

int setuid_root_2() {
  if (seteuid(1000) != 0) return fail("seteuid");
  if (setuid(0) != 0) return fail("setuid");
  return 0;
}

int open_write(const char* path) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return fail(path);
  close(fd);
  return 0;
}

int usage() {
  fprintf(stderr, "usage: rule_trigger COMMAND [ARGS...] (see rule_trigger.cpp)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view cmd = argv[1];
  if (cmd == "in-cgroup" && argc > 3) return in_cgroup(argv[2], argv + 3);
  if (cmd == "with-tty" && argc > 2) return with_tty(argv + 2);
  if (cmd == "ptrace-attach") return ptrace_attach();
  if (cmd == "ptrace-traceme") return ptrace_traceme();
  if (cmd == "ptrace-parent") return ptrace_parent();
  if (cmd == "memfd-exec") return memfd_exec();
  if (cmd == "userfaultfd") return userfaultfd();
  if (cmd == "io-uring") return io_uring();
  if (cmd == "bpf-prog-load") return bpf_prog_load();
  if (cmd == "init-module") return init_module();
  if (cmd == "unshare-uts") return unshare_uts();
  if (cmd == "setns-uts") return setns_uts();
  if (cmd == "mount-tmpfs" && argc > 2) return mount_tmpfs(argv[2]);
  if (cmd == "packet-socket") return packet_socket();
  if (cmd == "listen" && argc > 2) return listen_on(argv[2]);
  if (cmd == "connect" && argc > 3) return connect_cmd(argv[0], argv[2], atoi(argv[3]), argc > 4 ? argv[4] : nullptr);
  if (cmd == "connect-only" && argc > 3) return connect_only(argv[2], atoi(argv[3]));
  if (cmd == "dup-socket-stdout") return dup_socket_stdout();
  if (cmd == "setuid-root") return setuid_root(argv[0]);
  if (cmd == "setuid-root-2") return setuid_root_2();
  if (cmd == "open-write" && argc > 2) return open_write(argv[2]);
  return usage();
}
