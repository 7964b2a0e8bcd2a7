// Goal: every promise in engine.h holds on the fakes: each cell of the transition table through
// the real engine, each checkpoint and restore step's failure path (state afterwards, what leaked,
// what was kept), IP preservation, exact keep/no-keep file sets, bad network.status, missing
// images, hostile IDs, persistence across engine instances and recovery after a crash.
// Method: FakeWorld (fakes/fake_world.h) wires the engine to the fakes and one fault plan; the
// fakes' ground truth (held IPs, live netns, runtime containers, files) is the oracle.
#include "src/engine/engine.h"

#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "fakes/fake_world.h"
#include "fakes/mock_network.h"
#include "fakes/mock_runtime.h"
#include "src/base/probe.h"
#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Return;

// The files a container directory holds right after a successful checkpoint without --keep.
const std::vector<std::string> kAfterCheckpoint = {
    "checkpoint/core-1.img",     "checkpoint/descriptors.json", "checkpoint/inventory.img",
    "checkpoint/pagemap-1.img",  "checkpoint/pages-1.img",      "config.json",
    "container.json",            "network.status"};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() { Probes::Reset(); }

  Container RunWeb(const std::string& name = "web") {
    auto c = w_.engine->Run({.name = name, .bundle = w_.MakeBundle(name)});
    EXPECT_THAT(c, IsOk());
    return *c;
  }

  Container Record(const std::string& name) {
    auto c = w_.engine->Inspect(name);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : Container{};
  }

  FakeWorld w_{7};
};

// ---------------------------------------------------------------------------------------------
// Lifecycle and the table.

TEST_F(EngineTest, RunGivesRunningContainerWithAddressNetnsAndProcess) {
  Container c = RunWeb();
  EXPECT_EQ(c.state, ContainerState::kRunning);
  EXPECT_EQ(c.Ip(), "10.88.0.2");
  EXPECT_EQ(w_.network->IpOf(c.id), "10.88.0.2");
  EXPECT_EQ(w_.runtime->StatusOf(c.id), RuntimeStatus::kRunning);
  EXPECT_EQ(w_.runtime->NetnsOf(c.id), c.netns_path);
  EXPECT_TRUE(w_.network->LiveNetns().count(c.netns_path));
  EXPECT_GT(c.pid, 0);
}

// Drives a fresh container into `state`. Exited is reached by a checkpoint, so the restore
// column can succeed; Configured gets an imported checkpoint for the same reason.
Container DriveTo(FakeWorld& w, ContainerState state) {
  const std::string bundle = w.MakeBundle("c");
  auto c = w.engine->Define({.name = "c", .bundle = bundle});
  if (!c.ok()) ADD_FAILURE() << c.status().ToString();
  const std::string id = c->id;
  auto must = [](const auto& r) {
    if (!GetStatus(r).ok()) ADD_FAILURE() << GetStatus(r).ToString();
  };
  switch (state) {
    case ContainerState::kConfigured: {
      // Import a checkpoint made by another container.
      auto donor = w.engine->Run({.name = "donor", .bundle = w.MakeBundle("donor")});
      must(w.engine->Checkpoint("donor", {}));
      for (const auto& f : w.ContainerFiles(donor->id)) {
        if (f.rfind("checkpoint/", 0) != 0) continue;
        w.fs->SetFile(w.engine->ContainerDir(id) + "/" + f,
                      *w.fs->Peek(w.engine->ContainerDir(donor->id) + "/" + f));
      }
      must(w.engine->Remove("donor", true));
      break;
    }
    case ContainerState::kCreated: must(w.engine->Create(id)); break;
    case ContainerState::kRunning:
      must(w.engine->Create(id));
      must(w.engine->Start(id));
      break;
    case ContainerState::kPaused:
      must(w.engine->Create(id));
      must(w.engine->Start(id));
      must(w.engine->Pause(id));
      break;
    case ContainerState::kStopped:
      must(w.engine->Create(id));
      must(w.engine->Start(id));
      w.runtime->ExitProcess(id, 0);
      must(w.engine->Sync(id));
      break;
    case ContainerState::kExited:
      must(w.engine->Create(id));
      must(w.engine->Start(id));
      must(w.engine->Checkpoint(id, {}));
      break;
    case ContainerState::kRemoved: {
      // Keep the record's identity to address it after removal.
      Container gone = *w.engine->Inspect(id);
      if (Status s = w.engine->Remove(id, true); !s.ok()) ADD_FAILURE() << s.ToString();
      gone.state = ContainerState::kRemoved;
      return gone;
    }
  }
  auto now = w.engine->Inspect(id);
  if (!now.ok() || now->state != state) ADD_FAILURE() << "could not drive to " << StateName(state);
  return *now;
}

