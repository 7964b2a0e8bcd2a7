// Goal: every workload of the catalogue (catalogue.h) keeps its kernel state through two
// checkpoint/restore cycles of the engine on every real runtime in the toolchain manifest, and
// every limitation the catalogue pins still shows exactly as described.
// Method: one case per workload x runtime (Workloads/WorkloadTest.SurvivesTwoCycles/
// pipe_in_flight__crun_1_28). The workload's bundle is a busybox bundle with the static
// crh-workload helper; the engine runs it on e2e's RealBackend (its own state root and CNI
// bridge, one per runtime, shared by all cases). The generic oracle (log_oracle.h) reads the
// container's log: one "ready", ok numbers consecutive over the whole log, no FAIL; after each
// restore at least 3 new ok lines within 10 s. Workloads that need checkpoint flags first show
// that the engine's checkpoint without them is refused and the container runs on (same pid,
// still counting); tcp_established images must refuse a restore without the flag and keep the
// checkpoint. Extra oracles (the outside TCP client, the host side of bind mounts) run beside.
// After rm nothing may leak. Limitations/LimitationTest.IsPinned/... checks each pinned
// limitation; FileLocks/FileLocksRestoreTest checks what a restore without --file-locks does
// to an image that holds locks (CRIU restores it without them). Fake/FakeWorkloadTest runs the
// flag-needing workloads' flag checks on the fake runtime, which learns what the process holds
// from the bundle annotation crh.fake/holds, so the fake is held to what CRIU was seen to do.
// A missing toolchain is a failure that says to run `sudo ci/setup.sh`, never a skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "e2e/backend.h"
#include "src/workloads/catalogue.h"
#include "src/workloads/log_oracle.h"
#include "fakes/fake_world.h"
#include "src/base/status_matchers.h"
#include "src/oci/bundle.h"

namespace crh::workloads {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The helper, from the test's runfiles (the test runs in its workspace's runfiles directory).
std::string HelperPath() { return fs::absolute("src/workloads/crh-workload").string(); }

struct Case {
  std::string workload;
  std::string runtime;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.workload << " on " << c.runtime; }

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return info.param.workload + "__" + e2e::SafeName(info.param.runtime);
}

enum class Which { kSurvivors, kLimited, kFileLocks };

std::vector<Case> Cases(Which which) {
  std::vector<Case> out;
  for (const auto& rt : e2e::BackendNames(/*include_fake=*/false)) {
    for (const auto& w : Catalogue()) {
      const bool limited = w.LimitationOn(rt) != nullptr;
      if ((which == Which::kSurvivors && !limited) || (which == Which::kLimited && limited) ||
          (which == Which::kFileLocks && w.file_locks && !limited)) {
        out.push_back({w.name, rt});
      }
    }
  }
  return out;
}

// One backend per runtime for the whole run: one bridge each instead of one per case.
std::map<std::string, std::unique_ptr<e2e::Backend>>& Backends() {
  static auto* m = new std::map<std::string, std::unique_ptr<e2e::Backend>>();
  return *m;
}

class DeleteBackends : public ::testing::Environment {
 public:
  void TearDown() override { Backends().clear(); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new DeleteBackends);

std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::vector<std::string> all;
  std::string l;
  while (std::getline(in, l)) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "    " + all[i].substr(0, 400) + "\n";
  }
  return out;
}

