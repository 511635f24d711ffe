// The kernel module's in-kernel filter (kmod/module/kk_filter_core.h, the
// very code the module compiles) on this host: blobs from the collector's
// encoder (kmod/filter_blob.h) judged against records built by the event
// builder, compared with the reference of the filter's semantics
// (tests/support/kernel_filter_reference.h) on hand-picked and generated
// paths; and every rule of the blob format the module checks, broken one at
// a time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/types.h>

#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kmod/filter_blob.h"
#include "sources/event/event_builder.h"
#include "sources/event/event_view.h"
#include "tests/support/kernel_filter_reference.h"

extern "C" {
#include "kmod/module/kk_filter_core.h"
}

namespace kestrel::testing {
namespace {

// What rules on openat and on fd.filename typically yield: a sensitive
// read (anchored, exact and prefix), a key under any .ssh dir
// (unanchored), any file ending in /id_rsa whatever the result.
KernelFilterSet sample_filters() {
  KernelEventFilter f;
  f.type = KE_OPENAT;
  f.res_param = KP_OPENAT_fd;
  f.path_param = KP_OPENAT_name;
  f.flags_param = KP_OPENAT_flags;
  KernelFilterAlternative read_sensitive;
  read_sensitive.res = KernelFilterAlternative::kResNonNegative;
  read_sensitive.acc = 1u << O_RDONLY;
  read_sensitive.path = std::vector<KernelPathAtom>{
      {"/etc/shadow", true, true}, {"/etc/ssh/", true, false}, {"/.ssh/", false, false}};
  KernelFilterAlternative any_id_rsa;
  any_id_rsa.path = std::vector<KernelPathAtom>{{"/id_rsa", false, true}};
  f.alternatives = {read_sensitive, any_id_rsa};
  KernelEventFilter failed_unlink;  // no path part: only the result's sign
  failed_unlink.type = KE_UNLINKAT;
  failed_unlink.res_param = KP_UNLINKAT_res;
  KernelFilterAlternative failed;
  failed.res = KernelFilterAlternative::kResNegative;
  failed_unlink.alternatives = {failed};
  return {f, failed_unlink};
}

struct Parsed {
  std::vector<uint8_t> blob;
  std::unique_ptr<kk_filter_set> set = std::make_unique<kk_filter_set>();
  const char* error = nullptr;
};

Parsed parse(std::vector<uint8_t> blob) {
  Parsed p;
  p.blob = std::move(blob);
  p.error = kk_filter_parse(p.set.get(), p.blob.data(), p.blob.size());
  return p;
}

Parsed parse(const KernelFilterSet& filters) {
  auto blob = kmod::encode_filter_blob(filters);
  EXPECT_TRUE(blob.ok()) << blob.status().to_string();
  return parse(blob.ok() ? *blob : std::vector<uint8_t>{});
}

std::vector<uint8_t> openat_record(int64_t fd, const std::string& path, uint32_t flags) {
  EventBuilder b(KE_OPENAT, 1, 2, 2);
  b.put_int(KPARAM(OPENAT, fd), fd).put_int(KPARAM(OPENAT, dirfd), -100);
  b.put_str(KPARAM(OPENAT, name), path).put_int(KPARAM(OPENAT, flags), flags);
  b.put_int(KPARAM(OPENAT, mode), 0).put_int(KPARAM(OPENAT, dev), 0).put_int(KPARAM(OPENAT, ino), 0);
  auto rec = b.finish();
  EXPECT_TRUE(rec.ok()) << rec.status().to_string();
  return rec.ok() ? std::vector<uint8_t>(rec->begin(), rec->end()) : std::vector<uint8_t>{};
}

bool module_drops(const Parsed& p, const std::vector<uint8_t>& rec) {
  return kk_filter_drops_record(p.set.get(), rec.data(), static_cast<__u32>(rec.size())) != 0;
}

bool reference_keeps(const KernelFilterSet& filters, const std::vector<uint8_t>& rec) {
  auto v = EventView::parse(rec);
  EXPECT_TRUE(v.ok());
  for (const auto& f : filters)
    if (f.type == v->type()) return keeps(f, *v);
  return true;
}

TEST(KkFilterCore, OpenatPathsAsTheSemanticsSay) {
  const KernelFilterSet filters = sample_filters();
  Parsed p = parse(filters);
  ASSERT_EQ(p.error, nullptr) << p.error;
  struct Case {
    int64_t fd;
    std::string path;
    uint32_t flags;
    bool up;
  };
  const Case cases[] = {
      {3, "/etc/shadow", O_RDONLY, true},
      {3, "/etc/shadowx", O_RDONLY, false},         // exact atom: no longer path
      {-2, "/etc/shadow", O_RDONLY, false},         // failed: not the first alternative
      {3, "/etc/ssh/sshd_config", O_WRONLY, false},  // written, not read
      {3, "/etc/ssh/sshd_config", O_RDONLY | O_CLOEXEC, true},
      {3, "/home/u/.ssh/known_hosts", O_RDONLY, true},  // unanchored, at a later '/'
      {3, "/.ssh/x", O_RDONLY, true},                   // unanchored, at the first '/'
      {-13, "/home/u/x/id_rsa", O_WRONLY, true},        // ends with /id_rsa, any result
      {3, "/home/u/id_rsa.pub", O_RDONLY, false},
      {3, "/usr/lib/libc.so.6", O_RDONLY, false},
      {3, "etc/shadow", O_RDONLY, true},        // relative: the kernel cannot judge
      {3, "/etc//shadow", O_RDONLY, true},      // not normal
      {3, "/etc/./x", O_RDONLY, true},
      {3, "/a/../etc/x", O_RDONLY, true},
      {3, "/tmp/", O_RDONLY, true},             // trailing '/'
      {3, "/" + std::string(250, 'a'), O_RDONLY, true},  // longer than a key
      {3, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", O_RDONLY, true},  // more '/'s than lookups
      {3, "", O_RDONLY, true},                  // unreadable
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " fd=" + std::to_string(c.fd));
    auto rec = openat_record(c.fd, c.path, c.flags);
    EXPECT_EQ(!module_drops(p, rec), c.up);
    if (c.path.size() < 200 && c.path.find("/q/") == std::string::npos) {
      EXPECT_EQ(reference_keeps(filters, rec), c.up);
    }
  }
}

TEST(KkFilterCore, ResultOnlyAndUnfilteredTypes) {
  Parsed p = parse(sample_filters());
  ASSERT_EQ(p.error, nullptr) << p.error;
  auto unlinkat = [](int64_t res) {
    EventBuilder b(KE_UNLINKAT, 1, 2, 2);
    b.put_int(KPARAM(UNLINKAT, res), res).put_int(KPARAM(UNLINKAT, dirfd), -100);
    b.put_str(KPARAM(UNLINKAT, name), "/tmp/x").put_int(KPARAM(UNLINKAT, flags), 0);
    auto rec = b.finish();
    return std::vector<uint8_t>(rec->begin(), rec->end());
  };
  EXPECT_TRUE(module_drops(p, unlinkat(0)));
  EXPECT_FALSE(module_drops(p, unlinkat(-2)));
  EventBuilder b(KE_CLOSE, 1, 2, 2);
  b.put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), 3);
  auto close = b.finish();
  ASSERT_TRUE(close.ok());
  EXPECT_FALSE(module_drops(p, std::vector<uint8_t>(close->begin(), close->end())));
  // A record cut short of its params: the param parts cannot be judged.
  auto rec = openat_record(-2, "/usr/lib/x", O_RDONLY);
  ASSERT_TRUE(module_drops(p, rec));
  EXPECT_FALSE(module_drops(p, std::vector<uint8_t>(rec.begin(), rec.begin() + KESTREL_EVENT_HDR_SIZE + 10)));
}

