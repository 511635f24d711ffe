#include "tests/support/record_conformance.h"

#include <cstring>

namespace kestrel::test {

namespace {

bool ends_with_nul(std::span<const uint8_t> p) { return !p.empty() && p.back() == 0; }

// Empty string: the sockaddr/socktuple bytes follow kestrel_event.h.
std::string sockaddr_problem(std::span<const uint8_t> p, bool tuple) {
  const uint8_t family = p[0];
  size_t want = 0;
  switch (family) {
    case KESTREL_AF_INET:
      want = tuple ? 1 + 2 * (4 + 2) : 1 + 4 + 2;
      break;
    case KESTREL_AF_INET6:
      want = tuple ? 1 + 2 * (16 + 2) : 1 + 16 + 2;
      break;
    case KESTREL_AF_UNIX: {
      size_t fixed = tuple ? 1 + 8 + 8 : 1;
      if (p.size() < fixed + 1) return "AF_UNIX layout of " + std::to_string(p.size()) + " bytes is too short";
      if (!ends_with_nul(p)) return "AF_UNIX path is not NUL-terminated";
      return "";
    }
    default:
      return "unknown family " + std::to_string(family);
  }
  if (p.size() != want)
    return "family " + std::to_string(family) + " needs " + std::to_string(want) + " bytes, has " +
           std::to_string(p.size());
  return "";
}

// Empty string: the param is valid for its type.
std::string param_problem(kestrel_param_type type, std::span<const uint8_t> p) {
  if (p.empty()) return "";  // unreadable: allowed for every type
  if (size_t fixed = param_fixed_size(type); fixed != 0) {
    if (p.size() != fixed) return "fixed width " + std::to_string(fixed) + ", has " + std::to_string(p.size());
    return "";
  }
  switch (type) {
    case KPT_CHARBUF:
    case KPT_PATH:
    case KPT_CHARBUF_ARRAY:
      return ends_with_nul(p) ? "" : "string is not NUL-terminated";
    case KPT_BYTES:
      return "";
    case KPT_SOCKADDR:
      return sockaddr_problem(p, false);
    case KPT_SOCKTUPLE:
      return sockaddr_problem(p, true);
    default:
      return "type " + std::string(param_type_name(type)) + " has no encoding";
  }
}

}  // namespace

std::vector<std::string> record_problems(std::span<const uint8_t> record) {
  std::vector<std::string> out;
  if (record.size() < KESTREL_EVENT_HDR_SIZE) {
    out.push_back("record of " + std::to_string(record.size()) + " bytes is shorter than the header");
    return out;
  }
  kestrel_event_hdr hdr;
  std::memcpy(&hdr, record.data(), sizeof hdr);
  const EventInfo& info = event_info(hdr.type);
  const std::string name = info.type == KE_NONE ? "type " + std::to_string(hdr.type) : std::string(info.name);
  if (hdr.len != record.size())
    out.push_back(name + ": header len " + std::to_string(hdr.len) + " but the record has " +
                  std::to_string(record.size()) + " bytes");
  if (info.type == KE_NONE)
    out.push_back(name + ": not in the event table");
  else if (hdr.nparams != info.params.size())
    out.push_back(name + ": " + std::to_string(hdr.nparams) + " params, the table has " +
                  std::to_string(info.params.size()));
  const size_t table_end = KESTREL_EVENT_HDR_SIZE + 2 * size_t{hdr.nparams};
  if (hdr.nparams > KESTREL_MAX_PARAMS || table_end > record.size()) {
    out.push_back(name + ": length table of " + std::to_string(hdr.nparams) + " params does not fit");
    return out;
  }
  size_t at = table_end;
  for (uint16_t i = 0; i < hdr.nparams; ++i) {
    uint16_t len;
    std::memcpy(&len, record.data() + KESTREL_EVENT_HDR_SIZE + 2 * size_t{i}, 2);
    std::string pname = i < info.params.size() ? std::string(info.params[i].name) : "#" + std::to_string(i);
    if (at + len > record.size()) {
      out.push_back(name + "." + pname + ": " + std::to_string(len) + " bytes run past the record");
      return out;
    }
    if (i < info.params.size()) {
      std::string why = param_problem(info.params[i].type, record.subspan(at, len));
      if (!why.empty())
        out.push_back(name + "." + pname + " (" + std::string(param_type_name(info.params[i].type)) + "): " + why);
    }
    at += len;
  }
  if (at != record.size())
    out.push_back(name + ": params end at " + std::to_string(at) + ", the record at " + std::to_string(record.size()));
  return out;
}

std::string describe_problems(const std::vector<std::string>& problems) {
  std::string s;
  for (const std::string& p : problems) s += p + "\n";
  return s;
}

}  // namespace kestrel::test
