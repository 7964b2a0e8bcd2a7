// make_bundle DIR [--netns PATH] -- CMD...: writes a busybox OCI bundle (bundle.h) into DIR, for
// trying runtimes by hand: `runc --root /tmp/r run -b DIR id`.
#include <iostream>
#include <string>
#include <vector>

#include "src/oci/bundle.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: make_bundle DIR [--netns PATH] -- CMD...\n";
    return 2;
  }
  crh::BundleOptions opts;
  std::vector<std::string> cmd;
  int i = 2;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) {
    if (std::string(argv[i]) == "--netns" && i + 1 < argc) opts.netns_path = argv[++i];
  }
  for (++i; i < argc; ++i) cmd.push_back(argv[i]);
  crh::Status s = crh::MakeBusyboxBundle(argv[1], cmd, opts);
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
