// Goal: CliRuntime drives every runtime in the toolchain manifest (runc 1.1.5 through --criu,
// runc 1.3.6 and crun 1.28 through PATH) through the whole OciRuntime seam, and a checkpointed
// container continues where it stopped: its counter goes on at last+1, with no gap and no
// repeat, and its stdout keeps reaching the same log across checkpoint/restore.
// Method: one busybox container per test, counting in a shell loop into /tmp/c and stdout; a
// private runtime state root and images under a fresh /tmp directory, removed even on failure.
// Needs root, namespaces, cgroups and /opt/crh (tags local, exclusive). A missing manifest is a
// failure that says to run `sudo ci/setup.sh`, never a skip.
#include "src/oci/cli_runtime.h"

#include "src/base/host.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/oci/bundle.h"
#include "src/oci/toolchain.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

const std::vector<std::string> kCounter = {
    "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; echo $i; sleep 0.1; done"};

struct RuntimeParam {
  ToolchainRuntime runtime;
  std::string load_error;  // set when the manifest could not be loaded: every test fails
};

// gtest prints the runtime's name instead of the parameter's bytes.
void PrintTo(const RuntimeParam& p, std::ostream* os) { *os << p.runtime.name; }

std::vector<RuntimeParam> ManifestRuntimes() {
  auto tc = LoadToolchain();
  if (!tc.ok()) return {{.runtime = {.name = "manifest_missing"}, .load_error = tc.status().ToString()}};
  std::vector<RuntimeParam> out;
  for (const auto& rt : tc->runtimes) out.push_back({.runtime = rt});
  return out;
}

std::string ParamName(const ::testing::TestParamInfo<RuntimeParam>& info) {
  std::string n = info.param.runtime.name;
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The integers of a log, one a line (other lines are ignored but counted).
std::vector<long> Numbers(const std::string& text, int* other_lines = nullptr) {
  std::vector<long> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    char* end = nullptr;
    long v = strtol(line.c_str(), &end, 10);
    if (!line.empty() && end && *end == '\0') {
      out.push_back(v);
    } else if (other_lines) {
      ++*other_lines;
    }
  }
  return out;
}

long ReadCounter(const std::string& path) {
  auto n = Numbers(ReadAll(path));
  return n.empty() ? -1 : n.back();
}

