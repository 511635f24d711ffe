#include "app/list_events.h"

#include <iomanip>

#include "sources/event/event_table.h"
#include "sources/event/syscall_table.h"

namespace kestrel {

void print_event_table(std::ostream& out) {
  out << std::left << std::setw(16) << "EVENT" << std::setw(11) << "CATEGORY" << "PARAMS\n";
  for (const auto& e : all_events()) {
    out << std::left << std::setw(16) << e.name << std::setw(11) << category_name(e.category);
    bool first = true;
    for (const auto& p : e.params) {
      out << (first ? "" : " ") << p.name << ':' << param_type_name(p.type);
      if (p.symbols != SymbolSet::kNONE) out << '(' << symbol_set_name(p.symbols) << ')';
      first = false;
    }
    if (e.is_syscall() && !syscall_number(native_arch(), e.name))
      out << "  [no such syscall on " << arch_name(native_arch()) << "]";
    out << '\n';
  }
}

}  // namespace kestrel
