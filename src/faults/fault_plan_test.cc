// Goal: a FaultPlan fires exactly when its rules say, the same way for the same seed, and its JSON
// form round-trips and rejects bad input by naming the JSON path. Method: drive Check() by hand
// with known call sequences and compare the firing pattern; round-trip one rule per effect and
// trigger kind; feed FromJson one broken field at a time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/base/status.h"
#include "src/base/status_matchers.h"
#include "src/faults/fault_plan.h"

namespace crh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Which of the first `calls` checks of `site` fired, as a 0/1 string.
std::string Pattern(FaultPlan& plan, const std::string& site, int calls,
                    const std::string& subject = "") {
  std::string out;
  for (int i = 0; i < calls; ++i) out += plan.Check(site, subject) ? '1' : '0';
  return out;
}

TEST(FaultPlanTest, EmptyPlanNeverFires) {
  FaultPlan plan;
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(Pattern(plan, "fs.write", 5), "00000");
  EXPECT_EQ(plan.Calls("fs.write"), 5);
  EXPECT_EQ(plan.Fired("fs.write"), 0);
}

TEST(FaultPlanTest, AlwaysFiresOnEveryCallOfItsSiteOnly) {
  FaultPlan plan;
  plan.Add({.site = "cni.add"});
  EXPECT_EQ(Pattern(plan, "cni.add", 3), "111");
  EXPECT_EQ(Pattern(plan, "cni.del", 3), "000");
}

TEST(FaultPlanTest, NthFiresOnlyOnTheNthCall) {
  FaultPlan plan;
  plan.Add({.site = "fs.write", .trigger = Trigger::Nth(3)});
  EXPECT_EQ(Pattern(plan, "fs.write", 7), "0010000");
  EXPECT_EQ(plan.Calls("fs.write"), 7);
  EXPECT_EQ(plan.Fired("fs.write"), 1);
}

TEST(FaultPlanTest, EveryKFiresOnMultiplesOfK) {
  FaultPlan plan;
  plan.Add({.site = "fs.read", .trigger = Trigger::EveryK(3)});
  EXPECT_EQ(Pattern(plan, "fs.read", 9), "001001001");
  EXPECT_EQ(plan.Fired("fs.read"), 3);
}

TEST(FaultPlanTest, ProbabilityIsDeterministicPerSeedAndRoughlyRight) {
  auto run = [](uint64_t seed) {
    FaultPlan plan(seed);
    plan.Add({.site = "cni.add", .trigger = Trigger::Probability(0.3)});
    return Pattern(plan, "cni.add", 1000);
  };
  const std::string a = run(42);
  EXPECT_EQ(a, run(42));
  EXPECT_NE(a, run(43));
  const auto ones = std::count(a.begin(), a.end(), '1');
  EXPECT_GT(ones, 200);
  EXPECT_LT(ones, 400);

  FaultPlan never(1), always(1);
  never.Add({.site = "cni.add", .trigger = Trigger::Probability(0)});
  always.Add({.site = "cni.add", .trigger = Trigger::Probability(1)});
  EXPECT_EQ(Pattern(never, "cni.add", 20), std::string(20, '0'));
  EXPECT_EQ(Pattern(always, "cni.add", 20), std::string(20, '1'));
}

TEST(FaultPlanTest, ResetCountersReplaysTheSameFirings) {
  FaultPlan plan(9);
  plan.Add({.site = "fs.write", .trigger = Trigger::Probability(0.5)})
      .Add({.site = "fs.write", .trigger = Trigger::Nth(4)});
  const std::string first = Pattern(plan, "fs.write", 50);
  plan.ResetCounters();
  EXPECT_EQ(plan.Calls("fs.write"), 0);
  EXPECT_EQ(plan.Fired("fs.write"), 0);
  EXPECT_EQ(Pattern(plan, "fs.write", 50), first);
}

TEST(FaultPlanTest, SubjectFilterCountsOnlyMatchingCalls) {
  FaultPlan plan;
  plan.Add({.site = "fs.write", .trigger = Trigger::Nth(2), .subject = "network.status"});
  EXPECT_FALSE(plan.Check("fs.write", "/var/lib/crh/web/network.status"));  // 1st match
  EXPECT_FALSE(plan.Check("fs.write", "/var/lib/crh/web/record.json"));     // not a match
  EXPECT_TRUE(plan.Check("fs.write", "/var/lib/crh/db/network.status"));    // 2nd match
  EXPECT_FALSE(plan.Check("fs.write", "/x/network.status"));
  EXPECT_EQ(plan.Calls("fs.write"), 4);
  EXPECT_EQ(plan.Fired("fs.write"), 1);
}

