#include "sources/capture/scap_event_table.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>

#include "sources/abi/kestrel_event.h"

// Rows transcribe falcosecurity/libs driver/event_table.c (g_event_info):
// each scap param's name and ppm_param_type in order, and next to it the
// Kestrel param (events.def) it fills. Ids are ppm_events_public.h's enum
// ppm_event_type. Ids whose layout was not checked against those files are
// not in the table: their events are counted as unmodelled, never guessed.

namespace kestrel::scap {
namespace {

using P = ParamType;
using C = Convert;

// ---- file ------------------------------------------------------------------
constexpr ParamRow kOpenE[] = {{"name", P::kFspath, "name"}, {"flags", P::kFlags32, "flags", C::kOpenFlags},
                               {"mode", P::kUint32, "mode"}};
constexpr ParamRow kOpenX[] = {{"fd", P::kFd, "fd"},         {"name", P::kFspath, "name"},
                               {"flags", P::kFlags32, "flags", C::kOpenFlags},
                               {"mode", P::kUint32, "mode"}, {"dev", P::kUint32, "dev"},
                               {"ino", P::kUint64, "ino"}};
constexpr ParamRow kCreatE[] = {{"name", P::kFspath, "name"}, {"mode", P::kUint32, "mode"}};
constexpr ParamRow kCreatX[] = {{"fd", P::kFd, "fd"}, {"name", P::kFspath, "name"}, {"mode", P::kUint32, "mode"},
                                {"dev", P::kUint32, "dev"}, {"ino", P::kUint64, "ino"}};
constexpr ParamRow kOpenatE[] = {{"dirfd", P::kFd, "dirfd"}, {"name", P::kCharbuf, "name"},
                                 {"flags", P::kFlags32, "flags", C::kOpenFlags}, {"mode", P::kUint32, "mode"}};
// openat's second version carries everything on the exit (libs 0.x+),
// so sysdig fills fd.name from the exit alone; newer libs append ino.
constexpr ParamRow kOpenat2E[] = {{"dirfd", P::kFd, "dirfd"}, {"name", P::kFsrelpath, "name"},
                                  {"flags", P::kFlags32, "flags", C::kOpenFlags}, {"mode", P::kUint32, "mode"}};
constexpr ParamRow kOpenat2X[] = {{"fd", P::kFd, "fd"},
                                  {"dirfd", P::kFd, "dirfd"},
                                  {"name", P::kFsrelpath, "name"},
                                  {"flags", P::kFlags32, "flags", C::kOpenFlags},
                                  {"mode", P::kUint32, "mode"},
                                  {"dev", P::kUint32, "dev"},
                                  {"ino", P::kUint64, "ino"}};
// openat2(2): PPM_RESOLVE_* bits differ from Linux's RESOLVE_*; not kept.
constexpr ParamRow kOpenat2SysE[] = {{"dirfd", P::kFd, "dirfd"}, {"name", P::kFsrelpath, "name"},
                                     {"flags", P::kFlags32, "flags", C::kOpenFlags}, {"mode", P::kUint32, "mode"},
                                     {"resolve", P::kFlags32, ""}};
constexpr ParamRow kOpenat2SysX[] = {{"fd", P::kFd, "fd"},
                                     {"dirfd", P::kFd, "dirfd"},
                                     {"name", P::kFsrelpath, "name"},
                                     {"flags", P::kFlags32, "flags", C::kOpenFlags},
                                     {"mode", P::kUint32, "mode"},
                                     {"resolve", P::kFlags32, ""}};
constexpr ParamRow kFdOnly[] = {{"fd", P::kFd, "fd"}};
constexpr ParamRow kResOnly[] = {{"res", P::kErrno, "res"}};
constexpr ParamRow kIoE[] = {{"fd", P::kFd, "fd"}, {"size", P::kUint32, "size"}};
constexpr ParamRow kIoX[] = {{"res", P::kErrno, "res"}, {"data", P::kBytebuf, "data"}};
constexpr ParamRow kChdirX[] = {{"res", P::kErrno, "res"}, {"path", P::kCharbuf, "path"}};
constexpr ParamRow kDupE[] = {{"fd", P::kFd, "oldfd"}};
constexpr ParamRow kDupX[] = {{"res", P::kFd, "res"}};
constexpr ParamRow kPipeX[] = {{"res", P::kErrno, "res"}, {"fd1", P::kFd, "fd1"}, {"fd2", P::kFd, "fd2"},
                               {"ino", P::kUint64, "ino"}};
constexpr ParamRow kUnlinkE[] = {{"path", P::kFspath, "path"}};
constexpr ParamRow kUnlinkatE[] = {{"dirfd", P::kFd, "dirfd"}, {"name", P::kCharbuf, "name"}};
constexpr ParamRow kMkdir2E[] = {{"mode", P::kUint32, "mode"}};
constexpr ParamRow kMkdir2X[] = {{"res", P::kErrno, "res"}, {"path", P::kFspath, "path"}};
constexpr ParamRow kRenameX[] = {{"res", P::kErrno, "res"}, {"oldpath", P::kFspath, "oldpath"},
                                 {"newpath", P::kFspath, "newpath"}};
constexpr ParamRow kSymlinkX[] = {{"res", P::kErrno, "res"}, {"target", P::kCharbuf, "target"},
                                  {"linkpath", P::kFspath, "linkpath"}};

// ---- network ---------------------------------------------------------------
constexpr ParamRow kSocketE[] = {{"domain", P::kFlags32, "domain"}, {"type", P::kUint32, "type"},
                                 {"proto", P::kUint32, "proto"}};
constexpr ParamRow kBindX[] = {{"res", P::kErrno, "res"}, {"addr", P::kSockaddr, "addr"}};
constexpr ParamRow kConnectE[] = {{"fd", P::kFd, "fd"}, {"addr", P::kSockaddr, "addr"}};
// Newer libs append the fd to the exit.
constexpr ParamRow kConnectX[] = {{"res", P::kErrno, "res"}, {"tuple", P::kSocktuple, "tuple"}, {"fd", P::kFd, "fd"}};
constexpr ParamRow kListenE[] = {{"fd", P::kFd, "fd"}, {"backlog", P::kUint32, "backlog"}};
constexpr ParamRow kAcceptX[] = {{"fd", P::kFd, "fd"}, {"tuple", P::kSocktuple, "tuple"},
                                 {"queuepct", P::kUint8, ""}, {"queuelen", P::kUint32, ""},
                                 {"queuemax", P::kUint32, ""}};
constexpr ParamRow kAccept4E[] = {{"flags", P::kInt32, ""}};
constexpr ParamRow kSendE[] = {{"fd", P::kFd, "fd"}, {"size", P::kUint32, "size"},
                               {"tuple", P::kSocktuple, "tuple"}};
constexpr ParamRow kRecvfromX[] = {{"res", P::kErrno, "res"}, {"data", P::kBytebuf, "data"},
                                   {"tuple", P::kSocktuple, "tuple"}};
constexpr ParamRow kRecvmsgX[] = {{"res", P::kErrno, "res"}, {"size", P::kUint32, "size"},
                                  {"data", P::kBytebuf, "data"}, {"tuple", P::kSocktuple, "tuple"}};

// ---- memory, signals, credentials -----------------------------------------
constexpr ParamRow kMmapE[] = {{"addr", P::kUint64, "addr"},
                               {"length", P::kUint64, "length"},
                               {"prot", P::kFlags32, "prot", C::kProtFlags},
                               {"flags", P::kFlags32, "flags", C::kMmapFlags},
                               {"fd", P::kFd, "fd"},
                               {"offset", P::kUint64, "offset"}};
constexpr ParamRow kMmapX[] = {{"res", P::kUint64, "res"}, {"vm_size", P::kUint32, ""},
                               {"vm_rss", P::kUint32, ""}, {"vm_swap", P::kUint32, ""}};
constexpr ParamRow kKillE[] = {{"pid", P::kPid, "pid"}, {"sig", P::kSigtype, "sig"}};
constexpr ParamRow kSetuidE[] = {{"uid", P::kUid, "uid"}};
constexpr ParamRow kSetgidE[] = {{"gid", P::kGid, "gid"}};

// ---- processes ---------------------------------------------------------------
constexpr ParamRow kProcexit1E[] = {{"status", P::kErrno, "status"}, {"ret", P::kErrno, "ret"},
                                    {"sig", P::kSigtype, "sig"}, {"core", P::kUint8, "core"}};
// The common head of every execve/clone exit version.
#define KESTREL_SCAP_PROC_HEAD(res_type)                                                               \
  {"res", res_type, "res"}, {"exe", P::kCharbuf, "exe"}, {"args", P::kBytebuf, "args"},              \
      {"tid", P::kPid, "tid"}, {"pid", P::kPid, "pid"}, {"ptid", P::kPid, "ptid"},                      \
      {"cwd", P::kCharbuf, "cwd"}, {"fdlimit", P::kInt64, ""}
#define KESTREL_SCAP_PROC_MEM                                                                          \
  {"pgft_maj", P::kUint64, ""}, {"pgft_min", P::kUint64, ""}, {"vm_size", P::kUint32, ""},            \
      {"vm_rss", P::kUint32, ""}, {"vm_swap", P::kUint32, ""}
constexpr ParamRow kExecve8X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno)};
constexpr ParamRow kExecve13X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM};
constexpr ParamRow kExecve14X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM,
                                   {"env", P::kBytebuf, "env"}};
