#include "app/list_fields_markdown.h"

#include <set>
#include <string>

namespace kestrel {

void print_field_list_markdown(std::ostream& out, const engine::FieldRegistry& fields, std::string_view source) {
  for (const std::string& src : fields.sources()) {
    if (!source.empty() && src != source) continue;
    std::set<std::string_view> listed;  // a later set's field a loaded plugin's set shadows
    for (const engine::FieldSet* set : fields.field_sets(src)) {
      out << "## Field Class: " << set->name << "\n\n" << set->description << "\n\nEvent Sources: " << src
          << "\n\nName | Type | Description\n:----|:-----|:-----------\n";
      for (const engine::FieldInfo& f : set->fields) {
        if (!listed.insert(f.name).second) continue;
        std::string name(f.name);
        if (f.arg != engine::FieldArg::kNone) name += f.arg == engine::FieldArg::kIndex ? "[N]" : "[KEY]";
        out << '`' << name << "` | " << engine::field_type_name(f.type) << " | " << f.description
            << (f.filled() ? "" : " (not filled by Kestrel yet)") << "\n";
      }
      out << "\n";
    }
  }
}

}  // namespace kestrel