TEST(FaultPlanTest, FirstMatchingRuleThatFiresWins) {
  FaultPlan plan;
  plan.Add({.site = "cni.add", .trigger = Trigger::Nth(2), .effect = FaultEffect::kWrongIp})
      .Add({.site = "cni.add", .code = Code::kDeadlineExceeded});
  auto r1 = plan.Check("cni.add");
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->code, Code::kDeadlineExceeded);
  auto r2 = plan.Check("cni.add");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->effect, FaultEffect::kWrongIp);
}

TEST(FaultPlanTest, MaybeFailReturnsTheRuleCodeMarkedInjected) {
  FaultPlan plan;
  plan.Add({.site = "fs.rename", .trigger = Trigger::Nth(2), .code = Code::kDataLoss});
  EXPECT_THAT(plan.MaybeFail("fs.rename", "/a"), IsOk());
  Status s = plan.MaybeFail("fs.rename", "/a");
  EXPECT_THAT(s, StatusIs(Code::kDataLoss, HasSubstr("fs.rename")));
  EXPECT_TRUE(s.injected());
  EXPECT_EQ(s.injected_site(), "fs.rename");
  EXPECT_THAT(s.ToString(), HasSubstr("[injected at fs.rename]"));
}

TEST(FaultPlanTest, CrashHookAbortsAtItsStepOnly) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "engine.checkpoint.after_dump", .effect = FaultEffect::kCrash});
  auto hook = CrashHook(plan);
  EXPECT_THAT(hook("engine.checkpoint.before_dump"), IsOk());
  Status s = hook("engine.checkpoint.after_dump");
  EXPECT_THAT(s, StatusIs(Code::kAborted));
  EXPECT_EQ(s.injected_site(), "engine.checkpoint.after_dump");
  // The "engine." prefix is optional.
  EXPECT_THAT(hook("checkpoint.after_dump"), StatusIs(Code::kAborted));
  EXPECT_EQ(plan->Calls("engine.checkpoint.after_dump"), 2);
  EXPECT_THAT(CrashHook(nullptr)("engine.checkpoint.after_dump"), IsOk());
}

TEST(FaultPlanTest, JsonRoundTripsEveryEffectAndTriggerKind) {
  FaultPlan plan(123456789012345ull);
  plan.Add({.site = "fs.read"})
      .Add({.site = "fs.write", .trigger = Trigger::Nth(2), .effect = FaultEffect::kPartialWrite,
            .subject = "network.status"})
      .Add({.site = "cni.add.wrong_ip", .trigger = Trigger::EveryK(3),
            .effect = FaultEffect::kWrongIp})
      .Add({.site = "engine.restore.after_network", .trigger = Trigger::Probability(0.1),
            .effect = FaultEffect::kCrash})
      .Add({.site = "runtime.checkpoint", .code = Code::kFailedPrecondition});
  const std::string text = plan.ToJson();
  auto back = FaultPlan::FromJson(text);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->seed(), plan.seed());
  EXPECT_EQ(back->rules(), plan.rules());
  EXPECT_EQ(back->ToJson(), text);

  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["rules"][1]["trigger"], nlohmann::json::parse(R"({"kind":"nth","n":2})"));
  EXPECT_EQ(j["rules"][2]["trigger"], nlohmann::json::parse(R"({"kind":"every","k":3})"));
  EXPECT_EQ(j["rules"][0]["trigger"], nlohmann::json::parse(R"({"kind":"always"})"));
  EXPECT_EQ(j["rules"][3]["trigger"]["kind"], "probability");
  EXPECT_EQ(j["rules"][1]["effect"], "partial_write");
  EXPECT_EQ(j["rules"][2]["effect"], "wrong_ip");
  EXPECT_EQ(j["rules"][3]["effect"], "crash");
  EXPECT_EQ(j["rules"][0]["effect"], "fail");
  EXPECT_EQ(j["rules"][0]["code"], "UNAVAILABLE");
  EXPECT_EQ(j["rules"][1]["subject"], "network.status");
}

