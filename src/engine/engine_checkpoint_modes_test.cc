// Goal: the engine keeps the figures of every checkpoint and restore (crh's and the runtime's
// durations, CRIU's stats image decoded) and never fails an operation over them; and
// `checkpoint --leave-running` leaves the container running with its record untouched but for
// the checkpoint metadata, while a later restore of that stale checkpoint is refused unless
// asked for with allow_stale (docs/state-machine.md, "Stale checkpoints").
// Method: FakeWorld, whose FakeRuntime writes real CRIU stats images through the filesystem
// seam; a FakeRuntime subclass that takes simulated time and damages the stats image it leaves;
// fs.read faults on the stats file; the fakes' ground truth (runtime status, pid, counter, IP,
// netns, files) compared before and after.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fakes/fake_world.h"
#include "src/base/probe.h"
#include "src/base/status_matchers.h"
#include "src/engine/engine.h"
#include "src/oci/criu_images.h"

namespace crh {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A FakeRuntime whose checkpoint and restore take simulated time, and which can replace the
// stats image it leaves with other bytes (or remove it).
class SlowRuntime : public FakeRuntime {
 public:
  SlowRuntime(std::shared_ptr<FakeFilesystem> fs, std::shared_ptr<SimulatedClock> clock,
              FaultPlanPtr plan)
      : FakeRuntime(fs, plan), fs_(std::move(fs)), clock_(std::move(clock)) {}

  Status Checkpoint(const std::string& id, const CheckpointOptions& opts) override {
    clock_->AdvanceMs(250);
    Status s = FakeRuntime::Checkpoint(id, opts);
    Tamper(opts.work_path + "/stats-dump");
    return s;
  }
  Status Restore(const std::string& id, const RestoreOptions& opts) override {
    clock_->AdvanceMs(120);
    Status s = FakeRuntime::Restore(id, opts);
    Tamper(opts.work_path + "/stats-restore");
    return s;
  }

  std::optional<std::string> stats_bytes;  // what to leave instead of the real image
  bool remove_stats = false;

 private:
  void Tamper(const std::string& path) {
    if (!fs_->Exists(path)) return;
    if (remove_stats) fs_->Remove(path).IgnoreError();  // the test checks what the engine says
    if (stats_bytes) fs_->SetFile(path, *stats_bytes);
  }
  std::shared_ptr<FakeFilesystem> fs_;
  std::shared_ptr<SimulatedClock> clock_;
};

class CheckpointModesTest : public ::testing::Test {
 protected:
  CheckpointModesTest() { Probes::Reset(); }

  Container RunWeb() {
    auto c = w_.engine->Run({.name = "web", .bundle = w_.MakeBundle("web")});
    EXPECT_THAT(c, IsOk());
    return *c;
  }
  Container Record() {
    auto c = w_.engine->Inspect("web");
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : Container{};
  }
  // The record and every file, to show that a refused operation changed nothing.
  std::pair<std::string, std::vector<std::string>> Snap(const Container& c) {
    return {*w_.fs->Peek(w_.engine->ContainerDir(c.id) + "/container.json"), w_.fs->AllFiles()};
  }

