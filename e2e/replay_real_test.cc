// Goal: every scenario marked for the real backend replays green on every runtime in the
// toolchain manifest, exactly as `crh replay --backend real --runtime NAME scenarios/` does.
// Method: one test per runtime runs RunReplay over the whole scenarios/ folder and requires no
// failure and at least one real scenario run; the replay report is printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "e2e/backend.h"
#include "src/scenario/replay.h"

namespace crh::e2e {
namespace {

class ReplayRealTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplayRealTest, RealCapableCorpusPasses) {
  ASSERT_NE(GetParam(), "missing-toolchain")
      << "no toolchain manifest: run `sudo ci/setup.sh` first";
  std::ostringstream out, err;
  const std::string json = ::testing::TempDir() + "/replay-" + SafeName(GetParam()) + ".json";
  int rc = RunReplay({.paths = {"scenarios"}, .backend = "real", .runtime = GetParam(),
                      .json = json},
                     out, err);
  std::cout << out.str();
  EXPECT_EQ(rc, 0) << err.str();
  EXPECT_THAT(out.str(), ::testing::HasSubstr("0 failed"));
  EXPECT_THAT(out.str(), ::testing::Not(::testing::HasSubstr(": 0 passed")));
}

INSTANTIATE_TEST_SUITE_P(Runtimes, ReplayRealTest, ::testing::ValuesIn(BackendNames(false)),
                         [](const auto& info) { return SafeName(info.param); });

}  // namespace
}  // namespace crh::e2e
