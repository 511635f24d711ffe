// evt.* and syscall.type extractors. Everything here comes from the event
// record alone (plus the engine's hostname/source and event counter).
#include <fcntl.h>

#include <ctime>

#include "engine/eval/extract.h"
#include "sources/event/param_format.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }

bool is_open_family(uint16_t type) {
  return type == KE_OPEN || type == KE_OPENAT || type == KE_OPENAT2 || type == KE_CREAT;
}

bool is_read_io(uint16_t type) {
  switch (type) {
    case KE_READ: case KE_PREAD64: case KE_READV: case KE_PREADV: case KE_RECVFROM: case KE_RECVMSG:
      return true;
    default:
      return false;
  }
}

bool is_write_io(uint16_t type) {
  switch (type) {
    case KE_WRITE: case KE_PWRITE64: case KE_WRITEV: case KE_PWRITEV: case KE_SENDTO: case KE_SENDMSG:
      return true;
    default:
      return false;
  }
}

// Broken-down time of the event, local or UTC.
std::tm broken_down(uint64_t ns, bool local) {
  time_t secs = static_cast<time_t>(ns / 1000000000ull);
  std::tm tm{};
  if (local) {
    localtime_r(&secs, &tm);
  } else {
    gmtime_r(&secs, &tm);
  }
  return tm;
}

V format_time(Scratch& s, uint64_t ns, const char* date_fmt, bool with_ns, bool local, const char* suffix) {
  std::tm tm = broken_down(ns, local);
  char buf[96];
  size_t n = strftime(buf, sizeof buf, date_fmt, &tm);
  if (with_ns) n += snprintf(buf + n, sizeof buf - n, ".%09llu", static_cast<unsigned long long>(ns % 1000000000ull));
  s.text.assign(buf, n);
  s.text.append(suffix);
  return V::string(s.text);
}

V evt_num(ExtractContext& c, const FieldRef&, Scratch&) { return V::uint64(c.event_number()); }
V evt_time(ExtractContext& c, const FieldRef&, Scratch& s) {
  return format_time(s, c.view().ts(), "%H:%M:%S", true, true, "");
}
V evt_time_s(ExtractContext& c, const FieldRef&, Scratch& s) {
  return format_time(s, c.view().ts(), "%H:%M:%S", false, true, "");
}
V evt_time_iso(ExtractContext& c, const FieldRef&, Scratch& s) {
  return format_time(s, c.view().ts(), "%Y-%m-%dT%H:%M:%S", true, false, "Z");
}
V evt_datetime(ExtractContext& c, const FieldRef&, Scratch& s) {
  return format_time(s, c.view().ts(), "%Y-%m-%d %H:%M:%S", true, true, "");
}
V evt_datetime_s(ExtractContext& c, const FieldRef&, Scratch& s) {
  return format_time(s, c.view().ts(), "%Y-%m-%d %H:%M:%S", false, true, "");
}
V evt_rawtime(ExtractContext& c, const FieldRef&, Scratch&) { return V::uint64(c.view().ts()); }
V evt_rawtime_s(ExtractContext& c, const FieldRef&, Scratch&) { return V::uint64(c.view().ts() / 1000000000ull); }
V evt_rawtime_ns(ExtractContext& c, const FieldRef&, Scratch&) { return V::uint64(c.view().ts() % 1000000000ull); }
V evt_source(ExtractContext& c, const FieldRef&, Scratch&) { return V::string(c.env().source); }
V evt_hostname(ExtractContext& c, const FieldRef&, Scratch&) { return V::string(c.env().hostname); }
V evt_is_async(ExtractContext& c, const FieldRef&, Scratch&) { return V::boolean(!c.view().info().is_syscall()); }
V evt_dir(ExtractContext&, const FieldRef&, Scratch&) { return V::string("<"); }
V evt_type(ExtractContext& c, const FieldRef&, Scratch&) { return V::string(c.view().info().name); }
V evt_type_is(ExtractContext& c, const FieldRef& r, Scratch&) {
  return V::uint64(r.arg && c.view().info().name == *r.arg ? 1 : 0);
}
V syscall_type(ExtractContext& c, const FieldRef&, Scratch&) {
  if (!c.view().info().is_syscall()) return missing();
  return V::string(c.view().info().name);
}
V evt_category(ExtractContext& c, const FieldRef&, Scratch&) {
  return V::string(category_name(c.view().info().category));
}