class WorkloadFixture : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    w_ = FindWorkload(GetParam().workload);
    ASSERT_NE(w_, nullptr) << GetParam().workload;
    auto& slot = Backends()[GetParam().runtime];
    if (!slot) {
      auto b = e2e::MakeBackend(GetParam().runtime);
      ASSERT_THAT(b, IsOk()) << "backend " << GetParam().runtime;
      slot = std::move(b).value();
    }
    b_ = slot.get();
    char tmpl[] = "/tmp/crh-wl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = tmpl;
    bundle_ = scratch_ + "/bundle";
    if (w_->extra) extra_ = w_->extra();
  }

  void TearDown() override {
    if (extra_) extra_->Release();
    if (b_) b_->RemoveAll();
    extra_.reset();
    std::error_code ec;
    if (!scratch_.empty()) fs::remove_all(scratch_, ec);
  }

  Engine& e() { return b_->engine(); }
  std::string Log() const { return e_dir_ + "/ctr.log"; }

  // Everything worth reading when a real operation failed: the CRIU logs the runtime left in
  // the container directory and the end of the workload's own log.
  std::string Diagnostics() const {
    std::string out = "\n  [" + GetParam().workload + " on " + GetParam().runtime + "]\n";
    for (const char* f : {"dump.log", "restore.log"}) {
      std::string t = Tail(e_dir_ + "/" + f, 25);
      if (!t.empty()) out += "  " + e_dir_ + "/" + f + " (tail):\n" + t;
    }
    out += "  workload log " + Log() + ":\n" + ReadLog(Log()).last_lines;
    return out;
  }

  OracleContext Ctx() const {
    return {.container_ip = ip_, .log_path = Log(), .scratch_dir = scratch_};
  }

  size_t Oks() const { return ReadLog(Log()).oks.size(); }

  // Prepares the bundle, runs the container and waits for its first 3 checks.
  void Start() {
    ASSERT_THAT(PrepareBundle(*w_, {.bundle_dir = bundle_, .scratch_dir = scratch_}, HelperPath()),
                IsOk());
    auto c = e().Run({.name = w_->name, .bundle = bundle_});
    ASSERT_THAT(c, IsOk()) << Diagnostics();
    c_ = *c;
    e_dir_ = e().ContainerDir(c_.id);
    ip_ = c_.Ip();
    ASSERT_FALSE(ip_.empty());
    ASSERT_THAT(WaitForOks(Log(), 3), IsOk()) << Diagnostics();
    if (!w_->exec_args.empty()) {
      ASSERT_NO_FATAL_FAILURE(ExecAndWaitForJoin());
    }
    if (extra_) {
      ASSERT_THAT(extra_->AfterReady(Ctx()), IsOk()) << Diagnostics();
    }
  }

  // `crh exec -d`: the workload's init reports the exec'd process with "note exec joined" and
  // then checks it at every step; three more steps show it is watched.
  void ExecAndWaitForJoin() {
    auto pid = e().Exec(w_->name, {.args = w_->exec_args, .detach = true});
    ASSERT_THAT(pid, IsOk()) << Diagnostics();
    EXPECT_GT(*pid, 0);
    ASSERT_THAT(WaitForNote(Log(), "note exec joined"), IsOk()) << Diagnostics();
    ASSERT_THAT(WaitForOks(Log(), Oks() + 3), IsOk()) << "after exec" << Diagnostics();
  }

  // A checkpoint the catalogue says must be refused: the engine reports it, the container runs
  // on with the same pid and keeps counting.
  void ExpectRefusedCheckpoint(const CheckpointRequest& req, const std::string& signature) {
    auto before = e().Inspect(w_->name);
    ASSERT_THAT(before, IsOk());
    auto r = e().Checkpoint(w_->name, req);
    ASSERT_FALSE(r.ok()) << "the checkpoint was expected to be refused (" << signature << ")";
    // The engine quotes CRIU's log excerpt; the whole dump.log stays after a failed dump.
    std::ifstream dump(e_dir_ + "/dump.log");
    std::stringstream whole;
    whole << dump.rdbuf();
    EXPECT_THAT(r.status().message() + "\n" + whole.str(), HasSubstr(signature))
        << r.status().ToString() << Diagnostics();
    auto after = e().Inspect(w_->name);
    ASSERT_THAT(after, IsOk());
    EXPECT_EQ(StateName(after->state), StateName(ContainerState::kRunning));
    EXPECT_EQ(after->pid, before->pid);
    EXPECT_FALSE(after->checkpointed);
    EXPECT_EQ(kill(before->pid, 0), 0) << "process " << before->pid << " is gone";
    ASSERT_THAT(WaitForOks(Log(), Oks() + 3), IsOk()) << "after the refused checkpoint" << Diagnostics();
  }

  void Checkpoint(const CheckpointRequest& req) {
    auto cp = e().Checkpoint(w_->name, req);
    ASSERT_THAT(cp, IsOk()) << Diagnostics();
    EXPECT_TRUE(cp->checkpointed);
  }

  // Restores and waits for 3 new checks; the address must be the one the container had.
  void RestoreAndCheck(const RestoreRequest& req) {
    const size_t before = Oks();
    auto r = e().Restore(w_->name, req);
    ASSERT_THAT(r, IsOk()) << Diagnostics();
    c_ = *r;
    EXPECT_EQ(r->Ip(), ip_) << "the restored container has another address";
    ASSERT_THAT(WaitForOks(Log(), before + 3), IsOk()) << "after restore" << Diagnostics();
  }

  // Backend::Leaks counts every port of the bridge against the attached containers; the
  // extra oracle's own ports (the outside TCP client's veth) are the test's, not a leak.
  std::vector<std::string> LeaksWhileOracleAttached(const Container& c) {
    std::vector<std::string> out;
    const size_t own = extra_ ? extra_->BridgePortsHeld() : 0;
    for (const auto& l : b_->Leaks(c, /*removed=*/false)) {
      size_t ports = 0, attached = 0;
      char bridge[64];
      if (own > 0 &&
          std::sscanf(l.c_str(), "%zu veths on %63s for %zu attached", &ports, bridge, &attached) ==
              3 &&
          ports - own <= attached) {
        continue;
      }
      out.push_back(l);
    }
    return out;
  }

  void RemoveAndCheckLeaks() {
    if (extra_) extra_->Release();
    ASSERT_THAT(e().Remove(w_->name, /*force=*/true), IsOk());
    EXPECT_THAT(b_->Leaks(c_, /*removed=*/true), IsEmpty());
  }

  const Workload* w_ = nullptr;
  e2e::Backend* b_ = nullptr;
  std::unique_ptr<ExtraOracle> extra_;
  std::string scratch_, bundle_, e_dir_, ip_;
  Container c_;
};

