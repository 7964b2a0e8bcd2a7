// Goal: the pieces the engine and the harness rest on behave as values: network.status JSON
// round-trips (src/net/network_status.h), fault plans round-trip through FaultPlan::ToJson /
// FromJson and fire the same calls afterwards, scenarios round-trip through the scenario format,
// and the transition table is total (every state x operation has an answer, and the answer is
// consistent: a refusal has no target, Removed refuses everything).
// Method: rapidcheck properties over generated values; the seeded default budget of
// property_main.h.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "property_tests/property_main.h"
#include "src/engine/state_machine.h"
#include "src/faults/fault_plan.h"
#include "src/net/network_status.h"
#include "src/scenario/scenario.h"

namespace crh {
namespace {

const char* kTarget = "//property_tests:pieces_property_test";

rc::Gen<std::string> GenIp() {
  return rc::gen::map(rc::gen::container<std::vector<int>>(4, rc::gen::inRange(0, 256)),
                      [](const std::vector<int>& o) {
                        return std::to_string(o[0]) + "." + std::to_string(o[1]) + "." +
                               std::to_string(o[2]) + "." + std::to_string(o[3]);
                      });
}

rc::Gen<std::string> GenText() {
  // Printable text including quotes and backslashes, which JSON must escape.
  return rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127));
}

rc::Gen<NetworkStatus> GenStatus() {
  return rc::gen::apply(
      [](std::vector<std::tuple<std::string, std::string, std::string>> ifs,
         std::vector<std::tuple<std::string, int, std::string, int>> ips) {
        NetworkStatus s;
        for (auto& [n, m, sb] : ifs) s.interfaces.push_back({n, m, sb});
        for (auto& [ip, prefix, gw, iface] : ips) {
          s.ips.push_back({ip + "/" + std::to_string(prefix), gw, iface});
        }
        return s;
      },
      rc::gen::container<std::vector<std::tuple<std::string, std::string, std::string>>>(
          rc::gen::tuple(GenText(), GenText(), GenText())),
      rc::gen::container<std::vector<std::tuple<std::string, int, std::string, int>>>(
          rc::gen::tuple(GenIp(), rc::gen::inRange(8, 33), GenIp(), rc::gen::inRange(-1, 3))));
}

TEST(PiecesPropertyTest, NetworkStatusRoundTrips) {
  CheckProperty(kTarget, [] {
    const auto results = *rc::gen::container<std::vector<NetworkStatus>>(GenStatus());
    for (const auto& r : results) {
      auto one = NetworkStatus::FromJson(r.ToJson());
      RC_ASSERT(one.ok());
      RC_ASSERT(*one == r);
    }
    auto back = DecodeNetworkStatusFile(EncodeNetworkStatusFile(results));
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == results);
  }, [] { return std::optional<Scenario>(); });
}