// Generated normal paths from a small vocabulary (so atoms and their
// prefixes meet often), against the reference: the same verdict.
TEST(KkFilterCore, GeneratedPathsAgreeWithTheReference) {
  KernelFilterSet filters = sample_filters();
  KernelFilterAlternative more;  // many atoms sharing prefixes, for the longest-prefix search
  more.res = KernelFilterAlternative::kResNonNegative;
  more.path = std::vector<KernelPathAtom>{{"/e", true, false},      {"/etc/sh", true, false},
                                          {"/etc/s", true, true},    {"/a/b", false, false},
                                          {"/b/a", false, true},     {"/etc/ssh/a", true, true},
                                          {"/x", false, false}};
  filters[0].alternatives.push_back(more);
  Parsed p = parse(filters);
  ASSERT_EQ(p.error, nullptr) << p.error;
  const char* parts[] = {"etc", "ssh", "shadow", "a", "b", "e", "s", "sh", ".ssh", "id_rsa", "x", "xy", "usr"};
  std::mt19937 rng(19);
  size_t dropped = 0, kept = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string path;
    const int depth = 1 + static_cast<int>(rng() % 6);
    for (int d = 0; d < depth; ++d) path += std::string("/") + parts[rng() % std::size(parts)];
    const int64_t fd = rng() % 3 == 0 ? -2 : 3;
    const uint32_t flags = rng() % 3;
    auto rec = openat_record(fd, path, flags);
    const bool up = !module_drops(p, rec);
    ASSERT_EQ(up, reference_keeps(filters, rec)) << path << " fd=" << fd << " flags=" << flags;
    (up ? kept : dropped)++;
  }
  EXPECT_GT(dropped, 1000u);
  EXPECT_GT(kept, 1000u);
}