Status Apply(FakeWorld& w, const std::string& id, Operation op) {
  switch (op) {
    case Operation::kCreate: return w.engine->Create(id).status();
    case Operation::kStart: return w.engine->Start(id).status();
    case Operation::kStop: return w.engine->Stop(id, 1000).status();
    case Operation::kKill: return w.engine->Kill(id, 9).status();
    case Operation::kPause: return w.engine->Pause(id).status();
    case Operation::kUnpause: return w.engine->Unpause(id).status();
    case Operation::kCheckpoint: return w.engine->Checkpoint(id, {}).status();
    case Operation::kRestore: return w.engine->Restore(id, {}).status();
    case Operation::kRemove: return w.engine->Remove(id, false);
    case Operation::kForceRemove: return w.engine->Remove(id, true);
    case Operation::kSync: return w.engine->Sync(id).status();
    case Operation::kExec: return w.engine->Exec(id, {.args = {"/bin/true"}, .detach = false}).status();
    case Operation::kCheckpointLeaveRunning:
      return w.engine->Checkpoint(id, {.leave_running = true}).status();
  }
  return Internal("unreachable");
}

struct Snapshot {
  std::string record;
  std::map<std::string, std::string> ips;
  std::set<std::string> netns;
  std::vector<std::string> containers;
  std::vector<std::string> files;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

void PrintTo(const Snapshot& s, std::ostream* os) {
  *os << "record=" << s.record << "\nips=" << s.ips.size() << " netns=" << s.netns.size()
      << " containers=" << s.containers.size() << "\nfiles:";
  for (const auto& f : s.files) *os << "\n  " << f;
}

Snapshot Snap(FakeWorld& w, const std::string& id) {
  auto rec = w.fs->Peek(w.engine->ContainerDir(id) + "/container.json");
  return {rec.value_or("<none>"), w.network->HeldIps(), w.network->LiveNetns(),
          w.runtime->LiveContainers(), w.fs->AllFiles()};
}

class TransitionCellTest
    : public ::testing::TestWithParam<std::tuple<ContainerState, Operation>> {};

TEST_P(TransitionCellTest, EngineFollowsTheTable) {
  auto [state, op] = GetParam();
  FakeWorld w(11);
  Container c = DriveTo(w, state);
  const Transition& t = LookupTransition(state, op);
  Snapshot before = Snap(w, c.id);
  Status s = Apply(w, c.id, op);
  if (!t.allowed) {
    EXPECT_THAT(s, StatusIs(state == ContainerState::kRemoved ? Code::kNotFound
                                                              : Code::kFailedPrecondition));
    EXPECT_EQ(Snap(w, c.id), before) << "a refused operation changed something";
    return;
  }
  ASSERT_THAT(s, IsOk()) << StateName(state) << " / " << OperationName(op);
  if (op == Operation::kRemove || op == Operation::kForceRemove) {
    EXPECT_THAT(w.LeaksOf(c.id), IsEmpty());
    EXPECT_THAT(w.engine->Inspect(c.id), StatusIs(Code::kNotFound));
    return;
  }
  auto after = w.engine->Inspect(c.id);
  ASSERT_THAT(after, IsOk());
  if (t.to) {
    EXPECT_EQ(after->state, *t.to);
  } else if (op == Operation::kKill) {
    EXPECT_EQ(after->state, ContainerState::kStopped);  // SIGKILL kills it
  } else {
    EXPECT_EQ(after->state, state == ContainerState::kStopped ? ContainerState::kStopped
              : state == ContainerState::kExited ? ContainerState::kExited
                                                 : state);  // sync of a consistent record
  }
  // Cleanup invariant: only created/running/paused/stopped containers hold network resources.
  const bool attached = after->state == ContainerState::kCreated ||
                        after->state == ContainerState::kRunning ||
                        after->state == ContainerState::kPaused ||
                        after->state == ContainerState::kStopped;
  EXPECT_EQ(w.network->IpOf(c.id).has_value(), attached);
}

std::string CellName(const ::testing::TestParamInfo<TransitionCellTest::ParamType>& info) {
  std::string op(OperationName(std::get<1>(info.param)));
  for (auto& ch : op) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return std::string(StateName(std::get<0>(info.param))) + "_" + op;
}

INSTANTIATE_TEST_SUITE_P(
    AllCells, TransitionCellTest,
    ::testing::Combine(
        ::testing::Values(ContainerState::kConfigured, ContainerState::kCreated,
                          ContainerState::kRunning, ContainerState::kPaused,
                          ContainerState::kStopped, ContainerState::kExited,
                          ContainerState::kRemoved),
        ::testing::Values(Operation::kCreate, Operation::kStart, Operation::kStop,
                          Operation::kKill, Operation::kPause, Operation::kUnpause,
                          Operation::kCheckpoint, Operation::kRestore, Operation::kRemove,
                          Operation::kForceRemove, Operation::kSync, Operation::kExec,
                          Operation::kCheckpointLeaveRunning)),
    CellName);

TEST_F(EngineTest, RefusalsNameContainerStateAndWhatToDo) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Pause("web"), IsOk());
  EXPECT_THAT(w_.engine->Checkpoint("web", {}),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("cannot checkpoint container web (" + c.id.substr(0, 12) +
                                 "): it is paused; unpause it first")));
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("it is paused")));
  ASSERT_THAT(w_.engine->Unpause("web"), IsOk());
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("it is running")));
}

