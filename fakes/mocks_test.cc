// Goal: the mocks implement every method of their seams (they instantiate, including as
// StrictMock) and MockFileLock reports its release. Method: script one call on each mock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/mock_filesystem.h"
#include "fakes/mock_network.h"
#include "fakes/mock_runtime.h"
#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

TEST(MocksTest, EachMockCanBeScripted) {
  StrictMock<MockRuntime> runtime;
  EXPECT_CALL(runtime, Kill("web", 9)).WillOnce(Return(NotFound("no web")));
  EXPECT_THAT(runtime.Kill("web", 9), StatusIs(Code::kNotFound));

  StrictMock<MockNetwork> network;
  EXPECT_CALL(network, CreateNetns("n")).WillOnce(Return(Result<std::string>("/run/netns/n")));
  EXPECT_EQ(*network.CreateNetns("n"), "/run/netns/n");

  StrictMock<MockFilesystem> fs;
  EXPECT_CALL(fs, Exists("/x")).WillOnce(Return(true));
  EXPECT_TRUE(fs.Exists("/x"));
}

TEST(MocksTest, FileLockReportsRelease) {
  auto lock = std::make_unique<StrictMock<MockFileLock>>();
  EXPECT_CALL(*lock, Released());
  FileLockPtr held = std::move(lock);
  held.reset();
}

}  // namespace
}  // namespace crh
