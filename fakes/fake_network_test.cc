// Goal: FakeNetwork allocates like CNI host-local (round-robin, static requests honored or refused
// for the right reason), keeps the Setup/Teardown promises of network.h, and its cni.* and
// netns.* faults leave exactly the state leak accounting must see. Method: drive Setup/Teardown
// on small subnets where the order of addresses is known, then read HeldIps/Attached/LiveNetns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/fake_network.h"
#include "src/base/status_matchers.h"
#include "src/faults/fault_plan.h"

namespace crh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

class FakeNetworkTest : public ::testing::Test {
 protected:
  // A container attached without a static IP: its address.
  std::string Attach(FakeNetwork& net, const std::string& id, const std::string& ip = "") {
    auto ns = net.CreateNetns("ns-" + id);
    EXPECT_THAT(ns, IsOk());
    auto st = net.Setup(id, *ns, {.static_ip = ip});
    EXPECT_THAT(st, IsOk()) << id;
    return st.ok() ? st->PrimaryIp() : "";
  }
};

TEST_F(FakeNetworkTest, SetupReturnsACniResult) {
  FakeNetwork net;
  auto ns = net.CreateNetns("crh-web");
  ASSERT_THAT(ns, IsOk());
  EXPECT_EQ(*ns, "/run/netns/crh-web");
  auto st = net.Setup("web", *ns, {});
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->cni_version, "1.0.0");
  ASSERT_EQ(st->interfaces.size(), 1u);
  EXPECT_EQ(st->interfaces[0],
            (NetInterface{.name = "eth0", .mac = "02:42:0a:58:00:02", .sandbox = *ns}));
  ASSERT_EQ(st->ips.size(), 1u);
  EXPECT_EQ(st->ips[0],
            (IpConfig{.address = "10.88.0.2/24", .gateway = "10.88.0.1", .interface = 0}));
  EXPECT_TRUE(net.Attached("web"));
  EXPECT_EQ(net.IpOf("web"), "10.88.0.2");
  EXPECT_EQ(net.Gateway(), "10.88.0.1");
}

TEST_F(FakeNetworkTest, AllocatesRoundRobinAndWraps) {
  // /29: network .0, gateway .1, range .2 - .6.
  FakeNetwork net("192.168.5.0/29");
  EXPECT_EQ(Attach(net, "a"), "192.168.5.2");
  EXPECT_EQ(Attach(net, "b"), "192.168.5.3");
  EXPECT_EQ(Attach(net, "c"), "192.168.5.4");
  ASSERT_THAT(net.Teardown("a", "/run/netns/ns-a"), IsOk());
  // .2 is free again, but round-robin continues after the last reserved address.
  EXPECT_EQ(Attach(net, "d"), "192.168.5.5");
  EXPECT_EQ(Attach(net, "e"), "192.168.5.6");
  EXPECT_EQ(Attach(net, "f"), "192.168.5.2");  // wrapped
  auto ns = net.CreateNetns("ns-g");
  ASSERT_THAT(ns, IsOk());
  EXPECT_THAT(net.Setup("g", *ns, {}), StatusIs(Code::kUnavailable, HasSubstr("no free")));
  EXPECT_FALSE(net.Attached("g"));
}

TEST_F(FakeNetworkTest, StaticIpHonoredWhenFree) {
  FakeNetwork net;
  EXPECT_EQ(Attach(net, "web", "10.88.0.77"), "10.88.0.77");
  EXPECT_THAT(net.HeldIps(), ElementsAre(Pair("10.88.0.77", "web")));
  // Round-robin continues after the static reservation, as host-local's does.
  EXPECT_EQ(Attach(net, "db"), "10.88.0.78");
}

TEST_F(FakeNetworkTest, StaticIpTakenNamesTheHolder) {
  FakeNetwork net;
  net.Reserve("10.88.0.9", "someone-else");
  auto ns = net.CreateNetns("ns");
  ASSERT_THAT(ns, IsOk());
  EXPECT_THAT(net.Setup("web", *ns, {.static_ip = "10.88.0.9"}),
              StatusIs(Code::kAlreadyExists, HasSubstr("someone-else")));
  EXPECT_FALSE(net.Attached("web"));
  EXPECT_THAT(net.HeldIps(), ElementsAre(Pair("10.88.0.9", "someone-else")));
}

TEST_F(FakeNetworkTest, StaticIpOutsideTheRangeOrMalformedIsInvalid) {
  FakeNetwork net;
  auto ns = net.CreateNetns("ns");
  ASSERT_THAT(ns, IsOk());
  for (const char* ip : {"10.89.0.5", "10.88.0.1", "10.88.0.0", "10.88.0.255", "10.88.0",
                         "10.88.0.300", "ten", "10.88.0.5/24", "10.88.0.5 "}) {
    EXPECT_THAT(net.Setup("web", *ns, {.static_ip = ip}), StatusIs(Code::kInvalidArgument))
        << ip;
  }
  EXPECT_THAT(net.HeldIps(), IsEmpty());
}

