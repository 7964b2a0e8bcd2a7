#include "src/workloads/catalogue.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "src/workloads/tcp_peer.h"
#include "src/oci/bundle.h"

namespace crh::workloads {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status WriteText(const fs::path& p, const std::string& text) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  return out ? Status::Ok() : Unavailable("cannot write " + p.string());
}

Status MakeDirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  return ec ? Unavailable("cannot create " + p.string() + ": " + ec.message()) : Status::Ok();
}

// A host directory for a bind mount, holding the marker the `dirs` mode looks for.
Status MarkerDir(const fs::path& p) {
  CRH_RETURN_IF_ERROR(MakeDirs(p));
  return WriteText(p / "marker", "crh-workloads marker\n");
}

void AddMount(json& config, const std::string& dest, const std::string& type,
              const std::string& source, std::vector<std::string> options) {
  config["mounts"].push_back(
      {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}});
}

void AddBind(json& config, const std::string& dest, const std::string& source) {
  AddMount(config, dest, "bind", source, {"rbind", "rw"});
}

// Reads the "gen N" a workload keeps writing at the start of a host-side file.
Result<uint64_t> ReadGen(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  uint64_t n = 0;
  if (!(in >> word >> n) || word != "gen") return NotFound(path + " holds no \"gen N\" yet");
  return n;
}

// The host side of a bind mount: after each restore the workload must still be writing the very
// host file the test made (the mount was restored onto the same source), so its "gen N" header
// keeps growing past the value seen once the restore returned.
class HostFileAdvances final : public ExtraOracle {
 public:
  explicit HostFileAdvances(std::string rel) : rel_(std::move(rel)) {}
  Status AfterReady(const OracleContext& ctx) override { return Advances(ctx); }
  Status AfterRestore(const OracleContext& ctx) override { return Advances(ctx); }

 private:
  Status Advances(const OracleContext& ctx) {
    const std::string path = ctx.scratch_dir + "/" + rel_;
    auto first = ReadGen(path);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto now = ReadGen(path);
      if (now.ok() && (!first.ok() || *now > *first)) return Status::Ok();
      if (!first.ok()) first = now;
    }
    return DeadlineExceeded(
        "the host file " + path + " did not change for 5 s (" +
        (first.ok() ? "gen " + std::to_string(*first) : first.status().message()) +
        "): the container no longer writes to the bind mount's source");
  }
  std::string rel_;
};

// The tcp_server workload's client, outside the container (tcp_peer.h).
class TcpClient final : public ExtraOracle {
 public:
  explicit TcpClient(int port) : port_(port) {}
  Status AfterReady(const OracleContext& ctx) override {
    CRH_ASSIGN_OR_RETURN(peer_, TcpPeer::Make(ctx.container_ip));
    CRH_RETURN_IF_ERROR(peer_->Connect(port_, 5000));
    fd_ = peer_->fd();
    return peer_->PingPong(3, 5000).WithContext("ping-pong before any checkpoint");
  }
  Status AfterRefusedCheckpoint(const OracleContext&) override {
    CRH_RETURN_IF_ERROR(Connected());
    return peer_->PingPong(2, 5000).WithContext("ping-pong after the refused checkpoint");
  }
  Status WhileCheckpointed(const OracleContext&) override {
    CRH_RETURN_IF_ERROR(Connected());
    // Sent while nobody is there: TCP retransmits it until the restored socket acknowledges.
    return peer_->SendPing().WithContext("a ping sent while the container is checkpointed");
  }
  Status AfterRestore(const OracleContext&) override {
    CRH_RETURN_IF_ERROR(Connected());
    CRH_RETURN_IF_ERROR(peer_->AwaitPongs(10000).WithContext(
        "the answer to the ping sent while checkpointed, on the same client socket"));
    return peer_->PingPong(3, 5000).WithContext("ping-pong after restore, same client socket");
  }
  void Release() override {
    if (peer_) peer_->Release();
  }
  size_t BridgePortsHeld() const override { return peer_ && !peer_->netns().empty() ? 1 : 0; }

 private:
  Status Connected() const {
    if (!peer_ || peer_->fd() < 0) return FailedPrecondition("the client is not connected");
    if (peer_->fd() != fd_) return Internal("the client socket changed");
    return Status::Ok();
  }
  int port_;
  int fd_ = -1;
  std::unique_ptr<TcpPeer> peer_;
};

