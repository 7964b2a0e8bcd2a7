#include "src/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace crh {

namespace {

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

std::vector<std::string> BuildEnv(const CommandSpec& spec) {
  std::map<std::string, std::string> env = spec.env ? *spec.env : CurrentEnvironment();
  for (const auto& [k, v] : spec.env_add) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

}  // namespace

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Result<GroupRunResult> RunInProcessGroup(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         const std::array<int, 3>& stdio, const std::string& cwd,
                                         int timeout_ms) {
  if (argv.empty()) return InvalidArgument("RunInProcessGroup: empty argv");
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> envs;
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  const char* dir = cwd.empty() ? nullptr : cwd.c_str();

  pid_t pid = fork();
  if (pid < 0) return Unavailable("cannot run " + argv[0] + ": fork: " + strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    // Move the three descriptors out of the way first: one of them may already be 0, 1 or 2.
    int tmp[3];
    for (int i = 0; i < 3; ++i) tmp[i] = fcntl(stdio[i], F_DUPFD, 10);
    for (int i = 0; i < 3; ++i) dup2(tmp[i], i);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    if (dir && chdir(dir) != 0) _exit(126);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so a kill(-pid) right away reaches it

  GroupRunResult r;
  const int64_t deadline = MonotonicMs() + timeout_ms;
  int st = 0;
  int sleep_us = 1000;
  while (true) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return Unavailable(std::string("waitpid: ") + strerror(errno));
    if (MonotonicMs() > deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      // CRIU or a runtime helper may outlive the killed runtime in its group.
      kill(-pid, SIGKILL);
      break;
    }
    usleep(sleep_us);
    sleep_us = sleep_us * 2 > 20'000 ? 20'000 : sleep_us * 2;
  }
  if (WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) r.exit_code = 128 + WTERMSIG(st);
  return r;
}

std::string CommandResult::Describe(const std::string& what) const {
  std::string d = what;
  if (timed_out) {
    d += " timed out";
  } else if (exit_code > 128) {
    d += " died of signal " + std::to_string(exit_code - 128);
  } else {
    d += " exited " + std::to_string(exit_code);
  }
  std::string e = err.empty() ? out : err;
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  if (!e.empty()) d += ": " + Tail(e, 4000);
  return d;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    if (a.find_first_of(" \t\"'$") != std::string::npos || a.empty()) {
      s += "'" + a + "'";
    } else {
      s += a;
    }
  }
  return s;
}

Result<CommandResult> RunCommand(const CommandSpec& spec) {
  if (spec.argv.empty()) return InvalidArgument("RunCommand: empty argv");
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    return Unavailable(std::string("pipe: ") + strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal dispositions and an empty mask, whatever ours are.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env = BuildEnv(spec);
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return Unavailable("cannot run " + spec.argv[0] + ": " + strerror(rc));
  }

  CommandResult res;
  size_t written = 0;
  int in_fd = in[1];
  if (spec.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds_open = 2;
  bool out_open = true, err_open = true;
  const int64_t deadline = MonotonicMs() + spec.timeout_ms;
  signal(SIGPIPE, SIG_IGN);
  while (fds_open > 0 || in_fd >= 0) {
    pollfd p[3];
    int n = 0;
    int io = -1, oo = -1, eo = -1;
    if (in_fd >= 0) { io = n; p[n++] = {in_fd, POLLOUT, 0}; }
    if (out_open) { oo = n; p[n++] = {out[0], POLLIN, 0}; }
    if (err_open) { eo = n; p[n++] = {err[0], POLLIN, 0}; }
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) {
      res.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    int pr = poll(p, n, static_cast<int>(left > 1000 ? 1000 : left));
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    char buf[65536];
    if (io >= 0 && p[io].revents) {
      ssize_t w = write(in_fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = spec.stdin_data.size();
      if (written >= spec.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    auto drain = [&](int idx, int fd, bool& open, std::string& into) {
      if (idx < 0 || !p[idx].revents) return;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        into.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        open = false;
        --fds_open;
      }
    };
    drain(oo, out[0], out_open, res.out);
    drain(eo, err[0], err_open, res.err);
  }
  if (in_fd >= 0) close(in_fd);
  close(out[0]);
  close(err[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st)) {
    res.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    res.exit_code = 128 + WTERMSIG(st);
  }
  return res;
}

}  // namespace crh