// "name=value name=value", as Falco's evt.args.
V evt_args(ExtractContext& c, const FieldRef&, Scratch& s) {
  const EventInfo& info = c.view().info();
  s.text.clear();
  for (uint16_t i = 0; i < c.view().nparams() && i < info.params.size(); ++i) {
    if (!s.text.empty()) s.text.push_back(' ');
    s.text.append(info.params[i].name);
    s.text.push_back('=');
    s.text.append(format_param(c.view(), i));
  }
  return V::string(s.text);
}

// The param an evt.arg/evt.rawarg reference names on this event: by index
// ([N]) or by name (resolved per type at compile time).
int param_for(ExtractContext& c, const FieldRef& r) {
  uint16_t type = c.view().type();
  int idx = -1;
  if (r.index >= 0 && r.param_by_type.empty()) {
    idx = static_cast<int>(r.index);
  } else if (type < r.param_by_type.size()) {
    idx = r.param_by_type[type];
  }
  if (idx < 0 || idx >= c.view().nparams()) return -1;
  return idx;
}

V evt_arg(ExtractContext& c, const FieldRef& r, Scratch& s) {
  int idx = param_for(c, r);
  if (idx < 0) return missing();
  s.text = format_param(c.view(), static_cast<uint16_t>(idx));
  return V::string(s.text);
}

V evt_rawarg(ExtractContext& c, const FieldRef& r, Scratch& s) {
  int idx = param_for(c, r);
  if (idx < 0) return missing();
  auto i = static_cast<uint16_t>(idx);
  switch (c.view().info().params[i].type) {
    case KPT_INT8: case KPT_INT16: case KPT_INT32: case KPT_INT64: case KPT_ERRNO: case KPT_FD:
    case KPT_DIRFD: case KPT_PID: {
      auto v = c.view().param_int(i);
      return v ? V::int64(*v) : missing();
    }
    case KPT_UINT8: case KPT_UINT16: case KPT_UINT32: case KPT_UINT64: case KPT_UID: case KPT_GID:
    case KPT_MODE: case KPT_FLAGS32: case KPT_ENUM32: case KPT_SIGNAL: case KPT_SYSCALLID:
    case KPT_RELTIME: case KPT_ABSTIME: {
      auto v = c.view().param_uint(i);
      return v ? V::uint64(*v) : missing();
    }
    case KPT_BOOL: {
      auto v = c.view().param_uint(i);
      return v ? V::boolean(*v != 0) : missing();
    }
    case KPT_CHARBUF: case KPT_PATH: {
      auto v = c.view().param_str(i);
      return v ? V::string(*v) : missing();
    }
    default:
      s.text = format_param(c.view(), i);
      return V::string(s.text);
  }
}

V evt_buflen(ExtractContext& c, const FieldRef&, Scratch&) {
  uint16_t t = c.view().type();
  if (!is_read_io(t) && !is_write_io(t)) return missing();
  auto res = c.result();
  if (!res || *res < 0) return missing();
  return V::uint64(static_cast<uint64_t>(*res));
}

V evt_res(ExtractContext& c, const FieldRef&, Scratch& s) {
  auto res = c.result();
  if (!res) return missing();
  if (*res >= 0) return V::string("SUCCESS");
  s.text = format_errno(*res);
  return V::string(s.text);
}
V evt_rawres(ExtractContext& c, const FieldRef&, Scratch&) {
  auto res = c.result();
  return res ? V::int64(*res) : missing();
}
V evt_failed(ExtractContext& c, const FieldRef&, Scratch&) {
  auto res = c.result();
  return V::boolean(res && *res < 0);
}
V evt_is_io(ExtractContext& c, const FieldRef&, Scratch&) {
  uint16_t t = c.view().type();
  return V::boolean(is_read_io(t) || is_write_io(t));
}
V evt_is_io_read(ExtractContext& c, const FieldRef&, Scratch&) { return V::boolean(is_read_io(c.view().type())); }
V evt_is_io_write(ExtractContext& c, const FieldRef&, Scratch&) { return V::boolean(is_write_io(c.view().type())); }
V evt_io_dir(ExtractContext& c, const FieldRef&, Scratch&) {
  uint16_t t = c.view().type();
  if (is_read_io(t)) return V::string("r");
  if (is_write_io(t)) return V::string("w");
  return missing();
}
V evt_count(ExtractContext&, const FieldRef&, Scratch&) { return V::uint64(1); }
V evt_count_error(ExtractContext& c, const FieldRef&, Scratch&) {
  auto res = c.result();
  return V::uint64(res && *res < 0 ? 1 : 0);
}
V evt_count_error_of(ExtractContext& c, kestrel_event_category cat) {
  auto res = c.result();
  return V::uint64(res && *res < 0 && c.view().info().category == cat ? 1 : 0);
}
V evt_count_error_file(ExtractContext& c, const FieldRef&, Scratch&) { return evt_count_error_of(c, KEC_FILE); }
V evt_count_error_net(ExtractContext& c, const FieldRef&, Scratch&) { return evt_count_error_of(c, KEC_NET); }
V evt_count_error_memory(ExtractContext& c, const FieldRef&, Scratch&) { return evt_count_error_of(c, KEC_MEMORY); }
V evt_count_error_other(ExtractContext& c, const FieldRef&, Scratch&) {
  auto res = c.result();
  auto cat = c.view().info().category;
  return V::uint64(res && *res < 0 && cat != KEC_FILE && cat != KEC_NET && cat != KEC_MEMORY ? 1 : 0);
}