class WorkloadTest : public WorkloadFixture {};

TEST_P(WorkloadTest, SurvivesTwoCycles) {
  ASSERT_NO_FATAL_FAILURE(Start());
  if (w_->NeedsFlags()) {
    // Without the flags the workload needs, CRIU refuses and the container runs on.
    ASSERT_NO_FATAL_FAILURE(
        ExpectRefusedCheckpoint({}, w_->file_locks ? "--file-locks" : "--tcp-established"));
    if (extra_) {
      ASSERT_THAT(extra_->AfterRefusedCheckpoint(Ctx()), IsOk()) << Diagnostics();
    }
  }
  for (int cycle = 1; cycle <= 2; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    ASSERT_NO_FATAL_FAILURE(Checkpoint(w_->CheckpointFlags()));
    if (extra_) {
      ASSERT_THAT(extra_->WhileCheckpointed(Ctx()), IsOk()) << Diagnostics();
    }
    if (cycle == 1 && w_->tcp_established) {
      // An image with established connections cannot be restored without the flag; the
      // failed restore must leave the checkpoint for the retry below.
      auto bad = e().Restore(w_->name, {.file_locks = w_->file_locks});
      ASSERT_FALSE(bad.ok()) << "restore without --tcp-established succeeded";
      std::ifstream restore_log(e_dir_ + "/restore.log");
      std::stringstream whole;
      whole << restore_log.rdbuf();
      EXPECT_THAT(bad.status().message() + "\n" + whole.str(),
                  HasSubstr("Connected TCP socket in image"))
          << bad.status().ToString();
      auto rec = e().Inspect(w_->name);
      ASSERT_THAT(rec, IsOk());
      EXPECT_EQ(StateName(rec->state), StateName(ContainerState::kExited));
      EXPECT_TRUE(e().HasCompleteCheckpoint(*rec)) << "the failed restore lost the checkpoint";
      EXPECT_THAT(LeaksWhileOracleAttached(*rec), IsEmpty());
    }
    ASSERT_NO_FATAL_FAILURE(RestoreAndCheck(w_->RestoreFlags()));
    if (extra_) {
      ASSERT_THAT(extra_->AfterRestore(Ctx()), IsOk()) << Diagnostics();
    }
  }
  const LogSummary s = ReadLog(Log());
  EXPECT_EQ(Problems(s), "") << Diagnostics();
  for (const auto& n : s.notes) std::cout << "[" << w_->name << "] " << n << "\n";
  ASSERT_NO_FATAL_FAILURE(RemoveAndCheckLeaks());
}

