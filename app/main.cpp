// kestrel — the collector executable. All behaviour lives in run_kestrel().
#include <iostream>

#include "app/allocator.h"
#include "app/cli.h"
#include "app/privileges.h"

int main(int argc, char** argv) {
  // This process is the collector's own: it may give up capabilities once
  // capture runs (privileges.h).
  kestrel::set_owns_process(true);
  kestrel::begin_start_up();  // until capture starts (allocator.h)
  return kestrel::run_kestrel(argc, argv, std::cout, std::cerr);
}
