// An extract-only plugin for the "syscall" source (issue 16, part A), built
// against the published plugin_api.h only (/work/shared/reference/
// plugin-api), so what it decodes is the API's definition of a syscall
// event, not Kestrel's: libscap's event header, then nparams param lengths
// (u16 for these events) and the params in the layout of falcosecurity/libs'
// event table for the event's code.
//
// It declares get_extract_event_sources ["syscall"] and
// get_extract_event_types {3, 307}: open's exit (PPME_SYSCALL_OPEN_X: fd,
// name, flags, mode, dev, ino) and openat's exit (PPME_SYSCALL_OPENAT_2_X:
// fd, dirfd, name, flags, mode, dev, ino). Fields:
//   sysplug.evtype  uint64  the event's scap code (header type)
//   sysplug.tid     uint64  the header's tid
//   sysplug.fd      uint64  param "fd" (an int64 errno/fd; negative -> unset)
//   sysplug.name    string  param "name" (NUL-terminated path)
//   sysplug.evtsrc  string  the event source the host named
//   sysplug.nparams uint64  the header's nparams
//   sysplug.parsed  uint64  how many events parse_event took so far
//   sysplug.evtnum  uint64  the evtnum extraction was given for this event
//   sysplug.parsenum uint64 the evtnum parse_event was given for the last
//                           event it took (the same event: must agree)
// Built twice (SYSPLUG_NAME sysplug and sysplug2) so that two plugins
// extracting from syscall events can be loaded together.
// Its init_config may name the event schema version it requires,
// {"schema":"3.1.0"}, returned by get_required_event_schema_version;
// without one that symbol returns NULL (the API's 3.0.0 default).
// It also parses (get_parse_event_sources ["syscall"], the same types):
// parse_event checks each event's layout as extraction does and counts it,
// so a rule sees how many open/openat exits were parsed before its event.
// An event whose lengths do not add up to its header's len fails
// extraction with an error (the host must never hand it one).
#include <plugin/plugin_api.h>

#include <cstring>
#include <string>

namespace {

constexpr uint16_t kOpenX = 3;
constexpr uint16_t kOpenat2X = 307;

#ifndef SYSPLUG_NAME
#define SYSPLUG_NAME "sysplug"
#endif
#define F(suffix) SYSPLUG_NAME "." suffix

struct State {
  std::string error;
  std::string schema;
  uint64_t parsenum = 0;
  uint64_t u64 = 0;
  uint64_t parsed = 0;
  std::string text;
  const char* text_ptr = nullptr;
};

uint16_t g_types[] = {kOpenX, kOpenat2X};

struct Layout {
  ss_plugin_event hdr;
  const uint8_t* base = nullptr;
  size_t offsets[16] = {}, sizes[16] = {};
};

// The event's header and param offsets from its u16 lengths, which must
// fill the event exactly; false with `error` set otherwise.
bool decode(const ss_plugin_event* evt, std::string& error, Layout& l) {
  std::memcpy(&l.hdr, evt, sizeof l.hdr);
  l.base = reinterpret_cast<const uint8_t*>(evt);
  if (l.hdr.type != kOpenX && l.hdr.type != kOpenat2X) {
    error = "sysplug: got event type " + std::to_string(l.hdr.type) + ", which it did not ask for";
    return false;
  }
  if (l.hdr.nparams > 16) {
    error = "sysplug: too many params";
    return false;
  }
  const size_t lens_at = sizeof(ss_plugin_event);
  size_t off = lens_at + 2u * l.hdr.nparams;
  for (uint32_t i = 0; i < l.hdr.nparams; ++i) {
    uint16_t len;
    std::memcpy(&len, l.base + lens_at + 2u * i, 2);
    l.offsets[i] = off;
    l.sizes[i] = len;
    off += len;
  }
  if (off != l.hdr.len) {
    error = "sysplug: params end at " + std::to_string(off) + ", header len " + std::to_string(l.hdr.len);
    return false;
  }
  return true;
}


}  // namespace