INSTANTIATE_TEST_SUITE_P(Workloads, WorkloadTest, ::testing::ValuesIn(Cases(Which::kSurvivors)),
                         CaseName);

// ---------------------------------------------------------------------------------------------
// Pinned limitations: each must still show exactly as the catalogue describes it. A case that
// fails because the limitation is gone means a fixed CRIU or runtime: move the workload out of
// the limitations (catalogue.cc, docs/workloads.md).

class LimitationTest : public WorkloadFixture {};

TEST_P(LimitationTest, IsPinned) {
  const Limitation* l = w_->LimitationOn(GetParam().runtime);
  ASSERT_NE(l, nullptr);
  std::cout << "[" << w_->name << "] pinned: " << l->why << "\n";
  ASSERT_NO_FATAL_FAILURE(Start());
  switch (l->kind) {
    case Limitation::Kind::kDumpRefused:
      ASSERT_NO_FATAL_FAILURE(ExpectRefusedCheckpoint(w_->CheckpointFlags(), l->signature));
      EXPECT_EQ(Problems(ReadLog(Log())), "") << Diagnostics();
      break;
    case Limitation::Kind::kRestoreFails: {
      ASSERT_NO_FATAL_FAILURE(Checkpoint(w_->CheckpointFlags()));
      auto r = e().Restore(w_->name, w_->RestoreFlags());
      ASSERT_FALSE(r.ok()) << "the restore was expected to fail (" << l->signature << ")";
      std::ifstream restore_log(e_dir_ + "/restore.log");
      std::stringstream whole;
      whole << restore_log.rdbuf();
      EXPECT_THAT(r.status().message() + "\n" + whole.str(), HasSubstr(l->signature));
      auto rec = e().Inspect(w_->name);
      ASSERT_THAT(rec, IsOk());
      EXPECT_TRUE(e().HasCompleteCheckpoint(*rec)) << "the failed restore lost the checkpoint";
      break;
    }
    case Limitation::Kind::kStateLost: {
      ASSERT_NO_FATAL_FAILURE(Checkpoint(w_->CheckpointFlags()));
      auto r = e().Restore(w_->name, w_->RestoreFlags());
      ASSERT_THAT(r, IsOk()) << Diagnostics();
      c_ = *r;
      EXPECT_THAT(WaitForFail(Log(), l->signature), IsOk())
          << "the limitation did not show: is it fixed?" << Diagnostics();
      break;
    }
  }
  ASSERT_NO_FATAL_FAILURE(RemoveAndCheckLeaks());
}

INSTANTIATE_TEST_SUITE_P(Limitations, LimitationTest, ::testing::ValuesIn(Cases(Which::kLimited)),
                         CaseName);

// ---------------------------------------------------------------------------------------------
// An image that holds file locks, restored without --file-locks: CRIU restores it and silently
// leaves the locks out (criu/file-lock.c: prepare_file_locks() returns at once without the
// option), so the workload sees its lock gone. Nothing in the engine remembers that the
// checkpoint was taken with file_locks (docs/workloads.md).

class FileLocksRestoreTest : public WorkloadFixture {};

TEST_P(FileLocksRestoreTest, RestoreWithoutTheFlagDropsTheLock) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Checkpoint(w_->CheckpointFlags()));
  auto r = e().Restore(w_->name, {});
  ASSERT_THAT(r, IsOk()) << "CRIU used to restore such an image without its locks" << Diagnostics();
  c_ = *r;
  EXPECT_THAT(WaitForFail(Log(), "not held any more"), IsOk()) << Diagnostics();
  ASSERT_NO_FATAL_FAILURE(RemoveAndCheckLeaks());
}

INSTANTIATE_TEST_SUITE_P(FileLocks, FileLocksRestoreTest,
                         ::testing::ValuesIn(Cases(Which::kFileLocks)), CaseName);

// ---------------------------------------------------------------------------------------------
// The fake backend, for the workloads whose flags matter: the fake runtime has no processes, so
// the generic oracle is its counter (continues from the image, no restart), and the workload's
// held state comes from the crh.fake/holds annotation. Same refusals, same kept checkpoint, same
// silent loss of file locks as the real runs above.

