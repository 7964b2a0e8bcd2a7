// Goal: the engine's promises hold on real runc/crun, CRIU and CNI exactly as on the fakes:
// process state survives checkpoint/restore, the seed's httpd walkthrough keeps its IP, bad
// network.status means a new IP and a warning, keep/no-keep leave the documented files, nothing
// leaks after checkpoint or rm, refusals refuse, a corrupt image fails with CRIU's log and keeps
// the checkpoint, and the fake backend agrees step by step with every real runtime.
// Method: one TEST_P per promise over {fake} ∪ the toolchain manifest's runtimes (e2e/backend.h).
// Every test removes its containers in TearDown, also after a failure. A missing toolchain is a
// failure that says to run `sudo ci/setup.sh`, never a skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/backend.h"
#include "src/base/status_matchers.h"
#include "src/base/subprocess.h"
#include "src/oci/bundle.h"

namespace crh::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto b = MakeBackend(GetParam());
    ASSERT_THAT(b, IsOk()) << "backend " << GetParam();
    b_ = std::move(b).value();
  }
  void TearDown() override {
    if (b_) b_->RemoveAll();
  }

  Engine& e() { return b_->engine(); }

  Container RunCounter(const std::string& name) {
    auto c = e().Run({.name = name, .bundle = b_->CounterBundle(name)});
    EXPECT_THAT(c, IsOk());
    if (!c.ok()) return {};
    b_->LetItRun(*c);
    return *c;
  }

  Container Record(const std::string& name) {
    auto c = e().Inspect(name);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : Container{};
  }

  std::unique_ptr<Backend> b_;
};

TEST_P(BackendTest, ProcessStateSurvivesCheckpointAndRestore) {
  Container c = RunCounter("counter");
  auto before = b_->Progress(c);
  ASSERT_THAT(before, IsOk());
  ASSERT_GT(*before, 0u);
  ASSERT_THAT(e().Checkpoint("counter", {}), IsOk());
  auto r = e().Restore("counter", {});
  ASSERT_THAT(r, IsOk());
  b_->LetItRun(*r);
  auto after = b_->Progress(*r);
  ASSERT_THAT(after, IsOk());
  EXPECT_GT(*after, *before) << "the process did not continue";
  // gVisor's oracle: the counter continues at last+1 — no restart, no repeat.
  auto printed = b_->Printed(*r);
  for (size_t i = 1; i < printed.size(); ++i) {
    ASSERT_EQ(printed[i], printed[i - 1] + 1)
        << "the counter went from " << printed[i - 1] << " to " << printed[i]
        << " (a restart or a lost/replayed step)";
  }
}

