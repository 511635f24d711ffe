// evt.* and syscall.type extractors. Everything here comes from the event
// record alone (plus the engine's hostname/source and event counter).
#include <fcntl.h>

#include <ctime>

#include <array>

#include "engine/eval/extract.h"
#include "sources/event/param_format.h"
#include "sources/event/syscall_table.h"

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
V evt_dir(ExtractContext& c, const FieldRef&, Scratch&) { return V::string(c.event().enter ? ">" : "<"); }
// The event's name; a generic syscall record (KE_SYSCALL: a syscall with
// no event type of its own) is named after its syscall, as Falco names its
// generic events ("madvise"), or "syscall" when the number is unknown.
std::string_view event_name(ExtractContext& c, Scratch& s) {
  if (c.view().type() == KE_SYSCALL) {
    if (auto id = c.view().param_int(KP_SYSCALL_id)) {
      if (auto name = syscall_name(native_arch(), static_cast<int>(*id))) {
        s.text = *name;
        return s.text;
      }
    }
  }
  return c.view().info().name;
}
V evt_type(ExtractContext& c, const FieldRef&, Scratch& s) { return V::string(event_name(c, s)); }
V evt_type_is(ExtractContext& c, const FieldRef& r, Scratch& s) {
  return V::uint64(r.arg && event_name(c, s) == *r.arg ? 1 : 0);
}
V syscall_type(ExtractContext& c, const FieldRef&, Scratch& s) {
  if (!c.view().info().is_syscall() && c.view().type() != KE_SYSCALL) return missing();
  return V::string(event_name(c, s));
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

// evt.buffer: the I/O buffer (the "data" param) of read/write-family
// events, the bytes as captured (the producer's snapshot length bounds
// them); missing for events without one.
V evt_buffer(ExtractContext& c, const FieldRef&, Scratch&) {
  static const std::array<int16_t, KE_COUNT> kDataParam = [] {
    std::array<int16_t, KE_COUNT> out{};
    for (uint16_t t = 0; t < KE_COUNT; ++t) {
      auto i = event_info(t).param_index("data");
      out[t] = i ? static_cast<int16_t>(*i) : int16_t{-1};
    }
    return out;
  }();
  uint16_t type = c.view().type();
  if (type >= KE_COUNT || kDataParam[type] < 0) return missing();
  auto bytes = c.view().param(static_cast<uint16_t>(kDataParam[type]));
  return V::string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
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

// The field table: one row per field, its extractor beside its metadata
// (kNotFilled: a field rules may name that Kestrel does not fill yet).
using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kEvtFields[] = {
    {"evt.num", T::kUint64, A::kNone, N, N, evt_num, "event number"},
    {"evt.time", T::kString, A::kNone, N, N, evt_time, "event timestamp as a time string with nanoseconds"},
    {"evt.time.s", T::kString, A::kNone, N, N, evt_time_s, "event timestamp as a time string without nanoseconds"},
    {"evt.time.iso8601", T::kString, A::kNone, N, N, evt_time_iso, "event timestamp in ISO 8601 format"},
    {"evt.datetime", T::kString, A::kNone, N, N, evt_datetime,
     "event timestamp as a time string that includes the date"},
    {"evt.datetime.s", T::kString, A::kNone, N, N, evt_datetime_s,
     "event timestamp with the date, without nanoseconds"},
    {"evt.rawtime", T::kAbsTime, A::kNone, N, N, evt_rawtime, "absolute event timestamp, nanoseconds from epoch"},
    {"evt.rawtime.s", T::kAbsTime, A::kNone, N, N, evt_rawtime_s, "integer part of the event timestamp (seconds)"},
    {"evt.rawtime.ns", T::kAbsTime, A::kNone, N, N, evt_rawtime_ns, "fractional part of the event timestamp (ns)"},
    {"evt.reltime", T::kRelTime, A::kNone, N, N, kNotFilled, "nanoseconds from the beginning of the capture"},
    {"evt.reltime.s", T::kRelTime, A::kNone, N, N, kNotFilled, "seconds from the beginning of the capture"},
    {"evt.reltime.ns", T::kRelTime, A::kNone, N, N, kNotFilled, "fractional part of evt.reltime"},
    {"evt.pluginname", T::kString, A::kNone, N, N, evt_pluginname, "name of the plugin that generated the event"},
    {"evt.plugininfo", T::kString, A::kNone, N, N, evt_plugininfo, "summary of the event if it came from a plugin"},
    {"evt.source", T::kString, A::kNone, N, N, evt_source, "name of the source that produced the event"},
    {"evt.is_async", T::kBool, A::kNone, N, N, evt_is_async, "true for asynchronous events"},
    {"evt.asynctype", T::kString, A::kNone, N, N, evt_syscall_asynctype, "name of the asynchronous event type"},
    {"evt.hostname", T::kString, A::kNone, N, N, evt_hostname, "hostname of the underlying host"},
    {"evt.latency", T::kRelTime, A::kNone, N, N, kNotFilled, "delta between an exit event and its enter event"},
    {"evt.latency.s", T::kRelTime, A::kNone, N, N, kNotFilled, "integer part of the event latency"},
    {"evt.latency.ns", T::kRelTime, A::kNone, N, N, kNotFilled, "fractional part of the event latency"},
    {"evt.latency.human", T::kString, A::kNone, N, N, kNotFilled, "event latency as a human readable string"},
    {"evt.deltatime", T::kRelTime, A::kNone, N, N, kNotFilled, "delta between this event and the previous one"},
    {"evt.deltatime.s", T::kRelTime, A::kNone, N, N, kNotFilled, "integer part of the delta between events"},
    {"evt.deltatime.ns", T::kRelTime, A::kNone, N, N, kNotFilled, "fractional part of the delta between events"},
    {"evt.outputtime", T::kString, A::kNone, N, N, evt_time, "event timestamp as used in outputs"},
    {"evt.dir", T::kString, A::kNone, N, N, evt_dir, "event direction: '>' enter, '<' exit (live sources emit exits only; '>' comes from replayed .scap enter events)"},
    {"evt.type", T::kString, A::kNone, N, N, evt_type, "name of the event (e.g. open)"},
    {"evt.type.is", T::kUint64, A::kKey, Y, N, evt_type_is, "1 if the event type is the given one"},
    {"syscall.type", T::kString, A::kNone, N, N, syscall_type, "for system call events, the name of the system call"},
    {"evt.category", T::kString, A::kNone, N, N, evt_category, "event category (file, net, process …)"},
    {"evt.cpu", T::kInt64, A::kNone, N, N, kNotFilled, "number of the CPU where this event happened"},
    {"evt.args", T::kString, A::kNone, N, N, evt_args, "all the event arguments as one string"},
    {"evt.arg", T::kString, A::kIndexOrKey, Y, Y, evt_arg,
     "one event argument by name or index (evt.arg.fd, evt.arg[0])"},
    {"evt.rawarg", T::kString, A::kKey, Y, Y, evt_rawarg,
     "one event argument by name, raw value (numbers compare as numbers)"},
    {"evt.info", T::kString, A::kNone, N, N, evt_args, "event arguments, or a description for some events"},
    {"evt.buffer", T::kBytes, A::kNone, N, N, evt_buffer, "binary data buffer of read/write/send/recv events"},
    {"evt.buflen", T::kUint64, A::kNone, N, N, evt_buflen, "length of the binary data buffer"},
    {"evt.res", T::kString, A::kNone, N, N, evt_res, "event return value: SUCCESS or the error code string"},
    {"evt.rawres", T::kInt64, A::kNone, N, N, evt_rawres, "event return value as a number"},
    {"evt.failed", T::kBool, A::kNone, N, N, evt_failed, "true for events that returned an error"},
    {"evt.is_io", T::kBool, A::kNone, N, N, evt_is_io, "true for events that read or write fds"},
    {"evt.is_io_read", T::kBool, A::kNone, N, N, evt_is_io_read, "true for events that read from fds"},
    {"evt.is_io_write", T::kBool, A::kNone, N, N, evt_is_io_write, "true for events that write to fds"},
    {"evt.io_dir", T::kString, A::kNone, N, N, evt_io_dir, "'r' for reads, 'w' for writes"},
    {"evt.is_wait", T::kBool, A::kNone, N, N, kNotFilled, "true for events that make the thread wait"},
    {"evt.wait_latency", T::kRelTime, A::kNone, N, N, kNotFilled, "time spent waiting for the event to return"},
    {"evt.is_syslog", T::kBool, A::kNone, N, N, kNotFilled, "true for writes to /dev/log"},
    {"evt.count", T::kUint64, A::kNone, N, N, evt_count, "1 for every event (for aggregation)"},
    {"evt.count.error", T::kUint64, A::kNone, N, N, evt_count_error, "1 for events that returned an error"},
    {"evt.count.error.file", T::kUint64, A::kNone, N, N, evt_count_error_file,
     "1 for file events that returned an error"},
    {"evt.count.error.net", T::kUint64, A::kNone, N, N, evt_count_error_net,
     "1 for network events that returned an error"},
    {"evt.count.error.memory", T::kUint64, A::kNone, N, N, evt_count_error_memory,
     "1 for memory events that returned an error"},
    {"evt.count.error.other", T::kUint64, A::kNone, N, N, evt_count_error_other,
     "1 for other events that returned an error"},
    {"evt.count.exit", T::kUint64, A::kNone, N, N, evt_count, "1 for exit events"},
    {"evt.around", T::kUint64, A::kKey, Y, N, kNotFilled, "events around the given timestamp (capture only)"},
    {"evt.abspath", T::kPath, A::kNone, N, N, kNotFilled, "absolute path from dirfd and name (*at syscalls)"},
    {"evt.abspath.src", T::kPath, A::kNone, N, N, kNotFilled, "source absolute path (renameat, linkat, symlinkat)"},
    {"evt.abspath.dst", T::kPath, A::kNone, N, N, kNotFilled,
     "destination absolute path (renameat, linkat, symlinkat)"},
    {"evt.is_open_read", T::kBool, A::kNone, N, N, evt_is_open_read, "true for open/openat/openat2 with a read flag"},
    {"evt.is_open_write", T::kBool, A::kNone, N, N, evt_is_open_write,
     "true for open/openat/openat2 with a write flag"},
    {"evt.is_open_exec", T::kBool, A::kNone, N, N, evt_is_open_exec,
     "true for open/openat/openat2/creat with an exec flag"},
    {"evt.is_open_create", T::kBool, A::kNone, N, N, evt_is_open_create, "true for open calls that created the file"},
};
constexpr FieldSet kEvtSet{"evt", "event fields", kEvtFields};

// evt.* on every other source (plugin events): only the extractors that read
// the record header alone, so they are sound on an event without a thread or
// params.
constexpr FieldInfo kPluginEvtFields[] = {
    {"evt.num", T::kUint64, A::kNone, N, N, evt_num, "event number"},
    {"evt.time", T::kString, A::kNone, N, N, evt_time, "event timestamp as a time string with nanoseconds"},
    {"evt.time.s", T::kString, A::kNone, N, N, evt_time_s, "event timestamp without nanoseconds"},
    {"evt.time.iso8601", T::kString, A::kNone, N, N, evt_time_iso, "event timestamp in ISO 8601 format"},
    {"evt.datetime", T::kString, A::kNone, N, N, evt_datetime, "event timestamp including the date"},
    {"evt.datetime.s", T::kString, A::kNone, N, N, evt_datetime_s,
     "event timestamp including the date, no nanoseconds"},
    {"evt.rawtime", T::kAbsTime, A::kNone, N, N, evt_rawtime, "absolute event timestamp, ns from epoch"},
    {"evt.rawtime.s", T::kAbsTime, A::kNone, N, N, evt_rawtime_s, "integer part of the event timestamp"},
    {"evt.rawtime.ns", T::kAbsTime, A::kNone, N, N, evt_rawtime_ns, "fractional part of the event timestamp"},
    {"evt.pluginname", T::kString, A::kNone, N, N, evt_pluginname, "name of the plugin that generated the event"},
    {"evt.plugininfo", T::kString, A::kNone, N, N, evt_plugininfo, "summary of the event from its plugin"},
    {"evt.source", T::kString, A::kNone, N, N, evt_source, "name of the source that produced the event"},
    {"evt.is_async", T::kBool, A::kNone, N, N, evt_plugin_is_async, "true for asynchronous events"},
    {"evt.asynctype", T::kString, A::kNone, N, N, evt_plugin_asynctype, "name of the asynchronous event type"},
    {"evt.hostname", T::kString, A::kNone, N, N, evt_hostname, "hostname of the underlying host"},
};
constexpr FieldSet kPluginEvtSet{"evt", "event fields every source has", kPluginEvtFields};

}  // namespace

const FieldSet& evt_field_set() { return kEvtSet; }
const FieldSet& plugin_evt_field_set() { return kPluginEvtSet; }

}  // namespace kestrel::engine::eval
