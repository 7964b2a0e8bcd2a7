// Goal: the processes CRIU would leave out of a container's dump are exactly those in init's pid
// namespace whose parent chain does not reach init; a container without its own pid namespace
// has none; the message names each one and says what to do.
// Method: a /proc of the test's own making (status, comm and ns/pid links), then the real /proc
// for the shared-namespace case.
#include "src/oci/process_tree.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/base/test_files.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FakeProc {
 public:
  FakeProc() : root_(FreshTestDir("proc")) {
    fs::create_directories(root_ / "self" / "ns");
    fs::create_symlink("pid:[1]", root_ / "self" / "ns" / "pid");
  }
  ~FakeProc() { fs::remove_all(root_); }

  // A process: host pid, parent, pid inside its namespace, namespace inode, comm.
  void Add(int pid, int ppid, int ns_pid, int ns, const std::string& comm, char state = 'S') {
    fs::path d = root_ / std::to_string(pid);
    fs::create_directories(d / "ns");
    std::ofstream(d / "status") << "Name:\t" << comm << "\nState:\t" << state
                                << " (sleeping)\nPPid:\t" << ppid << "\nNSpid:\t" << pid
                                << (ns == 1 ? "" : "\t" + std::to_string(ns_pid)) << "\n";
    std::ofstream(d / "comm") << comm << "\n";
    fs::create_symlink("pid:[" + std::to_string(ns) + "]", d / "ns" / "pid");
  }
  std::string root() const { return root_.string(); }

 private:
  fs::path root_;
};

TEST(ProcessTreeTest, OnlyProcessesOutsideInitsTreeAreStrays) {
  FakeProc p;
  p.Add(1, 0, 1, 1, "systemd");
  p.Add(500, 1, 500, 1, "runc");            // the host, not the container
  p.Add(600, 1, 1, 77, "sh");               // container init
  p.Add(601, 600, 2, 77, "sleep");          // its child
  p.Add(602, 601, 3, 77, "sleep");          // grandchild
  p.Add(610, 1, 7, 77, "sleep");            // exec --detach: parent outside, reparented to host
  p.Add(611, 610, 8, 77, "cat");            // and its child: outside the tree too
  p.Add(620, 500, 9, 77, "ps");             // a foreground exec: parent is the runtime
  p.Add(630, 1, 10, 77, "killed", 'Z');     // an exec'd process killed, never reaped: no loss
  p.Add(700, 1, 1, 88, "other");            // another container
  auto strays = ProcessesOutsideInitTree(600, p.root());
  ASSERT_THAT(strays, IsOk());
  EXPECT_THAT(*strays, ElementsAre(Field(&StrayProcess::pid, 610), Field(&StrayProcess::pid, 611),
                                   Field(&StrayProcess::pid, 620)));
  EXPECT_EQ((*strays)[0].ns_pid, 7);
  EXPECT_EQ((*strays)[0].comm, "sleep");
}

TEST(ProcessTreeTest, ADaemonAdoptedByInitIsInTheTree) {
  FakeProc p;
  p.Add(600, 1, 1, 77, "init");
  p.Add(612, 600, 9, 77, "daemon");  // forked by an exec'd process that exited: init adopted it
  auto strays = ProcessesOutsideInitTree(600, p.root());
  ASSERT_THAT(strays, IsOk());
  EXPECT_THAT(*strays, IsEmpty());
}

TEST(ProcessTreeTest, SharedPidNamespaceHasNoStrays) {
  FakeProc p;
  p.Add(600, 1, 600, 1, "init");
  p.Add(610, 1, 610, 1, "unrelated");
  auto strays = ProcessesOutsideInitTree(600, p.root());
  ASSERT_THAT(strays, IsOk());
  EXPECT_THAT(*strays, IsEmpty());
  // The real /proc: this test shares the host's namespace with itself.
  auto real = ProcessesOutsideInitTree(getpid());
  ASSERT_THAT(real, IsOk());
  EXPECT_THAT(*real, IsEmpty());
}

TEST(ProcessTreeTest, MissingInitIsNotFound) {
  FakeProc p;
  EXPECT_THAT(ProcessesOutsideInitTree(4242, p.root()), StatusIs(Code::kNotFound));
}

TEST(ProcessTreeTest, TheMessageNamesEachProcessAndTheWayOut) {
  std::string one = DescribeStrays("web", {{.pid = 610, .ns_pid = 7, .ppid = 1, .comm = "sleep"}});
  EXPECT_THAT(one, AllOf(HasSubstr("checkpoint web"), HasSubstr("610 (sleep, pid 7 in the container)"),
                         HasSubstr("is not a descendant of the container's init"),
                         HasSubstr("daemonize inside the container")));
  std::string two = DescribeStrays("web", {{.pid = 610, .ns_pid = 7, .ppid = 1, .comm = "a"},
                                           {.pid = 611, .ns_pid = 8, .ppid = 610, .comm = "b"}});
  EXPECT_THAT(two, AllOf(HasSubstr("processes 610"), HasSubstr("611 (b, pid 8"), HasSubstr(" are not")));
}

}  // namespace
}  // namespace crh
