// Goal: every scenario checked in under scenarios/corpus and scenarios/regressions passes on the
// fake backend, and every scenario under scenarios/known_bugs still fails (each documents an
// engine bug; when one starts passing, the bug is fixed: move it to regressions/).
// Method: one gtest test case per file, registered at start-up from the runfiles; Bazel's
// sharding (TEST_SHARD_INDEX / TEST_TOTAL_SHARDS) splits them, and this main() touches
// TEST_SHARD_STATUS_FILE to say it supports sharding. A failure prints the replay command.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/scenario/runner.h"

namespace crh {
namespace {

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".json") out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TestName(const std::string& file) {
  std::string n = std::filesystem::path(file).stem().string();
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

class ScenarioCase : public ::testing::Test {
 public:
  ScenarioCase(std::string file, bool known_bug) : file_(std::move(file)), known_bug_(known_bug) {}
  void TestBody() override {
    ScenarioResult r = RunScenarioTextOnFakes(Read(file_), file_);
    std::string report = std::string(OutcomeName(r.outcome)) + ": " + r.message;
    for (size_t i = 1; i < r.details.size(); ++i) report += "\n  " + r.details[i];
    report += "\nreplay: crh replay " + file_;
    if (known_bug_) {
      EXPECT_EQ(r.outcome, ScenarioResult::Outcome::kFail)
          << "known engine bug scenario no longer fails; if the bug is fixed, move " << file_
          << " to scenarios/regressions/\n" << report;
    } else {
      EXPECT_EQ(r.outcome, ScenarioResult::Outcome::kPass) << report;
    }
  }

 private:
  std::string file_;
  bool known_bug_;
};

void RegisterAll() {
  for (const char* dir : {"scenarios/corpus", "scenarios/regressions", "scenarios/known_bugs"}) {
    const bool known_bug = std::string(dir) == "scenarios/known_bugs";
    const std::string suite = known_bug ? "KnownBugStillFails"
                              : std::string(dir) == "scenarios/corpus" ? "Corpus"
                                                                       : "Regression";
    for (const auto& f : Files(dir)) {
      ::testing::RegisterTest(suite.c_str(), TestName(f).c_str(), nullptr, f.c_str(), __FILE__,
                              __LINE__, [f, known_bug]() -> ::testing::Test* {
                                return new ScenarioCase(f, known_bug);
                              });
    }
  }
}

}  // namespace
}  // namespace crh

int main(int argc, char** argv) {
  if (const char* status = getenv("TEST_SHARD_STATUS_FILE")) std::ofstream touch(status);
  spdlog::set_level(spdlog::level::off);
  ::testing::InitGoogleTest(&argc, argv);
  crh::RegisterAll();
  return RUN_ALL_TESTS();
}
