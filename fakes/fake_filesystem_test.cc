// Goal: FakeFilesystem keeps the promises of the Filesystem seam (filesystem.h) and injects each
// fs.* fault with the documented effect, so engine tests against it mean what they say. Method:
// one test per promise on a fresh tree; fault tests attach a plan and check both the returned
// error (code, injected mark) and what the tree holds afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "fakes/fake_filesystem.h"
#include "src/base/status_matchers.h"
#include "src/faults/fault_plan.h"

namespace crh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(FakeFilesystemTest, WriteThenReadAndReplace) {
  FakeFilesystem fs;
  ASSERT_THAT(fs.MkdirAll("/var/lib/crh"), IsOk());
  ASSERT_THAT(fs.WriteAtomic("/var/lib/crh/a", "one"), IsOk());
  EXPECT_THAT(fs.Read("/var/lib/crh/a"), IsOk());
  EXPECT_EQ(*fs.Read("/var/lib/crh/a"), "one");
  ASSERT_THAT(fs.WriteAtomic("/var/lib/crh/a", "two"), IsOk());
  EXPECT_EQ(*fs.Read("/var/lib/crh/a"), "two");
  EXPECT_TRUE(fs.Exists("/var/lib/crh/a"));
  EXPECT_FALSE(fs.IsDirectory("/var/lib/crh/a"));
  EXPECT_TRUE(fs.IsDirectory("/var/lib"));
}

TEST(FakeFilesystemTest, WriteNeedsTheParentDirectory) {
  FakeFilesystem fs;
  EXPECT_THAT(fs.WriteAtomic("/no/such/file", "x"), StatusIs(Code::kNotFound, HasSubstr("/no")));
  EXPECT_EQ(fs.FileCount(), 0u);
  fs.SetFile("/f", "x");
  EXPECT_THAT(fs.WriteAtomic("/f/child", "x"), StatusIs(Code::kNotFound));
}

