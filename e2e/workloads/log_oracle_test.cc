// Goal: the generic oracle accepts exactly a healthy workload log and names what is wrong with
// any other: a restart (second "ready", numbers from 1 again), a lost step (a gap), a FAIL.
// Method: ParseLog/Problems over hand-written logs; WaitForOks/WaitForFail over files.
#include "e2e/workloads/log_oracle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace crh::workloads {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LogOracleTest, HealthyLogWithNoiseHasNoProblems) {
  LogSummary s = ParseLog("ready\nok 1\ndata 1.0 xxxx\nnote inotify: retried\nok 2\nok 3\nok");
  EXPECT_EQ(s.readies, 1u);
  EXPECT_THAT(s.oks, ElementsAre(1, 2, 3));  // "ok" without its newline is not read yet
  EXPECT_THAT(s.notes, ElementsAre("note inotify: retried"));
  EXPECT_EQ(Problems(s), "");
}

TEST(LogOracleTest, TerminalLineEndsAreLines) {
  LogSummary s = ParseLog("ready\r\nok 1\r\nok 2\r\nFAIL 3 tty\r\n");
  EXPECT_EQ(s.readies, 1u);
  EXPECT_THAT(s.oks, ElementsAre(1, 2));
  EXPECT_THAT(s.fails, ElementsAre("FAIL 3 tty"));
}

TEST(LogOracleTest, RestartGapRepeatAndFailAreProblems) {
  EXPECT_THAT(Problems(ParseLog("ready\nok 1\nok 2\nready\nok 1\n")), HasSubstr("started again"));
  EXPECT_THAT(Problems(ParseLog("ready\nok 1\nok 2\nok 4\n")), HasSubstr("a gap"));
  EXPECT_THAT(Problems(ParseLog("ready\nok 1\nok 2\nok 2\n")), HasSubstr("a repeat"));
  EXPECT_THAT(Problems(ParseLog("ready\nok 1\nFAIL 2 pipe: generation 1 differs\n")),
              HasSubstr("FAIL 2 pipe"));
  EXPECT_THAT(Problems(ParseLog("ok 1\n")), HasSubstr("without \"ready\""));
}

TEST(LogOracleTest, WaitersReadTheFile) {
  const std::string path = ::testing::TempDir() + "/ctr.log";
  std::ofstream(path) << "ready\nok 1\nok 2\n";
  EXPECT_TRUE(WaitForOks(path, 2, 100));
  ::testing::AssertionResult late = WaitForOks(path, 3, 100);
  EXPECT_FALSE(late);
  EXPECT_THAT(late.message(), HasSubstr("wanted 3 ok lines"));
  std::ofstream(path, std::ios::app) << "FAIL 3 the timer did not tick for 1 s\n";
  EXPECT_FALSE(WaitForOks(path, 3, 100));
  EXPECT_TRUE(WaitForFail(path, "did not tick", 100));
  EXPECT_FALSE(WaitForFail(path, "semaphore", 100));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace crh::workloads
