// Goal: the parts of CniNetwork that need no root: conflist parsing and the default network's
// shape, the stdin each plugin gets, CNI_ARGS, how plugin errors become Status codes (with the
// exact texts host-local 1.1.1 prints), and the ADD/DEL chaining, run against fake plugins.
// Method: fake plugins are small shell scripts in TEST_TMPDIR that log their calls and stdin;
// nothing touches the network.
#include "src/net/cni_network.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/fs/posix_filesystem.h"

namespace crh {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(ConflistTest, DefaultConflistIsTheIsolatedCrhBridge) {
  const std::string text = DefaultConflist("/var/lib/crh");
  json j = json::parse(text);
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["name"], "crh");
  ASSERT_EQ(j["plugins"].size(), 1u);
  const json& b = j["plugins"][0];
  EXPECT_EQ(b["type"], "bridge");
  EXPECT_EQ(b["bridge"], "crh0");
  EXPECT_EQ(b["isGateway"], true);
  EXPECT_EQ(b["ipMasq"], false);
  EXPECT_EQ(b["hairpinMode"], false);
  EXPECT_EQ(b["ipam"]["type"], "host-local");
  EXPECT_EQ(b["ipam"]["ranges"][0][0]["subnet"], "10.87.0.0/16");
  EXPECT_EQ(b["ipam"]["routes"], json::array());
  EXPECT_EQ(b["ipam"]["dataDir"], "/var/lib/crh/cni/ipam");
  EXPECT_THAT(text, Not(HasSubstr("192.0.2.")));

  auto parsed = ParseConflist(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->name, "crh");
  EXPECT_EQ(parsed->cni_version, "1.0.0");
  ASSERT_EQ(parsed->plugins.size(), 1u);
  EXPECT_EQ(parsed->plugins[0].type, "bridge");
}

TEST(ConflistTest, ParseRejectsMalformedListsNamingTheField) {
  EXPECT_THAT(ParseConflist("nope"), StatusIs(Code::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(ParseConflist(R"({"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("conflist.name")));
  EXPECT_THAT(ParseConflist(R"({"name":"n","plugins":[{"type":"bridge"}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("conflist.cniVersion")));
  EXPECT_THAT(ParseConflist(R"({"name":"n","cniVersion":"1.0.0","plugins":[]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("conflist.plugins")));
  EXPECT_THAT(ParseConflist(R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"a"},{}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("conflist.plugins[1].type")));
  EXPECT_THAT(ParseConflist(R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"../x"}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a plugin name")));
}

TEST(ConflistTest, ParseAcceptsASinglePluginConf) {
  auto parsed = ParseConflist(R"({"name":"n","cniVersion":"0.4.0","type":"bridge"})");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->plugins.size(), 1u);
  EXPECT_EQ(parsed->plugins[0].type, "bridge");
}

TEST(PluginConfigTest, InjectsNameVersionAndPrevResult) {
  auto list = ParseConflist(
      R"({"name":"net1","cniVersion":"1.0.0","plugins":[{"type":"bridge","bridge":"b0"},
          {"type":"tuning","name":"ignored","cniVersion":"0.1.0"}]})");
  ASSERT_THAT(list, IsOk());
  auto first = BuildPluginConfig(*list, 0, "");
  ASSERT_THAT(first, IsOk());
  json j = json::parse(*first);
  EXPECT_EQ(j["name"], "net1");
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["bridge"], "b0");
  EXPECT_FALSE(j.contains("prevResult"));

  auto second = BuildPluginConfig(*list, 1, R"({"cniVersion":"1.0.0","ips":[]})");
  ASSERT_THAT(second, IsOk());
  j = json::parse(*second);
  EXPECT_EQ(j["name"], "net1");
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["prevResult"]["ips"], json::array());

  EXPECT_THAT(BuildPluginConfig(*list, 2, ""), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(BuildPluginConfig(*list, 1, "not json"), StatusIs(Code::kInvalidArgument));
}

TEST(CniArgsTest, StaticIpOnlyAndValidated) {
  EXPECT_EQ(*BuildCniArgs({}), "");
  EXPECT_EQ(*BuildCniArgs({.static_ip = "10.87.3.4"}), "IgnoreUnknown=1;IP=10.87.3.4");
  EXPECT_EQ(*BuildCniArgs({.static_ip = "fd00::5"}), "IgnoreUnknown=1;IP=fd00::5");
  EXPECT_THAT(BuildCniArgs({.static_ip = "10.87.3.4/16"}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(BuildCniArgs({.static_ip = "10.87.3.4;K8S_POD_NAME=x"}),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(BuildCniArgs({.static_ip = "bogus"}), StatusIs(Code::kInvalidArgument));
}

TEST(CniErrorTest, HostLocalErrorsMapToCodes) {
  // Exact outputs of containernetworking-plugins 1.1.1 (bridge + host-local).
  const std::string taken =
      R"({"code": 999, "msg": "failed to allocate for range 0: requested IP address )"
      R"(10.86.250.2 is not available in range set 10.86.250.1-10.86.250.254"})";
  const std::string outside =
      R"({"code": 999, "msg": "failed to allocate all requested IPs: 10.86.251.5"})";
  const std::string gateway = R"({"code": 999,
    "msg": "failed to allocate for range 0: requested ip 10.86.250.1 is subnet's gateway"})";
  const std::string other =
      R"({"code": 999, "msg": "container veth name provided (eth0) already exists",
          "details": "more"})";
  EXPECT_THAT(CniFailureStatus("n", "ADD", "bridge", 1, false, taken, ""),
              StatusIs(Code::kAlreadyExists,
                       HasSubstr("n: CNI ADD bridge failed: failed to allocate for range 0: "
                                 "requested IP address 10.86.250.2 is not available")));
  EXPECT_THAT(CniFailureStatus("n", "ADD", "bridge", 1, false, outside, ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("10.86.251.5")));
  EXPECT_THAT(CniFailureStatus("n", "ADD", "bridge", 1, false, gateway, ""),
              StatusIs(Code::kInvalidArgument, HasSubstr("gateway")));
  EXPECT_THAT(CniFailureStatus("n", "ADD", "bridge", 1, false, other, ""),
              StatusIs(Code::kUnavailable,
                       HasSubstr("already exists (more) [CNI error code 999]")));
  EXPECT_THAT(CniFailureStatus("n", "DEL", "x", 2, false, "", "segfault\n"),
              StatusIs(Code::kUnavailable, HasSubstr("x exited 2: segfault")));
  EXPECT_THAT(CniFailureStatus("n", "ADD", "x", 137, true, "", ""),
              StatusIs(Code::kUnavailable, HasSubstr("timed out")));

  auto e = ParseCniError(other);
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->code, 999);
  EXPECT_EQ(e->details, "more");
  EXPECT_THAT(ParseCniError("{}"), StatusIs(Code::kInvalidArgument));
}

