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

TEST(ContainerTest, StatsAndTheLeaveRunningMarkSurviveTheRecordInOrder) {
  Container c;
  c.id = "abc";
  c.name = "web";
  c.state = ContainerState::kRunning;
  c.checkpoint_left_running = true;
  c.checkpoint_stats = OperationStats{.crh_duration_us = 360749,
                                      .runtime_duration_us = 268000,
                                      .criu_file = "/r/stats-dump",
                                      .criu = {{"freezing_time", 44}, {"frozen_time", 58},
                                               {"memdump_time", 54}, {"pages_scanned", 2568}}};
  c.restore_stats = OperationStats{.criu_file = "/r/stats-restore",
                                   .criu_error = "/r/stats-restore does not exist"};
  auto back = Container::FromJson(c.ToJson(), "/r/container.json");
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->checkpoint_left_running);
  EXPECT_EQ(back->checkpoint_stats, c.checkpoint_stats) << "CRIU's field order is kept";
  EXPECT_EQ(back->restore_stats, c.restore_stats);
  EXPECT_EQ(back->ToJson(), c.ToJson());
  // A record written before stats existed has none.
  auto old = Container::FromJson(R"({"id":"x","name":"y","state":"exited"})", "/r/c.json");
  ASSERT_THAT(old, IsOk());
  EXPECT_FALSE(old->checkpoint_stats.has_value());
  EXPECT_FALSE(old->checkpoint_left_running);
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
  EXPECT_THAT(Container::FromJson(R"({"id":"x","name":"y","state":"exited",
                                      "checkpoint_stats":{"crh_duration_us":1,
                                      "runtime_duration_us":1,"criu":{"frozen_time":-3}}})",
                                  "/r/c.json"),
              StatusIs(Code::kDataLoss, HasSubstr("checkpoint_stats.criu.frozen_time")));
  EXPECT_THAT(Container::FromJson(R"({"id":"x","name":"y","state":"exited",
                                      "restore_stats":{"crh_duration_us":"soon"}})",
                                  "/r/c.json"),
              StatusIs(Code::kDataLoss, HasSubstr("restore_stats.crh_duration_us")));
}

}  // namespace
}  // namespace crh
