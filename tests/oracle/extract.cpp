#include "tests/oracle/extract.h"

#include <fcntl.h>

#include <charconv>
#include <map>

#include "sources/event/param_format.h"

namespace kestrel::engine::reference {
namespace {

// The syscall's return value: the first param of a syscall event.
std::optional<int64_t> return_value(const EventView& ev) {
  if (!ev.info().is_syscall() || ev.nparams() == 0) return std::nullopt;
  return ev.param_int(0);
}

std::optional<uint16_t> arg_index(const EventView& ev, const std::string& arg) {
  uint16_t idx = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), idx);
  if (ec == std::errc() && p == arg.data() + arg.size()) {
    if (idx < ev.nparams()) return idx;
    return std::nullopt;
  }
  return ev.info().param_index(arg);
}

bool is_integer_param(kestrel_param_type t) {
  switch (t) {
    case KPT_CHARBUF:
    case KPT_PATH:
    case KPT_CHARBUF_ARRAY:
    case KPT_BYTES:
    case KPT_SOCKADDR:
    case KPT_SOCKTUPLE:
    case KPT_NONE:
    case KPT_COUNT: return false;
    default: return true;
  }
}

void evt_type(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_view(c.event.info().name); }
void evt_num(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event_number));
}
void evt_rawtime(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts()));
}
void evt_rawtime_s(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts() / 1000000000));
}
void evt_rawtime_ns(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts() % 1000000000));
}
void evt_dir(const EvalContext&, const Extractor&, FieldValue& v) { v.set_view("<"); }
void evt_category(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_view(category_name(c.event.info().category));
}
void evt_source(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_view(c.source); }
void evt_is_async(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_bool(!c.event.info().is_syscall() && c.event.info().category == KEC_CONTAINER);
}
void syscall_type(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (c.event.info().is_syscall()) v.set_view(c.event.info().name);
}
void evt_res(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_string(*r >= 0 ? std::string("SUCCESS") : format_errno(*r));
}
void evt_rawres(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_number(*r);
}
void evt_failed(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_bool(*r < 0);
}
void evt_arg(const EvalContext& c, const Extractor& x, FieldValue& v) {
  auto idx = arg_index(c.event, x.arg);
  if (!idx || !c.event.has_param(*idx)) return;
  v.set_string(format_param(c.event, *idx));
}
void evt_rawarg(const EvalContext& c, const Extractor& x, FieldValue& v) {
  auto idx = arg_index(c.event, x.arg);
  if (!idx || !c.event.has_param(*idx)) return;
  const auto& params = c.event.info().params;
  if (*idx < params.size() && is_integer_param(params[*idx].type)) {
    if (auto n = c.event.param_int(*idx)) v.set_number(*n);
    return;
  }
  if (auto s = c.event.param_str(*idx)) v.set_view(*s);
}
void evt_args(const EvalContext& c, const Extractor&, FieldValue& v) {
  std::string out;
  const auto& params = c.event.info().params;
  for (uint16_t i = 0; i < c.event.nparams() && i < params.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += params[i].name;
    out += '=';
    out += format_param(c.event, i);
  }
  v.set_string(std::move(out));
}
void evt_count(const EvalContext&, const Extractor&, FieldValue& v) { v.set_number(1); }
void evt_is_io(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_bool(c.event.info().flags & KEF_IO); }
// Flags and mode of an open-family event (creat implies O_CREAT|O_WRONLY).
struct OpenArgs {
  uint64_t flags = 0;
  uint64_t mode = 0;
};
std::optional<OpenArgs> open_args(const EventView& ev) {
  uint16_t t = ev.type();
  if (t == KE_CREAT) {
    auto mode = ev.info().param_index("mode");
    return OpenArgs{O_CREAT | O_WRONLY | O_TRUNC, mode ? ev.param_uint(*mode).value_or(0) : 0};
  }
  if (t != KE_OPEN && t != KE_OPENAT && t != KE_OPENAT2) return std::nullopt;
  auto flags = ev.info().param_index("flags");
  auto mode = ev.info().param_index("mode");
  if (!flags) return std::nullopt;
  auto f = ev.param_uint(*flags);
  if (!f) return std::nullopt;
  return OpenArgs{*f, mode ? ev.param_uint(*mode).value_or(0) : 0};
}
void evt_is_open_read(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto a = open_args(c.event)) v.set_bool((a->flags & O_ACCMODE) == O_RDONLY || (a->flags & O_ACCMODE) == O_RDWR);
}
void evt_is_open_write(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto a = open_args(c.event)) v.set_bool((a->flags & O_ACCMODE) == O_WRONLY || (a->flags & O_ACCMODE) == O_RDWR);
}
// Falco: a file created with any execute permission bit.
void evt_is_open_exec(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto a = open_args(c.event)) v.set_bool((a->flags & O_CREAT) && (a->mode & 0111));
}
void proc_pid(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_number(c.event.tgid()); }
void thread_tid(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_number(c.event.tid()); }
void thread_ismain(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_bool(c.event.tid() == c.event.tgid());
}

const std::map<std::string_view, ExtractFn>& table() {
  static const std::map<std::string_view, ExtractFn> t = {
      {"evt.type", evt_type},         {"evt.num", evt_num},           {"evt.rawtime", evt_rawtime},
      {"evt.rawtime.s", evt_rawtime_s}, {"evt.rawtime.ns", evt_rawtime_ns}, {"evt.dir", evt_dir},
      {"evt.category", evt_category}, {"evt.source", evt_source},     {"evt.is_async", evt_is_async},
      {"syscall.type", syscall_type}, {"evt.res", evt_res},           {"evt.rawres", evt_rawres},
      {"evt.failed", evt_failed},     {"evt.arg", evt_arg},           {"evt.rawarg", evt_rawarg},
      {"evt.args", evt_args},         {"evt.count", evt_count},       {"evt.count.exit", evt_count},
      {"evt.is_io", evt_is_io},       {"proc.pid", proc_pid},         {"thread.tid", thread_tid},
      {"thread.ismain", thread_ismain}, {"evt.is_open_read", evt_is_open_read},
      {"evt.is_open_write", evt_is_open_write}, {"evt.is_open_exec", evt_is_open_exec},
  };
  return t;
}

}  // namespace

bool has_extractor(std::string_view field_name) { return table().count(field_name) > 0; }

std::optional<Extractor> make_extractor(const FieldLookup& field) {
  auto it = table().find(field.info->name);
  if (it == table().end()) return std::nullopt;
  return Extractor{it->second, field.arg.value_or(""), field.info->name};
}

}  // namespace kestrel::engine::reference