TEST(CniResultTest, ParsesTheBridgePluginsResult) {
  // The bridge plugin's ADD result, as printed by containernetworking-plugins 1.1.1.
  auto s = NetworkStatus::FromJson(R"({
    "cniVersion": "1.0.0",
    "interfaces": [
        {"name": "crhexp0", "mac": "c6:34:46:d3:a7:20"},
        {"name": "veth7b6804ca", "mac": "12:9e:1a:70:08:94"},
        {"name": "eth0", "mac": "92:1e:e8:f9:b1:21", "sandbox": "/run/netns/crhexp1"}],
    "ips": [{"interface": 2, "address": "10.86.250.2/24", "gateway": "10.86.250.1"}],
    "dns": {}})");
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->interfaces.size(), 3u);
  EXPECT_EQ(s->interfaces[2].sandbox, "/run/netns/crhexp1");
  ASSERT_EQ(s->ips.size(), 1u);
  EXPECT_EQ(s->ips[0].interface, 2);
  EXPECT_EQ(s->ips[0].gateway, "10.86.250.1");
  EXPECT_EQ(s->PrimaryIp(), "10.86.250.2");
}

// ---- Chaining, against fake plugins -----------------------------------------------------------

class FakePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string base = std::string(tmp ? tmp : "/tmp") + "/cni_unit_XXXXXX";
    ASSERT_NE(mkdtemp(base.data()), nullptr);
    root_ = base;
    plugins_ = root_ + "/plugins";
    log_ = root_ + "/log";
    ASSERT_THAT(fs_.MkdirAll(plugins_), IsOk());
    ASSERT_THAT(fs_.MkdirAll(log_), IsOk());
    // Logs "<type> <command> <id> <netns> <ifname> <args>" and its stdin, then answers.
    const std::string common =
        "#!/bin/sh\nconf=$(cat)\nt=$(basename \"$0\")\n"
        "n=$(cat " + log_ + "/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + log_ +
        "/count\n"
        "echo \"$t $CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME ${CNI_ARGS-unset}\" >> " +
        log_ + "/calls\n"
        "printf '%s' \"$conf\" > " + log_ + "/stdin.$n\n";
    WritePlugin("fake-ok", common +
                               "[ \"$CNI_COMMAND\" = ADD ] && printf '%s' "
                               "'{\"cniVersion\":\"1.0.0\","
                               "\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
                               "\"ips\":[{\"address\":\"10.99.0.5/24\",\"gateway\":\"10.99.0.1\","
                               "\"interface\":0}]}'\nexit 0\n");
    WritePlugin("fake-ok2", common +
                                "[ \"$CNI_COMMAND\" = ADD ] && printf '%s' '{\"cniVersion\":"
                                "\"1.0.0\",\"ips\":[{\"address\":\"10.99.0.6/24\"}]}'\nexit 0\n");
    WritePlugin("fake-fail", common +
                                 "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
                                 "printf '%s' '{\"code\":7,\"msg\":\"boom\",\"details\":\"why\"}'\n"
                                 "exit 1\n");
    WritePlugin("fake-taken", common +
                                  "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
                                  "printf '%s' '{\"code\":999,\"msg\":\"failed to allocate for "
                                  "range 0: requested IP address 10.99.0.5 is not available in "
                                  "range set 10.99.0.1-10.99.0.254\"}'\nexit 1\n");
  }
  void TearDown() override { EXPECT_THAT(fs_.RemoveAll(root_), IsOk()); }

  void WritePlugin(const std::string& name, const std::string& text) {
    ASSERT_THAT(fs_.WriteAtomic(plugins_ + "/" + name, text), IsOk());
    ASSERT_EQ(chmod((plugins_ + "/" + name).c_str(), 0755), 0);
  }

  std::unique_ptr<CniNetwork> Make(const std::vector<std::string>& types) {
    json list = {{"cniVersion", "1.0.0"}, {"name", "fakenet"}, {"plugins", json::array()}};
    for (const auto& t : types) list["plugins"].push_back({{"type", t}});
    auto net = std::make_unique<CniNetwork>(CniNetworkOptions{
        .conflist = list.dump(), .cni_path = plugins_, .state_dir = root_ + "/state"});
    EXPECT_THAT(net->Init(), IsOk());
    return net;
  }

  std::vector<std::string> Calls() {
    auto r = fs_.Read(log_ + "/calls");
    std::vector<std::string> lines;
    if (!r.ok()) return lines;
    std::istringstream in(*r);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  json Stdin(int n) { return json::parse(*fs_.Read(log_ + "/stdin." + std::to_string(n))); }

  PosixFilesystem fs_;
  std::string root_, plugins_, log_;
};

