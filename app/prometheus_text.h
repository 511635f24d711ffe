// prometheus_text.h — writing the Prometheus text exposition format 0.0.4:
// a family's HELP and TYPE lines, then its samples with escaped label values.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kestrel {

using PromLabels = std::vector<std::pair<std::string, std::string>>;

class PromWriter {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  template <typename T>
  void sample(std::string_view name, T value,
              std::initializer_list<std::pair<const char*, std::string_view>> labels = {}) {
    PromLabels l;
    for (const auto& [k, v] : labels) l.emplace_back(k, std::string(v));
    sample_with(name, value, l);
  }
  template <typename T>
  void sample_with(std::string_view name, T value, const PromLabels& labels) {
    out_ << name;
    if (!labels.empty()) {
      out_ << "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ << (first ? "" : ",") << k << "=\"" << escape(v) << "\"";
        first = false;
      }
      out_ << "}";
    }
    out_ << " " << value << "\n";
  }
  std::string str() const { return out_.str(); }

  // Label values escape backslash, quote and newline.
  static std::string escape(std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    return out;
  }

 private:
  std::ostringstream out_;
};

}  // namespace kestrel
