// daemon_scenario_writer FILE — writes the alert scenario capture (see
// scenario.h) for tests that drive the real binary from a script.
#include <cstdio>

#include "tests/daemon/scenario.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  kestrel::testing::write_alert_scenario_to(argv[1]);
  return 0;
}
