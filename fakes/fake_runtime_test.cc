// Goal: FakeRuntime answers like runc for everything an engine can observe: the lifecycle and its
// refusals, the exact checkpoint file set, restore continuing the process from its image, each
// runtime.* fault site's documented effect, and held state (crh.fake/holds) refused or dropped
// as CRIU does. Method: run a container through the calls on a FakeFilesystem, then inspect the
// runtime (State, Counter, LiveContainers, HeldStateOf) and the files left on the filesystem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "fakes/fake_filesystem.h"
#include "fakes/fake_runtime.h"
#include "src/base/status_matchers.h"
#include "src/faults/fault_plan.h"
#include "src/oci/criu_images.h"

namespace crh {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kBundle = "/bundles/web";
constexpr const char* kImage = "/ckpt/web/image";
constexpr const char* kWork = "/ckpt/web/work";

class FakeRuntimeTest : public ::testing::Test {
 protected:
  FakeRuntimeTest() { MakeRuntime(nullptr); }

  // A fresh filesystem and runtime; the filesystem shares the plan only if `fs_faults`.
  void MakeRuntime(FaultPlanPtr plan, bool fs_faults = false) {
    plan_ = plan ? plan : std::make_shared<FaultPlan>();
    fs_ = std::make_shared<FakeFilesystem>(fs_faults ? plan_ : nullptr);
    rt_ = std::make_shared<FakeRuntime>(fs_, plan_);
    fs_->SetFile(std::string(kBundle) + "/config.json", R"({"ociVersion":"1.0.2",
        "linux":{"namespaces":[{"type":"pid"},
                               {"type":"network","path":"/run/netns/crh-web"}]}})");
  }

  // A running container "web" whose counter is `ticks`.
  void StartWeb(uint64_t ticks = 0) {
    ASSERT_THAT(rt_->Create("web", {.bundle = kBundle}), IsOk());
    ASSERT_THAT(rt_->Start("web"), IsOk());
    rt_->Tick("web", ticks);
  }

  std::vector<std::string> FilesUnder(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& f : fs_->AllFiles()) {
      if (f.rfind(dir + "/", 0) == 0) out.push_back(f.substr(dir.size() + 1));
    }
    return out;
  }

  CheckpointOptions Ckpt() { return {.image_path = kImage, .work_path = kWork}; }
  RestoreOptions Rest() { return {.bundle = kBundle, .image_path = kImage, .work_path = kWork}; }

  FaultPlanPtr plan_;
  std::shared_ptr<FakeFilesystem> fs_;
  std::shared_ptr<FakeRuntime> rt_;
};

TEST_F(FakeRuntimeTest, LifecycleLikeRunc) {
  EXPECT_EQ(rt_->Name(), "fake");
  ASSERT_THAT(rt_->Create("web", {.bundle = kBundle}), IsOk());
  auto st = rt_->State("web");
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->status, RuntimeStatus::kCreated);
  EXPECT_EQ(st->pid, 1000);
  EXPECT_EQ(st->bundle, kBundle);
  EXPECT_EQ(rt_->NetnsOf("web"), "/run/netns/crh-web");

  ASSERT_THAT(rt_->Start("web"), IsOk());
  EXPECT_EQ(rt_->State("web")->status, RuntimeStatus::kRunning);
  ASSERT_THAT(rt_->Pause("web"), IsOk());
  EXPECT_EQ(rt_->State("web")->status, RuntimeStatus::kPaused);
  ASSERT_THAT(rt_->Resume("web"), IsOk());
  ASSERT_THAT(rt_->Kill("web", 15), IsOk());
  EXPECT_EQ(rt_->State("web")->status, RuntimeStatus::kStopped);
  EXPECT_EQ(rt_->ExitCode("web"), 143);
  ASSERT_THAT(rt_->Delete("web", false), IsOk());
  EXPECT_THAT(rt_->State("web"), StatusIs(Code::kNotFound));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());

  ASSERT_THAT(rt_->Create("db", {.bundle = kBundle}), IsOk());
  EXPECT_EQ(rt_->State("db")->pid, 1001);  // pids are sequential
}