rc::Gen<FaultRule> GenAnyRule() {
  return rc::gen::apply(
      [](std::string site, int kind, uint64_t n, int p, int effect, int code, std::string subj) {
        FaultRule r{.site = site};
        switch (kind) {
          case 0: r.trigger = Trigger::Always(); break;
          case 1: r.trigger = Trigger::Nth(n); break;
          case 2: r.trigger = Trigger::EveryK(n); break;
          default: r.trigger = Trigger::Probability(p / 1000.0); break;
        }
        r.effect = static_cast<FaultEffect>(effect);
        r.code = static_cast<Code>(code);
        r.subject = subj;
        return r;
      },
      rc::gen::elementOf(FaultPlan::KnownSites()), rc::gen::inRange(0, 4),
      rc::gen::inRange<uint64_t>(1, 10), rc::gen::inRange(0, 1001), rc::gen::inRange(0, 4),
      rc::gen::inRange(static_cast<int>(Code::kInvalidArgument),
                       static_cast<int>(Code::kInternal) + 1),
      rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z' + 1)));
}

TEST(PiecesPropertyTest, FaultPlansRoundTripAndFireTheSameCalls) {
  CheckProperty(kTarget, [] {
    const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    const auto rules = *rc::gen::container<std::vector<FaultRule>>(GenAnyRule());
    FaultPlan plan(seed);
    for (const auto& r : rules) plan.Add(r);
    auto back = FaultPlan::FromJson(plan.ToJson());
    RC_ASSERT(back.ok());
    RC_ASSERT(back->seed() == seed);
    RC_ASSERT(back->rules() == rules);
    RC_ASSERT(back->ToJson() == plan.ToJson());
    // The same calls fire the same rules on both.
    const auto calls = *rc::gen::container<std::vector<std::string>>(
        rc::gen::elementOf(FaultPlan::KnownSites()));
    for (const auto& site : calls) {
      auto a = plan.Check(site, "subject-abc");
      auto b = back->Check(site, "subject-abc");
      RC_ASSERT(a.has_value() == b.has_value());
      if (a) RC_ASSERT(*a == *b);
    }
  }, [] { return std::optional<Scenario>(); });
}

TEST(PiecesPropertyTest, TransitionTableIsTotalAndConsistent) {
  // Small enough to check exhaustively.
  for (int s = 0; s < kNumStates; ++s) {
    for (int o = 0; o < kNumOperations; ++o) {
      const auto state = static_cast<ContainerState>(s);
      const auto op = static_cast<Operation>(o);
      const Transition& t = LookupTransition(state, op);
      Container c{.id = "0123456789abcdef", .name = "x", .state = state};
      const Status st = CheckTransition(c, op);
      EXPECT_EQ(st.ok(), t.allowed) << StateName(state) << " x " << OperationName(op);
      if (!t.allowed) {
        EXPECT_FALSE(t.to.has_value());
        EXPECT_EQ(st.code(), state == ContainerState::kRemoved ? Code::kNotFound
                                                               : Code::kFailedPrecondition);
        EXPECT_NE(st.message().find(std::string(OperationName(op))), std::string::npos);
      }
      if (state == ContainerState::kRemoved) {
        EXPECT_FALSE(t.allowed);
      }
      if (op == Operation::kForceRemove && state != ContainerState::kRemoved) {
        EXPECT_TRUE(t.allowed) << "force remove must work from " << StateName(state);
      }
      if (t.to) {
        EXPECT_NE(*t.to, ContainerState::kRemoved);
      }
    }
  }
}

TEST(PiecesPropertyTest, ScenariosRoundTrip) {
  CheckProperty(kTarget, [] {
    Scenario s;
    s.name = *rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z' + 1)));
    s.description = *GenText();
    s.seed = *rc::gen::arbitrary<uint64_t>();
    s.containers = {{.name = "a"}, {.name = "b", .static_ip = "10.88.0.9"}};
    const auto ops = *rc::gen::container<std::vector<int>>(
        *rc::gen::inRange(1, 8), rc::gen::inRange(0, static_cast<int>(StepOp::kSyncAll) + 1));
    for (size_t i = 0; i < ops.size(); ++i) {
      Step st;
      st.op = static_cast<StepOp>(ops[i]);
      if (st.op != StepOp::kSyncAll) st.container = *rc::gen::element<std::string>("a", "b");
      st.keep = *rc::gen::arbitrary<bool>();
      st.faults = *rc::gen::container<std::vector<FaultRule>>(
          rc::gen::map(rc::gen::elementOf(FaultPlan::KnownSites()),
                       [](std::string site) { return FaultRule{.site = site}; }));
      if (*rc::gen::arbitrary<bool>()) st.expect.error = Code::kUnavailable;
      if (i > 0 && *rc::gen::arbitrary<bool>()) {
        st.expect.container.ip = IpExpect{.kind = IpExpect::Kind::kSameAsStep,
                                          .step = static_cast<int>(i - 1)};
      }
      st.expect_containers["b"].no_leaks = *rc::gen::arbitrary<bool>();
      s.steps.push_back(st);
    }
    auto back = ParseScenario(ScenarioToJson(s), "generated");
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == s);
  }, [] { return std::optional<Scenario>(); });
}

}  // namespace
}  // namespace crh