constexpr ParamRow kExecve15X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM,
                                   {"comm", P::kCharbuf, "comm"}, {"env", P::kBytebuf, "env"}};
constexpr ParamRow kExecve16X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM,
                                   {"comm", P::kCharbuf, "comm"}, {"cgroups", P::kBytebuf, "cgroups"},
                                   {"env", P::kBytebuf, "env"}};
constexpr ParamRow kExecve17X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM,
                                   {"comm", P::kCharbuf, "comm"}, {"cgroups", P::kBytebuf, "cgroups"},
                                   {"env", P::kBytebuf, "env"}, {"tty", P::kInt32, "tty"}};
// execve 19 as sysdig 0.29 has it (20 params); newer libs append more
// (capabilities, exe inode), not read here.
constexpr ParamRow kExecve19X[] = {KESTREL_SCAP_PROC_HEAD(P::kErrno), KESTREL_SCAP_PROC_MEM,
                                   {"comm", P::kCharbuf, "comm"}, {"cgroups", P::kBytebuf, "cgroups"},
                                   {"env", P::kBytebuf, "env"}, {"tty", P::kInt32, "tty"},
                                   {"pgid", P::kPid, "pgid"}, {"loginuid", P::kInt32, "loginuid"},
                                   {"flags", P::kFlags32, ""}};
