// Goal: the small pieces everything else leans on keep their promises: Status/Result carry code,
// context and the injected mark; SimRandom is a pure function of its seed; probes count.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/probe.h"
#include "src/base/sim_random.h"
#include "src/base/status.h"
#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  CRH_ASSIGN_OR_RETURN(int h, Half(x));
  CRH_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, ResultCarriesValueOrStatus) {
  EXPECT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(Code::kInvalidArgument, HasSubstr("odd: 3")));
}

TEST(StatusTest, ResultFromOkStatusIsInternal) {
  Result<int> r(Status::Ok());
  EXPECT_THAT(r, StatusIs(Code::kInternal));
}

TEST(StatusTest, ContextAndInjectedMarkSurvive) {
  Status s = Unavailable("boom");
  s.MarkInjected("cni.add");
  Status c = s.WithContext("container web");
  EXPECT_EQ(c.message(), "container web: boom");
  EXPECT_EQ(c.injected_site(), "cni.add");
  EXPECT_EQ(c.ToString(), "UNAVAILABLE: container web: boom [injected at cni.add]");
}

TEST(StatusTest, CodeNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Code::kInternal); ++i) {
    Code c = static_cast<Code>(i);
    EXPECT_EQ(CodeFromName(CodeName(c)), c);
  }
  EXPECT_EQ(CodeFromName("NOPE"), std::nullopt);
}

TEST(SimRandomTest, SameSeedSameSequenceAndForksIndependent) {
  SimRandom a(42), b(42), c(43);
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.UniformInt(0, 9));
    vb.push_back(b.UniformInt(0, 9));
    vc.push_back(c.UniformInt(0, 9));
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_EQ(SimRandom(7).Fork("net").Next(), SimRandom(7).Fork("net").Next());
  EXPECT_NE(SimRandom(7).Fork("net").Next(), SimRandom(7).Fork("fs").Next());
}

TEST(SimRandomTest, UniformIntStaysInRangeAndBernoulliExtremes) {
  SimRandom r(1);
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = r.UniformInt(5, 7);
    EXPECT_GE(x, 5u);
    EXPECT_LE(x, 7u);
  }
  EXPECT_FALSE(r.Bernoulli(0));
  EXPECT_TRUE(r.Bernoulli(1));
}

TEST(SimRandomTest, FirstDrawIsFixedByTheStandard) {
  // mt19937_64's 10000th output for the default seed is fixed by [rand.predef]; if this breaks,
  // recorded seeds no longer replay.
  std::mt19937_64 g;
  g.discard(9999);
  EXPECT_EQ(g(), 9981545732273789042ull);
}

TEST(ProbeTest, CountsHits) {
  Probes::Reset();
  CRH_PROBE("x.y");
  CRH_PROBE("x.y");
  EXPECT_EQ(Probes::Count("x.y"), 2);
  EXPECT_EQ(Probes::Count("never"), 0);
}

}  // namespace
}  // namespace crh
