// kestrel — the collector executable. All behaviour lives in run_kestrel().
#include <iostream>

#include "app/cli.h"

int main(int argc, char** argv) { return kestrel::run_kestrel(argc, argv, std::cout, std::cerr); }