// PPM_EXVAT_* flags differ from Linux's AT_*; not kept.
constexpr ParamRow kExecveatE[] = {{"dirfd", P::kFd, "dirfd"}, {"pathname", P::kFsrelpath, "pathname"},
                                   {"flags", P::kFlags32, ""}};
constexpr ParamRow kExecveFilenameE[] = {{"filename", P::kFspath, ""}};
constexpr ParamRow kClone17X[] = {KESTREL_SCAP_PROC_HEAD(P::kPid), KESTREL_SCAP_PROC_MEM,
                                  {"comm", P::kCharbuf, "comm"}, {"flags", P::kFlags32, "flags", C::kCloneFlags},
                                  {"uid", P::kUint32, "uid"}, {"gid", P::kUint32, "gid"}};
constexpr ParamRow kClone20X[] = {KESTREL_SCAP_PROC_HEAD(P::kPid),
                                  KESTREL_SCAP_PROC_MEM,
                                  {"comm", P::kCharbuf, "comm"},
                                  {"cgroups", P::kBytebuf, "cgroups"},
                                  {"flags", P::kFlags32, "flags", C::kCloneFlags},
                                  {"uid", P::kUint32, "uid"},
                                  {"gid", P::kUint32, "gid"},
                                  {"vtid", P::kPid, "vtid"},
                                  {"vpid", P::kPid, "vpid"}};