TEST_F(EngineTest, HostileNamesAndIdsAreRefusedBeforeTouchingDisk) {
  const std::string bundle = w_.MakeBundle("b");
  const size_t files = w_.fs->FileCount();
  for (std::string bad : std::vector<std::string>{"", "../etc", "a/b", "..", "x\n",
                                                   std::string(65, 'x')}) {
    EXPECT_THAT(w_.engine->Define({.name = bad, .bundle = bundle}),
                StatusIs(Code::kInvalidArgument));
    EXPECT_THAT(w_.engine->Define({.name = "ok", .id = bad.empty() ? "a/b" : bad,
                                   .bundle = bundle}),
                StatusIs(Code::kInvalidArgument));
  }
  EXPECT_EQ(w_.fs->FileCount(), files);
  EXPECT_THAT(w_.engine->Define({.name = "nob", .bundle = "/nowhere"}),
              StatusIs(Code::kInvalidArgument, HasSubstr("has no config.json")));
  EXPECT_THAT(w_.engine->Define({.name = "rel", .bundle = "bundles/b"}),
              StatusIs(Code::kInvalidArgument, HasSubstr("must be absolute")));
}

// A bundle crh cannot run is refused at create with the field named, before any network or
// runtime state exists; the record stays configured and a fixed bundle then creates.
TEST_F(EngineTest, BundlesCrhCannotRunAreRefusedAtCreateNamingTheField) {
  struct Bad {
    std::string name;
    std::function<void(nlohmann::json&)> edit;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {"norootfs", [](nlohmann::json& j) { j["root"]["path"] = "missing-rootfs"; },
       "field root.path: /bundles/norootfs/missing-rootfs is not a directory"},
      {"noroot", [](nlohmann::json& j) { j.erase("root"); }, "field root.path: expected a string"},
      {"nstype", [](nlohmann::json& j) { j["linux"]["namespaces"].push_back({{"type", "netwrok"}}); },
       "field linux.namespaces[3].type: \"netwrok\" is not an OCI namespace type"},
      {"nspath",
       [](nlohmann::json& j) {
         j["linux"]["namespaces"].push_back({{"type", "ipc"}, {"path", "/proc/1/ns/nope"}});
       },
       "field linux.namespaces[3].path: \"/proc/1/ns/nope\" does not exist"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    const std::string bundle = w_.MakeBundle(b.name);
    auto j = nlohmann::json::parse(*w_.fs->Peek(bundle + "/config.json"));
    b.edit(j);
    w_.fs->SetFile(bundle + "/config.json", j.dump());
    auto d = w_.engine->Define({.name = b.name, .bundle = bundle});
    ASSERT_THAT(d, IsOk());
    auto c = w_.engine->Create(b.name);
    EXPECT_THAT(c, StatusIs(Code::kInvalidArgument,
                            AllOf(HasSubstr(bundle + "/config.json"), HasSubstr(b.field))));
    EXPECT_EQ(Record(b.name).state, ContainerState::kConfigured);
    EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
    EXPECT_THAT(w_.runtime->LiveContainers(), IsEmpty());
    EXPECT_FALSE(w_.fs->Exists(w_.engine->ContainerDir(d->id) + "/config.json"));
  }
  // Fixed, the same record creates.
  w_.fs->SetDir("/bundles/norootfs/missing-rootfs");
  EXPECT_THAT(w_.engine->Create("norootfs"), IsOk());
}

TEST_F(EngineTest, NamesAreUniqueAndResolveByNameIdOrPrefix) {
  Container c = RunWeb();
  EXPECT_THAT(w_.engine->Define({.name = "web", .bundle = w_.MakeBundle("web")}),
              StatusIs(Code::kAlreadyExists, HasSubstr("web")));
  EXPECT_EQ(w_.engine->Inspect(c.id)->name, "web");
  EXPECT_EQ(w_.engine->Inspect(c.id.substr(0, 6))->name, "web");
  EXPECT_THAT(w_.engine->Inspect("nope"), StatusIs(Code::kNotFound, HasSubstr("nope")));
}

TEST_F(EngineTest, StopEscalatesToSigkillAfterTimeoutAndCleansUp) {
  Container c = RunWeb();
  // A process that ignores SIGTERM: make the first SIGTERM a no-op by failing it softly.
  w_.plan->Add({.site = "runtime.kill", .trigger = Trigger::Nth(1),
                .code = Code::kFailedPrecondition});
  auto s = w_.engine->Stop("web", 500);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->state, ContainerState::kExited);
  EXPECT_EQ(Probes::Count("stop.escalated_to_sigkill"), 1);
  EXPECT_EQ(w_.clock->NowMs() >= 1'700'000'000'500, true);
  // Exited keeps its record, bundle config, lock and name; nothing else.
  EXPECT_THAT(w_.LeaksOf(c.id), ElementsAre("file config.json", "file container.json",
                                            "file " + std::string(FakeWorld::kRoot) +
                                                "/locks/" + c.id + ".lock",
                                            "name web"));
}