// One rule of the blob broken at a time: the module refuses each.
TEST(KkFilterCore, RefusesBrokenBlobs) {
  auto good = kmod::encode_filter_blob(sample_filters());
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(parse(*good).error, nullptr);
  constexpr size_t kHdr = sizeof(kestrel_kmod_filter_hdr), kType = sizeof(kestrel_kmod_filter_type);
  auto hdr = [](std::vector<uint8_t>& b) { return reinterpret_cast<kestrel_kmod_filter_hdr*>(b.data()); };
  auto type = [&](std::vector<uint8_t>& b, size_t i) {
    return reinterpret_cast<kestrel_kmod_filter_type*>(b.data() + kHdr + i * kType);
  };
  auto path = [&](std::vector<uint8_t>& b, size_t i) {
    return reinterpret_cast<kestrel_kmod_filter_path*>(b.data() + kHdr + hdr(b)->nfilters * kType +
                                                       i * sizeof(kestrel_kmod_filter_path));
  };
  ASSERT_EQ(hdr(*good)->nfilters, 2u);
  ASSERT_GE(hdr(*good)->npaths, 3u);
  std::vector<std::pair<std::string, std::function<void(std::vector<uint8_t>&)>>> breaks = {
      {"truncated", [](std::vector<uint8_t>& b) { b.resize(b.size() - 1); }},
      {"trailing byte", [](std::vector<uint8_t>& b) { b.push_back(0); }},
      {"shorter than a header", [](std::vector<uint8_t>& b) { b.resize(8); }},
      {"magic", [&](std::vector<uint8_t>& b) { hdr(b)->magic ^= 1; }},
      {"version", [&](std::vector<uint8_t>& b) { hdr(b)->version = 2; }},
      {"count beyond the bytes", [&](std::vector<uint8_t>& b) { hdr(b)->npaths += 1; }},
      {"huge count", [&](std::vector<uint8_t>& b) { hdr(b)->npaths = 0x80000000u; }},
      {"type 0", [&](std::vector<uint8_t>& b) { type(b, 0)->type = 0; }},
      {"type out of range", [&](std::vector<uint8_t>& b) { type(b, 1)->type = KE_COUNT; }},
      {"type twice", [&](std::vector<uint8_t>& b) { type(b, 1)->type = type(b, 0)->type; }},
      {"on not 1", [&](std::vector<uint8_t>& b) { type(b, 0)->filter.on = 2; }},
      {"param index", [&](std::vector<uint8_t>& b) { type(b, 0)->filter.path_param = KESTREL_MAX_PARAMS; }},
      {"negative param", [&](std::vector<uint8_t>& b) { type(b, 0)->filter.res_param = -2; }},
      {"type padding", [&](std::vector<uint8_t>& b) { type(b, 0)->pad = 1; }},
      {"anchor 2", [&](std::vector<uint8_t>& b) { path(b, 0)->anchor = 2; }},
      {"atom length 0", [&](std::vector<uint8_t>& b) { path(b, 0)->len = 0; }},
      {"atom too long", [&](std::vector<uint8_t>& b) { path(b, 0)->len = KB_FILTER_PATH_BYTES + 1; }},
      {"atom without '/'", [&](std::vector<uint8_t>& b) { path(b, 0)->bytes[0] = 'e'; }},
      {"NUL inside an atom", [&](std::vector<uint8_t>& b) { path(b, 0)->bytes[2] = 0; }},
      {"bytes past the length", [&](std::vector<uint8_t>& b) { path(b, 0)->bytes[KB_FILTER_PATH_BYTES - 1] = 'x'; }},
      {"atom of an unfiltered type", [&](std::vector<uint8_t>& b) { path(b, 0)->type = KE_CLOSE; }},
      {"unsorted", [&](std::vector<uint8_t>& b) { std::swap(*path(b, 0), *path(b, 1)); }},
      {"duplicate atom", [&](std::vector<uint8_t>& b) { *path(b, 1) = *path(b, 0); }},
  };
  for (auto& [what, apply] : breaks) {
    std::vector<uint8_t> b = *good;
    apply(b);
    EXPECT_NE(parse(b).error, nullptr) << what;
  }
}

