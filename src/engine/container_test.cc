// Goal: hostile IDs and names are refused with a message that says why, and a record survives a
// JSON round trip while a corrupt one is reported with its path and field.
#include "src/engine/container.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

TEST(ContainerTest, HostileIdentifiersAreRefused) {
  for (std::string bad : {std::string(""), std::string("a/b"), std::string(".."),
                          std::string("a..b"), std::string("."), std::string("-x"),
                          std::string("a\nb"), std::string("a\x01"), std::string(65, 'a'),
                          std::string("sp ace"), std::string("/etc")}) {
    EXPECT_THAT(ValidateIdentifier(bad, "name"), StatusIs(Code::kInvalidArgument))
        << "accepted \"" << bad << "\"";
  }
  for (std::string good : {std::string("web"), std::string("a.b-c_d"), std::string("0"), std::string(64, 'z')}) {
    EXPECT_THAT(ValidateIdentifier(good, "name"), IsOk()) << good;
  }
  EXPECT_THAT(ValidateIdentifier("a\nb", "name"),
              StatusIs(Code::kInvalidArgument, HasSubstr("\"a?b\"")));
}

TEST(ContainerTest, RecordRoundTrips) {
  Container c;
  c.id = "0123456789abcdef";
  c.name = "web";
  c.bundle = "/b";
  c.requested_ip = "10.88.0.9";
  c.state = ContainerState::kExited;
  c.pid = 0;
  c.netns_path = "/run/netns/crh-0123456789ab";
  c.has_network_status = true;
  c.network_status.ips.push_back({"10.88.0.9/24", "10.88.0.1", 0});
  c.network_status.interfaces.push_back({"eth0", "aa:bb", "/run/netns/x"});
  c.checkpointed = true;
  c.pending = PendingOp::kRestore;
  c.checkpointed_at_ms = 42;
  auto back = Container::FromJson(c.ToJson(), "/r/container.json");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->ToJson(), c.ToJson());
  EXPECT_EQ(back->Ip(), "10.88.0.9");
}

TEST(ContainerTest, AwkwardStringsSurviveTheRecord) {
  Container c;
  c.id = "abc";
  c.name = "web";
  c.bundle = std::string("/b/\"quoted\"/back\\slash/new\nline/tab\t/\x01ctl/\xc3\xa9t\xc3\xa9");
  auto back = Container::FromJson(c.ToJson(), "/r/container.json");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->bundle, c.bundle);
  EXPECT_EQ(back->ToJson(), c.ToJson());
}

TEST(ContainerTest, CorruptRecordNamesPathAndField) {
  EXPECT_THAT(Container::FromJson("{\"id\":\"x\"", "/r/c.json"),
              StatusIs(Code::kDataLoss, HasSubstr("/r/c.json")));
  EXPECT_THAT(Container::FromJson(R"({"id":"x","name":"y","state":"flying"})", "/r/c.json"),
              StatusIs(Code::kDataLoss, HasSubstr("\"state\"")));
  EXPECT_THAT(Container::FromJson(R"({"id":"../x","name":"y","state":"exited"})", "/r/c.json"),
              StatusIs(Code::kDataLoss, HasSubstr("\"id\"")));
}

}  // namespace
}  // namespace crh
