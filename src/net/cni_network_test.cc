// Goal: CniNetwork against the real containernetworking-plugins (bridge + host-local): a netns
// gets an address on an isolated test bridge and can reach the gateway; Teardown releases the
// address; a static IP is honoured and a taken one is refused without leaking; Teardown is
// idempotent; a plugin failing mid-chain leaves nothing behind.
// Method: needs root. Each test uses its own bridge (crhT<pid>, no uplink, ipMasq false), its own
// /24 in 10.86.0.0/16 (checked against `ip route`), its own netns names and a state dir in
// TEST_TMPDIR; the fixture's TearDown removes all of it even when a test fails, then checks that
// no veth, netns or IPAM file is left. No traffic leaves the machine: the only peer is the
// bridge's own address.
#include "src/net/cni_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/base/subprocess.h"
#include "src/fs/posix_filesystem.h"

namespace crh {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Sh(const std::vector<std::string>& argv) {
  auto r = RunCommand({.argv = argv, .timeout_ms = 20'000});
  if (!r.ok()) return "<" + r.status().ToString() + ">";
  return r->out + r->err;
}

std::set<std::string> HostVeths() {
  std::set<std::string> out;
  std::istringstream in(Sh({"ip", "-o", "link", "show", "type", "veth"}));
  for (std::string line; std::getline(in, line);) {
    // "12: veth1234@if2: <...>"
    auto a = line.find(": ");
    if (a == std::string::npos) continue;
    auto b = line.find_first_of("@:", a + 2);
    out.insert(line.substr(a + 2, b - a - 2));
  }
  return out;
}

// Polls `pred` until it holds or `timeout` passes; says what it last saw.
::testing::AssertionResult WaitFor(const std::function<bool(std::string*)>& pred,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  while (true) {
    seen.clear();
    if (pred(&seen)) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline) {
      return ::testing::AssertionFailure() << "timed out; last saw: " << seen;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

class CniNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing prerequisite is a setup step left out, never a reason to skip.
    ASSERT_EQ(geteuid(), 0) << "needs root (network namespaces, bridges): run as root";
    ASSERT_TRUE(access("/usr/lib/cni/bridge", X_OK) == 0 &&
                access("/usr/lib/cni/host-local", X_OK) == 0)
        << "containernetworking-plugins are not installed in /usr/lib/cni: run `sudo ci/setup.sh`";
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string base = std::string(tmp ? tmp : "/tmp") + "/cni_test_XXXXXX";
    ASSERT_NE(mkdtemp(base.data()), nullptr);
    root_ = base;
    veths_before_ = HostVeths();

    const int pid = static_cast<int>(getpid());
    tag_ = std::to_string(pid % 100000);
    bridge_ = "crhT" + tag_;
    // A /24 in 10.86.0.0/16 that no route on this machine touches.
    const std::string routes = Sh({"ip", "-4", "route", "show", "table", "all"});
    for (int k = 0; k < 250 && subnet_prefix_.empty(); ++k) {
      const std::string p = "10.86." + std::to_string(10 + (pid + k) % 240) + ".";
      if (routes.find(p) == std::string::npos) subnet_prefix_ = p;
    }
    ASSERT_FALSE(subnet_prefix_.empty()) << "no free 10.86.x.0/24";
    ASSERT_FALSE(HostLinkExists(bridge_)) << bridge_ << " already exists; not touching it";
    net_ = MakeNetwork("/usr/lib/cni", "");
  }

  void TearDown() override {
    if (root_.empty()) return;  // skipped
    for (auto* net : {net_.get(), chain_net_.get()}) {
      if (net == nullptr) continue;
      for (const auto& id : net->StoredContainers()) net->Teardown(id, "").IgnoreError();
    }
    EXPECT_THAT(BridgePorts(bridge_), IsEmpty()) << "veths still attached to " << bridge_;
    for (const auto& ns : netns_) {
      if (NetnsExists(ns)) {
        EXPECT_THAT(net_->DeleteNetns(ns), IsOk());
      }
    }
    EXPECT_THAT(net_->DeleteBridges(), IsOk());
    EXPECT_FALSE(HostLinkExists(bridge_));
    EXPECT_THAT(net_->ReservedIps(), IsEmpty()) << "IPAM reservations leaked";
    PosixFilesystem fs;
    EXPECT_THAT(fs.RemoveAll(root_), IsOk());
    // Namespaces are torn down asynchronously by the kernel, taking their veths with them.
    EXPECT_TRUE(WaitFor([&](std::string* seen) {
      for (const auto& v : HostVeths()) {
        if (!veths_before_.count(v)) *seen += v + " ";
      }
      return seen->empty();
    })) << "veths left behind";
    for (const auto& ns : netns_) EXPECT_FALSE(NetnsExists(ns)) << ns;
  }

  std::unique_ptr<CniNetwork> MakeNetwork(const std::string& cni_path,
                                          const std::string& extra_plugin) {
    std::string conflist = BridgeConflist({.name = "crhtest" + tag_,
                                           .bridge = bridge_,
                                           .subnet = subnet_prefix_ + "0/24",
                                           .data_dir = root_ + "/ipam"});
    if (!extra_plugin.empty()) {
      json j = json::parse(conflist);
      j["plugins"].push_back({{"type", extra_plugin}});
      conflist = j.dump();
    }
    auto net = std::make_unique<CniNetwork>(
        CniNetworkOptions{.conflist = conflist, .cni_path = cni_path, .state_dir = root_});
    EXPECT_THAT(net->Init(), IsOk());
    return net;
  }

  std::string NewNetns(const std::string& suffix) {
    const std::string name = "crhtest-" + tag_ + "-" + suffix;
    auto path = net_->CreateNetns(name);
    EXPECT_THAT(path, IsOk());
    if (!path.ok()) return "";
    netns_.push_back(*path);
    return *path;
  }

  static std::string NsName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

  std::string NsAddrs(const std::string& ns) {
    return Sh({"ip", "netns", "exec", NsName(ns), "ip", "-4", "-o", "addr", "show"});
  }

  std::string root_, tag_, bridge_, subnet_prefix_;
  std::set<std::string> veths_before_;
  std::vector<std::string> netns_;
  std::unique_ptr<CniNetwork> net_;
  std::unique_ptr<CniNetwork> chain_net_;
};

TEST_F(CniNetworkTest, CreateAndDeleteNetns) {
  const std::string ns = NewNetns("a");
  ASSERT_FALSE(ns.empty());
  EXPECT_EQ(ns, "/run/netns/crhtest-" + tag_ + "-a");
  EXPECT_TRUE(NetnsExists(ns));
  EXPECT_THAT(Sh({"ip", "netns", "list"}), HasSubstr(NsName(ns)));
  EXPECT_THAT(Sh({"ip", "netns", "exec", NsName(ns), "ip", "-o", "link", "show", "lo"}),
              HasSubstr("UP"));
  EXPECT_THAT(net_->CreateNetns(NsName(ns)), StatusIs(Code::kAlreadyExists, HasSubstr(ns)));
  EXPECT_THAT(net_->DeleteNetns(ns), IsOk());
  EXPECT_FALSE(NetnsExists(ns));
  EXPECT_THAT(Sh({"ip", "netns", "list"}), Not(HasSubstr(NsName(ns))));
  EXPECT_THAT(net_->DeleteNetns(ns), StatusIs(Code::kNotFound));
}

TEST_F(CniNetworkTest, SetupConfiguresAddressAndGatewayIsReachable) {
  const std::string ns = NewNetns("a");
  ASSERT_FALSE(ns.empty());
  auto st = net_->Setup("c1", ns, {});
  ASSERT_THAT(st, IsOk());
  const std::string ip = st->PrimaryIp();
  EXPECT_THAT(ip, HasSubstr(subnet_prefix_));
  ASSERT_FALSE(st->ips.empty());
  const std::string gateway = st->ips[0].gateway;
  EXPECT_EQ(gateway, subnet_prefix_ + "1");
  ASSERT_GE(st->ips[0].interface, 0);
  EXPECT_EQ(st->interfaces.at(st->ips[0].interface).name, "eth0");
  EXPECT_EQ(st->interfaces.at(st->ips[0].interface).sandbox, ns);
  EXPECT_THAT(NsAddrs(ns), HasSubstr("eth0    inet " + st->ips[0].address));
  EXPECT_THAT(net_->ReservedIps(), ElementsAre(ip));
  EXPECT_EQ(BridgePorts(bridge_).size(), 1u);
  auto stored = net_->StoredStatus("c1");
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(*stored, *st);
  // No default route out of the namespace.
  EXPECT_THAT(Sh({"ip", "netns", "exec", NsName(ns), "ip", "route"}), Not(HasSubstr("default")));

  // Reachability: a TCP listener on the gateway address (the bridge, on this machine) accepts a
  // connection made from inside the namespace.
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, gateway.c_str(), &addr.sin_addr), 1);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  ASSERT_EQ(listen(srv, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(srv, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  auto conn = RunCommand({.argv = {"ip", "netns", "exec", NsName(ns), "timeout", "5", "bash", "-c",
                                   "echo hi >/dev/tcp/" + gateway + "/" + port},
                          .timeout_ms = 10'000});
  ASSERT_THAT(conn, IsOk());
  EXPECT_TRUE(conn->ok()) << conn->Describe("connect from netns");
  pollfd p{srv, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1) << "no connection arrived at the gateway";
  sockaddr_in peer{};
  len = sizeof peer;
  int c = accept(srv, reinterpret_cast<sockaddr*>(&peer), &len);
  ASSERT_GE(c, 0);
  char buf[INET_ADDRSTRLEN];
  EXPECT_EQ(std::string(inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof buf)), ip);
  close(c);
  close(srv);

  ASSERT_THAT(net_->Teardown("c1", ns), IsOk());
  EXPECT_THAT(net_->ReservedIps(), IsEmpty());
  EXPECT_THAT(BridgePorts(bridge_), IsEmpty());
  EXPECT_THAT(NsAddrs(ns), Not(HasSubstr("eth0")));
}

TEST_F(CniNetworkTest, TeardownReleasesAndStaticIpGetsTheSameAddressBack) {
  const std::string ns = NewNetns("a");
  ASSERT_FALSE(ns.empty());
  auto first = net_->Setup("c1", ns, {});
  ASSERT_THAT(first, IsOk());
  const std::string ip = first->PrimaryIp();
  ASSERT_THAT(net_->Teardown("c1", ns), IsOk());
  EXPECT_THAT(net_->ReservedIps(), IsEmpty());
  EXPECT_THAT(net_->StoredContainers(), IsEmpty());

  // Something else takes the next free address; the static request still gets the old one.
  const std::string other = NewNetns("b");
  ASSERT_FALSE(other.empty());
  auto o = net_->Setup("c2", other, {});
  ASSERT_THAT(o, IsOk());
  auto again = net_->Setup("c1", ns, {.static_ip = ip});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->PrimaryIp(), ip);
  EXPECT_THAT(NsAddrs(ns), HasSubstr("inet " + ip + "/24"));

  ASSERT_THAT(net_->Teardown("c1", ns), IsOk());
  ASSERT_THAT(net_->Teardown("c1", ns), IsOk()) << "second Teardown";
  ASSERT_THAT(net_->Teardown("c2", other), IsOk());
  EXPECT_THAT(net_->ReservedIps(), IsEmpty());
  EXPECT_THAT(BridgePorts(bridge_), IsEmpty());
}

TEST_F(CniNetworkTest, StaticIpHeldByAnotherIsAlreadyExistsAndLeaksNothing) {
  const std::string ns1 = NewNetns("a");
  const std::string ns2 = NewNetns("b");
  ASSERT_FALSE(ns1.empty() || ns2.empty());
  auto held = net_->Setup("c1", ns1, {});
  ASSERT_THAT(held, IsOk());
  const std::string ip = held->PrimaryIp();

  auto taken = net_->Setup("c2", ns2, {.static_ip = ip});
  EXPECT_THAT(taken, StatusIs(Code::kAlreadyExists,
                              HasSubstr("requested IP address " + ip + " is not available")));
  std::cerr << "taken IP error: " << taken.status().ToString() << "\n";
  auto outside = net_->Setup("c2", ns2, {.static_ip = "10.85.0.9"});
  EXPECT_THAT(outside, StatusIs(Code::kInvalidArgument, HasSubstr("10.85.0.9")));
  std::cerr << "outside IP error: " << outside.status().ToString() << "\n";
  auto gateway = net_->Setup("c2", ns2, {.static_ip = subnet_prefix_ + "1"});
  EXPECT_THAT(gateway, StatusIs(Code::kInvalidArgument, HasSubstr("gateway")));

  EXPECT_THAT(net_->ReservedIps(), ElementsAre(ip));
  EXPECT_EQ(BridgePorts(bridge_).size(), 1u) << "the failed ADDs left a veth";
  EXPECT_THAT(NsAddrs(ns2), Not(HasSubstr("eth0")));
  EXPECT_THAT(Sh({"ip", "netns", "exec", NsName(ns2), "ip", "-o", "link"}), Not(HasSubstr("eth0")));
  EXPECT_THAT(net_->StoredContainers(), ElementsAre("c1"));
  // c1 keeps its address and it still works.
  EXPECT_THAT(NsAddrs(ns1), HasSubstr("inet " + ip + "/24"));

  // Once c1 lets go, c2 can have it.
  ASSERT_THAT(net_->Teardown("c1", ns1), IsOk());
  auto now = net_->Setup("c2", ns2, {.static_ip = ip});
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->PrimaryIp(), ip);
  ASSERT_THAT(net_->Teardown("c2", ns2), IsOk());
}

TEST_F(CniNetworkTest, TeardownIsIdempotentEvenWithoutTheNetns) {
  EXPECT_THAT(net_->Teardown("never", "/run/netns/crhtest-" + tag_ + "-none"), IsOk());
  const std::string ns = NewNetns("a");
  ASSERT_FALSE(ns.empty());
  ASSERT_THAT(net_->Setup("c1", ns, {}), IsOk());
  ASSERT_THAT(net_->DeleteNetns(ns), IsOk());
  EXPECT_THAT(net_->Teardown("c1", ns), IsOk());
  EXPECT_THAT(net_->ReservedIps(), IsEmpty());
  EXPECT_THAT(net_->StoredContainers(), IsEmpty());
  EXPECT_THAT(net_->Teardown("c1", ns), IsOk());
  EXPECT_THAT(net_->Teardown("c1", ""), IsOk());
  EXPECT_TRUE(WaitFor([&](std::string* seen) {
    auto ports = BridgePorts(bridge_);
    for (const auto& p : ports) *seen += p + " ";
    return ports.empty();
  }));
}

TEST_F(CniNetworkTest, FailureMidChainCleansUp) {
  // A plugin after bridge that always fails ADD (and succeeds DEL).
  PosixFilesystem fs;
  const std::string dir = root_ + "/plugins";
  ASSERT_THAT(fs.MkdirAll(dir), IsOk());
  ASSERT_THAT(fs.WriteAtomic(dir + "/crh-fail",
                             "#!/bin/sh\ncat >/dev/null\n[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
                             "printf '%s' '{\"code\":11,\"msg\":\"injected\",\"details\":\"test\"}'"
                             "\nexit 1\n"),
              IsOk());
  ASSERT_EQ(chmod((dir + "/crh-fail").c_str(), 0755), 0);
  chain_net_ = MakeNetwork(dir + ":/usr/lib/cni", "crh-fail");

  const std::string ns = NewNetns("a");
  ASSERT_FALSE(ns.empty());
  auto st = chain_net_->Setup("c1", ns, {});
  EXPECT_THAT(st, StatusIs(Code::kUnavailable,
                           HasSubstr("CNI ADD crh-fail failed: injected (test)")));
  EXPECT_THAT(chain_net_->ReservedIps(), IsEmpty());
  EXPECT_THAT(chain_net_->StoredContainers(), IsEmpty());
  EXPECT_THAT(BridgePorts(bridge_), IsEmpty());
  EXPECT_THAT(Sh({"ip", "netns", "exec", NsName(ns), "ip", "-o", "link"}), Not(HasSubstr("eth0")));
  // The same container can then be set up on the plain network.
  ASSERT_THAT(net_->Setup("c1", ns, {}), IsOk());
  ASSERT_THAT(net_->Teardown("c1", ns), IsOk());
}

}  // namespace
}  // namespace crh