TEST_F(FakeRuntimeTest, RefusalsLikeRunc) {
  EXPECT_THAT(rt_->Create("web", {.bundle = "/bundles/absent"}),
              StatusIs(Code::kNotFound, HasSubstr("config.json")));
  fs_->SetFile("/bundles/bad/config.json", "{not json");
  EXPECT_THAT(rt_->Create("web", {.bundle = "/bundles/bad"}),
              StatusIs(Code::kInvalidArgument, HasSubstr("/bundles/bad/config.json")));
  EXPECT_THAT(rt_->Create("../evil", {.bundle = kBundle}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());

  for (auto s : {rt_->Start("x"), rt_->Kill("x", 9), rt_->Delete("x", true), rt_->Pause("x"),
                 rt_->Resume("x"), rt_->Checkpoint("x", Ckpt())}) {
    EXPECT_THAT(s, StatusIs(Code::kNotFound));
  }
  EXPECT_THAT(rt_->State("x"), StatusIs(Code::kNotFound));

  ASSERT_THAT(rt_->Create("web", {.bundle = kBundle}), IsOk());
  EXPECT_THAT(rt_->Create("web", {.bundle = kBundle}), StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(rt_->Pause("web"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(rt_->Resume("web"), StatusIs(Code::kFailedPrecondition));
  ASSERT_THAT(rt_->Start("web"), IsOk());
  EXPECT_THAT(rt_->Start("web"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(rt_->Resume("web"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(rt_->Delete("web", false), StatusIs(Code::kFailedPrecondition));
  ASSERT_THAT(rt_->Pause("web"), IsOk());
  EXPECT_THAT(rt_->Delete("web", false), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(rt_->Pause("web"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(rt_->Delete("web", true), IsOk());
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
}

TEST_F(FakeRuntimeTest, KillOnlyStopsOnKillAndTerm) {
  StartWeb();
  EXPECT_THAT(rt_->Kill("web", 1), IsOk());  // SIGHUP: nothing happens
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
  EXPECT_THAT(rt_->Kill("web", 9), IsOk());
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kStopped);
  EXPECT_EQ(rt_->State("web")->pid, 0);
  EXPECT_THAT(rt_->Kill("web", 9), StatusIs(Code::kFailedPrecondition, HasSubstr("not running")));
  EXPECT_THAT(rt_->Kill("web", 99), StatusIs(Code::kInvalidArgument));
}

TEST_F(FakeRuntimeTest, ProcessKeepsWorkingOnlyWhileRunning) {
  StartWeb(5);
  EXPECT_EQ(rt_->Counter("web"), 5u);
  ASSERT_THAT(rt_->Pause("web"), IsOk());
  rt_->Tick("web", 10);
  EXPECT_EQ(rt_->Counter("web"), 5u);
  ASSERT_THAT(rt_->Resume("web"), IsOk());
  rt_->Tick("web");
  EXPECT_EQ(rt_->Counter("web"), 6u);
  rt_->ExitProcess("web", 3);
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kStopped);
  EXPECT_EQ(rt_->ExitCode("web"), 3);
  EXPECT_EQ(rt_->Counter("nobody"), std::nullopt);
}

TEST_F(FakeRuntimeTest, CheckpointWritesTheExactFileSetAndDeletesTheContainer) {
  StartWeb(41);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  EXPECT_THAT(FilesUnder(kImage), ElementsAre("core-1.img", "descriptors.json", "inventory.img",
                                              "pagemap-1.img", "pages-1.img"));
  EXPECT_THAT(FilesUnder(kWork), ElementsAre("dump.log", "stats-dump"));
  EXPECT_THAT(rt_->State("web"), StatusIs(Code::kNotFound));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  // stats-dump is a CRIU stats image, as the engine decodes it.
  auto stats = DecodeStatsImage(*fs_->Peek(std::string(kWork) + "/stats-dump"), "stats-dump");
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->kind, "dump");
  EXPECT_EQ(stats->fields.size(), 14u) << "every field CRIU 4.2.1 writes";
  EXPECT_EQ(stats->Get("frozen_time"), 300u);
  const uint64_t pages = (fs_->Peek(std::string(kImage) + "/pages-1.img")->size() + 4095) / 4096;
  EXPECT_EQ(stats->Get("pages_written"), pages) << "pages-1.img in 4 KiB pages";
}

TEST_F(FakeRuntimeTest, CheckpointWritesInventoryLast) {
  // Fail the last write of the dump: every other image file is there, inventory.img is not.
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "fs.write", .subject = "inventory.img"});
  MakeRuntime(plan, /*fs_faults=*/true);
  StartWeb();
  Status s = rt_->Checkpoint("web", Ckpt());
  EXPECT_THAT(s, StatusIs(Code::kUnavailable));
  EXPECT_EQ(s.injected_site(), "fs.write");
  EXPECT_THAT(FilesUnder(kImage), ElementsAre("core-1.img", "descriptors.json", "pagemap-1.img",
                                              "pages-1.img"));
  EXPECT_THAT(FilesUnder(kWork), ElementsAre("dump.log", "stats-dump"));
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);  // a failed dump leaves it running
}

TEST_F(FakeRuntimeTest, CheckpointRefusesCreatedAndStopped) {
  ASSERT_THAT(rt_->Create("web", {.bundle = kBundle}), IsOk());
  EXPECT_THAT(rt_->Checkpoint("web", Ckpt()),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("container cannot be checkpointed in created state")));
  ASSERT_THAT(rt_->Kill("web", 9), IsOk());
  EXPECT_THAT(rt_->Checkpoint("web", Ckpt()),
              StatusIs(Code::kFailedPrecondition, HasSubstr("stopped state")));
  EXPECT_THAT(fs_->AllFiles(), ElementsAre(std::string(kBundle) + "/config.json"));
}

TEST_F(FakeRuntimeTest, CheckpointOfPausedContainerWithLeaveRunning) {
  StartWeb(3);
  ASSERT_THAT(rt_->Pause("web"), IsOk());
  auto opts = Ckpt();
  opts.leave_running = true;
  ASSERT_THAT(rt_->Checkpoint("web", opts), IsOk());
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kPaused);
  EXPECT_THAT(FilesUnder(kImage), Contains("inventory.img"));
}

TEST_F(FakeRuntimeTest, LeaveRunningKeepsTheContainerWorking) {
  StartWeb(10);
  auto opts = Ckpt();
  opts.leave_running = true;
  ASSERT_THAT(rt_->Checkpoint("web", opts), IsOk());
  EXPECT_EQ(rt_->State("web")->status, RuntimeStatus::kRunning);
  rt_->Tick("web");
  EXPECT_EQ(rt_->Counter("web"), 11u);
  EXPECT_THAT(FilesUnder(kImage), Contains("inventory.img"));
}

TEST_F(FakeRuntimeTest, PreDumpWritesOnlyPagesAndKeepsRunning) {
  StartWeb(2);
  auto opts = Ckpt();
  opts.pre_dump = true;
  ASSERT_THAT(rt_->Checkpoint("web", opts), IsOk());
  EXPECT_THAT(FilesUnder(kImage), ElementsAre("pagemap-1.img", "pages-1.img"));
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
}

TEST_F(FakeRuntimeTest, WorkPathDefaultsToImagePath) {
  StartWeb();
  ASSERT_THAT(rt_->Checkpoint("web", {.image_path = kImage}), IsOk());
  EXPECT_THAT(FilesUnder(kImage), Contains("dump.log"));
}

TEST_F(FakeRuntimeTest, RestoreContinuesTheCounterWithANewPid) {
  StartWeb(41);
  const int old_pid = rt_->State("web")->pid;
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  fs_->SetFile("/bundles/web2/config.json",
               R"({"linux":{"namespaces":[{"type":"network","path":"/run/netns/other"}]}})");
  auto opts = Rest();
  opts.bundle = "/bundles/web2";
  ASSERT_THAT(rt_->Restore("web", opts), IsOk());
  auto st = rt_->State("web");
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->status, RuntimeStatus::kRunning);
  EXPECT_NE(st->pid, old_pid);
  EXPECT_EQ(st->bundle, "/bundles/web2");
  EXPECT_EQ(rt_->NetnsOf("web"), "/run/netns/other");
  EXPECT_EQ(rt_->Counter("web"), 41u);
  rt_->Tick("web");
  EXPECT_EQ(rt_->Counter("web"), 42u);
  EXPECT_THAT(FilesUnder(kWork), ElementsAre("dump.log", "restore.log", "stats-dump",
                                             "stats-restore"));
  EXPECT_THAT(*fs_->Peek(std::string(kWork) + "/restore.log"), HasSubstr("successfully"));
  auto stats = DecodeStatsImage(*fs_->Peek(std::string(kWork) + "/stats-restore"), "r");
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->kind, "restore");
  EXPECT_EQ(stats->Get("restore_time"), 150u);
  EXPECT_EQ(stats->Get("pages_restored"),
            (fs_->Peek(std::string(kImage) + "/pages-1.img")->size() + 4095) / 4096);
}

TEST_F(FakeRuntimeTest, RestoreRefusesAKnownId) {
  StartWeb();
  auto opts = Ckpt();
  opts.leave_running = true;
  ASSERT_THAT(rt_->Checkpoint("web", opts), IsOk());
  EXPECT_THAT(rt_->Restore("web", Rest()), StatusIs(Code::kAlreadyExists));
}

TEST_F(FakeRuntimeTest, RestoreWithoutInventoryIsNotFound) {
  StartWeb(7);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  ASSERT_THAT(fs_->Remove(std::string(kImage) + "/inventory.img"), IsOk());
  EXPECT_THAT(rt_->Restore("web", Rest()),
              StatusIs(Code::kNotFound, HasSubstr("inventory.img missing")));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  EXPECT_THAT(*fs_->Peek(std::string(kWork) + "/restore.log"), HasSubstr("FAILED"));
  EXPECT_FALSE(fs_->Exists(std::string(kWork) + "/stats-restore"));
}

TEST_F(FakeRuntimeTest, RestoreOfTruncatedPagesIsDataLoss) {
  StartWeb(7);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  const std::string pages = std::string(kImage) + "/pages-1.img";
  fs_->Truncate(pages, fs_->Peek(pages)->size() - 1);
  EXPECT_THAT(rt_->Restore("web", Rest()),
              StatusIs(Code::kDataLoss, HasSubstr("restore.log excerpt")));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  EXPECT_THAT(*fs_->Peek(std::string(kWork) + "/restore.log"), HasSubstr("truncated"));
}

TEST_F(FakeRuntimeTest, RestoreOfCorruptPagesIsDataLoss) {
  StartWeb(7);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  const std::string pages = std::string(kImage) + "/pages-1.img";
  std::string data = *fs_->Peek(pages);
  data[data.size() - 10] ^= 1;
  fs_->SetFile(pages, data);
  EXPECT_THAT(rt_->Restore("web", Rest()), StatusIs(Code::kDataLoss, HasSubstr("checksum")));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
}

TEST_F(FakeRuntimeTest, PagesEncodingRoundTripsAndDetectsDamage) {
  const std::string enc = FakeRuntime::EncodePages(123456789);
  EXPECT_EQ(*FakeRuntime::DecodePages(enc), 123456789u);
  for (size_t cut : {size_t{0}, size_t{5}, enc.size() / 2, enc.size() - 1}) {
    EXPECT_THAT(FakeRuntime::DecodePages(enc.substr(0, cut)), StatusIs(Code::kDataLoss)) << cut;
  }
}

// --- Fault sites ---

TEST_F(FakeRuntimeTest, SimpleSitesFailAndChangeNothing) {
  struct Case {
    const char* site;
    std::function<Status(FakeRuntime&)> op;
    RuntimeStatus after;
  };
  const std::vector<Case> cases = {
      {"runtime.start", [](FakeRuntime& r) { return r.Start("web"); }, RuntimeStatus::kCreated},
      {"runtime.state", [](FakeRuntime& r) { return r.State("web").status(); },
       RuntimeStatus::kCreated},
      {"runtime.kill", [](FakeRuntime& r) { return r.Kill("web", 9); }, RuntimeStatus::kCreated},
      {"runtime.delete", [](FakeRuntime& r) { return r.Delete("web", true); },
       RuntimeStatus::kCreated},
  };
  for (const Case& c : cases) {
    auto plan = std::make_shared<FaultPlan>();
    plan->Add({.site = c.site});
    MakeRuntime(plan);
    ASSERT_THAT(rt_->Create("web", {.bundle = kBundle}), IsOk());
    Status s = c.op(*rt_);
    EXPECT_THAT(s, StatusIs(Code::kUnavailable)) << c.site;
    EXPECT_EQ(s.injected_site(), c.site);
    EXPECT_EQ(rt_->StatusOf("web"), c.after) << c.site;
  }

  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.create"});
  MakeRuntime(plan);
  EXPECT_EQ(rt_->Create("web", {.bundle = kBundle}).injected_site(), "runtime.create");
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());

  plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.pause", .trigger = Trigger::Nth(1), .code = Code::kInternal})
      .Add({.site = "runtime.resume"});
  MakeRuntime(plan);
  StartWeb();
  EXPECT_THAT(rt_->Pause("web"), StatusIs(Code::kInternal));
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
  ASSERT_THAT(rt_->Pause("web"), IsOk());
  EXPECT_EQ(rt_->Resume("web").injected_site(), "runtime.resume");
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kPaused);
}