TEST(FakeFilesystemTest, ReadOfAbsentOrDirectoryFails) {
  FakeFilesystem fs;
  EXPECT_THAT(fs.Read("/nope"), StatusIs(Code::kNotFound, HasSubstr("/nope")));
  ASSERT_THAT(fs.MkdirAll("/d"), IsOk());
  EXPECT_THAT(fs.Read("/d"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(fs.Read("relative"), StatusIs(Code::kInvalidArgument));
}

TEST(FakeFilesystemTest, PathsAreNormalized) {
  FakeFilesystem fs;
  fs.SetFile("/a/b/c", "x");
  EXPECT_TRUE(fs.Exists("//a/./b/../b/c"));
  EXPECT_TRUE(fs.IsDirectory("/a/b/"));
  EXPECT_FALSE(fs.Exists("a/b/c"));
}

TEST(FakeFilesystemTest, RemoveRefusesNonEmptyDirectoriesAndAbsentPaths) {
  FakeFilesystem fs;
  fs.SetFile("/d/f", "x");
  EXPECT_THAT(fs.Remove("/d"), StatusIs(Code::kFailedPrecondition, HasSubstr("not empty")));
  EXPECT_THAT(fs.Remove("/d/f"), IsOk());
  EXPECT_THAT(fs.Remove("/d"), IsOk());
  EXPECT_FALSE(fs.Exists("/d"));
  EXPECT_THAT(fs.Remove("/d"), StatusIs(Code::kNotFound));
}

TEST(FakeFilesystemTest, RemoveAllTakesTheSubtreeOnly) {
  FakeFilesystem fs;
  fs.SetFile("/d/a/1", "x");
  fs.SetFile("/d/b", "x");
  fs.SetFile("/d-sibling", "x");
  fs.SetFile("/dd", "x");
  EXPECT_THAT(fs.RemoveAll("/d"), IsOk());
  EXPECT_THAT(fs.AllFiles(), ElementsAre("/d-sibling", "/dd"));
  EXPECT_FALSE(fs.Exists("/d"));
  EXPECT_THAT(fs.RemoveAll("/d"), IsOk());  // absent is fine
  EXPECT_THAT(fs.RemoveAll("/dd"), IsOk());  // a file too
  EXPECT_THAT(fs.AllFiles(), ElementsAre("/d-sibling"));
}

TEST(FakeFilesystemTest, ListReturnsSortedDirectChildNames) {
  FakeFilesystem fs;
  fs.SetFile("/d/zeta", "x");
  fs.SetFile("/d/alpha", "x");
  fs.SetFile("/d/sub/deep", "x");
  fs.SetFile("/d-other/x", "x");
  auto names = fs.List("/d");
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(*names, ElementsAre("alpha", "sub", "zeta"));
  EXPECT_THAT(*fs.List("/"), ElementsAre("d", "d-other"));
  ASSERT_THAT(fs.MkdirAll("/empty"), IsOk());
  EXPECT_THAT(*fs.List("/empty"), IsEmpty());
  EXPECT_THAT(fs.List("/absent"), StatusIs(Code::kNotFound));
  EXPECT_THAT(fs.List("/d/zeta"), StatusIs(Code::kFailedPrecondition));
}

TEST(FakeFilesystemTest, MkdirAllCreatesParentsAndToleratesExisting) {
  FakeFilesystem fs;
  EXPECT_THAT(fs.MkdirAll("/a/b/c"), IsOk());
  EXPECT_TRUE(fs.IsDirectory("/a"));
  EXPECT_TRUE(fs.IsDirectory("/a/b/c"));
  EXPECT_THAT(fs.MkdirAll("/a/b/c"), IsOk());
  fs.SetFile("/a/file", "x");
  EXPECT_THAT(fs.MkdirAll("/a/file/sub"), StatusIs(Code::kFailedPrecondition));
  EXPECT_FALSE(fs.Exists("/a/file/sub"));
}

TEST(FakeFilesystemTest, RenameFollowsRename2) {
  FakeFilesystem fs;
  fs.SetFile("/d/tmp", "new");
  fs.SetFile("/d/target", "old");
  EXPECT_THAT(fs.Rename("/d/tmp", "/d/target"), IsOk());
  EXPECT_EQ(*fs.Read("/d/target"), "new");
  EXPECT_FALSE(fs.Exists("/d/tmp"));

  EXPECT_THAT(fs.Rename("/d/missing", "/d/x"), StatusIs(Code::kNotFound));
  EXPECT_THAT(fs.Rename("/d/target", "/nodir/x"), StatusIs(Code::kNotFound));

  // Directories move with their contents and may replace an empty directory.
  fs.SetFile("/src/a/b", "deep");
  ASSERT_THAT(fs.MkdirAll("/dst"), IsOk());
  EXPECT_THAT(fs.Rename("/src", "/dst"), IsOk());
  EXPECT_EQ(*fs.Read("/dst/a/b"), "deep");
  EXPECT_FALSE(fs.Exists("/src"));

  fs.SetFile("/full/x", "x");
  ASSERT_THAT(fs.MkdirAll("/other"), IsOk());
  EXPECT_THAT(fs.Rename("/other", "/full"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(fs.Rename("/d/target", "/full"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(fs.Rename("/full", "/full/x/inside"), StatusIs(Code::kNotFound));
  EXPECT_THAT(fs.Rename("/full", "/full/sub"), StatusIs(Code::kInvalidArgument));
}

TEST(FakeFilesystemTest, LockIsExclusiveUntilReleased) {
  FakeFilesystem fs;
  ASSERT_THAT(fs.MkdirAll("/run"), IsOk());
  auto first = fs.Lock("/run/web.lock");
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(fs.Exists("/run/web.lock"));  // created, as flock's open does
  EXPECT_TRUE(fs.IsLocked("/run/web.lock"));
  EXPECT_THAT(fs.Lock("/run/web.lock"), StatusIs(Code::kUnavailable, HasSubstr("would block")));
  EXPECT_THAT(fs.Lock("/run/db.lock"), IsOk());  // other paths are independent
  first->reset();
  EXPECT_FALSE(fs.IsLocked("/run/web.lock"));
  EXPECT_THAT(fs.Lock("/run/web.lock"), IsOk());
  EXPECT_THAT(fs.Lock("/nodir/x.lock"), StatusIs(Code::kNotFound));
}

TEST(FakeFilesystemTest, LockMayOutliveTheFilesystem) {
  FileLockPtr lock;
  {
    FakeFilesystem fs;
    auto l = fs.Lock("/x.lock");
    ASSERT_THAT(l, IsOk());
    lock = std::move(*l);
  }
  lock.reset();  // must not touch the destroyed filesystem
}

TEST(FakeFilesystemTest, HelpersSeeTheTree) {
  FakeFilesystem fs;
  fs.SetFile("/b/2", "two");
  fs.SetFile("/a/1", "one");
  ASSERT_THAT(fs.MkdirAll("/c/empty"), IsOk());
  EXPECT_THAT(fs.AllFiles(), ElementsAre("/a/1", "/b/2"));
  EXPECT_EQ(fs.FileCount(), 2u);
  fs.Truncate("/b/2", 1);
  EXPECT_EQ(fs.Peek("/b/2"), "t");
  fs.Truncate("/b/2", 3);
  EXPECT_EQ(fs.Peek("/b/2"), std::string("t\0\0", 3));
  EXPECT_EQ(fs.Peek("/absent"), std::nullopt);
}

TEST(FakeFilesystemTest, FailFaultsChangeNothingAndAreMarked) {
  struct Case {
    const char* site;
    std::function<Status(FakeFilesystem&)> op;
  };
  const std::vector<Case> cases = {
      {"fs.read", [](FakeFilesystem& fs) { return fs.Read("/d/f").status(); }},
      {"fs.write", [](FakeFilesystem& fs) { return fs.WriteAtomic("/d/f", "new"); }},
      {"fs.rename", [](FakeFilesystem& fs) { return fs.Rename("/d/f", "/d/g"); }},
      {"fs.remove", [](FakeFilesystem& fs) { return fs.Remove("/d/f"); }},
      {"fs.remove", [](FakeFilesystem& fs) { return fs.RemoveAll("/d"); }},
      {"fs.mkdir", [](FakeFilesystem& fs) { return fs.MkdirAll("/d/sub"); }},
      {"fs.list", [](FakeFilesystem& fs) { return fs.List("/d").status(); }},
      {"fs.lock", [](FakeFilesystem& fs) { return fs.Lock("/d/l").status(); }},
  };
  for (const Case& c : cases) {
    auto plan = std::make_shared<FaultPlan>();
    plan->Add({.site = c.site});
    FakeFilesystem fs(plan);
    fs.SetFile("/d/f", "old");
    Status s = c.op(fs);
    EXPECT_THAT(s, StatusIs(Code::kUnavailable)) << c.site;
    EXPECT_EQ(s.injected_site(), c.site);
    EXPECT_THAT(fs.AllFiles(), ElementsAre("/d/f")) << c.site;
    EXPECT_EQ(fs.Peek("/d/f"), "old") << c.site;
    EXPECT_FALSE(fs.Exists("/d/sub")) << c.site;
    EXPECT_EQ(plan->Fired(c.site), 1) << c.site;
  }
}

TEST(FakeFilesystemTest, PartialWriteLeavesATruncatedFile) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "fs.write", .effect = FaultEffect::kPartialWrite, .subject = "status"});
  FakeFilesystem fs(plan);
  fs.SetFile("/d/status", "previous contents");
  Status s = fs.WriteAtomic("/d/status", "0123456789");
  EXPECT_THAT(s, StatusIs(Code::kUnavailable));
  EXPECT_EQ(s.injected_site(), "fs.write");
  EXPECT_EQ(fs.Peek("/d/status"), "01234");
  // Other paths are not subject to the rule.
  EXPECT_THAT(fs.WriteAtomic("/d/other", "0123456789"), IsOk());
  EXPECT_EQ(fs.Peek("/d/other"), "0123456789");
}

TEST(FakeFilesystemTest, RenameSubjectMatchesEitherPath) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "fs.rename", .subject = "/final"});
  FakeFilesystem fs(plan);
  fs.SetFile("/tmp1", "x");
  EXPECT_THAT(fs.Rename("/tmp1", "/final"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(fs.Rename("/tmp1", "/other"), IsOk());
}

TEST(FakeFilesystemTest, NthFaultHitsOnlyThatCall) {
  auto plan = std::make_shared<FaultPlan>();
  plan->Add({.site = "fs.write", .trigger = Trigger::Nth(2)});
  FakeFilesystem fs(plan);
  EXPECT_THAT(fs.WriteAtomic("/a", "1"), IsOk());
  EXPECT_THAT(fs.WriteAtomic("/b", "2"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(fs.WriteAtomic("/c", "3"), IsOk());
  EXPECT_THAT(fs.AllFiles(), ElementsAre("/a", "/c"));
  EXPECT_EQ(plan->Calls("fs.write"), 3);
}

}  // namespace
}  // namespace crh