// Polls `pred` until it holds or `timeout` passes; says what it last saw.
::testing::AssertionResult WaitFor(const std::string& what, const std::function<bool()>& pred,
                                   const std::function<std::string()>& seen,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (pred()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "timed out after " << timeout.count() << " ms waiting for "
                                       << what << "; last saw: " << seen();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

class CliRuntimeTest : public ::testing::TestWithParam<RuntimeParam> {
 protected:
  void SetUp() override {
    if (!GetParam().load_error.empty()) {
      FAIL() << GetParam().load_error
             << "\nThe end-to-end runtime tests need the toolchain: run `sudo ci/setup.sh`.";
    }
    auto tc = LoadToolchain();
    ASSERT_THAT(tc, IsOk());
    char tmpl[] = "/tmp/crh-oci-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << strerror(errno);
    dir_ = tmpl;
    bundle_ = dir_ + "/bundle";
    log_ = dir_ + "/stdio.log";
    CliRuntimeConfig config = CliRuntimeConfigFor(*tc, GetParam().runtime, dir_ + "/state");
    config.timeout_ms = 60'000;
    auto rt = CliRuntime::Make(config);
    ASSERT_THAT(rt, IsOk());
    runtime_ = *rt;
    ASSERT_THAT(MakeBusyboxBundle(bundle_, kCounter, {.hostname = "counter"}), IsOk());
  }

  void TearDown() override {
    for (const auto& id : ids_) {
      if (runtime_) runtime_->Delete(id, /*force=*/true).IgnoreError();  // may already be gone
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      EXPECT_FALSE(ec) << "cannot remove " << dir_ << ": " << ec.message();
    }
  }

  // Unique in this process: the runtimes name cgroups after the ID, so IDs are never reused.
  std::string NewId() {
    static int next = 0;
    ids_.push_back("crh-t" + std::to_string(getpid()) + "-" + std::to_string(next++));
    return ids_.back();
  }

  std::string CounterFile() const { return bundle_ + "/rootfs/tmp/c"; }

  ::testing::AssertionResult WaitForStatus(const std::string& id, RuntimeStatus want) {
    std::string last;
    return WaitFor(
        std::string("status ") + std::string(RuntimeStatusName(want)),
        [&] {
          auto s = runtime_->State(id);
          last = s.ok() ? std::string(RuntimeStatusName(s->status)) : s.status().ToString();
          return s.ok() && s->status == want;
        },
        [&] { return last; });
  }

  ::testing::AssertionResult WaitForCounter(long at_least) {
    return WaitFor("counter >= " + std::to_string(at_least),
                   [&] { return ReadCounter(CounterFile()) >= at_least; },
                   [&] { return "counter " + std::to_string(ReadCounter(CounterFile())); });
  }

  ::testing::AssertionResult WaitForLogNumber(long at_least) {
    return WaitFor(
        "log to reach " + std::to_string(at_least),
        [&] {
          auto n = Numbers(ReadAll(log_));
          return !n.empty() && n.back() >= at_least;
        },
        [&] {
          std::string t = ReadAll(log_);
          return "log tail: " + (t.size() > 200 ? t.substr(t.size() - 200) : t);
        });
  }

  void StartCounter(const std::string& id) {
    ASSERT_THAT(runtime_->Create(id, {.bundle = bundle_, .stdio_log = log_}), IsOk());
    ASSERT_THAT(runtime_->Start(id), IsOk());
    ASSERT_TRUE(WaitForCounter(5));
  }

  std::string dir_, bundle_, log_;
  std::shared_ptr<CliRuntime> runtime_;
  std::vector<std::string> ids_;
};

TEST_P(CliRuntimeTest, LifecycleAndErrorCodes) {
  const std::string id = NewId();
  ASSERT_THAT(runtime_->Create(id, {.bundle = bundle_,
                                    .pid_file = dir_ + "/pid",
                                    .stdio_log = log_}),
              IsOk());
  auto st = runtime_->State(id);
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->status, RuntimeStatus::kCreated);
  EXPECT_GT(st->pid, 0);
  EXPECT_EQ(st->id, id);
  EXPECT_EQ(fs::canonical(st->bundle), fs::canonical(bundle_));
  EXPECT_EQ(std::stoi(ReadAll(dir_ + "/pid")), st->pid);
  EXPECT_THAT(runtime_->Create(id, {.bundle = bundle_, .stdio_log = log_}),
              StatusIs(Code::kAlreadyExists));

  ASSERT_THAT(runtime_->Start(id), IsOk());
  ASSERT_TRUE(WaitForStatus(id, RuntimeStatus::kRunning));
  ASSERT_TRUE(WaitForLogNumber(3)) << "the container's stdout reaches the log";
  EXPECT_THAT(runtime_->Start(id), StatusIs(Code::kFailedPrecondition));

  ASSERT_THAT(runtime_->Pause(id), IsOk());
  EXPECT_THAT(runtime_->Pause(id), StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(runtime_->State(id)->status, RuntimeStatus::kPaused);
  long frozen = ReadCounter(CounterFile());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(ReadCounter(CounterFile()), frozen) << "a paused container does not count";
  ASSERT_THAT(runtime_->Resume(id), IsOk());
  EXPECT_EQ(runtime_->State(id)->status, RuntimeStatus::kRunning);
  ASSERT_TRUE(WaitForCounter(frozen + 2));
  EXPECT_THAT(runtime_->Resume(id), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(runtime_->Delete(id, /*force=*/false), StatusIs(Code::kFailedPrecondition));

  ASSERT_THAT(runtime_->Kill(id, SIGKILL), IsOk());
  ASSERT_TRUE(WaitForStatus(id, RuntimeStatus::kStopped));
  EXPECT_THAT(runtime_->Pause(id), StatusIs(Code::kFailedPrecondition));
  ASSERT_THAT(runtime_->Delete(id, /*force=*/false), IsOk());
  EXPECT_THAT(runtime_->State(id), StatusIs(Code::kNotFound));

  const std::string ghost = "crh-no-such-container";
  EXPECT_THAT(runtime_->State(ghost), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Start(ghost), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Kill(ghost, SIGTERM), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Pause(ghost), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Resume(ghost), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Delete(ghost, /*force=*/true), StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->Checkpoint(ghost, {.image_path = dir_ + "/ghost-img"}),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(runtime_->State("../etc"), StatusIs(Code::kInvalidArgument));
}

TEST_P(CliRuntimeTest, CheckpointRestoreContinuesCounter) {
  const std::string id = NewId();
  StartCounter(id);
  ASSERT_TRUE(WaitForLogNumber(5));

  const std::string img = dir_ + "/img", work = dir_ + "/work";
  auto t0 = Clock::now();
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = img, .work_path = work}), IsOk());
  double checkpoint_s = Seconds(t0);
  EXPECT_THAT(runtime_->State(id), StatusIs(Code::kNotFound)) << "checkpoint deletes the container";
  EXPECT_TRUE(fs::exists(img + "/inventory.img"));
  EXPECT_TRUE(fs::exists(img + "/descriptors.json"));
  EXPECT_THAT(ReadAll(work + "/dump.log"), HasSubstr("Dumping finished successfully"));
  long at_dump = ReadCounter(CounterFile());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(ReadCounter(CounterFile()), at_dump) << "nothing counts while checkpointed";

  t0 = Clock::now();
  ASSERT_THAT(runtime_->Restore(id, {.bundle = bundle_,
                                     .image_path = img,
                                     .work_path = work,
                                     .pid_file = dir_ + "/restored.pid",
                                     .stdio_log = log_}),
              IsOk());
  double restore_s = Seconds(t0);
  auto st = runtime_->State(id);
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->status, RuntimeStatus::kRunning);
  EXPECT_EQ(std::stoi(ReadAll(dir_ + "/restored.pid")), st->pid);
  EXPECT_THAT(ReadAll(work + "/restore.log"), HasSubstr("Restore finished successfully"));
  ASSERT_TRUE(WaitForCounter(at_dump + 5)) << "the restored container counts on";
  ASSERT_TRUE(WaitForLogNumber(at_dump + 5)) << "output after restore reaches the same log";

  // The oracle: the log is 1, 2, 3, ... with no gap and no repeat across the restore.
  int other = 0;
  std::vector<long> seq = Numbers(ReadAll(log_), &other);
  EXPECT_EQ(other, 0) << ReadAll(log_);
  ASSERT_FALSE(seq.empty());
  EXPECT_EQ(seq.front(), 1);
  for (size_t i = 1; i < seq.size(); ++i) {
    ASSERT_EQ(seq[i], seq[i - 1] + 1) << "at line " << i + 1 << " (dumped at " << at_dump << ")";
  }

  // A second round, from the restored container.
  const std::string img2 = dir_ + "/img2";
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = img2, .work_path = img2}), IsOk());
  long at_dump2 = ReadCounter(CounterFile());
  ASSERT_THAT(runtime_->Restore(id, {.bundle = bundle_, .image_path = img2, .stdio_log = log_}),
              IsOk());
  ASSERT_TRUE(WaitForCounter(at_dump2 + 3));

  std::cout << "[timing] " << runtime_->Name() << ": checkpoint " << checkpoint_s
            << " s, restore " << restore_s << " s\n";
  RecordProperty("checkpoint_ms", static_cast<int>(checkpoint_s * 1000));
  RecordProperty("restore_ms", static_cast<int>(restore_s * 1000));
}

