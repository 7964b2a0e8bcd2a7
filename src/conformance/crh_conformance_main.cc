// Standalone `crh-conformance SUBCOMMAND ...` until `crh` itself dispatches to these entry points.
#include <cstring>
#include <iostream>

#include "src/conformance/conformance_main.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: crh-conformance conformance|conformance-report|gate [flags]\n";
    return 2;
  }
  const char* sub = argv[1];
  if (strcmp(sub, "conformance") == 0) return crh::conformance::ConformanceMain(argc - 1, argv + 1);
  if (strcmp(sub, "conformance-report") == 0) {
    return crh::conformance::ConformanceReportMain(argc - 1, argv + 1);
  }
  if (strcmp(sub, "gate") == 0) return crh::conformance::GateMain(argc - 1, argv + 1);
  std::cerr << "crh-conformance: unknown subcommand " << sub << "\n";
  return 2;
}
