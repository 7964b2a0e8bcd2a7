// Goal: the generic oracle accepts exactly a healthy workload log and names what is wrong with
// any other: a restart (second "ready", numbers from 1 again), a lost step (a gap), a FAIL.
// Method: ParseLog/Problems over hand-written logs; WaitForOks/WaitForFail over files.
#include "src/workloads/log_oracle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "src/base/status_matchers.h"

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
  EXPECT_THAT(WaitForOks(path, 2, 100), IsOk());
  EXPECT_THAT(WaitForOks(path, 3, 100),
              StatusIs(Code::kDeadlineExceeded, HasSubstr("wanted 3 ok lines")));
  EXPECT_THAT(WaitForNote(path, "note exec joined", 100), StatusIs(Code::kDeadlineExceeded));
  std::ofstream(path, std::ios::app) << "note exec joined pid 7\n";
  EXPECT_THAT(WaitForNote(path, "note exec joined", 100), IsOk());
  std::ofstream(path, std::ios::app) << "FAIL 3 the timer did not tick for 1 s\n";
  EXPECT_THAT(WaitForOks(path, 3, 100), StatusIs(Code::kFailedPrecondition, HasSubstr("did not tick")));
  EXPECT_THAT(WaitForFail(path, "did not tick", 100), IsOk());
  EXPECT_THAT(WaitForFail(path, "semaphore", 100), StatusIs(Code::kDeadlineExceeded));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace crh::workloads
