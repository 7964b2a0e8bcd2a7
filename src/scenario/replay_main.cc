// A stand-alone `replay` for scenario work before `crh replay` is wired: the same flags.
//   bazel run //src/scenario:replay_tool -- [--backend fake|real] [--runtime NAME] [--junit F]
//       [--json F] [--root DIR] PATH...
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>

#include "src/scenario/replay.h"

int main(int argc, char** argv) {
  crh::ReplayOptions o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::cerr << argv[i] << " needs a value\n";
        std::exit(2);
      }
      out = argv[++i];
    };
    if (!std::strcmp(argv[i], "--backend")) value(o.backend);
    else if (!std::strcmp(argv[i], "--runtime")) value(o.runtime);
    else if (!std::strcmp(argv[i], "--junit")) value(o.junit);
    else if (!std::strcmp(argv[i], "--json")) value(o.json);
    else if (!std::strcmp(argv[i], "--root")) value(o.root);
    else o.paths.push_back(argv[i]);
  }
  spdlog::set_level(spdlog::level::off);
  return crh::RunReplay(o, std::cout, std::cerr);
}