extern "C" {
const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return SYSPLUG_NAME; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "decodes scap open/openat exits"; }
const char* plugin_get_contact() { return "tests"; }
const char* plugin_get_fields() {
  static const std::string fields = std::string("[") +
      R"({"name":")" F("evtype") R"(","type":"uint64","desc":"scap event code"},)" +
      R"({"name":")" F("tid") R"(","type":"uint64","desc":"header tid"},)" +
      R"({"name":")" F("fd") R"(","type":"uint64","desc":"fd param"},)" +
      R"({"name":")" F("name") R"(","type":"string","desc":"name param"},)" +
      R"({"name":")" F("evtsrc") R"(","type":"string","desc":"event source"},)" +
      R"({"name":")" F("nparams") R"(","type":"uint64","desc":"header nparams"},)" +
      R"({"name":")" F("parsed") R"(","type":"uint64","desc":"events parsed so far"},)" +
      R"({"name":")" F("evtnum") R"(","type":"uint64","desc":"evtnum given to extraction"},)" +
      R"({"name":")" F("parsenum") R"(","type":"uint64","desc":"evtnum given to the last parse"}])";
  return fields.c_str();
}
const char* plugin_get_extract_event_sources() { return R"(["syscall"])"; }
uint16_t* plugin_get_extract_event_types(uint32_t* numtypes, ss_plugin_t*) {
  *numtypes = sizeof g_types / sizeof g_types[0];
  return g_types;
}
ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  auto* st = new State();
  // {"schema":"X"}: a flat search is enough for the tests' configs.
  const std::string config = in && in->config ? in->config : "";
  const std::string key = "\"schema\":\"";
  if (size_t at = config.find(key); at != std::string::npos) {
    size_t from = at + key.size();
    st->schema = config.substr(from, config.find('"', from) - from);
  }
  return st;
}
const char* plugin_get_required_event_schema_version(ss_plugin_t* s) {
  auto* st = static_cast<State*>(s);
  return st->schema.empty() ? nullptr : st->schema.c_str();
}
void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }
const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }

const char* plugin_get_parse_event_sources() { return R"(["syscall"])"; }
uint16_t* plugin_get_parse_event_types(uint32_t* numtypes, ss_plugin_t*) {
  *numtypes = sizeof g_types / sizeof g_types[0];
  return g_types;
}
ss_plugin_rc plugin_parse_event(ss_plugin_t* s, const ss_plugin_event_input* in_evt, const ss_plugin_event_parse_input*) {
  auto* st = static_cast<State*>(s);
  Layout l;
  if (!decode(in_evt->evt, st->error, l)) return SS_PLUGIN_FAILURE;
  if (std::string(in_evt->evtsrc ? in_evt->evtsrc : "") != "syscall") {
    st->error = "sysplug: parse got source " + std::string(in_evt->evtsrc ? in_evt->evtsrc : "(null)");
    return SS_PLUGIN_FAILURE;
  }
  ++st->parsed;
  st->parsenum = in_evt->evtnum;
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* in_evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  Layout l;
  if (!decode(in_evt->evt, st->error, l)) return SS_PLUGIN_FAILURE;
  const ss_plugin_event& hdr = l.hdr;
  const uint8_t* base = l.base;
  const size_t* offsets = l.offsets;
  const size_t* sizes = l.sizes;
  const uint32_t name_param = hdr.type == kOpenX ? 1 : 2;
  for (uint32_t k = 0; k < in->num_fields; ++k) {
    ss_plugin_extract_field& f = in->fields[k];
    f.res_len = 0;
    switch (f.field_id) {
      case 0: st->u64 = hdr.type; break;
      case 1: st->u64 = hdr.tid; break;
      case 2: {
        int64_t fd = -1;
        if (hdr.nparams < 1 || sizes[0] != 8) continue;
        std::memcpy(&fd, base + offsets[0], 8);
        if (fd < 0) continue;
        st->u64 = static_cast<uint64_t>(fd);
        break;
      }
      case 3: {
        if (hdr.nparams <= name_param || sizes[name_param] == 0) continue;
        const char* p = reinterpret_cast<const char*>(base + offsets[name_param]);
        st->text.assign(p, strnlen(p, sizes[name_param]));
        st->text_ptr = st->text.c_str();
        f.res.str = &st->text_ptr;
        f.res_len = 1;
        continue;
      }
      case 4:
        st->text = in_evt->evtsrc ? in_evt->evtsrc : "(null)";
        st->text_ptr = st->text.c_str();
        f.res.str = &st->text_ptr;
        f.res_len = 1;
        continue;
      case 5: st->u64 = hdr.nparams; break;
      case 6: st->u64 = st->parsed; break;
      case 7: st->u64 = in_evt->evtnum; break;
      case 8: st->u64 = st->parsenum; break;
      default: continue;
    }
    f.res.u64 = &st->u64;
    f.res_len = 1;
  }
  return SS_PLUGIN_SUCCESS;
}
}