// Kestrel's fork and vfork rows have no flags param.
constexpr ParamRow kFork20X[] = {KESTREL_SCAP_PROC_HEAD(P::kPid),
                                 KESTREL_SCAP_PROC_MEM,
                                 {"comm", P::kCharbuf, "comm"},
                                 {"cgroups", P::kBytebuf, "cgroups"},
                                 {"flags", P::kFlags32, ""},
                                 {"uid", P::kUint32, "uid"},
                                 {"gid", P::kUint32, "gid"},
                                 {"vtid", P::kPid, "vtid"},
                                 {"vpid", P::kPid, "vpid"}};
#undef KESTREL_SCAP_PROC_HEAD
#undef KESTREL_SCAP_PROC_MEM

constexpr std::span<const ParamRow> kNone{};

using D = Direction;

// ---- plugins ---------------------------------------------------------------
// A Falco plugin's event (PPME_PLUGINEVENT_E, EF_LARGE_PAYLOAD): the id of
// the plugin that produced it and its payload, as next_batch returned them.
constexpr ParamRow kPluginEventE[] = {{"plugin_id", P::kUint32, "plugin_id"},
                                      {"event_data", P::kBytebuf, "event_data"}};

// Sorted by id.
constexpr EventRow kRows[] = {
    {0, "syscall", D::kEnter, KE_NONE, kNone},  // generic: a syscall libscap has no row for
    {1, "syscall", D::kExit, KE_NONE, kNone},
    {2, "open", D::kEnter, KE_OPEN, kOpenE},
    {3, "open", D::kExit, KE_OPEN, kOpenX, true},
    {4, "close", D::kEnter, KE_CLOSE, kFdOnly},
    {5, "close", D::kExit, KE_CLOSE, kResOnly, true},
    {6, "read", D::kEnter, KE_READ, kIoE},
    {7, "read", D::kExit, KE_READ, kIoX, true},
    {8, "write", D::kEnter, KE_WRITE, kIoE},
    {9, "write", D::kExit, KE_WRITE, kIoX, true},
    {12, "execve", D::kEnter, KE_EXECVE, kNone},
    {13, "execve", D::kExit, KE_EXECVE, kExecve8X},
    {18, "socket", D::kEnter, KE_SOCKET, kSocketE},
    {19, "socket", D::kExit, KE_SOCKET, kFdOnly, true},
    {20, "bind", D::kEnter, KE_BIND, kFdOnly},
    {21, "bind", D::kExit, KE_BIND, kBindX, true},
    {22, "connect", D::kEnter, KE_CONNECT, kConnectE},
    {23, "connect", D::kExit, KE_CONNECT, kConnectX, true},
    {24, "listen", D::kEnter, KE_LISTEN, kListenE},
    {25, "listen", D::kExit, KE_LISTEN, kResOnly, true},
    {30, "sendto", D::kEnter, KE_SENDTO, kSendE},
    {31, "sendto", D::kExit, KE_SENDTO, kIoX, true},
    {34, "recvfrom", D::kEnter, KE_RECVFROM, kIoE},
    {35, "recvfrom", D::kExit, KE_RECVFROM, kRecvfromX, true},
    {48, "sendmsg", D::kEnter, KE_SENDMSG, kSendE},
    {49, "sendmsg", D::kExit, KE_SENDMSG, kIoX, true},
    {52, "recvmsg", D::kEnter, KE_RECVMSG, kFdOnly},
    {53, "recvmsg", D::kExit, KE_RECVMSG, kRecvmsgX, true},
    {58, "creat", D::kEnter, KE_CREAT, kCreatE},
    {59, "creat", D::kExit, KE_CREAT, kCreatX, true},
    {60, "pipe", D::kEnter, KE_PIPE, kNone},
    {61, "pipe", D::kExit, KE_PIPE, kPipeX, true},
    {64, "futex", D::kEnter, KE_NONE, kNone},
    {65, "futex", D::kExit, KE_NONE, kNone},
    {66, "stat", D::kEnter, KE_NONE, kNone},
    {67, "stat", D::kExit, KE_NONE, kNone},
    {68, "lstat", D::kEnter, KE_NONE, kNone},
    {69, "lstat", D::kExit, KE_NONE, kNone},
    {70, "fstat", D::kEnter, KE_NONE, kFdOnly},  // generic record with its fd
    {71, "fstat", D::kExit, KE_NONE, kNone},
    {78, "epoll_wait", D::kEnter, KE_NONE, kNone},
    {79, "epoll_wait", D::kExit, KE_NONE, kNone},
    {80, "poll", D::kEnter, KE_NONE, kNone},
    {81, "poll", D::kExit, KE_NONE, kNone},
    {82, "select", D::kEnter, KE_NONE, kNone},
    {83, "select", D::kExit, KE_NONE, kNone},
    {86, "lseek", D::kEnter, KE_NONE, kNone},
    {87, "lseek", D::kExit, KE_NONE, kNone},
    {92, "getcwd", D::kEnter, KE_NONE, kNone},
    {93, "getcwd", D::kExit, KE_NONE, kNone},
    {94, "chdir", D::kEnter, KE_CHDIR, kNone},
    {95, "chdir", D::kExit, KE_CHDIR, kChdirX, true},
    {96, "fchdir", D::kEnter, KE_FCHDIR, kFdOnly},
    {97, "fchdir", D::kExit, KE_FCHDIR, kResOnly, true},
    {102, "openat", D::kEnter, KE_OPENAT, kOpenatE},
    {103, "openat", D::kExit, KE_OPENAT, kFdOnly},
    {108, "unlink", D::kEnter, KE_UNLINK, kUnlinkE},
    {109, "unlink", D::kExit, KE_UNLINK, kResOnly, true},
    {110, "unlinkat", D::kEnter, KE_UNLINKAT, kUnlinkatE},
    {111, "unlinkat", D::kExit, KE_UNLINKAT, kResOnly, true},
    {124, "dup", D::kEnter, KE_DUP, kDupE},
    {125, "dup", D::kExit, KE_DUP, kDupX, true},
    {128, "kill", D::kEnter, KE_KILL, kKillE},
    {129, "kill", D::kExit, KE_KILL, kResOnly, true},
    {134, "nanosleep", D::kEnter, KE_NONE, kNone},
    {135, "nanosleep", D::kExit, KE_NONE, kNone},
    {140, "getrlimit", D::kEnter, KE_NONE, kNone},
    {141, "getrlimit", D::kExit, KE_NONE, kNone},
    {152, "switch", D::kEnterOnly, KE_NONE, kNone},
    {154, "execve", D::kEnter, KE_EXECVE, kNone},
    {155, "execve", D::kExit, KE_EXECVE, kExecve13X},
    {158, "brk", D::kEnter, KE_NONE, kNone},
    {159, "brk", D::kExit, KE_NONE, kNone},
    {160, "mmap", D::kEnter, KE_MMAP, kMmapE},
    {161, "mmap", D::kExit, KE_MMAP, kMmapX, true},
    {164, "munmap", D::kEnter, KE_NONE, kNone},
    {165, "munmap", D::kExit, KE_NONE, kNone},
    {170, "ioctl", D::kEnter, KE_NONE, kNone},
    {171, "ioctl", D::kExit, KE_NONE, kNone},
    {172, "execve", D::kEnter, KE_EXECVE, kNone},
    {173, "execve", D::kExit, KE_EXECVE, kExecve14X},
    {174, "rename", D::kEnter, KE_RENAME, kNone},
    {175, "rename", D::kExit, KE_RENAME, kRenameX, true},
    {178, "symlink", D::kEnter, KE_SYMLINK, kNone},
    {179, "symlink", D::kExit, KE_SYMLINK, kSymlinkX, true},
    {186, "procexit", D::kEnterOnly, KE_PROCEXIT, kProcexit1E, true},
    {198, "setuid", D::kEnter, KE_SETUID, kSetuidE},
    {199, "setuid", D::kExit, KE_SETUID, kResOnly, true},
    {200, "setgid", D::kEnter, KE_SETGID, kSetgidE},
    {201, "setgid", D::kExit, KE_SETGID, kResOnly, true},
    {214, "execve", D::kEnter, KE_EXECVE, kNone},
    {215, "execve", D::kExit, KE_EXECVE, kExecve15X},
    {216, "clone", D::kEnter, KE_CLONE, kNone},
    {217, "clone", D::kExit, KE_CLONE, kClone17X},
    {222, "clone", D::kEnter, KE_CLONE, kNone},
    {223, "clone", D::kExit, KE_CLONE, kClone20X, true},
    {224, "fork", D::kEnter, KE_FORK, kNone},
    {225, "fork", D::kExit, KE_FORK, kFork20X, true},
    {226, "vfork", D::kEnter, KE_VFORK, kNone},
    {227, "vfork", D::kExit, KE_VFORK, kFork20X, true},
    {230, "execve", D::kEnter, KE_EXECVE, kNone},
    {231, "execve", D::kExit, KE_EXECVE, kExecve16X},
    {232, "signaldeliver", D::kEnterOnly, KE_NONE, kNone},
    {234, "procinfo", D::kEnterOnly, KE_NONE, kNone},
    {236, "getdents", D::kEnter, KE_NONE, kNone},
    {237, "getdents", D::kExit, KE_NONE, kNone},
    {238, "getdents64", D::kEnter, KE_NONE, kNone},
    {239, "getdents64", D::kExit, KE_NONE, kNone},
    {246, "accept", D::kEnter, KE_ACCEPT, kNone},
    {247, "accept", D::kExit, KE_ACCEPT, kAcceptX, true},
    {248, "accept", D::kEnter, KE_ACCEPT4, kAccept4E},
    {249, "accept", D::kExit, KE_ACCEPT4, kAcceptX, true},
    {254, "ppoll", D::kEnter, KE_NONE, kNone},
    {255, "ppoll", D::kExit, KE_NONE, kNone},
    {264, "access", D::kEnter, KE_NONE, kNone},
    {265, "access", D::kExit, KE_NONE, kNone},
    {272, "container", D::kEnterOnly, KE_NONE, kNone},
    {276, "mkdir", D::kEnter, KE_MKDIR, kMkdir2E},
    {277, "mkdir", D::kExit, KE_MKDIR, kMkdir2X, true},
    {282, "execve", D::kEnter, KE_EXECVE, kNone},
    {283, "execve", D::kExit, KE_EXECVE, kExecve17X},
    {288, "execve", D::kEnter, KE_EXECVE, kExecveFilenameE},
    {289, "execve", D::kExit, KE_EXECVE, kExecve17X},
    {292, "execve", D::kEnter, KE_EXECVE, kExecveFilenameE},
    {293, "execve", D::kExit, KE_EXECVE, kExecve19X, true},
    {306, "openat", D::kEnter, KE_OPENAT, kOpenat2E},
    {307, "openat", D::kExit, KE_OPENAT, kOpenat2X, true},
    {322, "pluginevent", D::kEnterOnly, KE_PLUGINEVENT, kPluginEventE, true, true},
    {326, "openat2", D::kEnter, KE_OPENAT2, kOpenat2SysE},
    {327, "openat2", D::kExit, KE_OPENAT2, kOpenat2SysX, true},
    {330, "execveat", D::kEnter, KE_EXECVEAT, kExecveatE},
    {331, "execveat", D::kExit, KE_EXECVEAT, kExecve19X, true},
    {334, "clone3", D::kEnter, KE_CLONE3, kNone},
    {335, "clone3", D::kExit, KE_CLONE3, kClone20X, true},
};