  FakeWorld w_{5};
};

// An engine over the world's network, filesystem and clock, with SlowRuntime as its runtime.
struct SlowWorld {
  explicit SlowWorld(FakeWorld& w)
      : runtime(std::make_shared<SlowRuntime>(w.fs, w.clock, w.plan)),
        engine(EngineDeps{.runtime = runtime,
                          .network = w.network,
                          .fs = w.fs,
                          .clock = w.clock,
                          .random = w.random,
                          .root = FakeWorld::kRoot}) {}
  std::shared_ptr<SlowRuntime> runtime;
  Engine engine;
};

// ---------------------------------------------------------------------------------------------
// Figures.

TEST_F(CheckpointModesTest, CheckpointAndRestoreKeepCriusFiguresInTheRecord) {
  Container c = RunWeb();
  auto cp = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  ASSERT_TRUE(cp->checkpoint_stats.has_value());
  const OperationStats& d = *cp->checkpoint_stats;
  EXPECT_EQ(d.criu_error, "");
  EXPECT_EQ(d.criu_file, w_.engine->ContainerDir(c.id) + "/stats-dump");
  ASSERT_EQ(d.criu.size(), 14u) << "every figure of the image";
  EXPECT_EQ(d.criu[0], (std::pair<std::string, uint64_t>{"freezing_time", 100}));
  EXPECT_EQ(d.criu[1], (std::pair<std::string, uint64_t>{"frozen_time", 300}));
  EXPECT_FALSE(w_.fs->Exists(d.criu_file)) << "read before the cleanup removed it";
  EXPECT_FALSE(cp->restore_stats.has_value());

  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->restore_stats.has_value());
  EXPECT_EQ(r->restore_stats->criu_error, "");
  ASSERT_EQ(r->restore_stats->criu.size(), 5u);
  EXPECT_EQ(r->restore_stats->criu[2], (std::pair<std::string, uint64_t>{"forking_time", 50}));
  EXPECT_EQ(r->checkpoint_stats, cp->checkpoint_stats) << "the last checkpoint's stay";
  // A fresh engine (another crh process: `crh inspect`) sees the same figures.
  auto fresh = w_.FreshEngine()->Inspect("web");
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->checkpoint_stats, r->checkpoint_stats);
  EXPECT_EQ(fresh->restore_stats, r->restore_stats);
}

