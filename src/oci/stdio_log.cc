#include "src/oci/stdio_log.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace crh {

namespace {

// Receives one fd sent with SCM_RIGHTS on `conn` (the runtime's message text is ignored); -1 if
// none came. Async-signal-safe.
int ReceiveFd(int conn) {
  char data[4096];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  iovec iov = {data, sizeof data};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; ++i) {
      if (fd < 0) {
        fd = fds[i];
      } else {
        close(fds[i]);  // only the first is the master; never leak the rest
      }
    }
  }
  return fd;
}

// Appends buf[0..n) to fd 2 (the log), retrying short writes. A full disk drops the rest: the
// copier keeps draining so that the container never blocks on its output.
void AppendToLog(const char* buf, ssize_t n) {
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(2, buf + off, static_cast<size_t>(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += w;
  }
}

// What the copier knows of the console socket; the strings were made before fork.
struct ConsoleSocket {
  int listen_fd = -1;
  const char* path = nullptr;
  const char* dir = nullptr;
};

// Runs in the forked copier: only async-signal-safe calls from here on (the parent may have had
// other threads when it forked).
[[noreturn]] void CopierMain(int out_fd, int err_fd, int log_fd, ConsoleSocket console) {
  // fds 0..2 become: stdout pipe, stderr pipe, log; 3 the console socket, later the pty master.
  // Everything else is closed, so the copier holds no other process's pipe open.
  int tmp_out = fcntl(out_fd, F_DUPFD, 10);
  int tmp_err = fcntl(err_fd, F_DUPFD, 10);
  int tmp_log = fcntl(log_fd, F_DUPFD, 10);
  int tmp_sock = console.listen_fd >= 0 ? fcntl(console.listen_fd, F_DUPFD, 10) : -1;
  if (tmp_out < 0 || tmp_err < 0 || tmp_log < 0) _exit(1);
  if (dup2(tmp_out, 0) < 0 || dup2(tmp_err, 1) < 0 || dup2(tmp_log, 2) < 0) _exit(1);
  if (tmp_sock >= 0 && dup2(tmp_sock, 3) < 0) _exit(1);
  syscall(SYS_close_range, tmp_sock >= 0 ? 4U : 3U, ~0U, 0U);
  if (chdir("/") != 0) {
    // Not fatal: it only keeps the old cwd busy.
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_DFL);

  bool open[2] = {true, true};
  bool listening = tmp_sock >= 0;
  bool master = false;
  auto stop_listening = [&] {
    close(3);
    unlink(console.path);
    rmdir(console.dir);
    listening = false;
  };
  char buf[65536];
  while (open[0] || open[1] || listening || master) {
    if (!open[0] && !open[1] && listening) {
      // The runtime has exited. A master it sent is queued on the socket by now, or never comes.
      pollfd l = {3, POLLIN, 0};
      if (poll(&l, 1, 0) <= 0) {
        stop_listening();
        continue;
      }
    }
    pollfd p[3] = {{0, static_cast<short>(open[0] ? POLLIN : 0), 0},
                   {1, static_cast<short>(open[1] ? POLLIN : 0), 0},
                   {(listening || master) ? 3 : -1, POLLIN, 0}};
    int r = poll(p, 3, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || !p[i].revents) continue;
      ssize_t n = read(i, buf, sizeof buf);
      if (n > 0) {
        AppendToLog(buf, n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open[i] = false;
        close(i);
      }
    }
    if (p[2].fd < 0 || !p[2].revents) continue;
    if (listening) {
      int conn = accept4(3, nullptr, nullptr, SOCK_CLOEXEC);
      int m = conn >= 0 ? ReceiveFd(conn) : -1;
      if (conn >= 0) close(conn);
      stop_listening();
      if (m >= 0 && dup2(m, 3) == 3) master = true;
      if (m >= 0 && m != 3) close(m);
      continue;
    }
    ssize_t n = read(3, buf, sizeof buf);
    if (n > 0) {
      AppendToLog(buf, n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      // EIO: every slave end is closed (the container exited or was checkpointed).
      close(3);
      master = false;
    }
  }
  fsync(2);
  _exit(0);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Closes what it holds unless released: Start's error paths stay short.
class Fds {
 public:
  ~Fds() {
    for (int fd : fds_) close(fd);
  }
  int Add(int fd) {
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }
  void Release(int fd) { fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end()); }

 private:
  std::vector<int> fds_;
};

Status Errno(const std::string& what) { return Unavailable(what + ": " + strerror(errno)); }

// A listening unix socket in a new 0700 directory. sun_path holds 108 bytes, so a long $TMPDIR
// (Bazel's test temp dirs can be) falls back to /tmp.
Result<int> ListenConsoleSocket(Fds& fds, std::string* dir, std::string* path) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = tmpdir && *tmpdir && std::strlen(tmpdir) < 60 ? tmpdir : "/tmp";
  std::string pattern = base + "/crh-console-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return Errno("console socket directory " + pattern);
  *dir = buf.data();
  *path = *dir + "/console.sock";
  int fd = fds.Add(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path->c_str(), path->size() + 1);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 1) != 0) {
    Status s = Errno("console socket " + *path);
    unlink(path->c_str());
    rmdir(dir->c_str());
    return s;
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<StdioLog>> StdioLog::Start(const std::string& log_path, bool terminal) {
  Fds fds;
  const char* path = log_path.empty() ? "/dev/null" : log_path.c_str();
  int log_fd = fds.Add(open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (log_fd < 0) return Errno("cannot open stdio log " + log_path);
  int in[2], out[2], err[2], pidpipe[2];
  for (int* p : {in, out, err, pidpipe}) {
    if (pipe2(p, O_CLOEXEC) != 0) return Errno("pipe");
    fds.Add(p[0]);
    fds.Add(p[1]);
  }
  close(in[1]);  // stdin: EOF for the container, like /dev/null, but a pipe CRIU can dump
  fds.Release(in[1]);
  ConsoleSocket console;
  std::string dir, sock;
  if (terminal) {
    CRH_ASSIGN_OR_RETURN(console.listen_fd, ListenConsoleSocket(fds, &dir, &sock));
    console.dir = dir.c_str();
    console.path = sock.c_str();
  }
  auto remove_socket = [&] {
    if (!terminal) return;
    unlink(sock.c_str());
    rmdir(dir.c_str());
  };

  // The copier's pid comes back through a pipe from the intermediate child.
  pid_t mid = fork();
  if (mid < 0) {
    Status s = Errno("fork (stdio log copier)");
    remove_socket();
    return s;
  }
  if (mid == 0) {
    // Intermediate child: a new session, so the copier survives our process group; then the
    // copier itself, reparented to init (or a subreaper) when we exit.
    setsid();
    pid_t copier = fork();
    if (copier == 0) {
      close(out[1]);
      close(err[1]);
      close(pidpipe[0]);
      close(pidpipe[1]);
      CopierMain(out[0], err[0], log_fd, console);
    }
    if (copier > 0) {
      ssize_t w = write(pidpipe[1], &copier, sizeof copier);
      (void)w;
    }
    _exit(copier > 0 ? 0 : 1);
  }
  int st = 0;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  close(pidpipe[1]);
  fds.Release(pidpipe[1]);
  pid_t copier = -1;
  ssize_t r = read(pidpipe[0], &copier, sizeof copier);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || r != sizeof copier) {
    remove_socket();
    return Unavailable("the stdio log copier did not start");
  }
  std::unique_ptr<StdioLog> log(new StdioLog());
  log->fds_ = {in[0], out[1], err[1]};
  for (int fd : log->fds_) fds.Release(fd);
  log->copier_pid_ = copier;
  log->console_socket_ = sock;
  return log;
}

void StdioLog::CloseContainerEnds() {
  for (int& fd : fds_) CloseFd(fd);
}

StdioLog::~StdioLog() { CloseContainerEnds(); }

}  // namespace crh