// Open flags of an open-family event; nullopt for other events. creat()
// is open(O_CREAT|O_WRONLY|O_TRUNC).
std::optional<uint32_t> open_flags(ExtractContext& c) {
  uint16_t t = c.view().type();
  if (!is_open_family(t)) return std::nullopt;
  if (t == KE_CREAT) return static_cast<uint32_t>(O_CREAT | O_WRONLY | O_TRUNC);
  int16_t i = param_roles(t).flags;
  if (i < 0) return std::nullopt;
  auto v = c.view().param_uint(static_cast<uint16_t>(i));
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

V evt_is_open_read(ExtractContext& c, const FieldRef&, Scratch&) {
  auto f = open_flags(c);
  if (!f) return V::boolean(false);
  uint32_t acc = *f & O_ACCMODE;
  return V::boolean(acc == O_RDONLY || acc == O_RDWR);
}
V evt_is_open_write(ExtractContext& c, const FieldRef&, Scratch&) {
  auto f = open_flags(c);
  if (!f) return V::boolean(false);
  uint32_t acc = *f & O_ACCMODE;
  return V::boolean(acc == O_WRONLY || acc == O_RDWR);
}
// Linux has no exec open flag for userspace; Falco's comes from the
// kernel's FMODE_EXEC, which open(2) callers cannot set. O_PATH opens of
// an executable are what exec-by-fd (fexecve) uses, so that is the signal.
V evt_is_open_exec(ExtractContext& c, const FieldRef&, Scratch&) {
  auto f = open_flags(c);
  return V::boolean(f && (*f & O_PATH) != 0);
}
V evt_is_open_create(ExtractContext& c, const FieldRef&, Scratch&) {
  auto f = open_flags(c);
  return V::boolean(f && (*f & O_CREAT) != 0);
}

constexpr ExtractorEntry kEntries[] = {
    {"evt.num", evt_num},
    {"evt.time", evt_time},
    {"evt.time.s", evt_time_s},
    {"evt.time.iso8601", evt_time_iso},
    {"evt.datetime", evt_datetime},
    {"evt.datetime.s", evt_datetime_s},
    {"evt.rawtime", evt_rawtime},
    {"evt.rawtime.s", evt_rawtime_s},
    {"evt.rawtime.ns", evt_rawtime_ns},
    {"evt.outputtime", evt_time},
    {"evt.source", evt_source},
    {"evt.is_async", evt_is_async},
    {"evt.hostname", evt_hostname},
    {"evt.dir", evt_dir},
    {"evt.type", evt_type},
    {"evt.type.is", evt_type_is},
    {"syscall.type", syscall_type},
    {"evt.category", evt_category},
    {"evt.args", evt_args},
    {"evt.info", evt_args},
    {"evt.arg", evt_arg},
    {"evt.rawarg", evt_rawarg},
    {"evt.buflen", evt_buflen},
    {"evt.res", evt_res},
    {"evt.rawres", evt_rawres},
    {"evt.failed", evt_failed},
    {"evt.is_io", evt_is_io},
    {"evt.is_io_read", evt_is_io_read},
    {"evt.is_io_write", evt_is_io_write},
    {"evt.io_dir", evt_io_dir},
    {"evt.count", evt_count},
    {"evt.count.error", evt_count_error},
    {"evt.count.error.file", evt_count_error_file},
    {"evt.count.error.net", evt_count_error_net},
    {"evt.count.error.memory", evt_count_error_memory},
    {"evt.count.error.other", evt_count_error_other},
    {"evt.count.exit", evt_count},
    {"evt.is_open_read", evt_is_open_read},
    {"evt.is_open_write", evt_is_open_write},
    {"evt.is_open_exec", evt_is_open_exec},
    {"evt.is_open_create", evt_is_open_create},
};

}  // namespace

std::span<const ExtractorEntry> evt_extractors() { return kEntries; }

}  // namespace kestrel::engine::eval
