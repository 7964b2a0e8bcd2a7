// Goal: busybox bundles are complete (rootfs with a shell, a config.json runc/crun accept) and
// WithNetnsPath rewrites only the network namespace path and the root path.
// Method: build a bundle in the test's temp dir and inspect it; no runtime is run here (see
// cli_runtime_test for that).
#include "src/oci/bundle.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/base/status_matchers.h"
#include "src/base/test_files.h"
#include "src/base/subprocess.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;


TEST(BundleTest, MakesBusyboxRootfsAndConfig) {
  const std::string dir = FreshTestDir("bundle");
  ASSERT_THAT(MakeBusyboxBundle(dir, {"sh", "-c", "echo hi"}, {.hostname = "box"}), IsOk());
  EXPECT_TRUE(fs::is_regular_file(dir + "/rootfs/bin/busybox"));
  EXPECT_EQ(fs::read_symlink(dir + "/rootfs/bin/sh"), "/bin/busybox");
  for (const char* d : {"proc", "dev", "sys", "tmp"}) {
    EXPECT_TRUE(fs::is_directory(dir + "/rootfs/" + d)) << d;
  }
  EXPECT_THAT(ReadWholeFile(dir + "/rootfs/etc/passwd"), HasSubstr("root:x:0:0"));
  json spec = json::parse(ReadWholeFile(dir + "/config.json"));
  EXPECT_EQ(spec["process"]["args"], json({"sh", "-c", "echo hi"}));
  EXPECT_EQ(spec["process"]["terminal"], false);
  EXPECT_EQ(spec["root"]["path"], "rootfs");
  EXPECT_EQ(spec["root"]["readonly"], false);
  EXPECT_EQ(spec["hostname"], "box");
  std::vector<std::string> types;
  for (const auto& ns : spec["linux"]["namespaces"]) {
    types.push_back(ns["type"]);
    EXPECT_FALSE(ns.contains("path"));
  }
  EXPECT_THAT(types, ::testing::UnorderedElementsAre("pid", "ipc", "uts", "mount", "network"));
  std::vector<std::string> mounts;
  for (const auto& m : spec["mounts"]) mounts.push_back(m["destination"]);
  EXPECT_THAT(mounts, ::testing::UnorderedElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm",
                                                      "/dev/mqueue", "/sys", "/sys/fs/cgroup"));
  EXPECT_FALSE(spec["linux"].contains("seccomp"));
  // A second call reuses the rootfs.
  EXPECT_THAT(MakeBusyboxBundle(dir, {"true"}), IsOk());
  fs::remove_all(dir);
}

// The promise that matters: the suites checkpoint what `runc spec` gives users. Debian's runc
// (installed by ci/setup.sh) writes the reference; everything but the fields a user edits for a
// detached container (args, terminal, root.readonly, hostname) must be the same.
TEST(BundleTest, ConfigIsRuncSpecsDefaults) {
  const std::string runc = "/usr/sbin/runc";
  ASSERT_EQ(access(runc.c_str(), X_OK), 0) << runc << " is missing: run `sudo ci/setup.sh`";
  char tmpl[] = "/tmp/crh-runc-spec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto r = RunCommand({.argv = {runc, "spec", "--bundle", dir}});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->ok()) << r->Describe("runc spec");
  json want = json::parse(ReadWholeFile(dir + "/config.json"));
  fs::remove_all(dir);
  json got = json::parse(BusyboxConfigJson({"sh"}, {}));
  EXPECT_EQ(got["mounts"], want["mounts"]);
  EXPECT_EQ(got["linux"], want["linux"]);
  for (const char* key : {"user", "cwd", "rlimits", "noNewPrivileges"}) {
    EXPECT_EQ(got["process"][key], want["process"][key]) << key;
  }
  // runc 1.1 also lists ambient capabilities; 1.2 and later stopped. crh follows the newer.
  for (const char* set : {"bounding", "effective", "permitted"}) {
    EXPECT_EQ(got["process"]["capabilities"][set], want["process"]["capabilities"][set]) << set;
  }
  EXPECT_EQ(got["root"]["path"], want["root"]["path"]);
  EXPECT_EQ(want["root"]["readonly"], true);   // what users turn off for a writable root
  EXPECT_EQ(got["root"]["readonly"], false);
}

TEST(BundleTest, NetnsPathOption) {
  json spec = json::parse(BusyboxConfigJson({"true"}, {.netns_path = "/run/netns/x"}));
  int paths = 0;
  for (const auto& ns : spec["linux"]["namespaces"]) {
    if (ns["type"] == "network") {
      EXPECT_EQ(ns["path"], "/run/netns/x");
      ++paths;
    }
  }
  EXPECT_EQ(paths, 1);
}

TEST(BundleTest, WithNetnsPathRewritesNetnsAndRoot) {
  std::string cfg = BusyboxConfigJson({"true"}, {});
  auto out = WithNetnsPath(cfg, "/run/netns/crh-a", "/var/lib/crh/a/rootfs");
  ASSERT_THAT(out, IsOk());
  json spec = json::parse(*out);
  EXPECT_EQ(spec["root"]["path"], "/var/lib/crh/a/rootfs");
  for (const auto& ns : spec["linux"]["namespaces"]) {
    if (ns["type"] == "network") {
      EXPECT_EQ(ns["path"], "/run/netns/crh-a");
    }
  }
  // Everything else is untouched.
  spec["root"]["path"] = "rootfs";
  for (auto& ns : spec["linux"]["namespaces"]) ns.erase("path");
  EXPECT_EQ(spec, json::parse(cfg));

  // Removing the path again, and adding a network namespace to a spec without one.
  auto cleared = WithNetnsPath(*out, "", "/r");
  ASSERT_THAT(cleared, IsOk());
  EXPECT_THAT(*cleared, ::testing::Not(HasSubstr("/run/netns/crh-a")));
  auto added = WithNetnsPath(R"({"linux": {}})", "/run/netns/n", "/r");
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(json::parse(*added)["linux"]["namespaces"][0]["path"], "/run/netns/n");

  EXPECT_THAT(WithNetnsPath(cfg, "/n", "rootfs"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(WithNetnsPath("not json", "/n", "/r"), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace crh
