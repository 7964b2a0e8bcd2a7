// Goal: PosixFilesystem keeps the Filesystem contract on a real disk: error codes and messages,
// atomic replace, recursive removal that never follows symlinks, and a Lock that two processes
// never hold at once.
// Method: everything happens under a fresh directory in TEST_TMPDIR; the lock tests fork.
#include "src/fs/posix_filesystem.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"

namespace crh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PosixFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string base = JoinPath(tmp ? tmp : "/tmp", "posix_fs_XXXXXX");
    ASSERT_NE(mkdtemp(base.data()), nullptr) << strerror(errno);
    root_ = base;
  }
  void TearDown() override { EXPECT_THAT(fs_.RemoveAll(root_), IsOk()); }

  std::string P(const std::string& rel) const { return JoinPath(root_, rel); }

  PosixFilesystem fs_;
  std::string root_;
};

TEST_F(PosixFilesystemTest, WriteAtomicThenReadRoundTrips) {
  ASSERT_THAT(fs_.WriteAtomic(P("a.json"), "first"), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("a.json"), std::string(100000, 'z')), IsOk());
  auto r = fs_.Read(P("a.json"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, std::string(100000, 'z'));
  ASSERT_THAT(fs_.WriteAtomic(P("empty"), ""), IsOk());
  EXPECT_EQ(*fs_.Read(P("empty")), "");
  // No temporary siblings are left behind.
  EXPECT_THAT(*fs_.List(root_), ElementsAre("a.json", "empty"));
}

TEST_F(PosixFilesystemTest, WriteAtomicWithoutParentIsNotFound) {
  EXPECT_THAT(fs_.WriteAtomic(P("missing/a.json"), "x"),
              StatusIs(Code::kNotFound, HasSubstr(P("missing/a.json"))));
}

TEST_F(PosixFilesystemTest, ReadMissingIsNotFoundAndNamesPath) {
  EXPECT_THAT(fs_.Read(P("nope")),
              StatusIs(Code::kNotFound, HasSubstr(P("nope") + ": No such file or directory")));
}

TEST_F(PosixFilesystemTest, MkdirAllCreatesParentsWith0700AndIsIdempotent) {
  ASSERT_THAT(fs_.MkdirAll(P("x/y/z")), IsOk());
  ASSERT_THAT(fs_.MkdirAll(P("x/y/z")), IsOk());
  ASSERT_THAT(fs_.MkdirAll(P("x/y/z/")), IsOk());
  EXPECT_TRUE(fs_.IsDirectory(P("x/y/z")));
  struct stat st;
  ASSERT_EQ(stat(P("x/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_THAT(fs_.WriteAtomic(P("file"), "x"), IsOk());
  EXPECT_THAT(fs_.MkdirAll(P("file/sub")), StatusIs(Code::kFailedPrecondition, HasSubstr("file")));
}

TEST_F(PosixFilesystemTest, RemoveHandlesFilesAndEmptyDirectoriesOnly) {
  ASSERT_THAT(fs_.WriteAtomic(P("f"), "x"), IsOk());
  ASSERT_THAT(fs_.MkdirAll(P("d/e")), IsOk());
  EXPECT_THAT(fs_.Remove(P("f")), IsOk());
  EXPECT_FALSE(fs_.Exists(P("f")));
  EXPECT_THAT(fs_.Remove(P("f")), StatusIs(Code::kNotFound, HasSubstr(P("f"))));
  EXPECT_THAT(fs_.Remove(P("d")), StatusIs(Code::kFailedPrecondition, HasSubstr(P("d"))));
  EXPECT_THAT(fs_.Remove(P("d/e")), IsOk());
  EXPECT_THAT(fs_.Remove(P("d")), IsOk());
}

TEST_F(PosixFilesystemTest, RemoveAllRemovesTreeWithoutFollowingSymlinks) {
  // Something outside the tree that a symlink points at must survive.
  ASSERT_THAT(fs_.MkdirAll(P("outside/keep")), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("outside/keep/file"), "precious"), IsOk());
  ASSERT_THAT(fs_.MkdirAll(P("tree/a/b")), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("tree/a/b/f"), "x"), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("tree/top"), "x"), IsOk());
  ASSERT_EQ(symlink(P("outside/keep").c_str(), P("tree/a/link_to_dir").c_str()), 0);
  ASSERT_EQ(symlink(P("nowhere").c_str(), P("tree/dangling").c_str()), 0);

  EXPECT_THAT(fs_.RemoveAll(P("tree")), IsOk());
  EXPECT_FALSE(fs_.Exists(P("tree")));
  EXPECT_EQ(*fs_.Read(P("outside/keep/file")), "precious");
  EXPECT_THAT(fs_.RemoveAll(P("tree")), IsOk()) << "absent is not an error";

  // A symlink given directly is removed, not its target.
  ASSERT_EQ(symlink(P("outside").c_str(), P("l").c_str()), 0);
  EXPECT_THAT(fs_.RemoveAll(P("l")), IsOk());
  EXPECT_FALSE(fs_.Exists(P("l")));
  EXPECT_TRUE(fs_.IsDirectory(P("outside/keep")));
  // A plain file.
  EXPECT_THAT(fs_.RemoveAll(P("outside/keep/file")), IsOk());
  EXPECT_FALSE(fs_.Exists(P("outside/keep/file")));
}

