// Goal: crh maps a masked directory's shared empty directory for CRIU only when the image keys
// it by another state root (crun PR #2239), and never otherwise, so runc and a fixed crun run
// unchanged; a damaged mount table is reported, naming the file and the entry.
// Method: a mount table that crun 1.28 really wrote (`crun --root /tmp/cr1` checkpoint of runc
// spec's bundle, testdata/), and tables built with the generated protobuf messages in CRIU's
// image framing (two magics, then u32 length + message per entry).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/oci/cli_runtime.h"
#include "src/oci/criu_images.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string Image(const std::vector<criu::MntEntry>& entries) {
  std::string out = Le32(0x54564319) + Le32(0x55563928);
  for (const auto& e : entries) {
    std::string m = e.SerializeAsString();
    out += Le32(static_cast<uint32_t>(m.size())) + m;
  }
  return out;
}

criu::MntEntry Masked(const std::string& mountpoint, const std::string& root,
                      const std::string& key) {
  criu::MntEntry e;
  e.set_mountpoint(mountpoint);
  e.set_root(root);
  e.set_ext_mount(true);
  e.set_ext_key(key);
  return e;
}

class EmptyDirectoryKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crh-edk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  std::string dir_;
};

TEST_F(EmptyDirectoryKeysTest, RealCrunImageKeysByTheDefaultRoot) {
  fs::copy_file("src/oci/testdata/crun-1.28-root-tmp-cr1-mountpoints-13.img",
                dir_ + "/mountpoints-13.img");
  auto mounts = ReadMountpoints(dir_);
  ASSERT_THAT(mounts, IsOk());
  int masked = 0;
  for (const auto& m : *mounts) {
    if (m.mountpoint() == "/proc/acpi" || m.mountpoint() == "/sys/firmware") {
      ++masked;
      EXPECT_EQ(m.root(), "/tmp/cr1/.empty-directory");
      EXPECT_EQ(m.ext_key(), "/run/crun/.empty-directory");
    }
  }
  EXPECT_GE(masked, 2);
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/tmp/cr1"),
              IsOkAndHolds(ElementsAre("/run/crun/.empty-directory")));
  // Restored by crun with its default root, the key is its own: nothing to map.
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/run/crun"), IsOkAndHolds(IsEmpty()));
}

TEST_F(EmptyDirectoryKeysTest, KeyUnderOurRootNeedsNoMapping) {
  Write("mountpoints-13.img",
        Image({Masked("/proc/acpi", "/var/lib/crh/r/.empty-directory",
                      "/var/lib/crh/r/.empty-directory")}));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/var/lib/crh/r"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/var/lib/crh/r/"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/other"),
              IsOkAndHolds(ElementsAre("/var/lib/crh/r/.empty-directory")));
}

TEST_F(EmptyDirectoryKeysTest, OtherExternalMountsAndPathsAreNotKeys) {
  criu::MntEntry dev_null = Masked("/proc/kcore", "/dev/null", "/proc/kcore");
  criu::MntEntry plain;
  plain.set_mountpoint("/proc");
  plain.set_root("/run/crun/.empty-directory");  // a root, not a key: never mapped
  Write("mountpoints-13.img", Image({dev_null, plain}));
  Write("inventory.img", Image({Masked("/x", "/y", "/run/crun/.empty-directory")}));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/x"), IsOkAndHolds(IsEmpty()));
}

TEST_F(EmptyDirectoryKeysTest, NoMountTableNoKeys) {
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/x"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ReadMountpoints(dir_), StatusIs(Code::kNotFound));
}

TEST_F(EmptyDirectoryKeysTest, DamagedTablesAreReportedWithTheEntry) {
  std::string good = Image({Masked("/proc/acpi", "/r/.empty-directory", "/d/.empty-directory"),
                            Masked("/sys/firmware", "/r/.empty-directory", "/d/.empty-directory")});
  Write("mountpoints-13.img", good.substr(0, good.size() - 3));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/r"),
              StatusIs(Code::kDataLoss, HasSubstr("mountpoints-13.img: entry 1 claims")));
  Write("mountpoints-13.img", "not an image");
  EXPECT_THAT(ReadMountpoints(dir_), StatusIs(Code::kDataLoss, HasSubstr("no image magic")));
  Write("mountpoints-13.img", Le32(0x54564319) + Le32(0x55563928) + Le32(2) + "\xff\xff");
  EXPECT_THAT(ReadMountpoints(dir_), StatusIs(Code::kDataLoss, HasSubstr("entry 0 does not decode")));
}

}  // namespace
}  // namespace crh
