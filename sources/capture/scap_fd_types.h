// scap_fd_types.h — Kestrel's fd kinds against libscap's scap_fd_type
// numbers (scap_format.h: ScapFdType), both ways. The .scap reader, the
// .scap writer and the plugin host's "file_descriptors" state table (whose
// "type" field is that number, as Falco's) share this one mapping.
#pragma once

#include <netinet/in.h>

#include <cstdint>

#include "sources/capture/scap_format.h"
#include "state/thread_info.h"

namespace kestrel::scap {

// The scap_fd_type of a Kestrel fd as current libscap numbers it (a
// listening socket is a "server" socket).
inline uint8_t scap_fd_type_of(FdType type, bool listening) {
  switch (type) {
    case FdType::kFile: return kFdFileV2;
    case FdType::kDirectory: return kFdDirectory;
    case FdType::kIpv4: return listening ? kFdIpv4ServSock : kFdIpv4Sock;
    case FdType::kIpv6: return listening ? kFdIpv6ServSock : kFdIpv6Sock;
    case FdType::kUnix: return kFdUnixSock;
    case FdType::kPipe: return kFdFifo;
    case FdType::kEvent: return kFdEvent;
    case FdType::kSignalFd: return kFdSignalfd;
    case FdType::kEventPoll: return kFdEventpoll;
    case FdType::kInotify: return kFdInotify;
    case FdType::kTimerFd: return kFdTimerfd;
    case FdType::kNetlink: return kFdNetlink;
    case FdType::kBpf: return kFdBpf;
    case FdType::kUserfaultfd: return kFdUserfaultfd;
    case FdType::kIoUring: return kFdIouring;
    case FdType::kMemfd: return kFdMemfd;
    default: return kFdUnknown;
  }
}

// The Kestrel fd kind of a scap_fd_type (kUnknown for unsupported, pidfd
// and numbers libscap does not define).
inline FdType kestrel_fd_type(uint8_t t) {
  switch (t) {
    case kFdFile: case kFdFileV2: return FdType::kFile;
    case kFdDirectory: return FdType::kDirectory;
    case kFdIpv4Sock: case kFdIpv4ServSock: return FdType::kIpv4;
    case kFdIpv6Sock: case kFdIpv6ServSock: return FdType::kIpv6;
    case kFdFifo: return FdType::kPipe;
    case kFdUnixSock: return FdType::kUnix;
    case kFdEvent: return FdType::kEvent;
    case kFdSignalfd: return FdType::kSignalFd;
    case kFdEventpoll: return FdType::kEventPoll;
    case kFdInotify: return FdType::kInotify;
    case kFdTimerfd: return FdType::kTimerFd;
    case kFdNetlink: return FdType::kNetlink;
    case kFdBpf: return FdType::kBpf;
    case kFdUserfaultfd: return FdType::kUserfaultfd;
    case kFdIouring: return FdType::kIoUring;
    case kFdMemfd: return FdType::kMemfd;
    default: return FdType::kUnknown;
  }
}

// libscap's scap_l4_proto number of an IP protocol (0, "unknown", for
// others), and back.
inline uint8_t scap_l4_of(uint8_t ip_proto) {
  switch (ip_proto) {
    case IPPROTO_TCP: return kL4Tcp;
    case IPPROTO_UDP: return kL4Udp;
    case IPPROTO_ICMP: return kL4Icmp;
    case IPPROTO_RAW: return kL4Raw;
    default: return 0;
  }
}

inline uint8_t ip_proto_of(uint8_t scap_l4) {
  switch (scap_l4) {
    case kL4Tcp: return IPPROTO_TCP;
    case kL4Udp: return IPPROTO_UDP;
    case kL4Icmp: return IPPROTO_ICMP;
    case kL4Raw: return IPPROTO_RAW;
    default: return 0;
  }
}

}  // namespace kestrel::scap
