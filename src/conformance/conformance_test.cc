// Goal: `bazel test //...` runs the checkpoint/restore conformance suite against every runtime in
// the toolchain manifest and gates it against the committed baseline
// (conformance/baseline/<runtime>.json), so that a change to crh, to the toolchain or to the
// machine setup that breaks a check that used to pass is caught; and it proves the gate rejects
// a really broken candidate: the faulty-runtime wrapper around runc that drops
// --tcp-established on checkpoint and ignores the netns path on restore.
// Method: the suite runs in-process (RunSuite), TAP on stdout, the JSON report in
// $TEST_UNDECLARED_OUTPUTS_DIR; the diff table is the failure message. Needs root, namespaces,
// cgroups and /opt/crh (tags local, exclusive). A missing manifest or baseline is a failure that
// names the fix (`sudo ci/setup.sh`, `sudo ci/conformance-matrix.sh`), never a skip.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/conformance/report.h"
#include "src/conformance/runner.h"
#include "src/oci/toolchain.h"

namespace crh::conformance {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ManifestRuntimes() {
  auto tc = LoadToolchain();
  if (!tc.ok()) return {"manifest_missing"};
  std::vector<std::string> out;
  for (const auto& rt : tc->runtimes) out.push_back(rt.name);
  return out;
}

std::string OutputDir() {
  const char* d = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return d && *d ? d : "/tmp";
}

// The committed baseline, from the runfiles (bazel test's cwd is the workspace's runfiles root).
Result<SuiteReport> Baseline(const std::string& runtime) {
  std::string path = "conformance/baseline/" + runtime + ".json";
  auto r = LoadReport(path);
  if (!r.ok()) {
    return r.status().WithContext("no baseline for " + runtime +
                                  "; run `sudo ci/conformance-matrix.sh " + runtime + "`");
  }
  return r;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, NoRegressionAgainstBaseline) {
  ASSERT_NE(GetParam(), "manifest_missing")
      << LoadToolchain().status().ToString() << "\nThe conformance test needs the toolchain: run "
      << "`sudo ci/setup.sh`.";
  auto rt = ResolveRuntime(GetParam(), "");
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  auto base = Baseline(GetParam());
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  SuiteReport report = RunSuite(*rt, AllChecks(), {.tap = &std::cout});
  std::ofstream(OutputDir() + "/" + GetParam() + ".json") << ToJson(report);
  GateDiff d = Diff(*base, report);
  std::cout << DiffTable(d, *base, report);
  EXPECT_TRUE(d.ok()) << DiffTable(d, *base, report);
  EXPECT_GE(report.results.size(), 30u);
  RecordProperty("seconds", static_cast<int>(report.seconds));
}

INSTANTIATE_TEST_SUITE_P(Manifest, ConformanceTest, ::testing::ValuesIn(ManifestRuntimes()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// A candidate whose checkpoint drops --tcp-established and whose restore ignores the netns path
// must be rejected, with both checks named as regressions.
TEST(GateTest, RejectsBrokenCandidate) {
  const std::string base_name = "runc-1.3.6";
  auto tc = LoadToolchain();
  ASSERT_TRUE(tc.ok()) << tc.status().ToString() << "\nrun `sudo ci/setup.sh`";
  auto real = tc->FindRuntime(base_name);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  auto base = Baseline(base_name);
  ASSERT_TRUE(base.ok()) << base.status().ToString();

  std::string wrapper = fs::absolute("src/faults/faulty-runtime").string();
  ASSERT_EQ(access(wrapper.c_str(), X_OK), 0) << wrapper << " is not in the runfiles";
  char tmpl[] = "/tmp/crh-gate-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, plan = dir + "/plan.json";
  // Removed even when an assertion below returns early.
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } remove_dir{dir};
  std::ofstream(plan) << R"({"runtime": ")" << real->path << R"(", "faults": [
      {"command": "checkpoint", "action": "drop_flag", "flag": "--tcp-established"},
      {"command": "restore", "action": "ignore_netns"}]})";
  // The wrapper needs its plan even for `--version`.
  setenv("CRH_FAULT_PLAN", plan.c_str(), 1);
  auto rt = ResolveRuntime(wrapper, "", "faulty-runc");
  unsetenv("CRH_FAULT_PLAN");
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  EXPECT_EQ(rt->version, real->version) << "the wrapper forwards --version";
  rt->env["CRH_FAULT_PLAN"] = plan;

  const std::vector<std::string> only = {"net.established-with-flag",
                                         "net.external-netns-same-inode", "restore.new-id"};
  SuiteReport cand = RunSuite(*rt, AllChecks(), {.only = only, .tap = &std::cout});
  SuiteReport narrowed = *base;
  narrowed.results.clear();
  for (const auto& b : base->results) {
    for (const auto& id : only) {
      if (b.id == id) narrowed.results.push_back(b);
    }
  }
  GateDiff d = Diff(narrowed, cand);
  std::string table = DiffTable(d, narrowed, cand);
  std::cout << table;
  EXPECT_FALSE(d.ok()) << table;
  std::vector<std::string> ids;
  for (const auto& r : d.regressions) ids.push_back(r.id);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("net.established-with-flag",
                                                   "net.external-netns-same-inode"))
      << table;
  EXPECT_THAT(table, ::testing::HasSubstr("REGRESSIONS"));
}

}  // namespace
}  // namespace crh::conformance