TEST_F(PosixFilesystemTest, ListIsSortedNamesAndMissingIsNotFound) {
  ASSERT_THAT(fs_.MkdirAll(P("d/zz")), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("d/b"), ""), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("d/a"), ""), IsOk());
  EXPECT_THAT(*fs_.List(P("d")), ElementsAre("a", "b", "zz"));
  EXPECT_THAT(*fs_.List(P("d/zz")), IsEmpty());
  EXPECT_THAT(fs_.List(P("nope")), StatusIs(Code::kNotFound, HasSubstr(P("nope"))));
}

TEST_F(PosixFilesystemTest, RenameReplacesAndMissingSourceIsNotFound) {
  ASSERT_THAT(fs_.WriteAtomic(P("a"), "A"), IsOk());
  ASSERT_THAT(fs_.WriteAtomic(P("b"), "B"), IsOk());
  EXPECT_THAT(fs_.Rename(P("a"), P("b")), IsOk());
  EXPECT_EQ(*fs_.Read(P("b")), "A");
  EXPECT_FALSE(fs_.Exists(P("a")));
  EXPECT_THAT(fs_.Rename(P("a"), P("c")), StatusIs(Code::kNotFound, HasSubstr(P("a"))));
}

TEST_F(PosixFilesystemTest, LockCreatesFileAndReleasesOnDestruction) {
  {
    auto lock = fs_.Lock(P("lock"));
    ASSERT_THAT(lock, IsOk());
    EXPECT_TRUE(fs_.Exists(P("lock")));
  }
  auto again = fs_.Lock(P("lock"));
  EXPECT_THAT(again, IsOk());
  EXPECT_THAT(fs_.Lock(P("missing/lock")), StatusIs(Code::kNotFound, HasSubstr("missing/lock")));
}

// Waits up to `timeout_ms` for a byte on `fd`; true if one arrived.
bool ByteArrives(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return read(fd, &c, 1) == 1;
}

TEST_F(PosixFilesystemTest, LockBlocksAnotherProcessUntilReleased) {
  // Fork before locking: a forked child shares the parent's open file descriptions, and with
  // them any flock the parent holds.
  int go[2], got[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(got), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(go[1]);
    close(got[0]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    PosixFilesystem fs;
    auto lock = fs.Lock(P("lock"));
    c = lock.ok() ? 'y' : 'n';
    _exit(write(got[1], &c, 1) == 1 ? 0 : 1);
  }
  close(go[0]);
  close(got[1]);
  auto held = fs_.Lock(P("lock"));
  ASSERT_THAT(held, IsOk());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  EXPECT_FALSE(ByteArrives(got[0], 300)) << "child got the lock while we held it";
  held->reset();
  EXPECT_TRUE(ByteArrives(got[0], 10000)) << "child never got the lock after release";
  close(go[1]);
  close(got[0]);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

// Each process takes the lock many times; inside, it creates a marker with O_EXCL (fails if the
// other process is also inside), holds it briefly, and removes it.
TEST_F(PosixFilesystemTest, TwoProcessesContendingNeverOverlap) {
  const std::string lock_path = P("contended.lock");
  const std::string marker = P("inside");
  auto worker = [&]() -> int {
    PosixFilesystem fs;
    for (int i = 0; i < 200; ++i) {
      auto lock = fs.Lock(lock_path);
      if (!lock.ok()) return 2;
      int fd = open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
      if (fd < 0) return 1;  // overlap
      close(fd);
      usleep(200);
      if (unlink(marker.c_str()) != 0) return 3;
    }
    return 0;
  };
  pid_t pids[2];
  for (pid_t& pid : pids) {
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(worker());
  }
  for (pid_t pid : pids) {
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0) << "1 means both processes held the lock at once";
  }
  EXPECT_FALSE(fs_.Exists(marker));
}

}  // namespace
}  // namespace crh