TEST_P(CliRuntimeTest, LeaveRunningAndPausedCheckpoints) {
  const std::string id = NewId();
  StartCounter(id);
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = dir_ + "/img", .leave_running = true}),
              IsOk());
  EXPECT_EQ(runtime_->State(id)->status, RuntimeStatus::kRunning);
  long c = ReadCounter(CounterFile());
  ASSERT_TRUE(WaitForCounter(c + 2)) << "still counting after --leave-running";

  ASSERT_THAT(runtime_->Pause(id), IsOk());
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = dir_ + "/img-paused"}), IsOk())
      << "a paused container can be checkpointed";
  EXPECT_THAT(runtime_->State(id), StatusIs(Code::kNotFound));
}

TEST_P(CliRuntimeTest, CheckpointOfCreatedContainer) {
  const std::string id = NewId();
  ASSERT_THAT(runtime_->Create(id, {.bundle = bundle_, .stdio_log = log_}), IsOk());
  Status s = runtime_->Checkpoint(id, {.image_path = dir_ + "/img", .work_path = dir_ + "/work"});
  // Observed per runtime (runc 1.1.5, runc 1.3.6, crun 1.28 with CRIU 4.2.1):
  //   runc refuses before CRIU runs: "Container cannot be checkpointed in created state".
  //   crun does not check the state: it runs CRIU, which fails ("Can't lookup mount=N for fd=-3
  //   path=/ ... Dumping FAILED") and crun
  //   exits 1 with "CRIU checkpointing failed: -52". CliRuntime classifies both as
  //   kFailedPrecondition because the container's status is `created`.
  EXPECT_THAT(s, StatusIs(Code::kFailedPrecondition));
  std::cout << "[observed] " << runtime_->Name() << " checkpoint of a created container: "
            << s.ToString() << "\n";
  if (GetParam().runtime.name.rfind("runc", 0) == 0) {
    EXPECT_THAT(s, StatusIs(Code::kFailedPrecondition, HasSubstr("created state")));
  } else if (GetParam().runtime.name.rfind("crun", 0) == 0) {
    EXPECT_THAT(s, StatusIs(Code::kFailedPrecondition, HasSubstr("CRIU")));
  }
  auto st = runtime_->State(id);
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->status, RuntimeStatus::kCreated) << "a refused checkpoint leaves it as it was";
}

