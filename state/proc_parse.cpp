#include "state/proc_parse.h"

#include <charconv>
#include <vector>

namespace kestrel {
namespace {

template <typename T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// The n-th whitespace-separated field of `value` parsed as T; false if absent.
template <typename T>
bool field(std::string_view value, size_t n, T& out, int base = 10) {
  auto f = split_ws(value);
  return n < f.size() && parse_number(f[n], out, base);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat s;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after the comm, numbered from (3) state = index 0.
  auto f = split_ws(text.substr(close + 1));
  if (f.size() < 20 || f[0].size() != 1) return std::nullopt;
  s.state = f[0][0];
  int64_t tty = 0;
  if (!parse_number(f[1], s.ppid) || !parse_number(f[2], s.pgrp) || !parse_number(f[3], s.session) ||
      !parse_number(f[4], tty) || !parse_number(f[19], s.starttime))
    return std::nullopt;
  s.tty_nr = static_cast<uint32_t>(tty);
  return s;
}

ProcStatus parse_proc_status(std::string_view text) {
  ProcStatus st;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (key == "Name") {
      // A name may hold spaces: keep everything after the tab.
      size_t start = value.find_first_not_of(" \t");
      st.name = start == std::string_view::npos ? "" : std::string(value.substr(start));
    } else if (key == "Tgid") {
      field(value, 0, st.tgid);
    } else if (key == "PPid") {
      field(value, 0, st.ppid);
    } else if (key == "Uid") {
      field(value, 0, st.uid);
      field(value, 1, st.euid);
    } else if (key == "Gid") {
      field(value, 0, st.gid);
      field(value, 1, st.egid);
    } else if (key == "CapInh") {
      field(value, 0, st.cap_inheritable, 16);
    } else if (key == "CapPrm") {
      field(value, 0, st.cap_permitted, 16);
    } else if (key == "CapEff") {
      field(value, 0, st.cap_effective, 16);
    } else if (key == "NStgid" || key == "NSpid") {
      auto f = split_ws(value);
      int64_t v = 0;
      if (!f.empty() && parse_number(f.back(), v)) (key == "NStgid" ? st.vpid : st.vtid) = v;
      if (key == "NStgid") st.pid_ns_depth = static_cast<int>(f.size());
    }
  }
  return st;
}

std::optional<uint64_t> parse_boot_time(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.starts_with("btime ")) {
      uint64_t v = 0;
      if (field(line.substr(6), 0, v)) return v;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

uint64_t start_time_ns(uint64_t boot_time_s, uint64_t ticks, uint64_t hz) {
  constexpr uint64_t kNsPerSec = 1'000'000'000;
  if (hz == 0) hz = 100;
  // Split to keep ticks * 1e9 from overflowing on long uptimes.
  return boot_time_s * kNsPerSec + (ticks / hz) * kNsPerSec + (ticks % hz) * kNsPerSec / hz;
}

}  // namespace kestrel