TEST_F(FakePluginTest, SetupChainsPrevResultAndTeardownDeletesInReverse) {
  auto net = Make({"fake-ok", "fake-ok2"});
  EXPECT_EQ(net->Name(), "fakenet");
  auto st = net->Setup("c1", "/run/netns/x", {.static_ip = "10.99.0.5"});
  ASSERT_THAT(st, IsOk());
  // The final result is the last plugin's.
  EXPECT_EQ(st->PrimaryIp(), "10.99.0.6");
  const std::string args = "IgnoreUnknown=1;IP=10.99.0.5";
  EXPECT_THAT(Calls(), ElementsAre("fake-ok ADD c1 /run/netns/x eth0 " + args,
                                   "fake-ok2 ADD c1 /run/netns/x eth0 " + args));
  EXPECT_FALSE(Stdin(1).contains("prevResult"));
  EXPECT_EQ(Stdin(1)["name"], "fakenet");
  EXPECT_EQ(Stdin(2)["prevResult"]["ips"][0]["address"], "10.99.0.5/24");
  EXPECT_THAT(net->StoredContainers(), ElementsAre("c1"));
  ASSERT_THAT(net->StoredStatus("c1"), IsOk());
  EXPECT_EQ(net->StoredStatus("c1")->PrimaryIp(), "10.99.0.6");
  // Our own environment never gets CNI_ARGS.
  EXPECT_EQ(std::getenv("CNI_ARGS"), nullptr);

  EXPECT_THAT(net->Setup("c1", "/run/netns/x", {}), StatusIs(Code::kFailedPrecondition));

  ASSERT_THAT(net->Teardown("c1", "/run/netns/x"), IsOk());
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[2], "fake-ok2 DEL c1 /run/netns/x eth0 unset");
  EXPECT_EQ(calls[3], "fake-ok DEL c1 /run/netns/x eth0 unset");
  EXPECT_EQ(Stdin(3)["prevResult"]["ips"][0]["address"], "10.99.0.6/24");
  EXPECT_THAT(net->StoredContainers(), IsEmpty());
  EXPECT_THAT(net->StoredStatus("c1"), StatusIs(Code::kNotFound));

  // Again: nothing stored, DEL runs without prevResult and succeeds.
  ASSERT_THAT(net->Teardown("c1", "/run/netns/gone"), IsOk());
  EXPECT_FALSE(Stdin(5).contains("prevResult"));
}

