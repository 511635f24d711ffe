#include "engine/fields/field_registry.h"

#include <algorithm>
#include <array>
#include <iomanip>

#include "engine/eval/extract.h"

namespace kestrel::engine {
namespace {

constexpr std::array<std::string_view, 5> kSources = {"syscall", "k8s_audit", "aws_cloudtrail", "github",
                                                       "okta"};

const FieldInfo* find_exact(std::span<const FieldSet* const> sets, std::string_view name) {
  for (const FieldSet* set : sets) {
    for (const FieldInfo& f : set->fields) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

bool is_index(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "CHARBUF";
    case FieldType::kPath: return "FSPATH";
    case FieldType::kStringList: return "CHARBUF (list)";
    case FieldType::kBytes: return "BYTEBUF";
    case FieldType::kUint64: return "UINT64";
    case FieldType::kInt64: return "INT64";
    case FieldType::kDouble: return "DOUBLE";
    case FieldType::kBool: return "BOOL";
    case FieldType::kIpAddr: return "IPADDR";
    case FieldType::kIpNet: return "IPNET";
    case FieldType::kPort: return "PORT";
    case FieldType::kAbsTime: return "ABSTIME";
    case FieldType::kRelTime: return "RELTIME";
  }
  return "?";
}

bool is_numeric(FieldType t) {
  return t == FieldType::kUint64 || t == FieldType::kInt64 || t == FieldType::kDouble || t == FieldType::kPort ||
         t == FieldType::kAbsTime || t == FieldType::kRelTime;
}

bool is_stringlike(FieldType t) {
  return t == FieldType::kString || t == FieldType::kPath || t == FieldType::kStringList ||
         t == FieldType::kBytes;
}

std::span<const std::string_view> known_sources() { return kSources; }

const FieldRegistry& builtin_field_registry() {
  static const FieldRegistry builtin;
  return builtin;
}

std::span<const FieldSet* const> FieldRegistry::field_sets(std::string_view source) const {
  if (auto it = by_source_.find(source); it != by_source_.end()) return it->second;
  if (source == "syscall") return syscall_field_sets();
  return plugin_field_sets(source);
}

std::vector<std::string> FieldRegistry::sources() const {
  std::vector<std::string> out(kSources.begin(), kSources.end());
  for (const auto& [source, sets] : by_source_)
    if (std::find(out.begin(), out.end(), source) == out.end()) out.push_back(source);
  return out;
}

std::optional<FieldLookup> FieldRegistry::lookup(std::string_view source, std::string_view name,
                                                 const std::optional<std::string>& bracket_arg,
                                                 std::string* error) const {
  auto fail = [&](std::string msg) -> std::optional<FieldLookup> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  auto sets = field_sets(source);
  if (sets.empty()) return fail("unknown event source " + std::string(source));

  FieldLookup out;
  out.info = find_exact(sets, name);
  out.arg = bracket_arg;
  if (!out.info) {
    // NAME.arg form (evt.arg.flags): the longest registered prefix that
    // takes a dotted argument.
    for (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0; dot = name.rfind('.', dot - 1)) {
      const FieldInfo* f = find_exact(sets, name.substr(0, dot));
      if (f && f->dotted_arg) {
        if (bracket_arg) return fail("field " + std::string(name) + " has two arguments");
        out.info = f;
        out.arg = std::string(name.substr(dot + 1));
        break;
      }
      if (dot == 0) break;
    }
  }
  if (!out.info) return fail("filter_check called with nonexistent field " + std::string(name));
  const FieldInfo& f = *out.info;
  if (out.arg) {
    if (f.arg == FieldArg::kNone) return fail("field " + std::string(f.name) + " does not take an argument");
    if (f.arg == FieldArg::kIndex && !is_index(*out.arg)) {
      return fail("field " + std::string(f.name) + " needs a numeric index argument, got '" + *out.arg + "'");
    }
  } else if (f.arg_required) {
    return fail("field " + std::string(f.name) + " requires an argument");
  }
  return out;
}

bool FieldRegistry::is_field_defined(std::string_view source, std::string_view name_with_arg) const {
  std::optional<std::string> arg;
  std::string_view name = name_with_arg;
  if (auto open = name.find('['); open != std::string_view::npos && name.back() == ']') {
    arg = std::string(name.substr(open + 1, name.size() - open - 2));
    name = name.substr(0, open);
  }
  return lookup(source, name, arg, nullptr).has_value();
}

void FieldRegistry::print_field_list(std::ostream& out, std::string_view source) const {
  for (const std::string& src : sources()) {
    if (!source.empty() && src != source) continue;
    auto sets = field_sets(src);
    for (size_t s = 0; s < sets.size(); ++s) {
      const FieldSet* set = sets[s];
      out << "-------------------------------\n";
      out << "Field Class: " << set->name << " (" << set->description << ")\n";
      out << "Event Sources: " << src << "\n\n";
      for (const FieldInfo& f : set->fields) {
        if (find_exact(sets.first(s), f.name)) continue;  // shadowed by a loaded plugin's field
        std::string name(f.name);
        if (f.arg != FieldArg::kNone) name += f.arg == FieldArg::kIndex ? "[N]" : "[KEY]";
        out << std::left << std::setw(40) << name << " " << std::setw(15) << field_type_name(f.type) << " "
            << f.description << (f.filled() ? "" : " (not filled by Kestrel yet)") << "\n";
      }
      out << "\n";
    }
  }
}

}  // namespace kestrel::engine
