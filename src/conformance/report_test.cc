// Goal: the report formats and the gate's verdict are right without any runtime: a check that
// passed in the baseline and fails, skips or is missing in the candidate is a regression; a fix
// is not; JSON survives a round trip; TAP, JUnit and the matrix carry the reasons.
// Method: hand-made SuiteReports.
#include "src/conformance/report.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crh::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SuiteReport Make(const std::string& name, std::vector<std::pair<std::string, Outcome>> rs) {
  SuiteReport r{.runtime_name = name, .runtime_path = "/bin/" + name, .runtime_version = "1.0"};
  for (auto& [id, o] : rs) {
    r.results.push_back({.id = id, .title = "t " + id, .expect = "e", .why = "w", .outcome = o,
                         .reason = o == Outcome::kPass ? "" : "because " + id});
  }
  return r;
}

TEST(ReportTest, JsonRoundTrip) {
  SuiteReport r = Make("rt-1.0", {{"a.x", Outcome::kPass}, {"a.y", Outcome::kFail},
                                  {"b.z", Outcome::kSkip}});
  r.results[1].log = "the log";
  auto back = ParseReport(ToJson(r), "test");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->results.size(), 3u);
  EXPECT_EQ(back->results[1].outcome, Outcome::kFail);
  EXPECT_EQ(back->results[1].log, "the log");
  EXPECT_EQ(back->results[2].reason, "because b.z");
  EXPECT_FALSE(ParseReport("{}", "x").ok());
}

TEST(ReportTest, GateFindsRegressionsAndFixes) {
  SuiteReport base = Make("base", {{"a", Outcome::kPass}, {"b", Outcome::kPass},
                                   {"c", Outcome::kPass}, {"d", Outcome::kFail},
                                   {"e", Outcome::kSkip}});
  SuiteReport cand = Make("cand", {{"a", Outcome::kPass}, {"b", Outcome::kFail},
                                   {"d", Outcome::kPass}, {"e", Outcome::kSkip},
                                   {"f", Outcome::kFail}});
  cand.results.push_back({.id = "c", .outcome = Outcome::kSkip, .reason = "no flag"});
  GateDiff d = Diff(base, cand);
  EXPECT_FALSE(d.ok());
  ASSERT_EQ(d.regressions.size(), 2u);
  EXPECT_EQ(d.regressions[0].id, "b");
  EXPECT_EQ(d.regressions[1].id, "c");
  EXPECT_EQ(d.regressions[1].candidate, "skip");
  ASSERT_EQ(d.fixes.size(), 1u);
  EXPECT_EQ(d.fixes[0].id, "d");
  EXPECT_EQ(d.added.size(), 1u);
  std::string table = DiffTable(d, base, cand);
  EXPECT_THAT(table, HasSubstr("REGRESSIONS"));
  EXPECT_THAT(table, HasSubstr("because b"));
  EXPECT_THAT(table, HasSubstr("gate: FAIL (2 regression(s))"));
  EXPECT_THAT(GateJUnit(d, cand), HasSubstr("failures=\"2\""));

  SuiteReport missing = Make("cand", {{"a", Outcome::kPass}});
  EXPECT_EQ(Diff(Make("b", {{"a", Outcome::kPass}, {"z", Outcome::kPass}}), missing)
                .regressions.size(),
            1u);
  EXPECT_TRUE(Diff(base, base).ok());
}

TEST(ReportTest, TapJunitAndMatrixCarryReasons) {
  SuiteReport a = Make("runc-1.0", {{"x.one", Outcome::kPass}, {"x.two", Outcome::kFail}});
  SuiteReport b = Make("crun-1.0", {{"x.one", Outcome::kPass}, {"x.two", Outcome::kSkip}});
  std::ostringstream tap;
  TapHeader(tap, "runc", 2);
  TapLine(tap, 1, a.results[0]);
  TapLine(tap, 2, a.results[1]);
  TapLine(tap, 3, b.results[1]);
  EXPECT_THAT(tap.str(), HasSubstr("TAP version 13\n1..2"));
  EXPECT_THAT(tap.str(), HasSubstr("ok 1 - x.one"));
  EXPECT_THAT(tap.str(), HasSubstr("not ok 2 - x.two"));
  EXPECT_THAT(tap.str(), HasSubstr("# SKIP because x.two"));
  EXPECT_THAT(ToJUnit({a}), HasSubstr("<failure message=\"because x.two\""));
  std::string md = MatrixMarkdown({a, b});
  EXPECT_THAT(md, HasSubstr("Where the runtimes differ (1 checks)"));
  EXPECT_THAT(md, HasSubstr("**FAIL** [1]"));
  EXPECT_THAT(md, HasSubstr("[2] `x.two` on crun-1.0: because x.two"));
  std::string html = MatrixHtml({a, b});
  EXPECT_THAT(html, HasSubstr("title=\"because x.two\""));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

}  // namespace
}  // namespace crh::conformance
