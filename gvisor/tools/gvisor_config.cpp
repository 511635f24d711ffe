// gvisor_config — prints a runsc --pod-init-config for Kestrel's gVisor source.
//
//   gvisor_config [SOCKET] [EVENT...]
// SOCKET defaults to /run/kestrel/gvisor.sock; EVENTs are evt.type names
// (default: every type the gVisor source can produce). The app's
// --gvisor-generate-config does the same from the loaded rules. Points are
// limited to what the runsc in PATH lists (`runsc trace metadata`), or to
// runsc 0.0~20221219's when there is none.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gvisor/gvisor_source.h"
#include "gvisor/pod_init_config.h"
#include "sources/event/event_table.h"

int main(int argc, char** argv) {
  using namespace kestrel;
  gvisor::PodInitConfigOptions opt;
  opt.endpoint = gvisor::kDefaultSocketPath;
  if (argc > 1) opt.endpoint = argv[1];
  if (const char* strict = std::getenv("KESTREL_GVISOR_STRICT"); strict && std::string(strict) == "1")
    opt.ignore_setup_error = false;
  EventTypeSet types;
  for (int i = 2; i < argc; ++i) {
    auto t = event_type_by_name(argv[i]);
    if (!t) {
      std::fprintf(stderr, "gvisor_config: unknown event type '%s'\n", argv[i]);
      return 2;
    }
    types.set(*t);
  }
  if (auto known = gvisor::installed_runsc_points(); known.ok()) opt.runsc_points = *known;
  if (argc <= 2) types = gvisor::GvisorSource({}).capabilities().event_types;
  std::fputs(gvisor::pod_init_config_json(types, opt).c_str(), stdout);
  return 0;
}