TEST_P(BackendTest, CheckpointReleasesEverythingAndRestoreKeepsTheIp) {
  Container c = RunCounter("web");
  ASSERT_FALSE(c.Ip().empty());
  auto cp = e().Checkpoint("web", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_EQ(cp->state, ContainerState::kExited);
  EXPECT_TRUE(cp->checkpointed);
  EXPECT_THAT(b_->Leaks(c, /*removed=*/false), IsEmpty());
  auto r = e().Restore("web", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Ip(), c.Ip());
  EXPECT_THAT(e().warnings(), IsEmpty());
  ASSERT_THAT(e().Remove("web", /*force=*/true), IsOk());
  EXPECT_THAT(b_->Leaks(*r, /*removed=*/true), IsEmpty());
}

TEST_P(BackendTest, KeepAndNoKeepLeaveExactlyTheDocumentedFiles) {
  Container a = RunCounter("nokeep");
  ASSERT_THAT(e().Checkpoint("nokeep", {}), IsOk());
  EXPECT_THAT(b_->DocumentedFiles(a.id),
              ElementsAre("checkpoint/", "checkpoint/inventory.img", "config.json",
                          "container.json", "network.status"));
  ASSERT_THAT(e().Restore("nokeep", {}), IsOk());
  EXPECT_THAT(b_->DocumentedFiles(a.id), ElementsAre("config.json", "container.json"));

  Container k = RunCounter("keep");
  ASSERT_THAT(e().Checkpoint("keep", {.keep = true}), IsOk());
  EXPECT_THAT(b_->DocumentedFiles(k.id),
              ElementsAre("checkpoint/", "checkpoint/inventory.img", "config.json",
                          "container.json", "dump.log", "network.status", "stats-dump"));
  ASSERT_THAT(e().Restore("keep", {.keep = true}), IsOk());
  EXPECT_THAT(b_->DocumentedFiles(k.id), ElementsAreArray(kDocumentedFiles));
}

TEST_P(BackendTest, MissingOrMalformedNetworkStatusMeansNewIpAndWarning) {
  for (const char* content : {"<missing>", "{not json", "[]"}) {
    SCOPED_TRACE(content);
    Container c = RunCounter("ns");
    ASSERT_THAT(e().Checkpoint("ns", {}), IsOk());
    const std::string path = e().ContainerDir(c.id) + "/network.status";
    if (std::string(content) == "<missing>") {
      ASSERT_THAT(b_->RemoveFile(path), IsOk());
    } else {
      ASSERT_THAT(b_->WriteFile(path, content), IsOk());
    }
    auto r = e().Restore("ns", {});
    ASSERT_THAT(r, IsOk());
    EXPECT_FALSE(r->Ip().empty());
    ASSERT_EQ(e().warnings().size(), 1u);
    EXPECT_THAT(e().warnings()[0], HasSubstr("new IP"));
    ASSERT_THAT(e().Remove("ns", true), IsOk());
    EXPECT_THAT(b_->Leaks(*r, /*removed=*/true), IsEmpty());
  }
}

TEST_P(BackendTest, RefusalsRefuseAndChangeNothing) {
  // Created: nothing to dump.
  auto created = e().Define({.name = "created", .bundle = b_->CounterBundle("created")});
  ASSERT_THAT(created, IsOk());
  ASSERT_THAT(e().Create("created"), IsOk());
  EXPECT_THAT(e().Checkpoint("created", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("created")));
  EXPECT_EQ(Record("created").state, ContainerState::kCreated);

  Container c = RunCounter("p");
  ASSERT_THAT(e().Pause("p"), IsOk());
  EXPECT_THAT(e().Checkpoint("p", {}), StatusIs(Code::kFailedPrecondition, HasSubstr("paused")));
  EXPECT_THAT(e().Restore("p", {}), StatusIs(Code::kFailedPrecondition, HasSubstr("paused")));
  ASSERT_THAT(e().Unpause("p"), IsOk());
  EXPECT_THAT(e().Restore("p", {}), StatusIs(Code::kFailedPrecondition, HasSubstr("running")));
  ASSERT_THAT(e().Stop("p", 2000), IsOk());
  EXPECT_THAT(e().Checkpoint("p", {}), StatusIs(Code::kFailedPrecondition, HasSubstr("exited")));
  EXPECT_THAT(e().Restore("p", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("inventory.img is missing")));

  Container d = RunCounter("consumed");
  ASSERT_THAT(e().Checkpoint("consumed", {}), IsOk());
  ASSERT_THAT(e().Restore("consumed", {}), IsOk());
  ASSERT_THAT(e().Stop("consumed", 2000), IsOk());
  EXPECT_THAT(e().Restore("consumed", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("inventory.img")));

  Container m = RunCounter("noinv");
  ASSERT_THAT(e().Checkpoint("noinv", {}), IsOk());
  ASSERT_THAT(b_->RemoveFile(e().CheckpointDir(m.id) + "/inventory.img"), IsOk());
  EXPECT_THAT(e().Restore("noinv", {}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("inventory.img")));
  EXPECT_THAT(b_->Leaks(m, /*removed=*/false), IsEmpty());
}

TEST_P(BackendTest, CorruptImageFailsWithLogKeepsCheckpointAndWorksOnceRepaired) {
  Container c = RunCounter("corrupt");
  ASSERT_THAT(e().Checkpoint("corrupt", {}), IsOk());
  ASSERT_THAT(b_->DamagePages(c.id), IsOk());
  auto r = e().Restore("corrupt", {});
  ASSERT_FALSE(r.ok());
  // CRIU's (or the fake's) restore log is quoted in the error.
  EXPECT_THAT(r.status().message(), HasSubstr("restore.log"));
  Container rec = Record("corrupt");
  EXPECT_EQ(rec.state, ContainerState::kExited);
  EXPECT_TRUE(e().HasCompleteCheckpoint(rec));
  EXPECT_THAT(b_->Leaks(rec, /*removed=*/false), IsEmpty());
  ASSERT_THAT(b_->RepairPages(c.id), IsOk());
  auto again = e().Restore("corrupt", {});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->Ip(), c.Ip());
}

// The same operation sequence, step by step: state, IP relation and documented files must be
// what the fake backend gives. The fake's trace is computed in the same run.
struct Step {
  std::string what;
  ContainerState state;
  std::vector<std::string> files;
  bool same_ip_as_first;
};

