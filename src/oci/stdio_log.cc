#include "src/oci/stdio_log.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crh {

namespace {

// Runs in the forked copier: only async-signal-safe calls from here on (the parent may have had
// other threads when it forked).
[[noreturn]] void CopierMain(int out_fd, int err_fd, int log_fd) {
  // fds 0..2 become: stdout pipe, stderr pipe, log. Everything else is closed, so the copier holds
  // no other process's pipe open.
  int tmp_out = fcntl(out_fd, F_DUPFD, 10);
  int tmp_err = fcntl(err_fd, F_DUPFD, 10);
  int tmp_log = fcntl(log_fd, F_DUPFD, 10);
  if (tmp_out < 0 || tmp_err < 0 || tmp_log < 0) _exit(1);
  if (dup2(tmp_out, 0) < 0 || dup2(tmp_err, 1) < 0 || dup2(tmp_log, 2) < 0) _exit(1);
  syscall(SYS_close_range, 3U, ~0U, 0U);
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
  char buf[65536];
  while (open[0] || open[1]) {
    pollfd p[2] = {{0, static_cast<short>(open[0] ? POLLIN : 0), 0},
                   {1, static_cast<short>(open[1] ? POLLIN : 0), 0}};
    int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || !p[i].revents) continue;
      ssize_t n = read(i, buf, sizeof buf);
      if (n > 0) {
        ssize_t off = 0;
        while (off < n) {
          ssize_t w = write(2, buf + off, static_cast<size_t>(n - off));
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) break;  // a full disk: keep draining so the container never blocks
          off += w;
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        open[i] = false;
        close(i);
      }
    }
  }
  fsync(2);
  _exit(0);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

Result<std::unique_ptr<StdioLog>> StdioLog::Start(const std::string& log_path) {
  const char* path = log_path.empty() ? "/dev/null" : log_path.c_str();
  int log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) return Unavailable("cannot open stdio log " + log_path + ": " + strerror(errno));
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    int e = errno;
    close(log_fd);
    return Unavailable(std::string("pipe: ") + strerror(e));
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    close(log_fd);
    close(in[0]);
    close(in[1]);
    return Unavailable(std::string("pipe: ") + strerror(e));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    for (int fd : {log_fd, in[0], in[1], out[0], out[1]}) close(fd);
    return Unavailable(std::string("pipe: ") + strerror(e));
  }
  close(in[1]);  // stdin: EOF for the container, like /dev/null, but a pipe CRIU can dump

  // Report the copier's pid through a pipe from the intermediate child.
  int pidpipe[2];
  if (pipe2(pidpipe, O_CLOEXEC) != 0) {
    int e = errno;
    for (int fd : {log_fd, in[0], out[0], out[1], err[0], err[1]}) close(fd);
    return Unavailable(std::string("pipe: ") + strerror(e));
  }
  pid_t mid = fork();
  if (mid < 0) {
    int e = errno;
    for (int fd : {log_fd, in[0], out[0], out[1], err[0], err[1], pidpipe[0], pidpipe[1]}) close(fd);
    return Unavailable(std::string("fork (stdio log copier): ") + strerror(e));
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
      CopierMain(out[0], err[0], log_fd);
    }
    if (copier > 0) {
      ssize_t w = write(pidpipe[1], &copier, sizeof copier);
      (void)w;
    }
    _exit(copier > 0 ? 0 : 1);
  }
  close(pidpipe[1]);
  close(out[0]);
  close(err[0]);
  close(log_fd);
  int st = 0;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  pid_t copier = -1;
  ssize_t r = read(pidpipe[0], &copier, sizeof copier);
  close(pidpipe[0]);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || r != sizeof copier) {
    for (int fd : {in[0], out[1], err[1]}) close(fd);
    return Unavailable("the stdio log copier did not start");
  }
  std::unique_ptr<StdioLog> log(new StdioLog());
  log->fds_ = {in[0], out[1], err[1]};
  log->copier_pid_ = copier;
  return log;
}

void StdioLog::CloseContainerEnds() {
  for (int& fd : fds_) CloseFd(fd);
}

StdioLog::~StdioLog() { CloseContainerEnds(); }

}  // namespace crh