// ---------------------------------------------------------------------------------------------
// Checkpoint.

TEST_F(EngineTest, CheckpointLeavesExactlyTheDocumentedFilesAndReleasesEverything) {
  Container c = RunWeb();
  auto cp = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_EQ(cp->state, ContainerState::kExited);
  EXPECT_TRUE(cp->checkpointed);
  EXPECT_EQ(cp->pid, 0);
  EXPECT_THAT(w_.ContainerFiles(c.id), ElementsAreArray(kAfterCheckpoint));
  EXPECT_FALSE(w_.network->IpOf(c.id));
  EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
  EXPECT_THAT(w_.runtime->LiveContainers(), IsEmpty());
  auto saved = DecodeNetworkStatusFile(*w_.fs->Peek(w_.engine->ContainerDir(c.id) +
                                                    "/network.status"));
  ASSERT_THAT(saved, IsOk());
  EXPECT_EQ((*saved)[0].PrimaryIp(), c.Ip());
}

// ---------------------------------------------------------------------------------------------
// exec: a detached process outside init's tree blocks checkpoint (CRIU would drop it silently);
// once it daemonized (init adopted it) it is checkpointed and restored with the container.

TEST_F(EngineTest, DetachedExecBlocksCheckpointUntilInitAdoptsIt) {
  Container c = RunWeb();
  auto pid = w_.engine->Exec("web", {.args = {"/bin/sleep", "1000"}});
  ASSERT_THAT(pid, IsOk());
  EXPECT_GT(*pid, 0);
  EXPECT_THAT(w_.runtime->ExecPids(c.id), ElementsAre(*pid));
  EXPECT_FALSE(w_.fs->Exists(w_.engine->ContainerDir(c.id) + "/exec.pid")) << "pid file left";
  const Snapshot before = Snap(w_, c.id);

  auto refused = w_.engine->Checkpoint("web", {});
  EXPECT_THAT(refused, StatusIs(Code::kFailedPrecondition,
                                AllOf(HasSubstr(std::to_string(*pid) + " (sleep"),
                                      HasSubstr("not a descendant of the container's init"))));
  EXPECT_EQ(Snap(w_, c.id), before) << "a refused checkpoint changed something";
  EXPECT_EQ(Record("web").state, ContainerState::kRunning);

  ASSERT_THAT(w_.runtime->AdoptExec(c.id, *pid), IsOk());
  auto cp = w_.engine->Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Ip(), c.Ip());
  EXPECT_THAT(w_.runtime->ExecPids(c.id), ::testing::SizeIs(1)) << "the adopted process is gone";
}

TEST_F(EngineTest, ExecNeedsARunningContainerAndACommand) {
  RunWeb();
  EXPECT_THAT(w_.engine->Exec("web", {}), StatusIs(Code::kInvalidArgument, HasSubstr("no command")));
  ASSERT_THAT(w_.engine->Pause("web"), IsOk());
  EXPECT_THAT(w_.engine->Exec("web", {.args = {"/bin/true"}}),
              StatusIs(Code::kFailedPrecondition, AllOf(HasSubstr("web"), HasSubstr("paused"))));
  EXPECT_THAT(w_.engine->Exec("nope", {.args = {"/bin/true"}}), StatusIs(Code::kNotFound));
  ASSERT_THAT(w_.engine->Unpause("web"), IsOk());
  EXPECT_THAT(w_.engine->Exec("web", {.args = {"/bin/true"}, .detach = false}), IsOkAndHolds(0));
}

TEST_F(EngineTest, CheckpointWithKeepAlsoKeepsDumpLogAndStats) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {.keep = true}), IsOk());
  std::vector<std::string> want = kAfterCheckpoint;
  want.push_back("dump.log");
  want.push_back("stats-dump");
  std::sort(want.begin(), want.end());
  EXPECT_THAT(w_.ContainerFiles(c.id), ElementsAreArray(want));
}

