// Goal: RunCommand reports exit codes, output, signals and timeouts faithfully, since every real
// driver's error messages are built from it.
#include "src/base/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  auto r = RunCommand({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_THAT(r->Describe("sh"), HasSubstr("sh exited 3: err"));
}

TEST(RunCommandTest, FeedsStdinAndEnvironment) {
  auto r = RunCommand({.argv = {"sh", "-c", "cat; echo $FOO"},
                       .env_add = {{"FOO", "bar"}},
                       .stdin_data = std::string(200000, 'x')});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->out.size(), 200000u + 4);
  EXPECT_EQ(r->out.substr(200000), "bar\n");
}

TEST(RunCommandTest, TimesOutAndReportsSignal) {
  auto r = RunCommand({.argv = {"sleep", "10"}, .timeout_ms = 100});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
}

TEST(RunCommandTest, MissingProgramIsUnavailable) {
  EXPECT_THAT(RunCommand({.argv = {"/nonexistent/crh-nope"}}), StatusIs(Code::kUnavailable));
}

}  // namespace
}  // namespace crh
