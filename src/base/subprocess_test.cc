// Goal: RunCommand reports exit codes, output, signals and timeouts faithfully, since every real
// driver's error messages are built from it.
#include "src/base/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

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

TEST(RunInProcessGroupTest, TimeoutKillsTheWholeGroup) {
  // The child starts a grandchild in its group and waits; on timeout both must die, as CRIU must
  // when the runtime that started it is killed.
  char tmpl[] = "/tmp/crh-pg-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string pidfile = std::string(tmpl) + "/pid";
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(null_fd, 0);
  auto r = RunInProcessGroup({"/bin/sh", "-c", "sleep 30 & echo $! > " + pidfile + "; wait"},
                             CurrentEnvironment(), {null_fd, null_fd, null_fd}, "", 300);
  close(null_fd);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->timed_out);
  std::ifstream in(pidfile);
  pid_t grandchild = 0;
  in >> grandchild;
  ASSERT_GT(grandchild, 0);
  // Reaped by init soon after SIGKILL; kill(pid, 0) fails once it is gone.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = kill(grandchild, 0) != 0;
    if (!gone) usleep(10'000);
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the timeout";
  std::remove(pidfile.c_str());
  rmdir(tmpl);
}

TEST(RunInProcessGroupTest, GivesExactlyTheStdioAndEnvironment) {
  char tmpl[] = "/tmp/crh-pg-out-XXXXXX";
  int out = mkostemp(tmpl, O_CLOEXEC);
  ASSERT_GE(out, 0);
  unlink(tmpl);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto r = RunInProcessGroup({"/bin/sh", "-c", "echo $ONLY; ls /proc/self/fd | wc -l; exit 4"},
                             {{"ONLY", "this"}, {"PATH", "/usr/bin:/bin"}}, {null_fd, out, out},
                             "/", 5000);
  close(null_fd);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 4);
  char buf[256] = {};
  ssize_t n = pread(out, buf, sizeof buf - 1, 0);
  close(out);
  ASSERT_GT(n, 0);
  // fds 0, 1, 2 and the one `ls` opens on /proc/self/fd: nothing leaked from this process.
  EXPECT_EQ(std::string(buf), "this\n4\n");
}

}  // namespace
}  // namespace crh
