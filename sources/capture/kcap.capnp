# kcap.capnp — the messages of a Kestrel capture file (.kcap).
#
# A .kcap file is NOT one big Cap'n Proto message (that would need the whole
# capture in memory to write or to read). It is (see kcap_format.h):
#
#   preamble   16 bytes: magic "\x89KCAP\r\n\x1a", u32 format version, u32 0
#   frames     each: u32 payload length, u32 crc32(payload), payload
#              payload = one Cap'n Proto message (standard segment table +
#              segments) whose root is a Frame
#
# Frame order: exactly one `header`, then zero or more `snapshot` chunks,
# then zero or more `events` batches, then one `end`. A reader holds one
# frame at a time, so memory stays constant however long the capture.
#
# Compatibility: fields are only ever appended (Cap'n Proto's rules); a
# reader skips Frame kinds it does not know. Bump the format version in
# kcap_format.h only for changes an old reader must refuse.

@0xbaa450655e3653d7;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("kestrel::kcap::schema");

struct MachineInfo {
  hostname @0 :Text;
  kernelRelease @1 :Text;   # uname -r
  kernelVersion @2 :Text;   # uname -v
  arch @3 :Text;            # uname -m: "x86_64", "aarch64"
  bootTimeNs @4 :UInt64;    # ns since the Unix epoch
  cpuCount @5 :UInt32;      # online CPUs when the capture started
  environment @6 :Environment;  # where it runs (machine_environment.h)
}

# Where a Kestrel runs, as detected from CPUID, DMI and /sys
# (sources/capture/machine_environment.h says how each is derived).
struct Environment {
  kind @0 :Text;            # "bare-metal", "vm", "gvisor", "unknown"
  hypervisor @1 :Text;      # "kvm", "qemu", "firecracker", "xen", "hyper-v", "vmware", ... ; "" on bare metal
  cpuidSignature @2 :Text;  # CPUID leaf 0x40000000's 12-byte vendor id, "" if none
  dmiSysVendor @3 :Text;    # /sys/class/dmi/id/sys_vendor
  dmiProductName @4 :Text;  # /sys/class/dmi/id/product_name
  dmiProductUuid @5 :Text;  # /sys/class/dmi/id/product_uuid (root only)
  cloud @6 :Text;           # "aws", "gcp", "azure", "oracle", "alibaba", "digitalocean", "hetzner", ""
  bootId @7 :Text;          # /proc/sys/kernel/random/boot_id
}

struct Header {
  formatVersion @0 :UInt32;  # same as the preamble's; checked to agree
  producer @1 :Text;         # "kestrel 0.1.0"
  createdNs @2 :UInt64;      # when the capture started, ns since the epoch
  machine @3 :MachineInfo;
}

# Mirrors kestrel::FdInfo (state/thread_info.h) field for field.
struct FdInfo {
  fd @0 :Int64;
  typeChar @1 :UInt8;        # FdType's Falco letter ('f', '4', ...)
  name @2 :Text;
  openFlags @3 :UInt32;
  tuple @4 :Data;            # SOCKTUPLE encoding, empty if not connected
  l4proto @5 :UInt8;
  listening @6 :Bool;
  ino @7 :UInt64;
  dev @8 :UInt32;
  nameRaw @9 :Text;
  oldName @10 :Text;
  flags @11 :UInt32;
  mountId @12 :UInt32;
  pid @13 :Int64;
}

# Mirrors kestrel::ThreadInfo field for field.
struct ThreadInfo {
  domain @0 :UInt32;
  tid @1 :Int64;
  pid @2 :Int64;
  ptid @3 :Int64;
  sid @4 :Int64;
  pgid @5 :Int64;
  vtid @6 :Int64;
  vpid @7 :Int64;
  comm @8 :Text;
  exe @9 :Text;
  exepath @10 :Text;
  args @11 :List(Text);
  env @12 :List(Text);
  cwd @13 :Text;
  root @14 :Text;
  uid @15 :UInt32;
  euid @16 :UInt32;
  gid @17 :UInt32;
  egid @18 :UInt32;
  loginuid @19 :UInt32 = 0xffffffff;
  tty @20 :UInt32;
  capInheritable @21 :UInt64;
  capPermitted @22 :UInt64;
  capEffective @23 :UInt64;
  containerId @24 :Text;
  startTs @25 :UInt64;
  exeFlags @26 :UInt32;
  fds @27 :List(FdInfo);
  containerFullId @28 :Text;   # 64-hex id; containerId is the 12-char short id
  containerType @29 :Text;     # "docker", "containerd", "cri-o", "podman", ""
  # cgroup memberships, (controller, path) pairs as two lists of one length
  cgroupControllers @30 :List(Text);
  cgroupPaths @31 :List(Text);
  # the running image's inode (0: unknown); times in ns since the epoch
  exeIno @32 :UInt64;
  exeInoCtime @33 :UInt64;
  exeInoMtime @34 :UInt64;
  # the image's SHA-256, lower-case hex, when the exec event carried it
  exeSha256 @35 :Text;
}

# A part of the initial state. Large process tables span several chunks so
# no single frame approaches the frame size cap.
struct SnapshotChunk {
  threads @0 :List(ThreadInfo);
}

# Event records exactly as the ABI defines them (kestrel_event.h),
# concatenated without padding; each record's own `len` delimits it. Kept
# as one blob so a reader hands out zero-copy views into it.
struct EventBatch {
  index @0 :UInt64;        # 0, 1, 2, ... in file order: gaps mean lost frames
  domain @1 :UInt32;       # DomainId of every record in the batch (0 = host)
  recordCount @2 :UInt32;
  records @3 :Data;
  # Forwarded streams only (sources/remote/stream_codec.h); 0 in files.
  firstSequence @4 :UInt64;  # the stream's sequence number of the first record
  produced @5 :UInt64;       # records the sender had captured when it sent this (incl. dropped ones)
}

# Written by close(). Its absence means the writer did not finish; its
# counts let a reader notice frames that went missing.
struct End {
  batches @0 :UInt64;
  events @1 :UInt64;
}

# The first frame of every connection of a forwarded stream
# (sources/remote/stream_codec.h). Never in a .kcap file.
struct StreamHello {
  header @0 :Header;
  streamId @1 :UInt64;      # random per sender process: a new id means the sender restarted
  name @2 :Text;            # what the sender calls itself (forward.name, else its hostname)
  connection @3 :UInt32;    # 0 for the first connection of this stream id, +1 per reconnect
  nextSequence @4 :UInt64;  # sequence number the next forwarded record will carry
}

# Sent when a forwarded stream has nothing else to say for a while, so the
# receiver learns of records the sender dropped even when none follow.
struct StreamProgress {
  produced @0 :UInt64;      # records captured so far (same meaning as EventBatch.produced)
  dropped @1 :UInt64;       # of those, dropped by the sender's bounded buffer
}

struct Frame {
  union {
    header @0 :Header;
    snapshot @1 :SnapshotChunk;
    events @2 :EventBatch;
    end @3 :End;
    hello @4 :StreamHello;
    progress @5 :StreamProgress;
  }
}
