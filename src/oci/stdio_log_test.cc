// Goal: the stdio copier moves a writer's output into its log and exits at EOF; with a console
// socket it takes the pseudo-terminal master a runtime sends, copies the terminal's output, and
// leaves no socket behind whether or not a master came.
// Method: this test plays the runtime: it writes into the pipes, and makes a pty and sends its
// master over the console socket as runc does with --console-socket.
#include "src/oci/stdio_log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/base/test_files.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;


// The copier is not our child: poll for it to exit.
bool WaitGone(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return kill(pid, 0) != 0;
}

// What runc does with --console-socket: connect and send the master with SCM_RIGHTS.
void SendFd(const std::string& socket_path, int fd) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  char name[] = "/dev/ptmx";
  iovec iov = {name, sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ASSERT_EQ(sendmsg(s, &msg, 0), static_cast<ssize_t>(sizeof name)) << strerror(errno);
  close(s);
}

TEST(StdioLogTest, CopiesUntilEofAndExits) {
  const std::string dir = FreshTestDir("stdio");
  const std::string log = dir + "/out.log";
  auto stdio = StdioLog::Start(log);
  ASSERT_THAT(stdio, IsOk());
  EXPECT_THAT((*stdio)->console_socket(), IsEmpty());
  auto fds = (*stdio)->container_fds();
  char c;
  EXPECT_EQ(read(fds[0], &c, 1), 0) << "stdin reads EOF";
  ASSERT_EQ(write(fds[1], "out\n", 4), 4);
  ASSERT_EQ(write(fds[2], "err\n", 4), 4);
  pid_t copier = (*stdio)->copier_pid();
  (*stdio)->CloseContainerEnds();
  EXPECT_TRUE(WaitGone(copier)) << "copier still running after EOF";
  std::string text = ReadWholeFile(log);
  EXPECT_THAT(text, HasSubstr("out\n"));
  EXPECT_THAT(text, HasSubstr("err\n"));
  fs::remove_all(dir);
}

TEST(StdioLogTest, TakesTheTerminalMasterAndCopiesTheTerminal) {
  const std::string dir = FreshTestDir("console");
  const std::string log = dir + "/out.log";
  auto stdio = StdioLog::Start(log, /*terminal=*/true);
  ASSERT_THAT(stdio, IsOk());
  const std::string sock = (*stdio)->console_socket();
  ASSERT_THAT(sock, Not(IsEmpty()));
  EXPECT_TRUE(fs::is_socket(sock)) << sock;
  EXPECT_EQ(fs::status(fs::path(sock).parent_path()).permissions() & fs::perms::all,
            fs::perms::owner_all);

  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  SendFd(sock, master);
  close(master);  // the copier holds the only master now
  ASSERT_EQ(write((*stdio)->container_fds()[1], "runtime says\n", 13), 13);
  ASSERT_EQ(write(slave, "on the terminal\n", 16), 16);
  pid_t copier = (*stdio)->copier_pid();
  (*stdio)->CloseContainerEnds();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(kill(copier, 0), 0) << "the copier left while the terminal was still open";
  close(slave);  // the container's side is gone: EIO on the master
  EXPECT_TRUE(WaitGone(copier)) << "copier still running after the terminal closed";
  std::string text = ReadWholeFile(log);
  EXPECT_THAT(text, HasSubstr("runtime says\n"));
  EXPECT_THAT(text, HasSubstr("on the terminal\r\n")) << "the pty's ONLCR turns \\n into \\r\\n";
  EXPECT_FALSE(fs::exists(fs::path(sock).parent_path())) << "socket directory left behind";
  fs::remove_all(dir);
}

TEST(StdioLogTest, ARuntimeThatSendsNoMasterLeavesNoSocket) {
  const std::string dir = FreshTestDir("console-none");
  auto stdio = StdioLog::Start(dir + "/out.log", /*terminal=*/true);
  ASSERT_THAT(stdio, IsOk());
  const std::string sock = (*stdio)->console_socket();
  pid_t copier = (*stdio)->copier_pid();
  (*stdio)->CloseContainerEnds();  // the runtime failed before making a terminal
  EXPECT_TRUE(WaitGone(copier)) << "copier waits for a master that never comes";
  EXPECT_FALSE(fs::exists(fs::path(sock).parent_path())) << "socket directory left behind";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crh
