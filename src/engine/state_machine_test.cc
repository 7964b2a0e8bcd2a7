// Goal: the transition table is total, refusals explain themselves, and docs/state-machine.md
// draws exactly the table the code enforces.
// Method: parse the markdown table and compare every cell with LookupTransition.
#include "src/engine/state_machine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::vector<std::string> SplitRow(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  std::getline(ss, cell, '|');  // before the first '|'
  while (std::getline(ss, cell, '|')) {
    auto b = cell.find_first_not_of(' ');
    auto e = cell.find_last_not_of(' ');
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  if (!cells.empty() && cells.back().empty()) cells.pop_back();
  return cells;
}

std::string Expected(const Transition& t) {
  if (!t.allowed) return "—";
  if (t.to) return std::string(StateName(*t.to));
  return "";  // observed or removed: checked by the op
}

TEST(StateMachineTest, DocsTableMatchesCode) {
  std::ifstream in("docs/state-machine.md");
  ASSERT_TRUE(in) << "docs/state-machine.md not found in runfiles";
  std::string line;
  int rows = 0;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.rfind("| from \\ op |", 0) == 0) {
      // The columns are the operations, in the enum's order and under their own names.
      auto names = SplitRow(line);
      ASSERT_EQ(names.size(), kNumOperations + 1u) << line;
      for (int op = 0; op < kNumOperations; ++op) {
        EXPECT_EQ(names[op + 1], OperationName(static_cast<Operation>(op))) << "column " << op;
      }
      header = true;
      continue;
    }
    if (line.rfind("| ", 0) != 0) continue;
    auto cells = SplitRow(line);
    if (cells.size() != kNumOperations + 1) continue;
    auto st = StateFromName(cells[0]);
    if (!st.ok()) continue;
    ++rows;
    for (int op = 0; op < kNumOperations; ++op) {
      const Transition& t = LookupTransition(*st, static_cast<Operation>(op));
      const std::string& doc = cells[op + 1];
      std::string want = Expected(t);
      if (want.empty()) {
        want = static_cast<Operation>(op) == Operation::kRemove ||
                       static_cast<Operation>(op) == Operation::kForceRemove
                   ? "removed"
                   : "observed";
      }
      EXPECT_EQ(doc, want) << "state " << cells[0] << ", operation "
                           << OperationName(static_cast<Operation>(op));
    }
  }
  EXPECT_TRUE(header) << "no \"| from \\ op |\" header row";
  EXPECT_EQ(rows, kNumStates) << "the docs table must have one row per state";
}

TEST(StateMachineTest, TableIsTotalAndRefusalsNameEverything) {
  for (int s = 0; s < kNumStates; ++s) {
    for (int op = 0; op < kNumOperations; ++op) {
      Container c;
      c.id = "0123456789abcdef";
      c.name = "web";
      c.state = static_cast<ContainerState>(s);
      Status st = CheckTransition(c, static_cast<Operation>(op));
      const Transition& t = LookupTransition(c.state, static_cast<Operation>(op));
      if (t.allowed) {
        EXPECT_THAT(st, IsOk());
      } else {
        EXPECT_THAT(st.message(),
                    AllOf(HasSubstr("web"), HasSubstr("0123456789ab"),
                          HasSubstr(std::string(StateName(c.state))),
                          HasSubstr(std::string(OperationName(static_cast<Operation>(op))))));
        EXPECT_EQ(st.code(), c.state == ContainerState::kRemoved ? Code::kNotFound
                                                                  : Code::kFailedPrecondition);
      }
    }
  }
}

TEST(StateMachineTest, SeedRulesHold) {
  // Checkpoint only from running; restore only from configured or exited.
  for (int s = 0; s < kNumStates; ++s) {
    auto st = static_cast<ContainerState>(s);
    EXPECT_EQ(LookupTransition(st, Operation::kCheckpoint).allowed, st == ContainerState::kRunning);
    // --leave-running: from running only, and the container stays running.
    const Transition& lr = LookupTransition(st, Operation::kCheckpointLeaveRunning);
    EXPECT_EQ(lr.allowed, st == ContainerState::kRunning);
    if (lr.allowed) {
      EXPECT_EQ(lr.to, ContainerState::kRunning);
    }
    EXPECT_EQ(LookupTransition(st, Operation::kRestore).allowed,
              st == ContainerState::kConfigured || st == ContainerState::kExited);
  }
  Container c{.id = "abc", .name = "web", .state = ContainerState::kPaused};
  EXPECT_THAT(CheckTransition(c, Operation::kCheckpoint),
              StatusIs(Code::kFailedPrecondition, HasSubstr("unpause it first")));
}

}  // namespace
}  // namespace crh