constexpr bool sorted() {
  for (size_t i = 1; i < std::size(kRows); ++i)
    if (kRows[i - 1].id >= kRows[i].id) return false;
  return true;
}
static_assert(sorted(), "scap event rows must be sorted by id, one per id");

struct Bit {
  uint32_t ppm;
  uint32_t linux_bit;
};

uint32_t map_bits(uint32_t ppm, std::span<const Bit> bits) {
  uint32_t out = 0;
  for (const Bit& b : bits)
    if (ppm & b.ppm) out |= b.linux_bit;
  return out;
}

// The other way (the writer). A Linux value that is several bits (O_SYNC
// includes O_DSYNC) maps to every PPM bit whose Linux bits it holds.
uint32_t unmap_bits(uint32_t linux_flags, std::span<const Bit> bits) {
  uint32_t out = 0;
  for (const Bit& b : bits)
    if (b.linux_bit != 0 && (linux_flags & b.linux_bit) == b.linux_bit) out |= b.ppm;
  return out;
}

// PPM_O_*: RDONLY 1<<0 and WRONLY 1<<1 are access bits (both: RDWR), the
// rest one bit each.
constexpr Bit kOpenBits[] = {
    {1u << 2, O_CREAT},  {1u << 3, O_APPEND},     {1u << 4, O_DSYNC},      {1u << 5, O_EXCL},
    {1u << 6, O_NONBLOCK}, {1u << 7, O_SYNC},     {1u << 8, O_TRUNC},      {1u << 9, O_DIRECT},
    {1u << 10, O_DIRECTORY}, {1u << 11, O_LARGEFILE}, {1u << 12, O_CLOEXEC}, {1u << 13, O_TMPFILE},
};