TEST_F(FakeRuntimeTest, CheckpointFailWritesNothing) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.checkpoint"});
  MakeRuntime(plan);
  StartWeb();
  Status s = rt_->Checkpoint("web", Ckpt());
  EXPECT_EQ(s.injected_site(), "runtime.checkpoint");
  EXPECT_THAT(fs_->AllFiles(), ElementsAre(std::string(kBundle) + "/config.json"));
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
}

TEST_F(FakeRuntimeTest, CheckpointPartialWriteLeavesNoInventory) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.checkpoint", .effect = FaultEffect::kPartialWrite});
  MakeRuntime(plan);
  StartWeb();
  Status s = rt_->Checkpoint("web", Ckpt());
  EXPECT_THAT(s, StatusIs(Code::kUnavailable, HasSubstr("dump.log")));
  EXPECT_EQ(s.injected_site(), "runtime.checkpoint");
  const auto files = FilesUnder(kImage);
  EXPECT_THAT(files, Not(IsEmpty()));
  EXPECT_THAT(files, Not(Contains("inventory.img")));
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
  // Had an engine ignored the error, restore would refuse the image.
  ASSERT_THAT(rt_->Delete("web", true), IsOk());
  EXPECT_THAT(rt_->Restore("web", Rest()), StatusIs(Code::kNotFound));
}