std::vector<std::string> FlagWorkloads() {
  std::vector<std::string> out;
  for (const auto& w : Catalogue()) {
    if (w.NeedsFlags() && !w.LimitedThroughEngine()) out.push_back(w.name);
  }
  return out;
}

class FakeWorkloadTest : public ::testing::TestWithParam<std::string> {
 protected:
  // What FakeWorld would call a leak; files and the name stay until rm (as FakeBackend).
  std::vector<std::string> Leaks(const std::string& id, bool removed) {
    std::vector<std::string> out;
    for (const auto& l : world_.LeaksOf(id)) {
      if (!removed && (l.rfind("file ", 0) == 0 || l.rfind("name ", 0) == 0)) continue;
      out.push_back(l);
    }
    return out;
  }
  uint64_t Counter(const std::string& id) { return world_.runtime->Counter(id).value_or(0); }

  FakeWorld world_{23};
};

TEST_P(FakeWorkloadTest, FlagsAreEnforcedAsOnCriu) {
  const Workload& w = *FindWorkload(GetParam());
  std::string holds = w.tcp_established ? "tcp-established" : "";
  if (w.file_locks) holds += std::string(holds.empty() ? "" : ",") + "file-locks";
  std::vector<std::string> cmd = {"/bin/crh-workload"};
  cmd.insert(cmd.end(), w.args.begin(), w.args.end());
  const std::string bundle = "/bundles/" + w.name;
  world_.fs->SetFile(
      bundle + "/config.json",
      BusyboxConfigJson(cmd, {.annotations = {{FakeRuntime::kHoldsAnnotation, holds}}}));
  world_.fs->SetDir(bundle + "/rootfs");
  Engine& e = *world_.engine;
  auto c = e.Run({.name = w.name, .bundle = bundle});
  ASSERT_THAT(c, IsOk());
  world_.runtime->Tick(c->id, 3);

  auto refused = e.Checkpoint(w.name, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr(w.file_locks ? "--file-locks" : "--tcp-established"));
  auto running = e.Inspect(w.name);
  ASSERT_THAT(running, IsOk());
  EXPECT_EQ(StateName(running->state), StateName(ContainerState::kRunning));
  EXPECT_EQ(running->pid, c->pid);
  world_.runtime->Tick(c->id, 3);
  EXPECT_EQ(Counter(c->id), 6u) << "the process did not run on after the refused checkpoint";

  for (int cycle = 1; cycle <= 2; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    const uint64_t at_dump = Counter(c->id);
    ASSERT_THAT(e.Checkpoint(w.name, w.CheckpointFlags()), IsOk());
    if (cycle == 1 && w.tcp_established) {
      auto bad = e.Restore(w.name, {.file_locks = w.file_locks});
      EXPECT_THAT(bad, StatusIs(Code::kUnavailable, HasSubstr("Connected TCP socket in image")));
      auto rec = e.Inspect(w.name);
      ASSERT_THAT(rec, IsOk());
      EXPECT_EQ(StateName(rec->state), StateName(ContainerState::kExited));
      EXPECT_TRUE(e.HasCompleteCheckpoint(*rec));
      EXPECT_THAT(Leaks(c->id, /*removed=*/false), IsEmpty());
    }
    auto r = e.Restore(w.name, w.RestoreFlags());
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->Ip(), c->Ip());
    EXPECT_EQ(Counter(c->id), at_dump) << "not continued from the image";
    EXPECT_EQ(world_.runtime->HeldStateOf(c->id)->ToString(), holds);
    world_.runtime->Tick(c->id, 3);
  }
  if (w.file_locks) {
    // As FileLocksRestoreTest shows on CRIU: restored without --file-locks, the locks are gone.
    ASSERT_THAT(e.Checkpoint(w.name, w.CheckpointFlags()), IsOk());
    ASSERT_THAT(e.Restore(w.name, {.tcp_established = w.tcp_established}), IsOk());
    EXPECT_THAT(world_.runtime->HeldStateOf(c->id)->ToString(), Not(HasSubstr("file-locks")));
  }
  ASSERT_THAT(e.Remove(w.name, /*force=*/true), IsOk());
  EXPECT_THAT(Leaks(c->id, /*removed=*/true), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Fake, FakeWorkloadTest, ::testing::ValuesIn(FlagWorkloads()),
                         [](const auto& info) { return info.param + "__fake"; });