constexpr Bit kMmapBits[] = {
    {1u << 0, MAP_SHARED},     {1u << 1, MAP_PRIVATE},    {1u << 2, MAP_FIXED},
    {1u << 3, MAP_ANONYMOUS},  {1u << 4, MAP_32BIT},      {1u << 6, MAP_NORESERVE},
    {1u << 7, MAP_POPULATE},   {1u << 8, MAP_NONBLOCK},   {1u << 9, MAP_GROWSDOWN},
    {1u << 10, MAP_DENYWRITE}, {1u << 11, MAP_EXECUTABLE}, {1u << 14, MAP_LOCKED},
};  // RENAME, INHERIT, FILE: no Linux bit

constexpr Bit kProtBits[] = {
    {1u << 0, PROT_READ},       {1u << 1, PROT_WRITE},    {1u << 2, PROT_EXEC},
    {1u << 3, 0x8 /*PROT_SEM*/}, {1u << 4, PROT_GROWSDOWN}, {1u << 5, PROT_GROWSUP},
};  // SAO: powerpc only

constexpr Bit kCloneBits[] = {
    {1u << 0, CLONE_FILES},          {1u << 1, CLONE_FS},
    {1u << 2, CLONE_IO},             {1u << 3, CLONE_NEWIPC},
    {1u << 4, CLONE_NEWNET},         {1u << 5, CLONE_NEWNS},
    {1u << 6, CLONE_NEWPID},         {1u << 7, CLONE_NEWUTS},
    {1u << 8, CLONE_PARENT},         {1u << 9, CLONE_PARENT_SETTID},
    {1u << 10, CLONE_PTRACE},        {1u << 11, CLONE_SIGHAND},
    {1u << 12, CLONE_SYSVSEM},       {1u << 13, CLONE_THREAD},
    {1u << 14, CLONE_UNTRACED},      {1u << 15, CLONE_VM},
    {1u << 20, CLONE_NEWUSER},       {1u << 23, CLONE_CHILD_CLEARTID},
    {1u << 24, CLONE_CHILD_SETTID},  {1u << 25, CLONE_SETTLS},
    {1u << 27, CLONE_VFORK},         {1u << 28, CLONE_NEWCGROUP},
};  // libsinsp's own bits (16-19, 21, 22, 29, 30) dropped

