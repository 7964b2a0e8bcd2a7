// Goal: crh maps a masked directory's shared empty directory for CRIU only when the image keys
// it by another state root (crun PR #2239), and never otherwise, so a fixed crun runs unchanged.
// Method: mountpoints images written by hand in protobuf's string framing (a varint length, then
// the bytes), with the key under our root, under another root, long enough for a two-byte
// length, and unframed look-alikes that must not match.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/oci/cli_runtime.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Framed(const std::string& s) {
  std::string out;
  size_t n = s.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>(0x80 | (n & 0x7f)));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + s;
}

class EmptyDirectoryKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crh-edk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Image(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  std::string dir_;
};

TEST_F(EmptyDirectoryKeysTest, KeyUnderAnotherRootIsForeign) {
  // What crun 1.28 writes with --root /var/lib/crh/runtimes/crun-1.28: the mount's root is ours,
  // the external key is the default root's.
  Image("mountpoints-13.img",
        std::string("\x0a\x12", 2) + Framed("/var/lib/crh/runtimes/crun-1.28/.empty-directory") +
            "\x22" + Framed("/run/crun/.empty-directory"));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/var/lib/crh/runtimes/crun-1.28"),
              ElementsAre("/run/crun/.empty-directory"));
}

TEST_F(EmptyDirectoryKeysTest, KeyUnderOurRootNeedsNoMapping) {
  Image("mountpoints-13.img", "\x22" + Framed("/var/lib/crh/r/.empty-directory") +
                                  Framed("/var/lib/crh/r/.empty-directory"));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/var/lib/crh/r"), IsEmpty());
  // A trailing slash on the root names the same directory.
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/var/lib/crh/r/"), IsEmpty());
}

TEST_F(EmptyDirectoryKeysTest, NoMaskedDirectoriesNoKeys) {
  Image("mountpoints-13.img", "\x22" + Framed("/proc/kcore") + Framed("/dev/null"));
  Image("inventory.img", Framed("/run/crun/.empty-directory"));  // not a mountpoints image
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/x"), IsEmpty());
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_ + "/missing", "/x"), IsEmpty());
}

TEST_F(EmptyDirectoryKeysTest, LongPathsUseTwoByteLengths) {
  const std::string root = "/" + std::string(150, 'r');
  Image("mountpoints-5.img", Framed(root + "/.empty-directory"));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/other"), ElementsAre(root + "/.empty-directory"));
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, root), IsEmpty());
}

TEST_F(EmptyDirectoryKeysTest, UnframedTextDoesNotMatch) {
  // The suffix without a length byte that fits it is not a protobuf string.
  Image("mountpoints-13.img", "\x7f/run/crun/.empty-directory junk");
  EXPECT_THAT(ForeignEmptyDirectoryKeys(dir_, "/x"), IsEmpty());
}

}  // namespace
}  // namespace crh