TEST_F(FakeRuntimeTest, CheckpointAfterDumpFailsAfterTheWork) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.checkpoint.after_dump"});
  MakeRuntime(plan);
  StartWeb(9);
  Status s = rt_->Checkpoint("web", Ckpt());
  EXPECT_EQ(s.injected_site(), "runtime.checkpoint.after_dump");
  EXPECT_THAT(FilesUnder(kImage), Contains("inventory.img"));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  // The image is good.
  ASSERT_THAT(rt_->Restore("web", Rest()), IsOk());
  EXPECT_EQ(rt_->Counter("web"), 9u);
}

TEST_F(FakeRuntimeTest, RestoreFailLeavesNothingBehind) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.restore", .trigger = Trigger::Nth(1)});
  MakeRuntime(plan);
  StartWeb(4);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  Status s = rt_->Restore("web", Rest());
  EXPECT_EQ(s.injected_site(), "runtime.restore");
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  EXPECT_FALSE(fs_->Exists(std::string(kWork) + "/restore.log"));
  ASSERT_THAT(rt_->Restore("web", Rest()), IsOk());  // the retry works
  EXPECT_EQ(rt_->Counter("web"), 4u);
}

TEST_F(FakeRuntimeTest, RestoreAfterRestoreLeavesItRunning) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "runtime.restore.after_restore"});
  MakeRuntime(plan);
  StartWeb(4);
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  Status s = rt_->Restore("web", Rest());
  EXPECT_EQ(s.injected_site(), "runtime.restore.after_restore");
  EXPECT_EQ(rt_->StatusOf("web"), RuntimeStatus::kRunning);
  EXPECT_EQ(rt_->Counter("web"), 4u);
}