constexpr bool one_written_row_per_type() {
  for (size_t i = 0; i < std::size(kRows); ++i)
    for (size_t j = i + 1; j < std::size(kRows); ++j)
      if (kRows[i].written && kRows[j].written && kRows[i].kestrel_type == kRows[j].kestrel_type) return false;
  return true;
}
static_assert(one_written_row_per_type(), "one written scap row per Kestrel event type");

constexpr bool written_rows_are_exits() {
  for (const EventRow& r : kRows)
    if (r.written && (r.kestrel_type == KE_NONE || r.dir == Direction::kEnter)) return false;
  return true;
}
static_assert(written_rows_are_exits(), "a written row is a modelled exit or enter-only row");

}  // namespace

const EventRow* find_event(uint16_t id) {
  auto it = std::lower_bound(std::begin(kRows), std::end(kRows), id,
                             [](const EventRow& r, uint16_t v) { return r.id < v; });
  return it != std::end(kRows) && it->id == id ? &*it : nullptr;
}

std::span<const EventRow> all_events() { return kRows; }

uint16_t id_limit() {
  static const uint16_t limit = [] {
    uint16_t top = 0;
    for (const EventRow& r : kRows) top = std::max<uint16_t>(top, r.id);
    return static_cast<uint16_t>(top + 1);
  }();
  return limit;
}