TEST_F(FakePluginTest, FailureMidChainDeletesEverythingInReverse) {
  auto net = Make({"fake-ok", "fake-fail", "fake-ok2"});
  auto st = net->Setup("c2", "/run/netns/y", {});
  EXPECT_THAT(st, StatusIs(Code::kUnavailable,
                           HasSubstr("fakenet: CNI ADD fake-fail failed: boom (why)")));
  EXPECT_THAT(st, StatusIs(Code::kUnavailable, HasSubstr("container c2")));
  EXPECT_THAT(Calls(), ElementsAre("fake-ok ADD c2 /run/netns/y eth0 unset",
                                   "fake-fail ADD c2 /run/netns/y eth0 unset",
                                   "fake-ok2 DEL c2 /run/netns/y eth0 unset",
                                   "fake-fail DEL c2 /run/netns/y eth0 unset",
                                   "fake-ok DEL c2 /run/netns/y eth0 unset"));
  EXPECT_EQ(Stdin(5)["prevResult"]["ips"][0]["address"], "10.99.0.5/24");
  EXPECT_THAT(net->StoredContainers(), IsEmpty());
}

TEST_F(FakePluginTest, TakenAddressIsAlreadyExists) {
  auto net = Make({"fake-taken"});
  EXPECT_THAT(net->Setup("c3", "/run/netns/z", {.static_ip = "10.99.0.5"}),
              StatusIs(Code::kAlreadyExists, HasSubstr("10.99.0.5 is not available")));
  EXPECT_THAT(Calls(), ElementsAre("fake-taken ADD c3 /run/netns/z eth0 "
                                   "IgnoreUnknown=1;IP=10.99.0.5",
                                   "fake-taken DEL c3 /run/netns/z eth0 unset"));
}

TEST_F(FakePluginTest, MissingPluginIsUnavailableAndBadInputIsRejectedBeforeRunning) {
  auto net = Make({"fake-ok", "no-such-plugin"});
  EXPECT_THAT(net->Setup("c4", "/run/netns/z", {}),
              StatusIs(Code::kUnavailable, HasSubstr("\"no-such-plugin\" not found in CNI_PATH")));
  const size_t before = Calls().size();
  EXPECT_THAT(net->Setup("../evil", "/run/netns/z", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(net->Setup("c5", "/run/netns/z", {.static_ip = "1.2.3.4;X=y"}),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(net->Setup("c5", "", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(Calls().size(), before);
}

TEST_F(FakePluginTest, InitReadsAConflistFileAndMethodsNeedInit) {
  CniNetwork uninit({.conflist = "{}", .state_dir = root_ + "/s"});
  EXPECT_THAT(uninit.Setup("c", "/run/netns/x", {}), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(uninit.Init(), StatusIs(Code::kInvalidArgument));

  ASSERT_THAT(fs_.WriteAtomic(root_ + "/net.conflist", DefaultConflist(root_ + "/s")), IsOk());
  CniNetwork from_file({.conflist = root_ + "/net.conflist", .state_dir = root_ + "/s"});
  ASSERT_THAT(from_file.Init(), IsOk());
  EXPECT_EQ(from_file.Name(), "crh");
  EXPECT_THAT(from_file.Bridges(), ElementsAre("crh0"));
  EXPECT_THAT(from_file.ReservedIps(), IsEmpty());

  CniNetwork missing({.conflist = root_ + "/nope.conflist", .state_dir = root_ + "/s"});
  EXPECT_THAT(missing.Init(), StatusIs(Code::kNotFound, HasSubstr("nope.conflist")));
}

TEST_F(FakePluginTest, ReservedIpsReadsHostLocalFiles) {
  const std::string data = root_ + "/ipam";
  CniNetwork net({.conflist = BridgeConflist({.name = "t", .bridge = "crhT0",
                                               .subnet = "10.99.0.0/24", .data_dir = data}),
                  .state_dir = root_ + "/s"});
  ASSERT_THAT(net.Init(), IsOk());
  ASSERT_THAT(fs_.MkdirAll(data + "/t"), IsOk());
  for (const char* f : {"10.99.0.9", "10.99.0.10", "lock", "last_reserved_ip.0"}) {
    ASSERT_THAT(fs_.WriteAtomic(data + "/t/" + f, "c\r\neth0"), IsOk());
  }
  EXPECT_THAT(net.ReservedIps(), ElementsAre("10.99.0.10", "10.99.0.9"));
}

TEST_F(FakePluginTest, DeleteNetnsOnlyTouchesTheNetnsDir) {
  CniNetwork net({.conflist = DefaultConflist(root_), .state_dir = root_,
                  .netns_dir = root_ + "/netns"});
  ASSERT_THAT(net.Init(), IsOk());
  EXPECT_THAT(net.DeleteNetns("/etc/hostname"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(net.DeleteNetns(root_ + "/netns/../x"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(net.DeleteNetns(root_ + "/netns/absent"), StatusIs(Code::kNotFound));
  EXPECT_THAT(net.CreateNetns("a/b"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(net.CreateNetns(".."), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace crh