TEST_F(CheckpointModesTest, DurationsAreCrhsAndTheRuntimesOwn) {
  SlowWorld slow(w_);
  auto c = slow.engine.Run({.name = "web", .bundle = w_.MakeBundle("web")});
  ASSERT_THAT(c, IsOk());
  auto cp = slow.engine.Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_EQ(cp->checkpoint_stats->runtime_duration_us, 250'000);
  EXPECT_GE(cp->checkpoint_stats->crh_duration_us, 250'000);
  auto r = slow.engine.Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->restore_stats->runtime_duration_us, 120'000);
  EXPECT_GE(r->restore_stats->crh_duration_us, 120'000);
}

TEST_F(CheckpointModesTest, AStatsImageThatDoesNotDecodeIsReportedNeverFatal) {
  struct Case {
    std::optional<std::string> bytes;
    bool remove;
    std::string says;
  };
  for (const Case& k : {Case{"dump: frozen_time=100\n", false, "no image magic"},
                        Case{std::string("\x40\x59\x10\x55\x06\x33\x09\x57\x09\0\0\0", 12), false,
                             "claims 9 bytes"},
                        Case{std::nullopt, true, "is missing"}}) {
    FakeWorld w(5);
    SlowWorld slow(w);
    slow.runtime->stats_bytes = k.bytes;
    slow.runtime->remove_stats = k.remove;
    auto c = slow.engine.Run({.name = "web", .bundle = w.MakeBundle("web")});
    ASSERT_THAT(c, IsOk());
    auto cp = slow.engine.Checkpoint("web", {});
    ASSERT_THAT(cp, IsOk()) << k.says;
    EXPECT_EQ(cp->state, ContainerState::kExited);
    EXPECT_TRUE(cp->checkpointed);
    const std::string file = slow.engine.ContainerDir(c->id) + "/stats-dump";
    EXPECT_THAT(cp->checkpoint_stats->criu_error, AllOf(HasSubstr(file), HasSubstr(k.says)));
    EXPECT_THAT(cp->checkpoint_stats->criu, IsEmpty());
    EXPECT_EQ(cp->checkpoint_stats->runtime_duration_us, 250'000) << "the rest is still there";
    EXPECT_THAT(slow.engine.warnings(), IsEmpty());
    auto r = slow.engine.Restore("web", {});
    ASSERT_THAT(r, IsOk()) << k.says;
    EXPECT_THAT(r->restore_stats->criu_error, HasSubstr("stats-restore"));
  }
  EXPECT_GE(Probes::Count("stats.criu_figures_unavailable"), 6);
}

TEST_F(CheckpointModesTest, AStatsImageOfTheWrongKindIsNamed) {
  SlowWorld slow(w_);
  criu::StatsEntry restore_figures;
  restore_figures.mutable_restore()->set_restore_time(1);
  slow.runtime->stats_bytes = EncodeStatsImage(restore_figures);
  ASSERT_THAT(slow.engine.Run({.name = "web", .bundle = w_.MakeBundle("web")}), IsOk());
  auto cp = slow.engine.Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_THAT(cp->checkpoint_stats->criu_error,
              HasSubstr("holds CRIU's restore figures, not its dump figures"));
}

TEST_F(CheckpointModesTest, AnUnreadableStatsFileIsReportedNeverFatal) {
  RunWeb();
  w_.plan->Add({.site = "fs.read", .subject = "stats-dump"});
  auto cp = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_THAT(cp->checkpoint_stats->criu_error, AllOf(HasSubstr("cannot read"),
                                                      HasSubstr("stats-dump")));
  EXPECT_TRUE(cp->checkpointed);
}

TEST_F(CheckpointModesTest, AFailedCheckpointKeepsTheLastFigures) {
  RunWeb();
  auto first = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(w_.engine->Restore("web", {}), IsOk());
  w_.plan->Add({.site = "runtime.checkpoint", .trigger = Trigger::Nth(1)});
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), StatusIs(Code::kUnavailable));
  EXPECT_EQ(Record().checkpoint_stats, first->checkpoint_stats);
}

// ---------------------------------------------------------------------------------------------
// --leave-running.

TEST_F(CheckpointModesTest, LeaveRunningChangesOnlyTheCheckpointMetadata) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 5);
  w_.clock->AdvanceMs(1000);
  auto cp = w_.engine->Checkpoint("web", {.leave_running = true});
  ASSERT_THAT(cp, IsOk());
  EXPECT_EQ(cp->state, ContainerState::kRunning);
  EXPECT_EQ(w_.runtime->StatusOf(c.id), RuntimeStatus::kRunning);
  EXPECT_EQ(w_.network->IpOf(c.id), c.Ip());
  EXPECT_TRUE(w_.network->LiveNetns().count(c.netns_path));
  // The record is the one before, but for the checkpoint's metadata.
  Container want = c;
  want.checkpointed_at_ms = w_.clock->NowMs();
  want.checkpoint_left_running = true;
  want.checkpoint_stats = cp->checkpoint_stats;
  EXPECT_EQ(Record().ToJson(), want.ToJson());
  ASSERT_TRUE(cp->checkpoint_stats.has_value());
  EXPECT_EQ(cp->checkpoint_stats->criu_error, "");
  // Complete images and the address to come back to; the work files go, as after a checkpoint.
  EXPECT_TRUE(w_.engine->HasCompleteCheckpoint(*cp));
  auto files = w_.ContainerFiles(c.id);
  EXPECT_THAT(files, Contains("network.status"));
  EXPECT_THAT(files, ::testing::Not(Contains("stats-dump")));
  EXPECT_THAT(files, ::testing::Not(Contains("dump.log")));
  // The process works on.
  w_.runtime->Tick(c.id, 1);
  EXPECT_EQ(w_.runtime->Counter(c.id), 6u);
  EXPECT_EQ(Probes::Count("checkpoint.left_running"), 1);
}

TEST_F(CheckpointModesTest, LeaveRunningWithKeepKeepsTheWorkFiles) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {.keep = true, .leave_running = true}), IsOk());
  auto files = w_.ContainerFiles(c.id);
  EXPECT_THAT(files, Contains("stats-dump"));
  EXPECT_THAT(files, Contains("dump.log"));
}

TEST_F(CheckpointModesTest, LeaveRunningIsOnlyForARunningContainer) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Pause("web"), IsOk());
  auto before = Snap(c);
  EXPECT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}),
              StatusIs(Code::kFailedPrecondition,
                       AllOf(HasSubstr("checkpoint --leave-running"), HasSubstr("paused"))));
  EXPECT_EQ(Snap(c), before);
}