TEST_F(EngineTest, FailedDumpKeepsContainerRunningAndDiscardsPartialImages) {
  for (FaultEffect effect : {FaultEffect::kFail, FaultEffect::kPartialWrite}) {
    FakeWorld w(3);
    auto c = w.engine->Run({.name = "web", .bundle = w.MakeBundle("web")});
    w.plan->Add({.site = "runtime.checkpoint", .trigger = Trigger::Nth(1), .effect = effect});
    auto cp = w.engine->Checkpoint("web", {});
    EXPECT_THAT(cp, StatusIs(Code::kUnavailable, HasSubstr("still running")));
    EXPECT_TRUE(cp.status().injected());
    auto rec = w.engine->Inspect("web");
    EXPECT_EQ(rec->state, ContainerState::kRunning);
    EXPECT_FALSE(rec->checkpointed);
    EXPECT_EQ(rec->pending, PendingOp::kNone);
    EXPECT_EQ(w.network->IpOf(c->id), c->Ip());
    EXPECT_EQ(w.runtime->StatusOf(c->id), RuntimeStatus::kRunning);
    EXPECT_FALSE(w.fs->Exists(w.engine->CheckpointDir(c->id)));
    // And it can be checkpointed once the fault is gone.
    EXPECT_THAT(w.engine->Checkpoint("web", {}), IsOk());
  }
}

TEST_F(EngineTest, RuntimeErrorAfterDumpStillRecordsExitedCheckpointedAndTearsDown) {
  Container c = RunWeb();
  w_.plan->Add({.site = "runtime.checkpoint.after_dump", .trigger = Trigger::Nth(1)});
  auto cp = w_.engine->Checkpoint("web", {});
  EXPECT_THAT(cp, StatusIs(Code::kUnavailable, HasSubstr("after the dump")));
  Container rec = Record("web");
  EXPECT_EQ(rec.state, ContainerState::kExited);
  EXPECT_TRUE(rec.checkpointed);
  EXPECT_FALSE(w_.network->IpOf(c.id));
  EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
  EXPECT_TRUE(w_.fs->Exists(w_.engine->ContainerDir(c.id) + "/network.status"));
  EXPECT_THAT(w_.engine->Restore("web", {}), IsOk());
  EXPECT_EQ(Record("web").Ip(), c.Ip());
}

TEST_F(EngineTest, StatusWriteFailureAfterDumpIsReportedAndTeardownStillRuns) {
  Container c = RunWeb();
  w_.plan->Add({.site = "fs.write", .trigger = Trigger::Nth(1), .subject = "network.status"});
  auto cp = w_.engine->Checkpoint("web", {});
  EXPECT_THAT(cp, StatusIs(Code::kUnavailable, HasSubstr("network.status")));
  Container rec = Record("web");
  EXPECT_EQ(rec.state, ContainerState::kExited);
  EXPECT_TRUE(rec.checkpointed);
  EXPECT_FALSE(w_.network->IpOf(c.id));
  EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
  // Restore still works, with a new IP and a warning.
  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(w_.engine->warnings(), ElementsAre(HasSubstr("network.status is missing")));
}

TEST_F(EngineTest, TeardownFailuresAreAllAttemptedAndFirstIsReturned) {
  Container c = RunWeb();
  w_.plan->Add({.site = "cni.del", .trigger = Trigger::Nth(1)});
  w_.plan->Add({.site = "netns.delete", .trigger = Trigger::Nth(1)});
  auto cp = w_.engine->Checkpoint("web", {});
  EXPECT_THAT(cp, StatusIs(Code::kUnavailable, HasSubstr("releasing the network")));
  EXPECT_EQ(w_.plan->Fired("netns.delete"), 1) << "netns delete was not attempted";
  Container rec = Record("web");
  EXPECT_EQ(rec.state, ContainerState::kExited);
  EXPECT_TRUE(rec.checkpointed);
  // The record still names what is left, so sync can finish the job.
  EXPECT_EQ(rec.netns_path, c.netns_path);
  ASSERT_THAT(w_.engine->Sync("web"), IsOk());
  EXPECT_FALSE(w_.network->IpOf(c.id));
  EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
  EXPECT_THAT(w_.engine->Restore("web", {}), IsOk());
  EXPECT_EQ(Record("web").Ip(), c.Ip());
}

// ---------------------------------------------------------------------------------------------
// Restore.

