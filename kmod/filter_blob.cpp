#include "kmod/filter_blob.h"

#include <algorithm>
#include <cstring>

#include "sources/kernel_filter_maps.h"

namespace kestrel::kmod {
namespace {

static_assert(sizeof(kestrel_kmod_filter_hdr) == 16);
static_assert(sizeof(kestrel_kmod_filter_type) == 96);
static_assert(sizeof(kestrel_kmod_filter_path) == 264);

// The order the module requires (kk_filter_path_cmp): type, anchor, then
// the bytes as unsigned, a prefix first.
bool path_less(const kestrel_kmod_filter_path& a, const kestrel_kmod_filter_path& b) {
  if (a.type != b.type) return a.type < b.type;
  if (a.anchor != b.anchor) return a.anchor < b.anchor;
  return std::lexicographical_compare(a.bytes, a.bytes + a.len, b.bytes, b.bytes + b.len);
}

}  // namespace

Result<std::vector<uint8_t>> encode_filter_blob(const KernelFilterSet& filters) {
  auto maps = encode_filter_maps(filters);
  if (!maps.ok()) return maps.status();
  if (maps->paths.size() > KESTREL_KMOD_FILTER_MAX_PATHS)
    return Status(StatusCode::kInvalidArgument, "kernel filter: " + std::to_string(maps->paths.size()) +
                                                    " path atoms, the module holds " +
                                                    std::to_string(KESTREL_KMOD_FILTER_MAX_PATHS));
  std::vector<kestrel_kmod_filter_type> types;
  for (const auto& [type, f] : maps->filters) {
    kestrel_kmod_filter_type t;
    std::memset(&t, 0, sizeof(t));
    t.type = type;
    t.filter = f;
    types.push_back(t);
  }
  std::vector<kestrel_kmod_filter_path> paths;
  for (const auto& [key, bits] : maps->paths) {
    kestrel_kmod_filter_path p;
    std::memset(&p, 0, sizeof(p));
    p.bits = bits;
    p.type = key.type;
    p.anchor = key.anchor;
    p.len = key.prefixlen / 8 - 3;  // the key's bits cover type and anchor (3 bytes), then the path
    std::memcpy(p.bytes, key.path, p.len);
    paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end(), path_less);

  kestrel_kmod_filter_hdr hdr{};
  hdr.magic = KESTREL_KMOD_FILTER_MAGIC;
  hdr.version = KESTREL_KMOD_FILTER_VERSION;
  hdr.nfilters = static_cast<uint32_t>(types.size());
  hdr.npaths = static_cast<uint32_t>(paths.size());
  std::vector<uint8_t> blob(sizeof(hdr) + types.size() * sizeof(types[0]) + paths.size() * sizeof(paths[0]));
  uint8_t* at = blob.data();
  std::memcpy(at, &hdr, sizeof(hdr));
  at += sizeof(hdr);
  if (!types.empty()) std::memcpy(at, types.data(), types.size() * sizeof(types[0]));
  at += types.size() * sizeof(types[0]);
  if (!paths.empty()) std::memcpy(at, paths.data(), paths.size() * sizeof(paths[0]));
  return blob;
}

}  // namespace kestrel::kmod