std::vector<Workload> Build() {
  std::vector<Workload> w;
  w.push_back({.name = "threads",
               .state = "4 threads, each counting in its own counter",
               .verifies = "every counter advanced since the last check; 5 tasks in "
                           "/proc/self/task",
               .args = {"threads", "4"}});
  w.push_back({.name = "pipe_in_flight",
               .state = "a pipe holding 16 KiB nobody has read",
               .verifies = "reads the 16 KiB back (must be this generation's pattern, nothing "
                           "more), writes the next generation",
               .args = {"pipe_in_flight", "16384"}});
  w.push_back({.name = "fifo_in_flight",
               .state = "a FIFO made with mkfifo in the container's /tmp, both ends open, 8 KiB "
                        "in flight",
               .verifies = "the path is still a FIFO; reads the data back and writes the next "
                           "generation",
               .args = {"fifo_in_flight", "/tmp/wl.fifo"}});
  w.push_back({.name = "unix_stream",
               .state = "a SOCK_STREAM socketpair with 8 KiB queued in each direction",
               .verifies = "reads both queues back (distinct patterns), queues the next "
                           "generation",
               .args = {"unix_stream"}});
  w.push_back({.name = "unix_dgram",
               .state = "a datagram socket bound at /tmp/wl.dgram with 8 queued messages of "
                        "different sizes from a connected sender",
               .verifies = "receives 8 messages: order, sizes (boundaries) and contents; queues "
                           "the next 8",
               .args = {"unix_dgram", "/tmp/wl.dgram"}});
  w.push_back({.name = "scm_rights",
               .state = "the only descriptor of a file travels in a queued SCM_RIGHTS message",
               .verifies = "receives the descriptor (same inode), reads the token written "
                           "through it last time, writes the next and sends it again",
               .args = {"scm_rights", "/tmp/wl.scm"}});
  w.push_back({.name = "sysv_shm",
               .state = "a 1 MiB SysV shared memory segment (fixed key) in the container's IPC "
                        "namespace",
               .verifies = "key maps to the same id, size and attach count, contents; writes "
                           "the next generation",
               .args = {"sysv_shm", "0x43524801"}});
  w.push_back({.name = "posix_shm",
               .state = "shm_open(\"/crh-wl\") (a file in /dev/shm), 1 MiB, mapped shared",
               .verifies = "the mapping and a fresh shm_open + read() both hold this "
                           "generation; writes the next",
               .args = {"posix_shm", "/crh-wl"}});
  w.push_back({.name = "memfd",
               .state = "a 1 MiB sealed memfd (F_SEAL_GROW|F_SEAL_SHRINK), mapped shared",
               .verifies = "seals, size, contents through pread() and the mapping; writes the "
                           "next generation",
               .args = {"memfd"}});
  w.push_back({.name = "eventfd",
               .state = "an eventfd counter holding a known value",
               .verifies = "read() gives exactly that value; writes the next",
               .args = {"eventfd"}});
  w.push_back({.name = "timerfd",
               .state = "one-shot timerfds: one armed 1 h ahead, one re-armed 30 ms ahead by "
                        "every check",
               .verifies = "the 1 h timer is armed, its remaining time never grows, it never "
                           "fires; the 30 ms one fired exactly once since the last check",
               .args = {"timerfd"}});
  w.push_back({.name = "signalfd",
               .state = "SIGUSR1 blocked and pending (sigqueue'd with a value), a signalfd for "
                        "it",
               .verifies = "sigpending() has it, the signalfd is readable and gives SIGUSR1 "
                           "with this generation's value; queues the next",
               .args = {"signalfd"}});
  w.push_back({.name = "inotify",
               .state = "an inotify watch (IN_CREATE|IN_DELETE) on /tmp/wl.watched",
               .verifies = "creates and removes a file named after the generation and sees both "
                           "events on the same watch descriptor",
               .args = {"inotify", "/tmp/wl.watched"}});
  w.push_back({.name = "flock",
               .state = "flock(LOCK_EX) held on /tmp/wl.flock",
               .verifies = "a child opening the file afresh gets EWOULDBLOCK from "
                           "flock(LOCK_EX|LOCK_NB)",
               .args = {"flock", "/tmp/wl.flock"},
               .file_locks = true});
  w.push_back({.name = "posix_lock",
               .state = "fcntl(F_SETLK) write lock on bytes 0..99 of /tmp/wl.posix_lock",
               .verifies = "a child's F_GETLK reports a write lock held by the workload's pid",
               .args = {"posix_lock", "/tmp/wl.posix_lock"},
               .file_locks = true});
  w.push_back({.name = "ofd_lock",
               .state = "an OFD lock (F_OFD_SETLK) on bytes 0..99 of /tmp/wl.ofd_lock",
               .verifies = "a child's F_OFD_GETLK on a fresh open reports a write lock",
               .args = {"ofd_lock", "/tmp/wl.ofd_lock"},
               .file_locks = true});
  w.push_back({.name = "zombie",
               .state = "a child that exited with status 42 and is not reaped",
               .verifies = "waitid(WEXITED|WNOHANG|WNOWAIT) finds it (same pid, CLD_EXITED, "
                           "42) and /proc/PID/stat says Z",
               .args = {"zombie"}});
  w.push_back({.name = "pgrp_session",
               .state = "A: setsid() (new session); C: A's child in a group of its own in A's "
                        "session; B: setpgid(0,0) in the workload's session",
               .verifies = "all alive; getpgid()/getsid() of the workload, A, B and C unchanged",
               .args = {"pgrp_session"}});
  w.push_back({.name = "memory_256m",
               .state = "256 MiB of anonymous memory, every page touched with incompressible "
                        "data",
               .verifies = "all of it re-checksummed (64 parts) every check; one page rewritten "
                           "per check",
               .args = {"memory", "256"}});
  w.push_back({.name = "dev_shm_file",
               .state = "a 64 KiB file on the container's /dev/shm (tmpfs) held open, and one "
                        "written once and closed",
               .verifies = "both files' contents by path and (open one) by descriptor; the open "
                           "one gets the next generation",
               .args = {"files", "-c", "/dev/shm/wl.data"}});
  w.push_back(
      {.name = "tmpfs_file",
       .state = "a tmpfs mounted at /data (config.json mount) with a file held open and "
                "one closed",
       .verifies = "as dev_shm_file",
       .args = {"files", "-c", "/data/wl.data"},
       .edit = [](json& config, const BundleContext&) {
         AddMount(config, "/data", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755", "size=16m"});
         return Status::Ok();
       }});
  w.push_back({.name = "bind_file",
               .state = "a host file (in the test's temp dir) bind-mounted at /mnt/bound.txt, "
                        "held open",
               .verifies = "contents by descriptor and by path (same file), next generation "
                           "written; extra: the host file's \"gen N\" keeps growing after each "
                           "restore",
               .args = {"files", "/mnt/bound.txt"},
               .edit =
                   [](json& config, const BundleContext& ctx) {
                     const std::string src = ctx.scratch_dir + "/bind_file/bound.txt";
                     CRH_RETURN_IF_ERROR(WriteText(src, "made by the test\n"));
                     AddBind(config, "/mnt/bound.txt", src);
                     return Status::Ok();
                   },
               .extra = [] { return std::make_unique<HostFileAdvances>("bind_file/bound.txt"); }});
  w.push_back({.name = "bind_dir",
               .state = "a host directory bind-mounted at /mnt/dir, a descriptor of it held",
               .verifies = "marker by path and descriptor, a file written through the "
                           "descriptor read back by path, /mnt/dir still a mount point; extra: "
                           "the host sees the writes after each restore",
               .args = {"dirs", "/mnt/dir"},
               .edit =
                   [](json& config, const BundleContext& ctx) {
                     CRH_RETURN_IF_ERROR(MarkerDir(ctx.scratch_dir + "/bind_dir"));
                     AddBind(config, "/mnt/dir", ctx.scratch_dir + "/bind_dir");
                     return Status::Ok();
                   },
               .extra = [] { return std::make_unique<HostFileAdvances>("bind_dir/gen"); }});
  w.push_back({.name = "bind_symlink_dest",
               .state = "a bind mount whose destination /mnt/link is a symlink in the rootfs "
                        "(-> /mnt/real): the runtime mounts onto the target",
               .verifies = "as bind_dir, and /mnt/link is still the same symlink",
               .args = {"dirs", "/mnt/link"},
               .edit =
                   [](json& config, const BundleContext& ctx) {
                     CRH_RETURN_IF_ERROR(MarkerDir(ctx.scratch_dir + "/bind_symlink"));
                     const fs::path mnt = fs::path(ctx.bundle_dir) / "rootfs/mnt";
                     CRH_RETURN_IF_ERROR(MakeDirs(mnt / "real"));
                     std::error_code ec;
                     fs::create_symlink("/mnt/real", mnt / "link", ec);
                     if (ec && ec != std::errc::file_exists) {
                       return Unavailable("symlink " + (mnt / "link").string() + ": " +
                                          ec.message());
                     }
                     AddBind(config, "/mnt/link", ctx.scratch_dir + "/bind_symlink");
                     return Status::Ok();
                   },
               .extra = [] { return std::make_unique<HostFileAdvances>("bind_symlink/gen"); },
               .limitations = {{.kind = Limitation::Kind::kDumpRefused,
                                .runtimes = {"crun"},
                                .signature = "doesn't have a proper root mount",
                                .why = "crun resolves a bind mount's symlink destination against "
                                       "a relative root.path (runc spec's \"rootfs\") from its "
                                       "own working directory at checkpoint, so from anywhere "
                                       "but the bundle directory it registers /mnt/link while "
                                       "the mount is on /mnt/real and CRIU refuses; runc "
                                       "resolves it. The engine writes an absolute root.path",
                                .alone_only = true}}});
  w.push_back({.name = "bind_nested",
               .state = "nested bind mounts: a host dir at /mnt/outer and another host dir on "
                        "/mnt/outer/inner (a directory of the outer source)",
               .verifies = "both as bind_dir, and they are two distinct mounts",
               .args = {"dirs", "/mnt/outer", "/mnt/outer/inner"},
               .edit =
                   [](json& config, const BundleContext& ctx) {
                     const std::string outer = ctx.scratch_dir + "/nested_outer";
                     const std::string inner = ctx.scratch_dir + "/nested_inner";
                     CRH_RETURN_IF_ERROR(MarkerDir(outer));
                     CRH_RETURN_IF_ERROR(MakeDirs(outer + "/inner"));
                     CRH_RETURN_IF_ERROR(MarkerDir(inner));
                     AddBind(config, "/mnt/outer", outer);
                     AddBind(config, "/mnt/outer/inner", inner);
                     return Status::Ok();
                   },
               .extra = [] { return std::make_unique<HostFileAdvances>("nested_inner/gen"); }});
  w.push_back({.name = "cgroup_ns",
               .state = "a cgroup namespace of its own ({\"type\":\"cgroup\"} in "
                        "linux.namespaces)",
               .verifies = "/proc/self/cgroup reads exactly as at setup (every hierarchy at "
                           "\"/\")",
               .args = {"cgroup_ns"},
               .edit = [](json& config, const BundleContext&) {
                 config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
                 return Status::Ok();
               }});
  // process.terminal with consoleSize, as runc's own terminal checkpoint test and `podman run
  // -t` make it: CliRuntime passes a console socket on create and on restore.
  const auto terminal = [](json& config, const BundleContext&) {
    config["process"]["terminal"] = true;
    config["process"]["consoleSize"] = {{"height", 40}, {"width", 100}};
    return Status::Ok();
  };
  w.push_back({.name = "terminal",
               .state = "stdio on a pseudo-terminal from the runtime's console socket (40x100), "
                        "the controlling tty of the session the process leads",
               .verifies = "fds 0-2 the same /dev/pts slave, still the controlling tty with our "
                           "group in the foreground, window size 40x100; output keeps reaching "
                           "the log through the new terminal after each restore",
               .args = {"terminal"},
               .edit = terminal});
  w.push_back({.name = "terminal_termios",
               .state = "as terminal, with the line discipline set by the process: no echo, "
                        "non-canonical, VMIN 0 / VTIME 3, VINTR ^G",
               .verifies = "as terminal, and exactly those termios settings",
               .args = {"terminal", "termios"},
               .edit = terminal});
  // A process started with `crh exec -d` (the runtime's `exec --detach`). Its parent is the
  // runtime's exec process, outside the container, so it is not in init's tree, which is all
  // CRIU dumps. A daemon that forks and lets its parent exit is adopted by init and survives.
  w.push_back({.name = "exec_daemon",
               .state = "a process started by exec -d that daemonized (forked, parent exited, "
                        "setsid, stdio on the container's /dev/null): init adopted it; it counts "
                        "in /dev/shm every 20 ms",
               .verifies = "init sees it alive (not a zombie), still its child, same pid, and "
                           "its count advancing",
               .args = {"exec_watch", "daemon"},
               .exec_args = {"/bin/crh-workload", "exec_child", "daemon"}});
  w.push_back(
      {.name = "exec_detached",
       .state = "a process started by exec -d that stays as the runtime left it: its parent is "
                "outside the container (PPid 0 inside), so it is not in init's tree",
       .verifies = "init sees it alive and counting",
       .args = {"exec_watch", "plain"},
       .exec_args = {"/bin/crh-workload", "exec_child"},
       .limitations = {{.kind = Limitation::Kind::kDumpRefused,
                        .signature = "is not a descendant of the container's init",
                        .why = "CRIU dumps the tree rooted at init; a process outside it is only "
                               "warned about (\"Unexpected process N in the freezer cgroup\"), "
                               "the dump succeeds and the process is killed with the container. "
                               "crh's runtime driver refuses such a checkpoint up front, naming "
                               "the process; the container and the process run on",
                        .by_crh = true,
                        .alone_signature = "the exec'd process"}}});
  w.push_back({.name = "stdout_flood",
               .state = "stdout carrying ~400 KB/s (200 lines of 200 bytes per check)",
               .verifies = "the generic oracle: ok lines keep arriving after each restore (crun "
                           "issue #756)",
               .args = {"flood", "200", "200"}});
  w.push_back({.name = "tcp_loopback",
               .state = "2 established TCP connections over the container's loopback, 4 KiB "
                        "unread in every receive queue",
               .verifies = "both ends ESTABLISHED; every queue read back and refilled",
               .args = {"tcp_loopback", "7002", "2"},
               .tcp_established = true,
               .limitations = {{.kind = Limitation::Kind::kRestoreFails,
                                .runtimes = {"runc"},
                                .signature = "Can't connect inet socket back: Network is "
                                             "unreachable",
                                .why = "runc dumps a network namespace it created itself without "
                                       "its contents (the image has no netns-*.img) and re-creates "
                                       "it on restore with loopback down and no 127.0.0.1 (lo "
                                       "flags 0x9 before, 0x8 after), so CRIU cannot reconnect "
                                       "the loopback TCP sockets; crun restores lo. The engine "
                                       "gives every container its own external netns, which is "
                                       "kept",
                                .alone_only = true}}});
  w.push_back({.name = "tcp_established",
               .state = "a TCP connection from a client outside the container (the test's own "
                        "netns on the e2e bridge, .250) to the container's IP, port 7000",
               .verifies = "ESTABLISHED, \"ping K\" lines in sequence answered with \"pong K\"; "
                           "extra: the test's same client socket keeps exchanging data after "
                           "each restore, including a ping sent while checkpointed",
               .args = {"tcp_server", "7000"},
               .tcp_established = true,
               .extra = [] { return std::make_unique<TcpClient>(7000); },
               .conformance_gap = "its client reaches the container's address on the engine's "
                                  "bridge; a runtime alone gives a loopback-only network "
                                  "namespace (//e2e/workloads runs it through the engine)"});

  // Pinned limitations: the state CRIU 4.2.1 cannot carry, as observed on every runtime.
  w.push_back(
      {.name = "eventfd_semaphore",
       .state = "an EFD_SEMAPHORE eventfd holding 3 (beside a plain one)",
       .verifies = "each read() gives 1",
       .args = {"eventfd", "semaphore"},
       .limitations = {{.kind = Limitation::Kind::kStateLost,
                        .signature = "semaphore eventfd gave 3",
                        .why = "CRIU re-creates every eventfd with eventfd(counter, 0) "
                               "(criu/eventfd.c): EFD_SEMAPHORE is not dumped, so the restored "
                               "eventfd returns the whole counter"}}});
  w.push_back(
      {.name = "timerfd_periodic",
       .state = "a 1 ms periodic timerfd read by a thread blocked in read()",
       .verifies = "the expiration count advances within 1 s",
       .args = {"timerfd", "periodic"},
       .limitations = {{.kind = Limitation::Kind::kStateLost,
                        .signature = "did not tick",
                        .why = "CRIU takes it_value from /proc/PID/fdinfo, which is (0, 0) for a "
                               "periodic timer that expired while the task was frozen; "
                               "timerfd_settime() with that value disarms the timer on "
                               "restore (criu/timerfd.c)"}}});
  w.push_back(
      {.name = "tcp_listen_backlog",
       .state = "a listener on 127.0.0.1:7001 with 3 connections from the container's own "
                "clients queued, not accepted (each client already sent a token)",
       .verifies = "accepts the oldest (FIFO), reads its token, answers; queues a new one",
       .args = {"tcp_backlog", "7001", "3"},
       .tcp_established = true,
       .limitations = {{.kind = Limitation::Kind::kDumpRefused,
                        .signature = "In-flight connection (l)",
                        .why = "CRIU refuses a listening socket with connections in its accept "
                               "queue (criu/sk-inet.c) unless --skip-in-flight, which drops "
                               "them; neither runtime seam nor engine passes that option"}}});
  // What the fake runtime models: held state that needs flags (crh.fake/holds) and exec'd
  // processes (FakeRuntime::Exec). It has no processes otherwise.
  for (auto& x : w) {
    if (!x.limitations.empty() && x.limitations.front().by_crh) continue;
    if (x.LimitedThroughEngine()) {
      x.fake_gap = "a CRIU limitation: pinned on the real runtimes, nothing for a fake to model";
    } else if (!x.NeedsFlags() && x.exec_args.empty()) {
      x.fake_gap = "kernel state only CRIU carries; the fake runtime has no processes to hold it";
    }
  }
  return w;
}

}  // namespace