// Truncates every image file whose name starts with `prefix` to `fraction` of its size.
int TruncateImages(const std::string& img, const std::string& prefix, double fraction) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(img)) {
    if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
    fs::resize_file(e.path(), static_cast<uintmax_t>(static_cast<double>(e.file_size()) * fraction));
    ++n;
  }
  return n;
}


void ExpectNoTraces(CliRuntime& runtime, const std::string& dir, const std::string& id) {
  EXPECT_THAT(runtime.State(id), StatusIs(Code::kNotFound)) << "no half-restored container";
  EXPECT_FALSE(fs::exists(dir + "/state/" + id));
  EXPECT_THAT(MountsUnder(dir), ::testing::IsEmpty());
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/freezer/" + id)) << "cgroup left behind";
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/pids/" + id)) << "cgroup left behind";
}

TEST_P(CliRuntimeTest, CorruptImageFailsRestoreAndLeavesNoContainer) {
  const std::string id = NewId();
  StartCounter(id);
  const std::string img = dir_ + "/img", work = dir_ + "/work";
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = img, .work_path = work}), IsOk());
  // The page index cut in half: CRIU notices while reading it and fails cleanly.
  ASSERT_GT(TruncateImages(img, "pagemap-", 0.5), 0) << "no pagemap-*.img in " << img;
  auto t0 = Clock::now();
  Status s = runtime_->Restore(id, {.bundle = bundle_,
                                    .image_path = img,
                                    .work_path = work,
                                    .stdio_log = log_});
  EXPECT_THAT(s, StatusIs(Code::kUnavailable, HasSubstr("restore.log")));
  EXPECT_THAT(s.message(), HasSubstr("Error ("));
  std::cout << "[observed] " << runtime_->Name() << " restore of a truncated pagemap ("
            << Seconds(t0) << " s): " << s.ToString() << "\n";
  ExpectNoTraces(*runtime_, dir_, id);

  // An image directory without inventory.img is data loss, caught before the runtime runs.
  fs::create_directories(dir_ + "/empty-img");
  EXPECT_THAT(runtime_->Restore(id, {.bundle = bundle_, .image_path = dir_ + "/empty-img"}),
              StatusIs(Code::kDataLoss));
  EXPECT_THAT(runtime_->Restore(id, {.bundle = bundle_, .image_path = dir_ + "/no-such-img"}),
              StatusIs(Code::kNotFound));
}

// Truncated page data is worse than a truncated index: CRIU 4.2.1's restorer can loop forever on
// the short read (seen with both runc versions). CliRuntime's timeout must then kill the runtime
// and the half-restored tasks, and leave no container, cgroup or mount behind.
TEST_P(CliRuntimeTest, TruncatedPagesRestoreFailsOrTimesOutCleanly) {
  const std::string id = NewId();
  StartCounter(id);
  const std::string img = dir_ + "/img", work = dir_ + "/work";
  ASSERT_THAT(runtime_->Checkpoint(id, {.image_path = img, .work_path = work}), IsOk());
  ASSERT_GT(TruncateImages(img, "pages-", 0.0), 0) << "no pages-*.img in " << img;
  CliRuntimeConfig config = runtime_->config();
  config.timeout_ms = 8'000;
  auto quick = CliRuntime::Make(config);
  ASSERT_THAT(quick, IsOk());
  auto t0 = Clock::now();
  Status s = (*quick)->Restore(id, {.bundle = bundle_,
                                    .image_path = img,
                                    .work_path = work,
                                    .stdio_log = log_});
  EXPECT_THAT(s, StatusIs(Code::kUnavailable, HasSubstr("restore.log")));
  std::cout << "[observed] " << runtime_->Name() << " restore of truncated pages ("
            << Seconds(t0) << " s): "
            << (s.message().find("timed out") != std::string::npos ? "timed out" : "failed")
            << "\n";
  ExpectNoTraces(**quick, dir_, id);
}

INSTANTIATE_TEST_SUITE_P(Manifest, CliRuntimeTest, ::testing::ValuesIn(ManifestRuntimes()),
                         ParamName);

}  // namespace
}  // namespace crh