// The exec'd-process workloads on the fake runtime, held to what the real runs show: a detached
// process outside init's tree blocks the checkpoint (nothing changes, both run on); once init
// adopted it (the workload's daemon forks) it goes through two cycles with the container.
std::vector<std::string> ExecWorkloads() {
  std::vector<std::string> out;
  for (const auto& w : Catalogue()) {
    if (!w.exec_args.empty()) out.push_back(w.name);
  }
  return out;
}

class FakeExecTest : public FakeWorkloadTest {};

TEST_P(FakeExecTest, ExecdProcessIsRefusedOrCarriedAsOnCriu) {
  const Workload& w = *FindWorkload(GetParam());
  std::vector<std::string> cmd = {"/bin/crh-workload"};
  cmd.insert(cmd.end(), w.args.begin(), w.args.end());
  const std::string bundle = "/bundles/" + w.name;
  world_.fs->SetFile(bundle + "/config.json", BusyboxConfigJson(cmd, {}));
  world_.fs->SetDir(bundle + "/rootfs");
  Engine& e = *world_.engine;
  auto c = e.Run({.name = w.name, .bundle = bundle});
  ASSERT_THAT(c, IsOk());
  auto pid = e.Exec(w.name, {.args = w.exec_args, .detach = true});
  ASSERT_THAT(pid, IsOk());
  const Limitation* l = w.LimitationOn("fake");
  auto refused = e.Checkpoint(w.name, {});
  ASSERT_FALSE(refused.ok()) << "a detached exec outside init's tree was checkpointed";
  EXPECT_THAT(refused.status().message(), HasSubstr("is not a descendant of the container's init"));
  EXPECT_EQ(StateName(e.Inspect(w.name)->state), StateName(ContainerState::kRunning));
  EXPECT_THAT(world_.runtime->ExecPids(c->id), ::testing::ElementsAre(*pid));
  if (l != nullptr) {
    EXPECT_TRUE(l->by_crh) << "only crh's own refusal is modelled on the fake";
  } else {
    ASSERT_THAT(world_.runtime->AdoptExec(c->id, *pid), IsOk());  // the daemon forked
    for (int cycle = 1; cycle <= 2; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      ASSERT_THAT(e.Checkpoint(w.name, {}), IsOk());
      auto r = e.Restore(w.name, {});
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(r->Ip(), c->Ip());
      EXPECT_THAT(world_.runtime->ExecPids(c->id), ::testing::SizeIs(1));
    }
  }
  ASSERT_THAT(e.Remove(w.name, /*force=*/true), IsOk());
  EXPECT_THAT(Leaks(c->id, /*removed=*/true), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Fake, FakeExecTest, ::testing::ValuesIn(ExecWorkloads()),
                         [](const auto& info) { return info.param + "__fake"; });

// The test list says why the fake does not run the rest: every workload is modelled above or
// names its reason, and the reasons are printed.
TEST(FakeCoverageTest, EveryWorkloadIsModelledOrSaysWhyNot) {
  const auto flags = FlagWorkloads();
  const auto execs = ExecWorkloads();
  size_t modelled = 0;
  for (const auto& w : Catalogue()) {
    const bool on_fake = std::count(flags.begin(), flags.end(), w.name) > 0 ||
                         std::count(execs.begin(), execs.end(), w.name) > 0;
    if (on_fake) {
      ++modelled;
      EXPECT_EQ(w.fake_gap, "") << w.name << " runs on the fake but says why it does not";
      continue;
    }
    EXPECT_NE(w.fake_gap, "") << w.name << " is neither modelled by the fake nor says why not";
    std::cout << "[fake] " << w.name << ": not modelled: " << w.fake_gap << "\n";
  }
  std::cout << "[fake] " << modelled << " of " << Catalogue().size()
            << " workloads run on the fake runtime\n";
  EXPECT_GE(modelled, 7u);
}

}  // namespace
}  // namespace crh::workloads