TEST_F(EngineTest, RestoreKeepsIpProcessStateAndRemovesCheckpointFiles) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 41);
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  // Someone else takes the next free address meanwhile: round-robin must not matter.
  auto other = w_.engine->Run({.name = "other", .bundle = w_.MakeBundle("other")});
  ASSERT_THAT(other, IsOk());
  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->state, ContainerState::kRunning);
  EXPECT_TRUE(r->restored);
  EXPECT_FALSE(r->checkpointed);
  EXPECT_EQ(r->Ip(), c.Ip());
  EXPECT_EQ(w_.network->IpOf(c.id), c.Ip());
  EXPECT_EQ(w_.runtime->Counter(c.id), 41u) << "the process started over";
  EXPECT_EQ(w_.runtime->NetnsOf(c.id), r->netns_path);
  EXPECT_THAT(w_.engine->warnings(), IsEmpty());
  EXPECT_THAT(w_.ContainerFiles(c.id), ElementsAre("config.json", "container.json"));
}

TEST_F(EngineTest, RestoreWithKeepKeepsEveryCheckpointFile) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {.keep = true}), IsOk());
  ASSERT_THAT(w_.engine->Restore("web", {.keep = true}), IsOk());
  std::vector<std::string> want = kAfterCheckpoint;
  for (const char* f : {"dump.log", "restore.log", "stats-dump", "stats-restore"}) {
    want.push_back(f);
  }
  std::sort(want.begin(), want.end());
  EXPECT_THAT(w_.ContainerFiles(c.id), ElementsAreArray(want));
}

TEST_F(EngineTest, SecondRestoreOfConsumedCheckpointIsRefused) {
  RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  ASSERT_THAT(w_.engine->Restore("web", {}), IsOk());
  ASSERT_THAT(w_.engine->Stop("web", 100), IsOk());
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("inventory.img is missing")));
}

TEST_F(EngineTest, RestoreWithoutInventoryIsRefusedAndTouchesNothing) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  ASSERT_THAT(w_.fs->Remove(w_.engine->CheckpointDir(c.id) + "/inventory.img"), IsOk());
  auto files = w_.fs->AllFiles();
  EXPECT_THAT(w_.engine->Restore("web", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("inventory.img")));
  EXPECT_EQ(w_.fs->AllFiles(), files);
  EXPECT_THAT(w_.network->HeldIps(), IsEmpty());
}

class BadStatusTest : public EngineTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BadStatusTest, MeansNewIpAndWarningNeverACrash) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  const std::string path = w_.engine->ContainerDir(c.id) + "/network.status";
  std::string content = GetParam();
  if (content == "<missing>") {
    ASSERT_THAT(w_.fs->Remove(path), IsOk());
  } else {
    w_.fs->SetFile(path, content);
  }
  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->Ip().empty());
  EXPECT_NE(r->Ip(), c.Ip()) << "host-local round robin hands out the next address";
  ASSERT_EQ(w_.engine->warnings().size(), 1u);
  EXPECT_THAT(w_.engine->warnings()[0], HasSubstr("new IP"));
}

INSTANTIATE_TEST_SUITE_P(Contents, BadStatusTest,
                         ::testing::Values("<missing>", "", "{", "[]", "{}", "[{\"ips\":3}]",
                                           "[{\"ips\":[{\"address\":\"10.88.0.2\"}]}]",
                                           "[{\"ips\":[]}]", "null", "[1]"));

TEST_F(EngineTest, SavedIpTakenMeansNewIpAndWarning) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  w_.network->Reserve(c.Ip(), "squatter");
  auto r = w_.engine->Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_NE(r->Ip(), c.Ip());
  EXPECT_THAT(w_.engine->warnings(), ElementsAre(HasSubstr("held by another container")));
}

TEST_F(EngineTest, SavedIpIsAnArgumentOfTheNetworkCallNotTheEnvironment) {
  // Interaction test: the seed set the process-wide CNI_ARGS; the engine must pass the address
  // to Setup and leave the environment alone, on success and on failure.
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  auto mock = std::make_shared<::testing::StrictMock<MockNetwork>>();
  EngineDeps deps{.runtime = w_.runtime, .network = mock, .fs = w_.fs, .clock = w_.clock,
                  .random = w_.random, .root = FakeWorld::kRoot};
  Engine engine(deps);
  ::testing::InSequence seq;
  EXPECT_CALL(*mock, CreateNetns("crh-" + c.id.substr(0, 12)))
      .WillOnce(Return(Result<std::string>(std::string("/run/netns/x"))));
  EXPECT_CALL(*mock, Setup(c.id, "/run/netns/x",
                           Field(&NetworkRequest::static_ip, c.Ip())))
      .WillOnce(Return(Result<NetworkStatus>(Unavailable("cni boom"))));
  EXPECT_CALL(*mock, DeleteNetns("/run/netns/x")).WillOnce(Return(Status::Ok()));
  EXPECT_THAT(engine.Restore("web", {}), StatusIs(Code::kUnavailable, HasSubstr("cni boom")));
  EXPECT_EQ(std::getenv("CNI_ARGS"), nullptr);
}