std::optional<std::string_view> event_name(uint16_t id) {
  if (const EventRow* r = find_event(id)) return r->name;
  return std::nullopt;
}

const EventRow* written_row(uint16_t kestrel_type) {
  static const auto index = [] {
    std::array<const EventRow*, KE_COUNT> rows{};
    for (const EventRow& r : kRows)
      if (r.written && r.kestrel_type < rows.size()) rows[r.kestrel_type] = &r;
    return rows;
  }();
  return kestrel_type < index.size() ? index[kestrel_type] : nullptr;
}

size_t fixed_size(ParamType t) {
  switch (t) {
    case P::kInt8: case P::kUint8: case P::kSigtype: case P::kFlags8: return 1;
    case P::kInt16: case P::kUint16: case P::kFlags16: case P::kSyscallId: return 2;
    case P::kInt32: case P::kUint32: case P::kFlags32: case P::kUid: case P::kGid: case P::kMode: return 4;
    case P::kInt64: case P::kUint64: case P::kErrno: case P::kFd: case P::kPid: return 8;
    case P::kCharbuf: case P::kBytebuf: case P::kSockaddr: case P::kSocktuple: case P::kFspath:
    case P::kFsrelpath: return 0;
  }
  return 0;
}

uint32_t ppm_open_flags_to_linux(uint32_t ppm) {
  uint32_t access = (ppm & 3u) == 3u ? O_RDWR : (ppm & 2u) ? O_WRONLY : O_RDONLY;
  // O_TMPFILE includes O_DIRECTORY on Linux; O_SYNC includes O_DSYNC.
  return access | map_bits(ppm, kOpenBits);
}
uint32_t ppm_mmap_flags_to_linux(uint32_t ppm) { return map_bits(ppm, kMmapBits); }
uint32_t ppm_prot_flags_to_linux(uint32_t ppm) { return map_bits(ppm, kProtBits); }
uint32_t ppm_clone_flags_to_linux(uint32_t ppm) { return map_bits(ppm, kCloneBits); }

uint32_t linux_open_flags_to_ppm(uint32_t f) {
  const uint32_t acc = f & O_ACCMODE;
  const uint32_t access = acc == O_RDWR ? 3u : acc == O_WRONLY ? 2u : 1u;
  return access | unmap_bits(f, kOpenBits);
}
uint32_t linux_mmap_flags_to_ppm(uint32_t f) { return unmap_bits(f, kMmapBits); }
uint32_t linux_prot_flags_to_ppm(uint32_t f) { return unmap_bits(f, kProtBits); }
uint32_t linux_clone_flags_to_ppm(uint32_t f) { return unmap_bits(f, kCloneBits); }

}  // namespace kestrel::scap