TEST_F(CheckpointModesTest, AFailedLeaveRunningDumpLeavesNoStaleMark) {
  Container c = RunWeb();
  w_.plan->Add({.site = "runtime.checkpoint", .trigger = Trigger::Nth(1),
                .effect = FaultEffect::kPartialWrite});
  EXPECT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}),
              StatusIs(Code::kUnavailable, HasSubstr("still running")));
  Container now = Record();
  EXPECT_EQ(now.state, ContainerState::kRunning);
  EXPECT_FALSE(now.checkpoint_left_running);
  EXPECT_FALSE(w_.fs->Exists(w_.engine->CheckpointDir(c.id)));
}

TEST_F(CheckpointModesTest, RestoreOfALeaveRunningCheckpointIsRefusedWhileItRuns) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}), IsOk());
  auto before = Snap(c);
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition,
                       AllOf(HasSubstr("running on from its checkpoint --leave-running of"),
                             HasSubstr("stop it first"), HasSubstr("--allow-stale"))));
  EXPECT_THAT(w_.engine->Restore("web", {.allow_stale = true}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("stop it first")));
  EXPECT_EQ(Snap(c), before);
}

TEST_F(CheckpointModesTest, AfterAStopTheStaleCheckpointNeedsAllowStale) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 4);
  ASSERT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}), IsOk());
  w_.runtime->Tick(c.id, 10);  // the process works on: 14
  ASSERT_THAT(w_.engine->Stop("web", 100), IsOk());

  auto before = Snap(c);
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition,
                       AllOf(HasSubstr("is stale"), HasSubstr("--allow-stale"),
                             HasSubstr("checkpoint --leave-running of 2023-11-14"))));
  EXPECT_EQ(Snap(c), before) << "a refused restore changes nothing";
  EXPECT_EQ(Probes::Count("restore.refused_stale"), 1);

  auto r = w_.engine->Restore("web", {.allow_stale = true});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->state, ContainerState::kRunning);
  EXPECT_EQ(r->Ip(), c.Ip()) << "network.status was written by the --leave-running checkpoint";
  EXPECT_EQ(w_.runtime->Counter(c.id), 4u) << "back to the checkpoint's moment";
  EXPECT_THAT(w_.engine->warnings(),
              ElementsAre(AllOf(HasSubstr("stale checkpoint --leave-running"),
                                HasSubstr("what the process did since is lost"))));
}

TEST_F(CheckpointModesTest, AllowStaleOnACheckpointThatIsNotStaleIsRefused) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  auto before = Snap(c);
  EXPECT_THAT(w_.engine->Restore("web", {.allow_stale = true}),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr("--allow-stale"), HasSubstr("is not stale"))));
  EXPECT_EQ(Snap(c), before);
  EXPECT_THAT(w_.engine->Restore("web", {}), IsOk());
}

TEST_F(CheckpointModesTest, AnOrdinaryCheckpointReplacesTheStaleOne) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}), IsOk());
  w_.runtime->Tick(c.id, 7);
  auto cp = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_FALSE(cp->checkpoint_left_running);
  ASSERT_THAT(w_.engine->Restore("web", {}), IsOk());
  EXPECT_EQ(w_.runtime->Counter(c.id), 7u);
}

TEST_F(CheckpointModesTest, ACrashDuringALeaveRunningCheckpointKeepsTheGuard) {
  Container c = RunWeb();
  w_.plan->Add({.site = "engine.checkpoint.after_dump", .trigger = Trigger::Nth(1),
                .effect = FaultEffect::kCrash});
  ASSERT_THAT(w_.engine->Checkpoint("web", {.leave_running = true}), StatusIs(Code::kAborted));
  auto fresh = w_.FreshEngine();
  auto s = fresh->Sync("web");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->state, ContainerState::kRunning);
  EXPECT_EQ(s->pending, PendingOp::kNone);
  ASSERT_THAT(fresh->Stop("web", 100), IsOk());
  EXPECT_THAT(fresh->Restore("web", {}), StatusIs(Code::kFailedPrecondition, HasSubstr("stale")));
  EXPECT_THAT(fresh->Restore("web", {.allow_stale = true}), IsOk());
}

}  // namespace
}  // namespace crh
