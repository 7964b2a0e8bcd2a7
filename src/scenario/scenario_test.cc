// Goal: the scenario format parses what docs/scenarios.md documents, rejects everything else
// with the JSON path of the bad field, and round-trips; `RunReplay` runs every file, reports
// malformed and failing ones without stopping, writes JUnit/JSON, and exits non-zero on failure.
// Method: small inline scenarios and the files under src/scenario/testdata, on the fake backend.
#include "src/scenario/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "src/base/status_matchers.h"
#include "src/scenario/replay.h"
#include "src/scenario/runner.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

const char* kTestdata = "src/scenario/testdata/";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ScenarioTest, RoundTripsThroughJson) {
  const std::string text = R"({
    "name": "rt", "description": "d", "seed": 9, "backends": ["fake"],
    "containers": [{"name": "a", "command": ["sh"], "static_ip": "10.88.0.7"}, {"name": "b"}],
    "fault_plan": {"seed": 3, "rules": [{"site": "cni.add", "trigger": {"kind": "nth", "n": 2}}]},
    "steps": [
      {"op": "run", "container": "a", "faults": [{"site": "fs.write", "effect": "partial_write"}],
       "expect": {"ok": true, "state": "running", "ip": "10.88.0.7"}},
      {"op": "checkpoint", "containers": ["a", "b"], "keep": true,
       "expect": {"error": "NOT_FOUND", "files_present": ["checkpoint/inventory.img"]},
       "expect_containers": {"b": {"removed": true, "no_leaks": true}}},
      {"op": "restore", "container": "a", "expect": {"ip": {"same_as_step": 0}, "warning": "x"}},
      {"op": "crash_then_sync", "container": "a", "crash_at": "engine.restore.after_network",
       "operation": "restore", "expect": {"crashed": true, "record_consistent": true}},
      {"op": "reserve_ip", "ip": "10.88.0.9", "owner": "other"}
    ]})";
  auto s = ParseScenario(text, "inline");
  ASSERT_THAT(s, IsOk());
  auto again = ParseScenario(ScenarioToJson(*s), "printed");
  ASSERT_THAT(again, IsOk()) << ScenarioToJson(*s);
  EXPECT_EQ(*again, *s);
  EXPECT_EQ(s->steps[2].expect.container.ip->kind, IpExpect::Kind::kSameAsStep);
}

struct BadCase {
  std::string text;
  std::string path;
};

class MalformedTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedTest, NamesTheJsonPathOfTheBadField) {
  auto s = ParseScenario(GetParam().text, "f.json");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("f.json: " + GetParam().path));
}

const char* kHead = R"("name": "x", "description": "d", "containers": [{"name": "a"}], )";

INSTANTIATE_TEST_SUITE_P(
    Fields, MalformedTest,
    ::testing::Values(
        BadCase{"[1]", "$: expected an object"},
        BadCase{"{not json", "$: not valid JSON"},
        BadCase{R"({"description": "d", "steps": [{"op": "sync_all"}]})", "$.name: missing"},
        BadCase{std::string("{") + kHead + R"("steps": [{"op": "fly", "container": "a"}]})",
                "$.steps[0].op: unknown operation \"fly\""},
        BadCase{std::string("{") + kHead + R"("steps": [{"op": "run", "container": "z"}]})",
                "$.steps[0].container: \"z\" is not declared"},
        BadCase{std::string("{") + kHead +
                    R"("steps": [{"op": "run", "container": "a", "expect": {"stat": 1}}]})",
                "$.steps[0].expect.stat: unknown field"},
        BadCase{std::string("{") + kHead +
                    R"("steps": [{"op": "run", "container": "a", "expect": {"state": "gone"}}]})",
                "$.steps[0].expect.state: expected one of"},
        BadCase{std::string("{") + kHead +
                    R"("steps": [{"op": "run", "container": "a",
                        "expect": {"ip": {"same_as_step": 0}}}]})",
                "$.steps[0].expect.ip.same_as_step: expected the index of an earlier step"},
        BadCase{std::string("{") + kHead +
                    R"("steps": [{"op": "run", "container": "a",
                        "faults": [{"site": "cni.add", "trigger": {"kind": "sometimes"}}]}]})",
                "$.steps[0].faults[0].trigger.kind: expected one of always"},
        BadCase{std::string("{") + kHead +
                    R"("fault_plan": {"rules": [{"site": "nowhere"}]}, "steps": [{"op": "sync_all"}]})",
                "$.fault_plan.rules[0].site: unknown fault site"},
        BadCase{std::string("{") + kHead +
                    R"("steps": [{"op": "crash_then_sync", "container": "a",
                        "crash_at": "cni.add"}]})",
                "$.steps[0].crash_at: expected an engine.* fault site"},
        BadCase{std::string("{") + kHead + R"("steps": [{"op": "run", "container": "a",
                        "expect": {"error": "OOPS"}}]})",
                "$.steps[0].expect.error: expected an error code name"}));

TEST(ReplayTest, GoodScenarioPassesOnFakes) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReplay({.paths = {std::string(kTestdata) + "good.json"}}, out, err), 0)
      << out.str() << err.str();
  EXPECT_THAT(out.str(), HasSubstr("1 passed, 0 failed"));
}

TEST(ReplayTest, ReportsEveryFileAndExitsNonZeroOnFailure) {
  const std::string dir = ::testing::TempDir();
  ReplayOptions o{.paths = {kTestdata}, .junit = dir + "/r.xml", .json = dir + "/r.json"};
  std::ostringstream out, err;
  EXPECT_EQ(RunReplay(o, out, err), 1);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("MALFORMED src/scenario/testdata/bad_field.json"));
  EXPECT_THAT(text, HasSubstr("$.steps[1].expect.stat: unknown field"));
  EXPECT_THAT(text, HasSubstr("FAIL      src/scenario/testdata/fails.json"));
  EXPECT_THAT(text, HasSubstr("steps[1] (stop web): container web: expected state running, "
                              "got exited"));
  EXPECT_THAT(text, HasSubstr("4 scenario(s) on the fake backend: 2 passed, 2 failed"));
  EXPECT_THAT(Read(dir + "/r.xml"), HasSubstr("<failure message="));
  EXPECT_THAT(Read(dir + "/r.json"), HasSubstr("\"outcome\": \"MALFORMED\""));
}

TEST(ReplayTest, FakeOnlyStepsAreSkippedOnTheRealBackend) {
  auto s = ParseScenario(Read(std::string(kTestdata) + "fake_only.json"), "fake_only.json");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(NeedsFakeBackend(*s), "step 1 uses tick");
}

TEST(ReplayTest, MissingPathIsABadOption) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReplay({.paths = {"no/such/dir"}}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("no/such/dir: no such file or folder"));
}

}  // namespace
}  // namespace crh