bool Workload::LimitedThroughEngine() const {
  for (const auto& l : limitations) {
    if (!l.alone_only) return true;
  }
  return false;
}

const Limitation* Workload::LimitationOn(const std::string& runtime, bool alone) const {
  const std::string family = RuntimeFamily(runtime);
  for (const auto& l : limitations) {
    if (l.alone_only && !alone) continue;
    if (l.runtimes.empty()) return &l;
    for (const auto& r : l.runtimes) {
      if (r == family || r == runtime) return &l;
    }
  }
  return nullptr;
}

const std::vector<Workload>& Catalogue() {
  static const std::vector<Workload>* all = new std::vector<Workload>(Build());
  return *all;
}

const Workload* FindWorkload(const std::string& name) {
  for (const auto& w : Catalogue()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

std::string RuntimeFamily(const std::string& runtime) {
  std::string base = fs::path(runtime).filename().string();
  const size_t dash = base.find('-');
  return dash == std::string::npos ? base : base.substr(0, dash);
}

Status PrepareBundle(const Workload& w, const BundleContext& ctx, const std::string& helper) {
  std::error_code ec;
  if (!fs::is_regular_file(helper, ec)) {
    return NotFound("the workload helper " + helper +
                    " is missing (data dependency "
                    "//src/workloads:crh-workload)");
  }
  std::vector<std::string> cmd = {"/bin/crh-workload"};
  cmd.insert(cmd.end(), w.args.begin(), w.args.end());
  CRH_RETURN_IF_ERROR(MakeBusyboxBundle(ctx.bundle_dir, cmd, {.hostname = "wl"}));
  const fs::path dst = fs::path(ctx.bundle_dir) / "rootfs/bin/crh-workload";
  fs::copy_file(helper, dst, fs::copy_options::overwrite_existing, ec);
  if (ec) return Unavailable("cannot copy " + helper + " to " + dst.string() + ": " + ec.message());
  fs::permissions(dst,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  if (!w.edit) return Status::Ok();
  const fs::path cfg_path = fs::path(ctx.bundle_dir) / "config.json";
  std::ifstream in(cfg_path);
  json config = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return Unavailable(cfg_path.string() + " is not JSON");
  CRH_RETURN_IF_ERROR(w.edit(config, ctx).WithContext("editing the bundle of " + w.name));
  return WriteText(cfg_path, config.dump(2) + "\n");
}

}  // namespace crh::workloads