TEST_F(FakeRuntimeTest, FilesystemFaultsSurfaceThroughRestore) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "fs.read", .subject = "pages-1.img"});
  MakeRuntime(plan, /*fs_faults=*/true);
  StartWeb();
  ASSERT_THAT(rt_->Checkpoint("web", Ckpt()), IsOk());
  Status s = rt_->Restore("web", Rest());
  EXPECT_THAT(s, StatusIs(Code::kUnavailable));
  EXPECT_EQ(s.injected_site(), "fs.read");
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Held state (the crh.fake/holds annotation): refused and restored as CRIU 4.2.1 does.

class FakeRuntimeHoldsTest : public FakeRuntimeTest {
 protected:
  void StartHolding(const std::string& holds, uint64_t ticks = 3) {
    fs_->SetFile(std::string(kBundle) + "/config.json",
                 R"({"ociVersion":"1.0.2","annotations":{"crh.fake/holds":")" + holds +
                     R"("},"linux":{"namespaces":[{"type":"network"}]}})");
    StartWeb(ticks);
  }
};

TEST_F(FakeRuntimeHoldsTest, CheckpointWithoutTheFlagIsRefusedAndTheProcessRunsOn) {
  StartHolding("tcp-established,file-locks");
  EXPECT_EQ(rt_->HeldStateOf("web")->ToString(), "tcp-established,file-locks");
  auto s = rt_->Checkpoint("web", Ckpt());
  EXPECT_THAT(s, StatusIs(Code::kUnavailable, HasSubstr("--tcp-established")));
  auto locks_only = Ckpt();
  locks_only.tcp_established = true;
  EXPECT_THAT(rt_->Checkpoint("web", locks_only),
              StatusIs(Code::kUnavailable, HasSubstr("You can try --file-locks")));
  EXPECT_EQ(rt_->State("web")->status, RuntimeStatus::kRunning);
  EXPECT_EQ(rt_->State("web")->pid, 1000);
  EXPECT_THAT(FilesUnder(kImage), Not(Contains("inventory.img")));
  EXPECT_THAT(*fs_->Read(std::string(kWork) + "/dump.log"), HasSubstr("Dumping FAILED"));
  rt_->Tick("web", 2);
  EXPECT_EQ(rt_->Counter("web"), 5u);
}

