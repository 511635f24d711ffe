#include "app/list_events.h"

#include <algorithm>
#include <iomanip>
#include <vector>

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

void print_syscall_events(std::ostream& out, bool markdown) {
  std::vector<const EventInfo*> syscalls;
  for (const auto& e : all_events())
    if (e.is_syscall() && syscall_number(native_arch(), e.name)) syscalls.push_back(&e);
  std::sort(syscalls.begin(), syscalls.end(), [](auto* a, auto* b) { return a->name < b->name; });
  if (markdown) out << "Syscall | Params\n:-------|:------\n";
  for (const EventInfo* e : syscalls) {
    if (!markdown) {
      out << e->name << '\n';
      continue;
    }
    out << '`' << e->name << "` | ";
    bool first = true;
    for (const auto& p : e->params) {
      out << (first ? "" : ", ") << p.name << ':' << param_type_name(p.type);
      first = false;
    }
    out << '\n';
  }
}

}  // namespace kestrel