struct RestoreFault {
  const char* site;
  FaultEffect effect;
};

class RestoreFailureTest : public EngineTest, public ::testing::WithParamInterface<RestoreFault> {};

TEST_P(RestoreFailureTest, ReleasesEverythingKeepsCheckpointAndCanBeRetried) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 5);
  ASSERT_THAT(w_.engine->Checkpoint("web", {.keep = true}), IsOk());
  const auto checkpoint_files = w_.ContainerFiles(c.id);
  w_.plan->Add({.site = GetParam().site, .trigger = Trigger::Nth(1),
                .effect = GetParam().effect, .subject = ""});
  auto r = w_.engine->Restore("web", {});
  ASSERT_FALSE(r.ok()) << GetParam().site;
  EXPECT_THAT(r.status().message(), HasSubstr("web"));
  Container rec = Record("web");
  EXPECT_EQ(rec.state, ContainerState::kExited);
  EXPECT_TRUE(rec.checkpointed);
  EXPECT_EQ(rec.pending, PendingOp::kNone);
  EXPECT_FALSE(w_.network->IpOf(c.id)) << "IP leaked";
  EXPECT_THAT(w_.network->LiveNetns(), IsEmpty()) << "netns leaked";
  EXPECT_THAT(w_.runtime->LiveContainers(), IsEmpty()) << "half-restored container left";
  // Nothing lost: every checkpoint file is still there (restore.log may be added).
  for (const auto& f : checkpoint_files) {
    if (f == "container.json" || f == "config.json") continue;
    EXPECT_TRUE(w_.fs->Exists(w_.engine->ContainerDir(c.id) + "/" + f)) << f << " was removed";
  }
  auto again = w_.engine->Restore("web", {});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->Ip(), c.Ip());
  EXPECT_EQ(w_.runtime->Counter(c.id), 5u);
}

INSTANTIATE_TEST_SUITE_P(
    Sites, RestoreFailureTest,
    ::testing::Values(RestoreFault{"netns.create", FaultEffect::kFail},
                      RestoreFault{"cni.add", FaultEffect::kFail},
                      RestoreFault{"cni.add.wrong_ip", FaultEffect::kWrongIp},
                      RestoreFault{"runtime.restore", FaultEffect::kFail},
                      RestoreFault{"runtime.restore.after_restore", FaultEffect::kFail}),
    [](const auto& info) {
      std::string n = info.param.site;
      for (auto& ch : n) {
        if (ch == '.') ch = '_';
      }
      return n;
    });

TEST_F(EngineTest, CorruptImageFailsWithRestoreLogAndWorksOnceRepaired) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 9);
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  const std::string pages = w_.engine->CheckpointDir(c.id) + "/pages-1.img";
  const std::string good = *w_.fs->Peek(pages);
  w_.fs->Truncate(pages, good.size() / 2);
  EXPECT_THAT(w_.engine->Restore("web", {}), StatusIs(Code::kDataLoss, HasSubstr("restore.log")));
  EXPECT_THAT(w_.network->HeldIps(), IsEmpty());
  w_.fs->SetFile(pages, good);
  ASSERT_THAT(w_.engine->Restore("web", {}), IsOk());
  EXPECT_EQ(w_.runtime->Counter(c.id), 9u);
}

// ---------------------------------------------------------------------------------------------
// Several containers, persistence, crashes.

TEST_F(EngineTest, CheckpointAllAttemptsEveryContainer) {
  RunWeb("a");
  RunWeb("b");
  RunWeb("c");
  ASSERT_THAT(w_.engine->Pause("b"), IsOk());
  auto results = w_.engine->CheckpointAll({"a", "b", "nope", "c"}, {});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_THAT(results[0].result, IsOk());
  EXPECT_THAT(results[1].result, StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(results[2].result, StatusIs(Code::kNotFound));
  EXPECT_THAT(results[3].result, IsOk());
  auto restored = w_.engine->RestoreAll({"a", "c"}, {});
  EXPECT_THAT(restored[0].result, IsOk());
  EXPECT_THAT(restored[1].result, IsOk());
}

TEST_F(EngineTest, ContainerIsPinnedToItsRuntime) {
  RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  auto other = std::make_shared<::testing::StrictMock<MockRuntime>>();
  EXPECT_CALL(*other, Name()).WillRepeatedly(Return("crun-1.28"));
  Engine engine(EngineDeps{.runtime = other, .network = w_.network, .fs = w_.fs,
                           .clock = w_.clock, .random = w_.random, .root = FakeWorld::kRoot});
  EXPECT_THAT(engine.Restore("web", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("belongs to runtime fake")));
  EXPECT_TRUE(Record("web").checkpointed);
}

TEST_F(EngineTest, FreshEngineSeesTheSameRecords) {
  Container c = RunWeb();
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  auto fresh = w_.FreshEngine();
  auto rec = fresh->Inspect("web");
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->ToJson(), Record("web").ToJson());
  ASSERT_THAT(fresh->Restore("web", {}), IsOk());
  EXPECT_EQ(w_.engine->Inspect("web")->state, ContainerState::kRunning);
}

