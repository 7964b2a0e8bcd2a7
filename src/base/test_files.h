#pragma once
// Files for tests: a fresh scratch directory under the test's own temp dir, and a whole file
// read back. Test-only (//src/base:test_files).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace crh {

// $TEST_TMPDIR (or /tmp)/NAME-PID, emptied and created.
inline std::string FreshTestDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  std::filesystem::path p =
      std::filesystem::path(t ? t : "/tmp") / (name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// The whole file; "" if it cannot be read.
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace crh