TEST(FaultPlanTest, FromJsonFillsDefaults) {
  auto plan = FaultPlan::FromJson(R"({"rules":[{"site":"cni.del"}]})");
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->seed(), 0u);
  ASSERT_EQ(plan->rules().size(), 1u);
  EXPECT_EQ(plan->rules()[0], FaultRule{.site = "cni.del"});
}

TEST(FaultPlanTest, FromJsonErrorsNameTheJsonPath) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({"rules":[{"site":"x"}]})", "$.rules[0].site: unknown fault site \"x\"; known: "},
      {R"({"rules":[{"site":"cni.add"},{"site":"cni.add"},{"site":"fs.read",
          "trigger":{"kind":"sometimes"}}]})",
       "$.rules[2].trigger.kind: expected one of always, nth, every, probability"},
      {R"({"rules":[{"site":"fs.read","trigger":{"kind":"nth","n":0}}]})", "$.rules[0].trigger.n"},
      {R"({"rules":[{"site":"fs.read","trigger":{"kind":"every"}}]})", "$.rules[0].trigger.k"},
      {R"({"rules":[{"site":"fs.read","trigger":{"kind":"probability","p":1.5}}]})",
       "$.rules[0].trigger.p"},
      {R"({"rules":[{"site":"fs.read","effect":"explode"}]})", "$.rules[0].effect"},
      {R"({"rules":[{"site":"fs.read","code":"OK"}]})", "$.rules[0].code"},
      {R"({"rules":[{"site":"fs.read","subject":3}]})", "$.rules[0].subject"},
      {R"({"rules":[{"site":"fs.read","efect":"fail"}]})", "$.rules[0].efect: unknown field"},
      {R"({"rules":[{}]})", "$.rules[0].site"},
      {R"({"rules":{}})", "$.rules: expected an array"},
      {R"({"seed":-1})", "$.seed"},
      {R"([1])", "$: expected an object"},
      {R"({"rules":[)", "$: not valid JSON"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(FaultPlan::FromJson(c.text),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.message)))
        << c.text;
  }
  // The unknown-site message lists the known sites.
  EXPECT_THAT(FaultPlan::FromJson(R"({"rules":[{"site":"x"}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("engine.restore.before_cleanup")));
}

TEST(FaultPlanTest, KnownSitesAreStableAndWellFormed) {
  const auto& sites = FaultPlan::KnownSites();
  EXPECT_EQ(sites.size(), 31u);
  for (const auto& s : sites) {
    EXPECT_TRUE(FaultPlan::IsKnownSite(s));
    EXPECT_NE(s.find('.'), std::string::npos) << s;
  }
  EXPECT_FALSE(FaultPlan::IsKnownSite("fs.writ"));
}

TEST(FaultPlanTest, DescribeHasOneLinePerRule) {
  FaultPlan plan;
  plan.Add({.site = "cni.add", .trigger = Trigger::Nth(2), .subject = "web"})
      .Add({.site = "engine.checkpoint.after_dump", .effect = FaultEffect::kCrash});
  EXPECT_EQ(plan.Describe(),
            "cni.add: fail UNAVAILABLE on call 2 [subject web]\n"
            "engine.checkpoint.after_dump: crash on every call\n");
}

TEST(FaultPlanTest, EffectNamesRoundTrip) {
  for (auto e : {FaultEffect::kFail, FaultEffect::kPartialWrite, FaultEffect::kWrongIp,
                 FaultEffect::kCrash}) {
    EXPECT_EQ(FaultEffectFromName(FaultEffectName(e)), e);
  }
  EXPECT_EQ(FaultEffectFromName("boom"), std::nullopt);
  EXPECT_THAT(std::vector<bool>({FaultEffect::kFail < FaultEffect::kPartialWrite,
                                 FaultEffect::kPartialWrite < FaultEffect::kWrongIp,
                                 FaultEffect::kWrongIp < FaultEffect::kCrash}),
              ElementsAre(true, true, true));
}

TEST(FaultPlanTest, CopyKeepsRulesAndCounters) {
  FaultPlan plan(5);
  plan.Add({.site = "fs.read", .trigger = Trigger::Nth(2)});
  EXPECT_FALSE(plan.Check("fs.read"));
  FaultPlan copy = plan;
  EXPECT_TRUE(copy.Check("fs.read"));
  EXPECT_EQ(copy.Calls("fs.read"), 2);
  EXPECT_EQ(plan.Calls("fs.read"), 1);
}

}  // namespace
}  // namespace crh