TEST_F(EngineTest, ConcurrentOperationOnALockedContainerIsRefusedNotInterleaved) {
  Container c = RunWeb();
  auto lock = w_.fs->Lock(std::string(FakeWorld::kRoot) + "/locks/" + c.id + ".lock");
  ASSERT_THAT(lock, IsOk());
  EXPECT_THAT(w_.engine->Checkpoint("web", {}), StatusIs(Code::kUnavailable, HasSubstr("lock")));
  EXPECT_EQ(Record("web").state, ContainerState::kRunning);
}

struct CrashCase {
  const char* step;
  bool checkpoint_survives;  // after sync: a restorable checkpoint
};

class CrashTest : public EngineTest, public ::testing::WithParamInterface<CrashCase> {};

TEST_P(CrashTest, SyncOnAFreshEngineRecovers) {
  Container c = RunWeb();
  w_.runtime->Tick(c.id, 3);
  const std::string step = GetParam().step;
  const bool in_restore = step.find("restore") != std::string::npos;
  if (in_restore) {
    ASSERT_THAT(w_.engine->Checkpoint("web", {}), IsOk());
  }
  w_.plan->Add({.site = step, .trigger = Trigger::Nth(1), .effect = FaultEffect::kCrash});
  auto r = in_restore ? w_.engine->Restore("web", {}) : w_.engine->Checkpoint("web", {});
  ASSERT_THAT(r, StatusIs(Code::kAborted));
  auto fresh = w_.FreshEngine();
  auto s = fresh->Sync("web");
  ASSERT_THAT(s, IsOk());
  const bool running = s->state == ContainerState::kRunning;
  // Cleanup: a container that is not running holds nothing.
  if (!running) {
    EXPECT_EQ(s->state, ContainerState::kExited);
    EXPECT_FALSE(w_.network->IpOf(c.id));
    EXPECT_THAT(w_.network->LiveNetns(), IsEmpty());
    EXPECT_THAT(w_.runtime->LiveContainers(), IsEmpty());
  } else {
    EXPECT_EQ(w_.network->IpOf(c.id), s->Ip());
  }
  EXPECT_EQ(s->pending, PendingOp::kNone);
  // Recoverable: restorable if the checkpoint survived, otherwise running or removable.
  if (GetParam().checkpoint_survives) {
    EXPECT_TRUE(s->checkpointed);
    auto restored = fresh->Restore("web", {});
    ASSERT_THAT(restored, IsOk());
    EXPECT_EQ(w_.runtime->Counter(c.id), 3u);
  } else if (!running) {
    EXPECT_THAT(fresh->Remove("web", false), IsOk());
    EXPECT_THAT(w_.LeaksOf(c.id), IsEmpty());
  } else {
    EXPECT_EQ(w_.runtime->Counter(c.id), 3u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Steps, CrashTest,
    ::testing::Values(CrashCase{"engine.checkpoint.before_dump", false},
                      CrashCase{"engine.checkpoint.after_dump", true},
                      CrashCase{"engine.checkpoint.after_status_write", true},
                      CrashCase{"engine.checkpoint.after_teardown", true},
                      CrashCase{"engine.restore.before_network", true},
                      CrashCase{"engine.restore.after_network", true},
                      CrashCase{"engine.restore.after_runtime_restore", false},
                      CrashCase{"engine.restore.before_cleanup", false}),
    [](const auto& info) {
      std::string n = info.param.step;
      for (auto& ch : n) {
        if (ch == '.') ch = '_';
      }
      return n;
    });

TEST_F(EngineTest, CheckpointBeforeDumpCrashLeavesContainerRunning) {
  Container c = RunWeb();
  w_.plan->Add({.site = "engine.checkpoint.before_dump", .trigger = Trigger::Nth(1),
                .effect = FaultEffect::kCrash});
  ASSERT_THAT(w_.engine->Checkpoint("web", {}), StatusIs(Code::kAborted));
  auto s = w_.FreshEngine()->Sync("web");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->state, ContainerState::kRunning);
  EXPECT_EQ(w_.network->IpOf(c.id), c.Ip());
}

}  // namespace
}  // namespace crh
