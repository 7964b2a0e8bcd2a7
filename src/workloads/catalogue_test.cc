// Goal: the catalogue and the helper binary agree, without any runtime: every workload names a
// mode the helper has, names are unique test-case names, limitations say why, the helper is
// statically linked (it runs in a busybox rootfs with no libc), and PrepareBundle makes a
// bundle with the helper and the workload's edits.
// Method: `crh-workload list` from the test's runfiles, the helper's ELF program headers, and
// bundles made in a temporary directory.
#include "src/workloads/catalogue.h"

#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "src/base/status_matchers.h"
#include "src/base/subprocess.h"

namespace crh::workloads {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::SizeIs;

const std::string kHelper = "src/workloads/crh-workload";

TEST(CatalogueTest, EveryWorkloadNamesAHelperModeAndIsDescribed) {
  auto r = RunCommand({.argv = {kHelper, "list"}});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->ok()) << r->Describe("crh-workload list");
  std::set<std::string> modes;
  std::istringstream lines(r->out);
  for (std::string l; std::getline(lines, l);) modes.insert(l);
  std::set<std::string> names;
  EXPECT_GE(Catalogue().size(), 20u);
  for (const auto& w : Catalogue()) {
    SCOPED_TRACE(w.name);
    EXPECT_TRUE(names.insert(w.name).second) << "duplicate name";
    EXPECT_EQ(w.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos);
    ASSERT_FALSE(w.args.empty());
    EXPECT_THAT(modes, Contains(w.args[0]));
    EXPECT_FALSE(w.state.empty());
    EXPECT_FALSE(w.verifies.empty());
    for (const auto& l : w.limitations) {
      EXPECT_FALSE(l.signature.empty());
      EXPECT_FALSE(l.why.empty());
    }
    EXPECT_EQ(FindWorkload(w.name), &w);
  }
  EXPECT_EQ(FindWorkload("no_such_workload"), nullptr);
}

TEST(CatalogueTest, HelperIsStatic) {
  std::ifstream in(kHelper, std::ios::binary);
  Elf64_Ehdr eh;
  ASSERT_TRUE(in.read(reinterpret_cast<char*>(&eh), sizeof eh));
  ASSERT_EQ(std::string(reinterpret_cast<char*>(eh.e_ident), 4),
            "\x7f"
            "ELF");
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize));
    ASSERT_TRUE(in.read(reinterpret_cast<char*>(&ph), sizeof ph));
    EXPECT_NE(ph.p_type, static_cast<uint32_t>(PT_INTERP)) << "the helper wants a dynamic loader";
    EXPECT_NE(ph.p_type, static_cast<uint32_t>(PT_DYNAMIC)) << "the helper is dynamically linked";
  }
}

TEST(CatalogueTest, UnknownModeIsAUsageError) {
  auto r = RunCommand({.argv = {kHelper, "no-such-mode"}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 64);
}

TEST(CatalogueTest, RuntimeFamilies) {
  EXPECT_EQ(RuntimeFamily("runc-1.3.6"), "runc");
  EXPECT_EQ(RuntimeFamily("/opt/crh/runtimes/bin/crun"), "crun");
  EXPECT_EQ(RuntimeFamily("crun"), "crun");
  const Workload* w = FindWorkload("eventfd_semaphore");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->LimitationOn("crun-1.28"), nullptr);
  EXPECT_EQ(FindWorkload("pipe_in_flight")->LimitationOn("crun-1.28"), nullptr);
}

TEST(CatalogueTest, PrepareBundleCopiesTheHelperAndAppliesEdits) {
  if (!fs::exists("/bin/busybox")) {
    GTEST_SKIP() << "busybox-static is not installed (/bin/busybox): run `sudo ci/setup.sh`";
  }
  const std::string tmp = ::testing::TempDir() + "/catalogue_test";
  fs::remove_all(tmp);
  fs::create_directories(tmp + "/scratch");
  for (const char* name : {"bind_nested", "cgroup_ns", "bind_symlink_dest"}) {
    SCOPED_TRACE(name);
    const Workload* w = FindWorkload(name);
    ASSERT_NE(w, nullptr);
    const std::string dir = tmp + "/" + name;
    ASSERT_THAT(PrepareBundle(*w, {.bundle_dir = dir, .scratch_dir = tmp + "/scratch"},
                              fs::absolute(kHelper).string()),
                IsOk());
    EXPECT_TRUE(fs::is_regular_file(dir + "/rootfs/bin/crh-workload"));
    std::ifstream in(dir + "/config.json");
    auto config = nlohmann::json::parse(in);
    EXPECT_EQ(config["process"]["args"][0], "/bin/crh-workload");
    EXPECT_EQ(config["process"]["args"][1], w->args[0]);
  }
  auto nested = nlohmann::json::parse(std::ifstream(tmp + "/bind_nested/config.json"));
  EXPECT_EQ(nested["mounts"].back()["destination"], "/mnt/outer/inner");
  EXPECT_TRUE(fs::exists(tmp + "/scratch/nested_outer/inner"));
  auto cg = nlohmann::json::parse(std::ifstream(tmp + "/cgroup_ns/config.json"));
  EXPECT_EQ(cg["linux"]["namespaces"].back()["type"], "cgroup");
  EXPECT_TRUE(fs::is_symlink(tmp + "/bind_symlink_dest/rootfs/mnt/link"));
  EXPECT_THAT(
      PrepareBundle(*FindWorkload("threads"),
                    {.bundle_dir = tmp + "/x", .scratch_dir = tmp + "/scratch"}, "/no/such/helper"),
      StatusIs(Code::kNotFound));
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace crh::workloads
