// Goal: the toolchain manifest written by ci/provision_runtimes.sh parses into what CliRuntime
// needs, a missing manifest names the fix, and runtimes are found by name, path or kind.
// Method: parse literal manifests; load from paths that do not exist.
#include "src/oci/toolchain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

constexpr char kManifest[] = R"({
  "criu": {"path": "/opt/crh/bin/criu", "version": "4.2.1"},
  "runtimes": [
    {"name": "runc-1.1.5", "path": "/usr/sbin/runc", "version": "1.1.5", "criu_flag": true},
    {"name": "runc-1.3.6", "path": "/opt/crh/runtimes/bin/runc", "version": "1.3.6",
     "criu_flag": false},
    {"name": "crun-1.28", "path": "/opt/crh/runtimes/bin/crun", "version": "1.28"}
  ],
  "path_prefix": "/opt/crh/bin"
})";

TEST(ToolchainTest, ParsesManifest) {
  auto tc = ParseToolchain(kManifest, "test");
  ASSERT_THAT(tc, IsOk());
  EXPECT_EQ(tc->criu_path, "/opt/crh/bin/criu");
  EXPECT_EQ(tc->criu_version, "4.2.1");
  EXPECT_EQ(tc->path_prefix, "/opt/crh/bin");
  ASSERT_EQ(tc->runtimes.size(), 3u);
  EXPECT_TRUE(tc->runtimes[0].criu_flag);
  EXPECT_FALSE(tc->runtimes[2].criu_flag);
  EXPECT_EQ(tc->runtimes[1].version, "1.3.6");
  EXPECT_EQ(tc->crit_path, "") << "a manifest from before crit was provisioned still loads";
}

TEST(ToolchainTest, ParsesTheOptionalCrit) {
  std::string text = kManifest;
  text.insert(1, R"("crit": {"path": "/opt/crh/pycriu/bin/crit", "version": "4.2.1"},)");
  auto tc = ParseToolchain(text, "test");
  ASSERT_THAT(tc, IsOk());
  EXPECT_EQ(tc->crit_path, "/opt/crh/pycriu/bin/crit");
  EXPECT_EQ(tc->crit_version, "4.2.1");
  text = kManifest;
  text.insert(1, R"("crit": "/usr/bin/crit",)");
  EXPECT_THAT(ParseToolchain(text, "m"),
              StatusIs(Code::kInvalidArgument, HasSubstr("\"crit\" is not an object")));
}

TEST(ToolchainTest, FindsRuntimeByNamePathOrFamily) {
  auto tc = ParseToolchain(kManifest, "test");
  ASSERT_THAT(tc, IsOk());
  EXPECT_EQ(tc->FindRuntime("runc-1.3.6")->path, "/opt/crh/runtimes/bin/runc");
  EXPECT_EQ(tc->FindRuntime("runc-1.1.5")->path, "/usr/sbin/runc");
  EXPECT_EQ(tc->FindRuntime("/usr/sbin/runc")->name, "runc-1.1.5");
  EXPECT_EQ(tc->FindRuntime("crun")->name, "crun-1.28");
  // The family means its newest version, whatever the manifest's order.
  EXPECT_EQ(tc->FindRuntime("runc")->name, "runc-1.3.6");
  EXPECT_THAT(tc->FindRuntime("youki"),
              StatusIs(Code::kNotFound, HasSubstr("runc-1.1.5, runc-1.3.6, crun-1.28")));
  EXPECT_THAT(tc->FindRuntime("youki"), StatusIs(Code::kNotFound, HasSubstr("families crun, runc")));
  EXPECT_THAT(tc->FindRuntime("run"), StatusIs(Code::kNotFound));  // not a prefix match
}

TEST(ToolchainTest, FamilyPicksTheNewestVersionNumerically) {
  auto tc = ParseToolchain(R"({"criu": {"path": "/c", "version": "4"}, "path_prefix": "/",
      "runtimes": [{"name": "crun-1.28", "path": "/a", "version": "1.28"},
                   {"name": "crun-1.3", "path": "/b", "version": "1.3"},
                   {"name": "crun-1.9.2", "path": "/c", "version": "1.9.2"}]})", "t");
  ASSERT_THAT(tc, IsOk());
  EXPECT_EQ(tc->FindRuntime("crun")->name, "crun-1.28");
  EXPECT_LT(CompareVersions("1.3", "1.28"), 0);
  EXPECT_GT(CompareVersions("1.3.6", "1.3"), 0);
  EXPECT_EQ(CompareVersions("1.3.0", "1.3"), 0);
  EXPECT_EQ(RuntimeFamily("runc-1.3.6"), "runc");
  EXPECT_EQ(RuntimeFamily("my-runc-2"), "my-runc");
}

TEST(ToolchainTest, MissingManifestNamesTheFix) {
  EXPECT_THAT(LoadToolchain("/nonexistent/toolchain.json"),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("toolchain manifest /nonexistent/toolchain.json not found: run "
                                 "`sudo ci/setup.sh`")));
}

TEST(ToolchainTest, RejectsMalformedManifests) {
  EXPECT_THAT(ParseToolchain("[]", "t"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseToolchain("{", "t"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseToolchain(R"({"criu": {"path": "/c", "version": "1"}, "path_prefix": "/",
                                 "runtimes": []})", "t"),
              StatusIs(Code::kInvalidArgument, HasSubstr("runtimes")));
  EXPECT_THAT(ParseToolchain(R"({"criu": {"path": "/c", "version": "1"}, "path_prefix": "/",
                                 "runtimes": [{"name": "x", "path": "/x"}]})", "t"),
              StatusIs(Code::kInvalidArgument, HasSubstr("version")));
}

TEST(ToolchainTest, DefaultPathHonorsEnvironment) {
  setenv("CRH_TOOLCHAIN", "/tmp/other.json", 1);
  EXPECT_EQ(DefaultToolchainPath(), "/tmp/other.json");
  unsetenv("CRH_TOOLCHAIN");
  EXPECT_EQ(DefaultToolchainPath(), kDefaultToolchainPath);
}

}  // namespace
}  // namespace crh
