#include "sources/event/param_format.h"

#include <cstring>
#include <string.h>

#include "sources/event/sockaddr.h"

namespace kestrel {

std::string format_errno(int64_t res) {
  if (res >= 0) return std::to_string(res);
  const char* name = strerrorname_np(static_cast<int>(-res));
  return name ? name : std::to_string(res);
}

namespace {

std::string join_strings(std::span<const uint8_t> p) {
  std::string out(reinterpret_cast<const char*>(p.data()), p.size());
  while (!out.empty() && out.back() == '\0') out.pop_back();
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

std::string printable(std::span<const uint8_t> p) {
  std::string out;
  out.reserve(p.size());
  for (uint8_t c : p) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  return out;
}

std::string octal(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string format_param(const EventView& ev, uint16_t index) {
  auto raw = ev.param(index);
  if (raw.empty()) return std::string(kNotAvailable);
  const auto& params = ev.info().params;
  if (index >= params.size()) return printable(raw);
  const ParamInfo& info = params[index];
  switch (info.type) {
    case KPT_ERRNO: {
      auto v = ev.param_int(index);
      return v ? format_errno(*v) : std::string(kNotAvailable);
    }
    case KPT_DIRFD: {
      auto v = ev.param_int(index);
      if (!v) return std::string(kNotAvailable);
      return *v == -100 ? "AT_FDCWD" : std::to_string(*v);
    }
    case KPT_MODE: {
      auto v = ev.param_uint(index);
      return v ? octal(*v) : std::string(kNotAvailable);
    }
    case KPT_FLAGS32:
    case KPT_ENUM32: {
      auto v = ev.param_uint(index);
      if (!v) return std::string(kNotAvailable);
      std::string s = render_symbols(info.symbols, static_cast<uint32_t>(*v));
      return s.empty() ? std::to_string(*v) : s;
    }
    case KPT_SIGNAL: {
      auto v = ev.param_uint(index);
      if (!v) return std::string(kNotAvailable);
      const char* abbrev = sigabbrev_np(static_cast<int>(*v));
      return abbrev ? std::string("SIG") + abbrev : std::to_string(*v);
    }
    case KPT_BOOL: {
      auto v = ev.param_uint(index);
      return v ? (*v ? "true" : "false") : std::string(kNotAvailable);
    }
    case KPT_CHARBUF:
    case KPT_PATH:
      return std::string(*ev.param_str(index));
    case KPT_CHARBUF_ARRAY:
      return join_strings(raw);
    case KPT_BYTES:
      return printable(raw);
    case KPT_SOCKADDR: {
      auto a = decode_sockaddr(raw);
      return a ? a->to_string() : std::string(kNotAvailable);
    }
    case KPT_SOCKTUPLE: {
      auto t = decode_socktuple(raw);
      return t ? t->to_string() : std::string(kNotAvailable);
    }
    default: {
      auto v = ev.param_int(index);
      if (!v) return std::string(kNotAvailable);
      switch (info.type) {
        case KPT_UINT8: case KPT_UINT16: case KPT_UINT32: case KPT_UINT64:
        case KPT_UID: case KPT_GID: case KPT_SYSCALLID: case KPT_RELTIME: case KPT_ABSTIME:
          return std::to_string(static_cast<uint64_t>(*v));
        default:
          return std::to_string(*v);
      }
    }
  }
}

}  // namespace kestrel
