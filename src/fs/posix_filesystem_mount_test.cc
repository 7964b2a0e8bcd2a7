// Goal: RemoveAll never deletes through a mount point under the path it removes (a runtime that
// died mid-restore leaves <state>/criu-root bind-mounted onto the container's rootfs; deleting
// through it wiped a rootfs once in our hands).
// Method: bind-mount a directory with a file under a temp tree, RemoveAll the tree, check the
// refusal and that the file survived. Needs root and mount(2): runs unsandboxed.
#include <sys/mount.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "src/base/status_matchers.h"
#include "src/fs/posix_filesystem.h"

namespace crh {
namespace {

using ::testing::HasSubstr;

TEST(PosixFilesystemMountTest, RemoveAllRefusesToCrossAMountPoint) {
  char tmpl[] = "/tmp/crh-fs-mount-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string top = tmpl;
  PosixFilesystem fs;
  ASSERT_THAT(fs.MkdirAll(top + "/precious"), IsOk());
  ASSERT_THAT(fs.WriteAtomic(top + "/precious/file", "keep me"), IsOk());
  ASSERT_THAT(fs.MkdirAll(top + "/state/criu-root"), IsOk());
  ASSERT_EQ(mount((top + "/precious").c_str(), (top + "/state/criu-root").c_str(), nullptr,
                  MS_BIND, nullptr),
            0)
      << "bind mount failed (this test needs root): " << strerror(errno);
  EXPECT_THAT(fs.RemoveAll(top + "/state"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("criu-root is a mount point")));
  EXPECT_TRUE(fs.Exists(top + "/precious/file"));
  ASSERT_EQ(umount2((top + "/state/criu-root").c_str(), MNT_DETACH), 0);
  EXPECT_THAT(fs.RemoveAll(top), IsOk());
  EXPECT_FALSE(fs.Exists(top));
}

}  // namespace
}  // namespace crh
