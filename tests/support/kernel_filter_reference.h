// kernel_filter_reference.h — a small reference of the in-kernel filter's
// semantics, written from sources/kernel_filter.h and independent of the
// kernel code: does filter `f` send event `v` up? The engine's tests
// (tests/eval/kernel_filter_test.cpp) check derived filters with it, the
// kernel module's tests (tests/kmod/kk_filter_core_test.cpp) the module's
// evaluation. It goes up for every path the header calls not judgeable;
// the kernel may judge a few more (up to its key size), never fewer.
#pragma once

#include <string_view>

#include "sources/event/event_view.h"
#include "sources/kernel_filter.h"

namespace kestrel::testing {

// The reference: does `f` send `e` up?
inline bool canonical_path(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  if (p.size() > kKernelFilterMaxPath) return false;
  if (p.size() > 1 && p.back() == '/') return false;
  if (p.find("//") != std::string_view::npos) return false;
  for (size_t i = p.find("/."); i != std::string_view::npos; i = p.find("/.", i + 1)) {
    char after = i + 2 < p.size() ? p[i + 2] : '\0';
    if (after == '\0' || after == '/' || after == '.') return false;
  }
  return true;
}

inline bool atom_matches(const KernelPathAtom& a, std::string_view path) {
  for (size_t at = 0; at < path.size(); ++at) {
    if (path[at] != '/' || (a.anchored && at != 0)) continue;
    std::string_view rest = path.substr(at);
    if (!rest.starts_with(a.text)) continue;
    if (!a.exact || rest.size() == a.text.size()) return true;
  }
  return false;
}

inline bool keeps(const KernelEventFilter& f, const EventView& v) {
  for (const auto& a : f.alternatives) {
    bool ok = true;
    if (f.res_param >= 0) {
      auto res = v.param_int(static_cast<uint16_t>(f.res_param));
      if (res) ok = ok && (a.res & (*res < 0 ? KernelFilterAlternative::kResNegative
                                                : KernelFilterAlternative::kResNonNegative));
    }
    if (f.flags_param >= 0) {
      auto flags = v.param_uint(static_cast<uint16_t>(f.flags_param));
      if (flags) ok = ok && (a.acc & (1u << (*flags & 3)));
    }
    if (a.path && f.path_param >= 0) {
      auto path = v.param_str(static_cast<uint16_t>(f.path_param));
      if (path && !path->empty() && canonical_path(*path)) {
        bool any = false;
        for (const auto& atom : *a.path) any = any || atom_matches(atom, *path);
        ok = ok && any;
      }
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace kestrel::testing
