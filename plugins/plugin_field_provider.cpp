#include "plugins/plugin_field_provider.h"

#include <charconv>
#include <cstring>

#include "plugins/plugin_async_events.h"
#include "plugins/plugin_source.h"
#include "sources/abi/kestrel_event.h"
#include "sources/event/sockaddr.h"

namespace kestrel::plugin {
namespace {

using engine::eval::ExtractedValue;

std::optional<uint64_t> parse_index(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<uint32_t> PluginFieldProvider::prepare(std::string_view name, const std::optional<std::string>& arg,
                                                     engine::FieldType type) {
  const auto& fields = library_->info().fields;
  for (uint32_t id = 0; id < fields.size(); ++id) {
    const PluginField& f = fields[id];
    if (f.name != name) continue;
    Request r;
    r.field_id = id;
    r.name = f.name;
    r.ftype = f.ftype;
    r.is_list = f.is_list;
    r.type = type;
    if (arg) {
      auto idx = parse_index(*arg);
      if (f.arg_index && idx) {
        r.index = *idx;
      } else if (f.arg_key) {
        r.key = *arg;
        r.has_key = true;
      } else {
        return std::nullopt;  // the plugin takes no such argument
      }
      r.arg_present = true;
    } else if (f.arg_required) {
      return std::nullopt;
    }
    requests_.push_back(std::move(r));
    return static_cast<uint32_t>(requests_.size() - 1);
  }
  return std::nullopt;
}

bool PluginFieldProvider::is_current(const Event& event, uint64_t event_number) const {
  auto bytes = event.view.bytes();
  return built_for_.number == event_number && built_for_.data == bytes.data() && built_for_.len == bytes.size() &&
         built_for_.ts == event.view.ts();
}

const ss_plugin_event* PluginFieldProvider::build_event(const Event& event, const char** evtsrc) {
  *evtsrc = nullptr;
  const EventView& view = event.view;
  if (view.type() == KE_PLUGINEVENT) {
    plugin_event_ = record_to_plugin_event(view);
    return plugin_event_.empty() ? nullptr : reinterpret_cast<const ss_plugin_event*>(plugin_event_.data());
  }
  if (view.type() == KE_ASYNCEVENT) {
    const std::string* source = async_event_source(view, plugin_sources_);
    if (!source || !library_->wants_extract(*source, KESTREL_ASYNC_EVENT_CODE)) return nullptr;
    plugin_event_ = async_record_to_plugin_event(view);
    if (plugin_event_.empty()) return nullptr;
    *evtsrc = source->c_str();
    return reinterpret_cast<const ss_plugin_event*>(plugin_event_.data());
  }
  if (!syscall_) return nullptr;
  const ss_plugin_event* e = nullptr;
  if (event.enter) {
    // A replayed enter (evt.dir '>'): the enter event, when the type has one.
    auto all = syscall_encoder_.events(view);
    if (all.size() >= 2) e = all[all.size() - 2];
  } else {
    e = syscall_encoder_.record_event(view);
  }
  static const std::string kSyscall(kSyscallEventSource);
  if (e == nullptr || !library_->wants_extract(kSyscall, plugin_event_code(e))) return nullptr;
  *evtsrc = kSyscallEventSource;
  return e;
}

ExtractedValue PluginFieldProvider::extract(const Event& event, uint64_t event_number, uint32_t handle,
                                            engine::eval::Scratch& scratch) {
  if (handle >= requests_.size()) return {};
  if (!is_current(event, event_number)) {
    current_ = build_event(event, &current_source_);
    built_for_ = {event_number, event.view.ts(), event.view.bytes().data(), event.view.bytes().size()};
    // The plugin gets the event's own number (the pipeline's, which its
    // parse_event got too) while numbers grow, as they do in a run; a number
    // that goes back (a caller whose count restarted) is replaced by a
    // fresh one, since plugins cache their results per evtnum.
    plugin_evtnum_ = event_number > plugin_evtnum_ ? event_number : plugin_evtnum_ + 1;
  }
  if (current_ == nullptr) return {};
  const Request& r = requests_[handle];
  ss_plugin_extract_field f{};
  f.field_id = r.field_id;
  f.field = r.name.c_str();
  f.arg_key = r.has_key ? r.key.c_str() : nullptr;
  f.arg_index = r.index;
  f.arg_present = r.arg_present;
  f.ftype = r.ftype;
  f.flist = r.is_list;
  const bool want_text = engine::is_stringlike(r.type);
  ExtractedValue out;
  scratch.strings.clear();
  scratch.numbers.clear();
  std::optional<IpAddr> first_ip;
  auto copy = [&] {
    size_t n = std::min<uint64_t>(f.res_len, kMaxValues);
    if (n == 0 || !f.res.str) return;
    for (size_t i = 0; i < n; ++i) {
      switch (f.ftype) {
        case FTYPE_STRING: {
          const char* s = f.res.str[i];
          scratch.strings.emplace_back(s ? s : "", s ? strnlen(s, kMaxValueBytes) : 0);
          break;
        }
        case FTYPE_IPADDR:
        case FTYPE_IPNET: {
          // 4 bytes: IPv4, 16: IPv6, network order (plugin_api.h); any
          // other length is no address. An ipnet value is encoded the same
          // way, the address only (plugin_types.h: FTYPE_IPNET "encodes only
          // the IP address"); what differs is the comparison, which the
          // field's registered type (IPNET, as fd.net) gives: a CIDR on the
          // right-hand side matches the addresses it contains.
          const ss_plugin_byte_buffer& b = f.res.buf[i];
          if (!b.ptr || (b.len != 4 && b.len != 16)) break;
          IpAddr ip;
          ip.family = b.len == 4 ? KESTREL_AF_INET : KESTREL_AF_INET6;
          std::memcpy(ip.bytes.data(), b.ptr, b.len);
          if (!first_ip) first_ip = ip;
          scratch.strings.push_back(ip.to_string());
          break;
        }
        case FTYPE_BOOL:
          if (want_text) scratch.strings.emplace_back(f.res.boolean[i] ? "true" : "false");
          else scratch.numbers.push_back(f.res.boolean[i] ? 1 : 0);
          break;
        default:  // uint64, reltime, abstime
          if (want_text) scratch.strings.push_back(std::to_string(f.res.u64[i]));
          else scratch.numbers.push_back(f.res.u64[i]);
          break;
      }
    }
  };
  Status s = library_->extract(current_, plugin_evtnum_, std::span(&f, 1), copy, current_source_);
  if (!s.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  if (first_ip && !r.is_list && !want_text) return ExtractedValue::address(*first_ip);
  if (!scratch.strings.empty() && (want_text || f.ftype == FTYPE_STRING || f.ftype == FTYPE_IPADDR || f.ftype == FTYPE_IPNET)) {
    if (scratch.strings.size() == 1 && !r.is_list) {
      scratch.text = std::move(scratch.strings.front());
      scratch.strings.clear();
      return ExtractedValue::string(scratch.text);
    }
    scratch.items.assign(scratch.strings.begin(), scratch.strings.end());
    out.kind = engine::eval::ValueKind::kList;
    out.list = scratch.items;
    return out;
  }
  if (!scratch.numbers.empty()) {
    if (r.type == engine::FieldType::kBool) return ExtractedValue::boolean(scratch.numbers.front() != 0);
    if (scratch.numbers.size() == 1 && !r.is_list) return ExtractedValue::uint64(scratch.numbers.front());
    out.kind = engine::eval::ValueKind::kUintList;
    out.numbers = scratch.numbers;
    return out;
  }
  return {};
}

}  // namespace kestrel::plugin