TEST(KkFilterCore, AnEmptySetTurnsTheFilterOff) {
  Parsed p = parse(KernelFilterSet{});
  ASSERT_EQ(p.error, nullptr) << p.error;
  EXPECT_EQ(p.blob.size(), sizeof(kestrel_kmod_filter_hdr));
  EXPECT_FALSE(module_drops(p, openat_record(-2, "/usr/lib/x", O_RDONLY)));
}

// fcntl with no rule on it (the engine's filter, engine/eval/kernel_filter):
// only a successful F_DUPFD or F_DUPFD_CLOEXEC changes state and goes up.
TEST(KkFilterCore, FcntlGoesUpOnlyWhenItCreatesAnFd) {
  KernelEventFilter f;
  f.type = KE_FCNTL;
  f.res_param = KP_FCNTL_res;
  f.fcntl_cmd_param = KP_FCNTL_cmd;
  KernelFilterAlternative state;
  state.res = KernelFilterAlternative::kResNonNegative;
  state.state_only = true;
  f.alternatives = {state};
  Parsed p = parse(KernelFilterSet{f});
  ASSERT_EQ(p.error, nullptr) << p.error;
  auto fcntl_record = [](int64_t res, uint32_t cmd) {
    EventBuilder b(KE_FCNTL, 1, 2, 2);
    b.put_int(KPARAM(FCNTL, res), res).put_int(KPARAM(FCNTL, fd), 3).put_int(KPARAM(FCNTL, cmd), cmd);
    auto rec = b.finish();
    EXPECT_TRUE(rec.ok()) << rec.status().to_string();
    return rec.ok() ? std::vector<uint8_t>(rec->begin(), rec->end()) : std::vector<uint8_t>{};
  };
  EXPECT_FALSE(module_drops(p, fcntl_record(10, F_DUPFD)));
  EXPECT_FALSE(module_drops(p, fcntl_record(10, F_DUPFD_CLOEXEC)));
  EXPECT_TRUE(module_drops(p, fcntl_record(0, F_SETFD)));
  EXPECT_TRUE(module_drops(p, fcntl_record(0x8002, F_GETFL)));
  EXPECT_TRUE(module_drops(p, fcntl_record(-9, F_DUPFD)));  // failed: no fd
}

}  // namespace
}  // namespace kestrel::testing
