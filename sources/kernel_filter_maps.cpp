#include "sources/kernel_filter_maps.h"

#include <cstring>
#include <map>
#include <string>

namespace kestrel {
namespace {

static_assert(sizeof(kb_filter_key) == 4 + 2 + 1 + KB_FILTER_PATH_BYTES, "kb_filter_key must have no padding");
static_assert(kKernelFilterMaxPath + 1 <= KB_FILTER_PATH_BYTES, "a key must hold the longest judged path");
static_assert(kKernelFilterMaxAlternatives <= 64, "alternatives are bits of a u64");

// The bytes an atom stands for in a key: its text, and the NUL for "ends here".
std::string key_bytes(const KernelPathAtom& a) { return a.exact ? a.text + std::string(1, '\0') : a.text; }

kb_filter_key make_key(uint16_t type, uint8_t anchor, const std::string& bytes) {
  kb_filter_key k;
  std::memset(&k, 0, sizeof(k));
  k.type = type;
  k.anchor = anchor;
  std::memcpy(k.path, bytes.data(), bytes.size());
  k.prefixlen = static_cast<uint32_t>(8 * (3 + bytes.size()));
  return k;
}

}  // namespace

Result<FilterMaps> encode_filter_maps(const KernelFilterSet& filters) {
  FilterMaps out;
  for (const KernelEventFilter& f : filters) {
    if (f.alternatives.empty() || f.alternatives.size() > kKernelFilterMaxAlternatives)
      return Status(StatusCode::kInvalidArgument,
                    "kernel filter for event type " + std::to_string(f.type) + ": " +
                        std::to_string(f.alternatives.size()) + " alternatives (1 to 64 fit)");
    kb_filter k;
    std::memset(&k, 0, sizeof(k));
    k.on = 1;
    k.res_param = f.res_param;
    k.path_param = f.path_param;
    k.flags_param = f.flags_param;
    k.fcntl_cmd_param = f.fcntl_cmd_param;
    // bytes -> alternatives, per anchor class: 0 = looked up with the whole
    // path (anchored and unanchored atoms), 1 = from later '/'s (unanchored).
    std::map<std::string, uint64_t> anchor0, anchor1;
    for (size_t i = 0; i < f.alternatives.size(); ++i) {
      const KernelFilterAlternative& a = f.alternatives[i];
      const uint64_t bit = uint64_t{1} << i;
      if (f.defer_state && a.state_only) k.defer_ok |= bit;
      if (a.res & KernelFilterAlternative::kResNegative) k.res_ok[0] |= bit;
      if (a.res & KernelFilterAlternative::kResNonNegative) k.res_ok[1] |= bit;
      for (int mode = 0; mode < 4; ++mode)
        if (f.flags_param < 0 || (a.acc & (1u << mode))) k.acc_ok[mode] |= bit;
      if (f.res_param < 0) k.res_ok[0] |= bit, k.res_ok[1] |= bit;
      if (!a.path || f.path_param < 0) {
        k.path_any |= bit;
        continue;
      }
      for (const KernelPathAtom& atom : *a.path) {
        std::string bytes = key_bytes(atom);
        if (atom.text.empty() || atom.text[0] != '/' || bytes.size() > KB_FILTER_PATH_BYTES)
          return Status(StatusCode::kInvalidArgument, "kernel filter path atom '" + atom.text +
                                                          "': not absolute or longer than a filter key");
        anchor0[bytes] |= bit;
        if (!atom.anchored) {
          anchor1[bytes] |= bit;
          k.unanchored = 1;
        }
      }
    }
    for (const auto* table : {&anchor0, &anchor1}) {
      const uint8_t anchor = table == &anchor0 ? 0 : 1;
      for (const auto& [bytes, bits] : *table) {
        uint64_t value = 0;
        for (const auto& [shorter, more] : *table)
          if (bytes.compare(0, shorter.size(), shorter) == 0) value |= more;
        out.paths.emplace_back(make_key(f.type, anchor, bytes), value);
      }
    }
    out.filters.emplace_back(f.type, k);
  }
  return out;
}

}  // namespace kestrel