std::vector<Step> Trace(Backend& b) {
  std::vector<Step> trace;
  Engine& e = b.engine();
  auto c = e.Run({.name = "agree", .bundle = b.CounterBundle("agree")});
  if (!c.ok()) {
    ADD_FAILURE() << b.Name() << ": run: " << c.status().ToString();
    return trace;
  }
  const std::string ip0 = c->Ip();
  b.LetItRun(*c);
  auto record = [&](const std::string& what, const Status& s) {
    auto now = e.Inspect("agree");
    trace.push_back({what + (s.ok() ? " ok" : " " + std::string(CodeName(s.code()))),
                     now.ok() ? now->state : ContainerState::kRemoved,
                     b.DocumentedFiles(c->id), now.ok() && now->Ip() == ip0});
  };
  record("run", Status::Ok());
  record("pause", e.Pause("agree").status());
  record("checkpoint-paused", e.Checkpoint("agree", {}).status());
  record("unpause", e.Unpause("agree").status());
  record("checkpoint-keep", e.Checkpoint("agree", {.keep = true}).status());
  record("restore", e.Restore("agree", {}).status());
  record("checkpoint", e.Checkpoint("agree", {}).status());
  record("restore-keep", e.Restore("agree", {.keep = true}).status());
  record("stop", e.Stop("agree", 2000).status());
  record("restore-again", e.Restore("agree", {}).status());
  record("checkpoint-exited", e.Checkpoint("agree", {}).status());
  b.RemoveAll();
  return trace;
}

TEST_P(BackendTest, FakeBackendAgreesStepByStep) {
  auto fake = MakeBackend("fake");
  ASSERT_THAT(fake, IsOk());
  auto want = Trace(**fake);
  auto got = Trace(*b_);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].what);
    EXPECT_EQ(got[i].what, want[i].what);
    EXPECT_EQ(StateName(got[i].state), StateName(want[i].state));
    EXPECT_EQ(got[i].files, want[i].files);
    EXPECT_EQ(got[i].same_ip_as_first, want[i].same_ip_as_first);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::ValuesIn(BackendNames(true)),
                         [](const auto& info) { return SafeName(info.param); });

// ---------------------------------------------------------------------------------------------
// Real runtimes only: things the fake runtime has no processes for.

class RealOnlyTest : public BackendTest {};

bool HttpOk(const std::string& ip) {
  auto r = RunCommand({.argv = {"curl", "-sS", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}",
                                "http://" + ip + ":8080/passwd"},
                       .timeout_ms = 5000});
  return r.ok() && r->ok() && r->out == "200";
}

::testing::AssertionResult EventuallyHttpOk(const std::string& ip) {
  for (int i = 0; i < 30; ++i) {
    if (HttpOk(ip)) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ::testing::AssertionFailure() << "httpd on " << ip << ":8080 did not answer in 3 s";
}

TEST_P(RealOnlyTest, SeedWalkthroughHttpdKeepsItsIpAcrossCheckpointRestore) {
  const std::string bundle = "/tmp/crh-e2e-httpd-" + std::to_string(getpid());
  // Removed however the test ends (the containers go first, in TearDown's RemoveAll).
  struct RemoveBundle {
    std::string dir;
    ~RemoveBundle() { RunCommand({.argv = {"rm", "-rf", dir}}).status().IgnoreError(); }
  } remove_bundle{bundle};
  ASSERT_THAT(MakeBusyboxBundle(bundle, {"httpd", "-f", "-p", "8080", "-h", "/etc"}), IsOk());
  auto c = e().Run({.name = "httpd", .bundle = bundle});
  ASSERT_THAT(c, IsOk());
  ASSERT_TRUE(EventuallyHttpOk(c->Ip()));
  ASSERT_THAT(e().Checkpoint("httpd", {}), IsOk());
  EXPECT_FALSE(HttpOk(c->Ip())) << "httpd still answers after checkpoint";
  auto r = e().Restore("httpd", {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Ip(), c->Ip());
  // The listening socket survived: no new listen() was made, the restored one answers.
  EXPECT_TRUE(EventuallyHttpOk(r->Ip()));
  ASSERT_THAT(e().Remove("httpd", true), IsOk());
  EXPECT_THAT(b_->Leaks(*r, /*removed=*/true), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Runtimes, RealOnlyTest, ::testing::ValuesIn(BackendNames(false)),
                         [](const auto& info) { return SafeName(info.param); });

}  // namespace
}  // namespace crh::e2e
