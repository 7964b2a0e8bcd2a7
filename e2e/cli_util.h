#pragma once
// Small helpers shared by the suites that drive the crh binary (runc_spec_cli_test,
// stats_cli_test): reading what a command left in a file, and the counter lines a busybox
// counter container writes to its log.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace crh::e2e {

// The whole file; "" if it cannot be read.
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every line of `log` that is a plain number, in order.
inline std::vector<uint64_t> Numbers(const std::string& log) {
  std::vector<uint64_t> out;
  std::stringstream ss(log);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && std::all_of(line.begin(), line.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
      out.push_back(std::stoull(line));
    }
  }
  return out;
}

}  // namespace crh::e2e