TEST_F(FakeRuntimeHoldsTest, TcpImageRefusesARestoreWithoutTheFlagAndKeepsTheImage) {
  StartHolding("tcp-established");
  auto c = Ckpt();
  c.tcp_established = true;
  ASSERT_THAT(rt_->Checkpoint("web", c), IsOk());
  EXPECT_THAT(*fs_->Read(std::string(kImage) + "/inventory.img"),
              HasSubstr("holds=tcp-established"));
  EXPECT_THAT(rt_->Restore("web", Rest()),
              StatusIs(Code::kUnavailable, HasSubstr("Connected TCP socket in image")));
  EXPECT_THAT(rt_->LiveContainers(), IsEmpty());
  EXPECT_THAT(FilesUnder(kImage), Contains("inventory.img"));
  auto r = Rest();
  r.tcp_established = true;
  ASSERT_THAT(rt_->Restore("web", r), IsOk());
  EXPECT_EQ(rt_->Counter("web"), 3u);
  EXPECT_EQ(rt_->HeldStateOf("web")->ToString(), "tcp-established");
}

TEST_F(FakeRuntimeHoldsTest, LockImageRestoredWithoutTheFlagLosesItsLocks) {
  StartHolding("file-locks");
  auto c = Ckpt();
  c.file_locks = true;
  ASSERT_THAT(rt_->Checkpoint("web", c), IsOk());
  // As CRIU: no refusal, the process comes back without its locks.
  ASSERT_THAT(rt_->Restore("web", Rest()), IsOk());
  EXPECT_EQ(rt_->HeldStateOf("web")->ToString(), "");
  EXPECT_THAT(*fs_->Read(std::string(kWork) + "/restore.log"), HasSubstr("without them"));
}

TEST_F(FakeRuntimeHoldsTest, UnknownHeldStateIsRejectedAtCreate) {
  fs_->SetFile(std::string(kBundle) + "/config.json",
               R"({"annotations":{"crh.fake/holds":"tcp-established,sockets"}})");
  EXPECT_THAT(rt_->Create("web", {.bundle = kBundle}),
              StatusIs(Code::kInvalidArgument, HasSubstr("unknown state \"sockets\"")));
  EXPECT_EQ(rt_->HeldStateOf("web"), std::nullopt);
}

}  // namespace
}  // namespace crh