TEST_F(FakeNetworkTest, SetupNeedsTheNetnsAndRefusesADoubleAttach) {
  FakeNetwork net;
  EXPECT_THAT(net.Setup("web", "/run/netns/absent", {}), StatusIs(Code::kNotFound));
  Attach(net, "web");
  EXPECT_THAT(net.Setup("web", "/run/netns/ns-web", {}), StatusIs(Code::kAlreadyExists));
  EXPECT_EQ(net.HeldIps().size(), 1u);
}

TEST_F(FakeNetworkTest, TeardownIsIdempotent) {
  FakeNetwork net;
  Attach(net, "web");
  EXPECT_THAT(net.Teardown("web", "/run/netns/ns-web"), IsOk());
  EXPECT_FALSE(net.Attached("web"));
  EXPECT_EQ(net.IpOf("web"), std::nullopt);
  EXPECT_THAT(net.Teardown("web", "/run/netns/ns-web"), IsOk());
  EXPECT_THAT(net.Teardown("never-attached", "/run/netns/x"), IsOk());
  EXPECT_THAT(net.HeldIps(), IsEmpty());
}

TEST_F(FakeNetworkTest, NetnsRegistry) {
  FakeNetwork net;
  ASSERT_THAT(net.CreateNetns("a"), IsOk());
  EXPECT_THAT(net.CreateNetns("a"), StatusIs(Code::kAlreadyExists));
  for (const char* bad : {"", "a/b", ".", ".."}) {
    EXPECT_THAT(net.CreateNetns(bad), StatusIs(Code::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(net.LiveNetns(), ElementsAre("/run/netns/a"));
  EXPECT_THAT(net.DeleteNetns("/run/netns/a"), IsOk());
  EXPECT_THAT(net.DeleteNetns("/run/netns/a"), StatusIs(Code::kNotFound));
  EXPECT_THAT(net.LiveNetns(), IsEmpty());
}

TEST_F(FakeNetworkTest, DeletingTheNetnsDoesNotReleaseTheAddress) {
  FakeNetwork net;
  Attach(net, "web");
  ASSERT_THAT(net.DeleteNetns("/run/netns/ns-web"), IsOk());
  EXPECT_EQ(net.IpOf("web"), "10.88.0.2");
}

TEST_F(FakeNetworkTest, CniAddFailureReservesNothing) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "cni.add", .trigger = Trigger::Nth(1)});
  FakeNetwork net("10.88.0.0/24", plan);
  auto ns = net.CreateNetns("ns");
  ASSERT_THAT(ns, IsOk());
  auto st = net.Setup("web", *ns, {.static_ip = "10.88.0.5"});
  EXPECT_THAT(st, StatusIs(Code::kUnavailable));
  EXPECT_EQ(st.status().injected_site(), "cni.add");
  EXPECT_THAT(net.HeldIps(), IsEmpty());
  EXPECT_FALSE(net.Attached("web"));
  // The retry gets what it asked for.
  EXPECT_THAT(net.Setup("web", *ns, {.static_ip = "10.88.0.5"}), IsOk());
}

TEST_F(FakeNetworkTest, CniDelFailureLeavesTheAddressHeld) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "cni.del", .subject = "web"});
  FakeNetwork net("10.88.0.0/24", plan);
  Attach(net, "web");
  Status s = net.Teardown("web", "/run/netns/ns-web");
  EXPECT_THAT(s, StatusIs(Code::kUnavailable));
  EXPECT_EQ(s.injected_site(), "cni.del");
  EXPECT_THAT(net.HeldIps(), ElementsAre(Pair("10.88.0.2", "web")));
  EXPECT_TRUE(net.Attached("web"));
}

TEST_F(FakeNetworkTest, WrongIpHoldsAnotherAddressThanRequested) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "cni.add.wrong_ip", .effect = FaultEffect::kWrongIp});
  FakeNetwork net("10.88.0.0/24", plan);
  auto ns = net.CreateNetns("ns");
  ASSERT_THAT(ns, IsOk());
  auto st = net.Setup("web", *ns, {.static_ip = "10.88.0.2"});
  ASSERT_THAT(st, IsOk());
  EXPECT_NE(st->PrimaryIp(), "10.88.0.2");
  EXPECT_EQ(net.IpOf("web"), st->PrimaryIp());
  EXPECT_THAT(net.HeldIps(), ElementsAre(Pair(st->PrimaryIp(), "web")));
  EXPECT_EQ(plan->Fired("cni.add.wrong_ip"), 1);
}

TEST_F(FakeNetworkTest, WrongIpWithoutARequestAvoidsTheRoundRobinPick) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "cni.add", .effect = FaultEffect::kWrongIp});
  FakeNetwork net("10.88.0.0/24", plan);
  EXPECT_EQ(Attach(net, "web"), "10.88.0.3");
}

TEST_F(FakeNetworkTest, NetnsFaults) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "netns.create", .subject = "bad"}).Add({.site = "netns.delete"});
  FakeNetwork net("10.88.0.0/24", plan);
  EXPECT_THAT(net.CreateNetns("bad"), StatusIs(Code::kUnavailable));
  auto ok = net.CreateNetns("good");
  ASSERT_THAT(ok, IsOk());
  Status s = net.DeleteNetns(*ok);
  EXPECT_EQ(s.injected_site(), "netns.delete");
  EXPECT_THAT(net.LiveNetns(), ElementsAre("/run/netns/good"));
}

}  // namespace
}  // namespace crh
