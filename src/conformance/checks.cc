// The checks of `crh conformance`. Each one states its expectation and where it comes from (runc's
// code and man pages, runc's checkpoint.bats, crun's tests, containerd/podman's reliance, zdtm's
// fault invariants); see docs/conformance.md. Bodies stay short: one counter container, a few
// runtime calls, each under a timeout.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/base/subprocess.h"
#include "src/conformance/runner.h"
#include "src/conformance/workload_checks.h"
#include "src/oci/cli_runtime.h"

namespace crh::conformance {

namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;
using Gate = std::function<std::string(CheckContext&)>;

constexpr char kCriuShim[] =
#include "src/faults/criu_shim.inc"
    ;

const std::vector<std::string> kCounter = {
    "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; echo $i; sleep 0.1; done"};

bool Alive(int pid) { return pid > 0 && kill(pid, 0) == 0; }

struct Ctr {
  std::string id, bundle, log;
};

// A fresh counter container, running and counting.
Result<Ctr> Counter(CheckContext& c, BundleOptions opts = {},
                    const std::vector<std::string>& cmd = kCounter) {
  CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(cmd, opts));
  Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
  CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
  return k;
}

// The container is running and still counting (a refused or failed operation left it alone).
Status StillRunning(CheckContext& c, const Ctr& k, const std::string& after) {
  std::string st = c.StatusOf(k.id);
  CONF_REQUIRE(st == "running", "after " + after + " the container is " +
                                    (st.empty() ? "gone (`state` fails)" : st) +
                                    ", expected running");
  long now = c.Counter(k.bundle);
  Status s = c.WaitForCounter(k.bundle, now + 2, 3000);
  CONF_REQUIRE(s.ok(), "after " + after + " the container stopped counting: " + s.message());
  return Status::Ok();
}

// Restored and counting on from where it was dumped.
Status RunningFrom(CheckContext& c, const std::string& id, const std::string& bundle, long at) {
  Status s = c.WaitForStatus(id, "running", 3000);
  CONF_REQUIRE(s.ok(), "after restore: " + s.message());
  s = c.WaitForCounter(bundle, at + 2, 4000);
  CONF_REQUIRE(s.ok(), "the restored process does not count on: " + s.message());
  return Status::Ok();
}

Status NoLeftovers(CheckContext& c, const std::string& id, const std::string& bundle,
                   const std::string& after) {
  // A runtime that cleans up asynchronously gets a moment.
  std::string left;
  CheckContext::WaitFor([&] { return (left = c.Leftovers(id, bundle)).empty(); }, 1500);
  CONF_REQUIRE(left.empty(), "after " + after + " left behind: " + left);
  return Status::Ok();
}

#define CONF_OK(run, what) CONF_REQUIRE((run).ok(), std::string(what) + " failed: " + (run).Describe())

// runc spec's bundle (masked /proc/acpi, /sys/firmware, ... directories): checkpoint, then restore
// *without* crh's mapping of foreign empty-directory keys, so the runtime alone is judged.
Status MaskedDirectoriesRoundTrip(CheckContext& c) {
  c.SetMapEmptyDirectories(false);
  CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
  Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
  CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
  CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
  long at = c.Counter(k.bundle);
  CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
  return RunningFrom(c, k.id, k.bundle, at);
}

Gate NeedsFlag(const std::string& command, const std::string& flag) {
  return [command, flag](CheckContext& c) -> std::string {
    if (c.HelpHas(command, flag)) return "";
    return "`" + c.runtime().name + " " + command + " --help` does not list " + flag;
  };
}

Gate NeedsFeature(const std::string& feature) {
  return [feature](CheckContext& c) -> std::string {
    if (c.CriuFeature(feature)) return "";
    return "`criu check --feature " + feature + "` fails on this machine";
  };
}

Gate Both(Gate a, Gate b) {
  return [a, b](CheckContext& c) {
    std::string r = a(c);
    return r.empty() ? b(c) : r;
  };
}

// ---- checkpoint-side fault shapes -------------------------------------------------------

// zdtm's dump invariant: a faulted dump fails, the tasks still run, a retry without the fault
// succeeds.
Status FaultedDump(CheckContext& c, const Env& env, const std::string& what) {
  CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
  auto r = c.Checkpoint(k.id, c.dir() + "/img-faulted", {"--work-path", c.dir() + "/work-f"}, env);
  CONF_REQUIRE(!r.ok(), "checkpoint with " + what + " succeeded; expected a failure");
  CRH_RETURN_IF_ERROR(StillRunning(c, k, "a checkpoint failed by " + what));
  auto retry = c.Checkpoint(k.id, c.dir() + "/img", {"--work-path", c.dir() + "/work"});
  CONF_OK(retry, "the retry without the fault");
  CONF_REQUIRE(Exists(c.dir() + "/img/inventory.img"), "the retried dump wrote no inventory.img");
  return Status::Ok();
}

// zdtm's restore invariant: a faulted restore fails and leaks nothing, the images stay usable,
// and a retry without the fault succeeds.
Status FaultedRestore(CheckContext& c, const Env& env, const std::string& what,
                      const std::function<void()>& clear_fault = {}) {
  CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
  const std::string img = c.dir() + "/img";
  CONF_OK(c.Checkpoint(k.id, img, {"--work-path", c.dir() + "/work"}), "checkpoint");
  long at = c.Counter(k.bundle);
  auto r = c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/work-f"}, k.log, env, 20'000);
  CONF_REQUIRE(!r.ok(), "restore with " + what + " succeeded; expected a failure");
  CRH_RETURN_IF_ERROR(NoLeftovers(c, k.id, k.bundle, "a restore failed by " + what));
  if (clear_fault) clear_fault();
  auto retry = c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/work-r"}, k.log);
  CONF_OK(retry, "the retried restore without the fault");
  return RunningFrom(c, k.id, k.bundle, at);
}

// Writes the action script and an org.criu.config file naming it, and annotates the bundle.
// The script fails at `action` while dir/fault-armed exists.
Result<std::string> ArmActionScript(CheckContext& c, const std::string& bundle,
                                    const std::string& action) {
  const std::string script = c.dir() + "/action.sh", conf = c.dir() + "/criu.conf";
  const std::string armed = c.dir() + "/fault-armed";
  std::ofstream(script) << "#!/bin/sh\nif [ \"$CRTOOLS_SCRIPT_ACTION\" = " << action
                        << " ] && [ -e " << armed << " ]; then\n  echo \"crh: failing " << action
                        << "\" >&2\n  exit 1\nfi\nexit 0\n";
  chmod(script.c_str(), 0755);
  std::ofstream(conf) << "action-script " << script << "\n";
  std::ofstream(armed) << "1\n";
  CRH_RETURN_IF_ERROR(c.EditConfig(bundle, [&](nlohmann::json& j) {
    j["annotations"]["org.criu.config"] = conf;
  }));
  return armed;
}

Result<std::string> WriteShim(CheckContext& c) {
  const std::string dir = c.dir() + "/shim";
  fs::create_directories(dir);
  const std::string shim = dir + "/criu";
  std::ofstream(shim) << kCriuShim;
  chmod(shim.c_str(), 0755);
  return shim;
}

// "pid:[4026532...]" inode of /proc/PID/ns/net, 0 if unreadable.
ino_t NetnsInode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Whether the netns of `pid` has a TCP socket in state `state` ("01" established, "0A" listen).
bool HasTcpState(int pid, const std::string& state) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/net/tcp"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st;
    f >> sl >> local >> remote >> st;
    if (st == state) return true;
  }
  return false;
}

const std::vector<std::string> kHttpd = {
    "sh", "-c",
    "echo served > /tmp/index.html; httpd -p 127.0.0.1:8080 -h /tmp; "
    "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; sleep 0.1; done"};

// A loopback TCP connection inside the container's netns, kept open.
const std::vector<std::string> kEstablished = {
    "sh", "-c",
    "(while true; do sleep 1; done) | nc -l -p 9000 > /dev/null & sleep 0.2; "
    "(while true; do echo x; sleep 1; done) | "
    "nc 127.0.0.1 9000 & i=0; while true; do i=$((i+1)); echo $i > /tmp/c; sleep 0.1; done"};

Status WaitEstablished(CheckContext& c, const std::string& id) {
  int pid = c.PidOf(id);
  bool ok = CheckContext::WaitFor([&] { return HasTcpState(pid, "01"); }, 3000);
  CONF_REQUIRE(ok, "the container's loopback TCP connection never became established");
  return Status::Ok();
}

// GET /index.html from the server in the netns of `pid`; the body's last line, "" on failure.
// (busybox nc, not wget: the static busybox's wget crashes under nsenter on this host.)
std::string Fetch(int pid) {
  auto r = RunCommand({.argv = {"nsenter", "-t", std::to_string(pid), "-n", "/bin/busybox",
                                "nc", "-w", "3", "127.0.0.1", "8080"},
                       .stdin_data = "GET /index.html HTTP/1.0\r\n\r\n",
                       .timeout_ms = 8'000});
  if (!r.ok() || !r->ok()) return "";
  std::string out = r->out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.substr(out.find_last_of('\n') == std::string::npos ? 0
                                                                 : out.find_last_of('\n') + 1);
}

std::vector<Check> MakeChecks() {
  std::vector<Check> v;
  auto add = [&](std::string id, std::string title, std::string expect, std::string why,
                 Gate gate, std::function<Status(CheckContext&)> body) {
    v.push_back({std::move(id), std::move(title), std::move(expect), std::move(why),
                 std::move(gate), std::move(body)});
  };

  // ---- lifecycle ------------------------------------------------------------------------
  add("lifecycle.checkpoint-running", "checkpoint of a running container succeeds",
      "`checkpoint` exits 0 and the image dir holds inventory.img",
      "runc checkpoint.bats simple_cr; every engine's first assumption", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        CONF_REQUIRE(Exists(c.dir() + "/img/inventory.img"), "no inventory.img after checkpoint");
        return Status::Ok();
      });

  add("lifecycle.checkpoint-created-refused", "checkpoint of a created container is refused",
      "non-zero exit; the container stays `created`",
      "runc#1076/#1120: a created container has no process tree worth dumping", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        std::string id = c.NewId();
        CONF_OK(c.RunWithStdio({"create", "--bundle", b, id}, c.dir() + "/stdio.log"), "create");
        auto r = c.Checkpoint(id, c.dir() + "/img", {"--work-path", c.dir() + "/work"});
        CONF_REQUIRE(!r.ok(), "checkpoint of a created container succeeded");
        std::string st = c.StatusOf(id);
        CONF_REQUIRE(st == "created", "after the refusal the container is " +
                                          (st.empty() ? "gone" : st) + ", expected created");
        return Status::Ok();
      });

  add("lifecycle.checkpoint-created-refused-before-criu",
      "checkpoint of a created container is refused before CRIU runs",
      "non-zero exit and no dump.log in --work-path (CRIU never started)",
      "runc checks the state up front (`cannot be checkpointed in created state`); a runtime "
      "that runs CRIU first gives a CRIU error instead of a state error",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        std::string id = c.NewId();
        CONF_OK(c.RunWithStdio({"create", "--bundle", b, id}, c.dir() + "/stdio.log"), "create");
        auto r = c.Checkpoint(id, c.dir() + "/img", {"--work-path", c.dir() + "/work"});
        CONF_REQUIRE(!r.ok(), "checkpoint of a created container succeeded");
        CONF_REQUIRE(!Exists(c.dir() + "/work/dump.log"),
                     "CRIU ran (work/dump.log exists) before the refusal: " + r.Describe());
        return Status::Ok();
      });

  add("lifecycle.checkpoint-stopped-refused", "checkpoint of a stopped container is refused",
      "non-zero exit; the container stays `stopped`", "runc: only running/paused can be dumped",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Run({"kill", k.id, "KILL"}), "kill");
        CRH_RETURN_IF_ERROR(c.WaitForStatus(k.id, "stopped"));
        auto r = c.Checkpoint(k.id, c.dir() + "/img");
        CONF_REQUIRE(!r.ok(), "checkpoint of a stopped container succeeded");
        std::string st = c.StatusOf(k.id);
        CONF_REQUIRE(st == "stopped", "after the refusal the container is " +
                                          (st.empty() ? "gone" : st));
        return Status::Ok();
      });

  add("lifecycle.state-fails-after-checkpoint", "after a plain checkpoint `state` fails",
      "`state ID` exits non-zero and the init process is gone",
      "runc bats `testcontainer X checkpointed` asserts status 1; podman marks it exited", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        int pid = c.PidOf(k.id);
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        auto st = c.Run({"state", k.id});
        CONF_REQUIRE(!st.ok(), "`state` still succeeds after checkpoint: " + st.output);
        bool gone = CheckContext::WaitFor([&] {
          std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
          return stat.empty() || stat.find(") Z") != std::string::npos;  // gone or a zombie
        }, 2000);
        CONF_REQUIRE(gone, "the init process " + std::to_string(pid) + " still runs");
        return Status::Ok();
      });

  add("lifecycle.leave-running", "--leave-running keeps the container running",
      "exit 0; state `running`; the counter goes on",
      "runc/crun --leave-running; containerd TestCheckpointLeaveRunning", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--leave-running"}), "checkpoint");
        return StillRunning(c, k, "checkpoint --leave-running");
      });

  add("lifecycle.failed-checkpoint-keeps-running", "a failed checkpoint leaves it running",
      "checkpoint into an unusable image path fails; the container keeps running",
      "runc#3577/#3655: destroy only on success", {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        std::ofstream(c.dir() + "/not-a-dir") << "x";
        auto r = c.Checkpoint(k.id, c.dir() + "/not-a-dir/img");
        CONF_REQUIRE(!r.ok(), "checkpoint into a path under a regular file succeeded");
        return StillRunning(c, k, "a failed checkpoint");
      });

  add("lifecycle.checkpoint-paused", "checkpoint of a paused container succeeds",
      "exit 0; afterwards `state` fails like after any plain checkpoint",
      "runc accepts Running and Paused; podman checkpoints paused containers", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Run({"pause", k.id}), "pause");
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint of the paused container");
        CONF_REQUIRE(c.StatusOf(k.id).empty(), "`state` still succeeds after the checkpoint");
        return Status::Ok();
      });

  add("lifecycle.paused-leave-running-stays-paused",
      "checkpoint --leave-running of a paused container leaves it paused",
      "exit 0 and state `paused` afterwards (then resume works)",
      "containerd#5258 TestCheckpointOnPauseStatus", {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Run({"pause", k.id}), "pause");
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--leave-running"}), "checkpoint");
        std::string st = c.StatusOf(k.id);
        CONF_REQUIRE(st == "paused", "after the checkpoint the container is " +
                                         (st.empty() ? "gone" : st) + ", expected paused");
        CONF_OK(c.Run({"resume", k.id}), "resume");
        return StillRunning(c, k, "resume");
      });

  add("lifecycle.pause-paused-refused", "pausing a paused container is refused",
      "the second `pause` exits non-zero", "runc refuses (`container not running`)", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Run({"pause", k.id}), "pause");
        auto r = c.Run({"pause", k.id});
        CONF_REQUIRE(!r.ok(), "a second pause succeeded");
        return Status::Ok();
      });

  add("lifecycle.resume-running-refused", "resuming a running container is refused",
      "`resume` of a running container exits non-zero", "runc refuses (`container not paused`)",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        auto r = c.Run({"resume", k.id});
        CONF_REQUIRE(!r.ok(), "resume of a running container succeeded");
        return Status::Ok();
      });

  // ---- restore --------------------------------------------------------------------------
  add("restore.detached-same-id", "restore -d brings the container back under its ID",
      "`restore -d` exits 0; `state ID` says running with a live pid",
      "runc restore -d returns 0; podman restores under the same ID", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        auto r = c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log);
        CONF_OK(r, "restore -d");
        CONF_REQUIRE(c.StatusOf(k.id) == "running", "restored container is not running");
        CONF_REQUIRE(Alive(c.PidOf(k.id)), "the restored pid is not alive");
        return Status::Ok();
      });

  add("restore.cmdline-preserved", "the restored init has the same command line",
      "/proc/PID/cmdline is identical before and after", "crun test_cr", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        std::string before = ReadFile("/proc/" + std::to_string(c.PidOf(k.id)) + "/cmdline");
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
        std::string after = ReadFile("/proc/" + std::to_string(c.PidOf(k.id)) + "/cmdline");
        CONF_REQUIRE(!before.empty() && before == after, "cmdline changed across restore");
        return Status::Ok();
      });

  add("restore.memory-continues", "process memory continues (counter at last+1)",
      "the restored counter goes on from the dumped value with no gap and no repeat",
      "the oracle gVisor and crh use: memory is restored, not restarted", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
        CRH_RETURN_IF_ERROR(RunningFrom(c, k.id, k.bundle, at));
        // The stdout log is the counter's whole history: 1, 2, 3, ... across the restore.
        std::istringstream in(ReadFile(k.log));
        long prev = 0;
        for (std::string line; std::getline(in, line);) {
          char* end = nullptr;
          long n = strtol(line.c_str(), &end, 10);
          if (line.empty() || *end != '\0') continue;  // runtime noise on stderr
          CONF_REQUIRE(n == prev + 1, "counter went from " + std::to_string(prev) + " to " +
                                          std::to_string(n) + " (dumped at " +
                                          std::to_string(at) + ")");
          prev = n;
        }
        CONF_REQUIRE(prev > at, "no output after the restore");
        return Status::Ok();
      });

  add("restore.stdio-reconnected", "stdio pipes are reconnected on restore",
      "output written after restore reaches the pipes given to `restore`",
      "descriptors.json + inherit_fd; conmon relies on it", {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        long at = c.Counter(k.bundle);
        const std::string log2 = c.dir() + "/stdio-after.log";
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, log2), "restore");
        bool got = CheckContext::WaitFor(
            [&] { return ReadFile(log2).find(std::to_string(at + 2) + "\n") != std::string::npos; },
            4000);
        CONF_REQUIRE(got, "the new stdout pipe got no output after restore: \"" +
                              ReadFile(log2).substr(0, 200) + "\"");
        return Status::Ok();
      });

  add("restore.foreground-exit-code", "restore without -d exits with the container's status",
      "a restored container that exits 7 makes `restore` exit 7",
      "runc restore: os.Exit(status); crun waitpid()s; runc#4541", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(
            Ctr k, Counter(c, {},
                           {"sh", "-c",
                            "i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo $i > /tmp/c; "
                            "sleep 0.1; done; exit 7"}));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        auto r = c.RunWithStdio({"restore", "--bundle", k.bundle, "--image-path",
                                 c.dir() + "/img", k.id},
                                k.log, 15'000, c.RestoreEnv(c.dir() + "/img"));
        CONF_REQUIRE(!r.timed_out, "foreground restore did not return: " + r.Describe());
        CONF_REQUIRE(r.exit_code == 7, "foreground restore exited " +
                                           std::to_string(r.exit_code) + ", expected 7");
        return Status::Ok();
      });

  add("restore.missing-image-dir-clean", "restore from a missing image dir fails cleanly",
      "non-zero exit; no state dir, cgroup or mount left; `state` fails",
      "a half-created container blocks the ID (runc destroys it on error)", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        std::string id = c.NewId();
        auto r = c.Restore(id, b, c.dir() + "/no-such-img");
        CONF_REQUIRE(!r.ok(), "restore from a missing image dir succeeded");
        return NoLeftovers(c, id, b, "the failed restore");
      });

  add("restore.empty-image-dir-clean", "restore from an empty image dir fails cleanly",
      "non-zero exit; nothing left behind", "as above; descriptors.json is required", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        fs::create_directories(c.dir() + "/empty");
        std::string id = c.NewId();
        auto r = c.Restore(id, b, c.dir() + "/empty");
        CONF_REQUIRE(!r.ok(), "restore from an empty image dir succeeded");
        return NoLeftovers(c, id, b, "the failed restore");
      });

  add("restore.same-image-twice", "the same image can be restored twice",
      "restore, delete, restore again from the same images: running and counting",
      "images are not consumed; podman --keep / restore retries rely on it", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "first restore");
        CRH_RETURN_IF_ERROR(RunningFrom(c, k.id, k.bundle, at));
        CONF_OK(c.Run({"delete", "--force", k.id}), "delete --force");
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "second restore");
        return RunningFrom(c, k.id, k.bundle, at);
      });

  add("restore.new-id", "restore under a new ID", "restore -d NEWID runs; the old ID is unknown",
      "runc bats lazy-pages restores under another name; podman restore --name", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        long at = c.Counter(k.bundle);
        std::string id2 = c.NewId();
        CONF_OK(c.Restore(id2, k.bundle, c.dir() + "/img", {}, k.log), "restore as " + id2);
        CRH_RETURN_IF_ERROR(RunningFrom(c, id2, k.bundle, at));
        CONF_REQUIRE(c.StatusOf(k.id).empty(), "the old ID is known again");
        return Status::Ok();
      });

  add("restore.id-in-use-refused", "restore onto an ID in use is refused",
      "non-zero exit; the running container is untouched",
      "IDs are unique; a restore must not clobber a live container", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--leave-running"}), "checkpoint");
        auto r = c.Restore(k.id, k.bundle, c.dir() + "/img", {}, c.dir() + "/stdio2.log");
        CONF_REQUIRE(!r.ok(), "restore onto a running container's ID succeeded");
        return StillRunning(c, k, "the refused restore");
      });

  add("restore.pid-file", "restore --pid-file records the restored init",
      "the pid file holds the pid `state` reports", "conmon/podman read the pid file", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        const std::string pf = c.dir() + "/restored.pid";
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {"--pid-file", pf}, k.log), "restore");
        int pid = atoi(ReadFile(pf).c_str());
        CONF_REQUIRE(pid > 0 && pid == c.PidOf(k.id),
                     "pid file says " + std::to_string(pid) + ", state says " +
                         std::to_string(c.PidOf(k.id)));
        return Status::Ok();
      });

  // ---- paths ----------------------------------------------------------------------------
  add("paths.default-image-path", "without --image-path images go to ./checkpoint",
      "CWD/checkpoint/inventory.img exists", "runc getDefaultImagePath, crun the same", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, ""), "checkpoint without --image-path");
        CONF_REQUIRE(Exists(c.dir() + "/checkpoint/inventory.img"),
                     "no ./checkpoint/inventory.img (cwd " + c.dir() + ")");
        return Status::Ok();
      });

  add("paths.missing-work-path-created", "a missing --work-path is created",
      "checkpoint with a non-existent work dir (parent exists) succeeds; dump.log is in it",
      "runc Mkdir; crun 90ef9732/e5d2489d fixed ENOENT found by runc's bats", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string w = c.dir() + "/new-work";
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--work-path", w}), "checkpoint");
        CONF_REQUIRE(Exists(w + "/dump.log"), "no dump.log in the created work path");
        return Status::Ok();
      });

  add("paths.logs-in-work-path", "dump.log and restore.log go to --work-path",
      "WORK/dump.log after checkpoint, WORK2/restore.log after restore; none in the image dir",
      "youki contest lifecycle/checkpoint; engines collect logs from the work path", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string img = c.dir() + "/img";
        CONF_OK(c.Checkpoint(k.id, img, {"--work-path", c.dir() + "/w1"}), "checkpoint");
        CONF_OK(c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/w2"}, k.log),
                "restore");
        CONF_REQUIRE(Exists(c.dir() + "/w1/dump.log"), "no dump.log in the work path");
        CONF_REQUIRE(Exists(c.dir() + "/w2/restore.log"), "no restore.log in the work path");
        CONF_REQUIRE(!Exists(img + "/dump.log"), "dump.log also in the image dir");
        return Status::Ok();
      });

  add("paths.logs-in-image-dir-by-default", "without --work-path the logs go to the image dir",
      "IMG/dump.log and IMG/restore.log", "runc/crun: CRIU's work dir defaults to the image dir",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string img = c.dir() + "/img";
        CONF_OK(c.Checkpoint(k.id, img), "checkpoint");
        CONF_OK(c.Restore(k.id, k.bundle, img, {}, k.log), "restore");
        CONF_REQUIRE(Exists(img + "/dump.log"), "no dump.log in the image dir");
        CONF_REQUIRE(Exists(img + "/restore.log"), "no restore.log in the image dir");
        return Status::Ok();
      });

  add("paths.image-files", "the image holds inventory.img, descriptors.json and pages",
      "inventory.img, pstree.img, pages-*.img and a descriptors.json with 3 entries",
      "k8s e2e checkpoint_container asserts inventory.img; restore needs descriptors.json", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string img = c.dir() + "/img";
        CONF_OK(c.Checkpoint(k.id, img), "checkpoint");
        for (const char* f : {"inventory.img", "pstree.img", "descriptors.json"}) {
          CONF_REQUIRE(Exists(img + "/" + f), std::string("no ") + f + " in the image dir");
        }
        bool pages = false;
        for (const auto& e : fs::directory_iterator(img)) {
          if (e.path().filename().string().rfind("pages-", 0) == 0) pages = true;
        }
        CONF_REQUIRE(pages, "no pages-*.img");
        auto d = nlohmann::json::parse(ReadFile(img + "/descriptors.json"), nullptr, false);
        CONF_REQUIRE(d.is_array() && d.size() == 3,
                     "descriptors.json is not a 3-entry array: " + d.dump());
        return Status::Ok();
      });

  add("paths.image-dir-reuse", "an image dir can be checkpointed into again",
      "checkpoint, restore, checkpoint into the same dir, restore: running and counting",
      "runc tolerates EEXIST (`a container can be C/R'ed multiple times`); gVisor refuses", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string img = c.dir() + "/img";
        CONF_OK(c.Checkpoint(k.id, img), "first checkpoint");
        CONF_OK(c.Restore(k.id, k.bundle, img, {}, k.log), "first restore");
        CRH_RETURN_IF_ERROR(c.WaitForStatus(k.id, "running"));
        CONF_OK(c.Checkpoint(k.id, img), "second checkpoint into the same dir");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, img, {}, k.log), "second restore");
        return RunningFrom(c, k.id, k.bundle, at);
      });

  add("paths.masked-directories", "a container with masked directories restores",
      "runc spec's maskedPaths (/proc/acpi, /sys/firmware, ...) with a custom --root: checkpoint "
      "and restore succeed",
      "the default OCI spec (runc spec, podman) masks directories",
      [](CheckContext&) -> std::string {
        return Exists("/proc/acpi") && Exists("/sys/firmware")
                   ? ""
                   : "the host has no /proc/acpi or /sys/firmware to mask";
      },
      [](CheckContext& c) -> Status { return MaskedDirectoriesRoundTrip(c); });

  // The pair that pins crun PR #2239: the same bundle restores with the runtime's default root
  // and, with a fixed runtime, with a custom one. The image's key for the shared empty directory
  // says why: it must name the root in use.
  add("paths.masked-directories-default-root",
      "masked directories restore with the runtime's default --root",
      "the paths.masked-directories bundle, no --root: checkpoint and restore succeed",
      "isolates paths.masked-directories: a failure only with a custom root is crun PR #2239",
      [](CheckContext&) -> std::string {
        return Exists("/proc/acpi") && Exists("/sys/firmware")
                   ? ""
                   : "the host has no /proc/acpi or /sys/firmware to mask";
      },
      [](CheckContext& c) -> Status {
        c.UseDefaultRoot();
        return MaskedDirectoriesRoundTrip(c);
      });

  add("paths.masked-directories-keyed-by-root",
      "the image keys masked directories by the --root in use",
      "no mountpoints image names a .empty-directory outside --root",
      "crun >= 1.24 registers masked directories by its default root on checkpoint (PR #2239), "
      "so restore with --root finds no mapping",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
        CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        auto foreign = ForeignEmptyDirectoryKeys(c.dir() + "/img", c.state_root());
        CONF_REQUIRE(foreign.ok(), "cannot read the image's mount table: " +
                                       foreign.status().ToString());
        CONF_REQUIRE(foreign->empty(), "the image keys masked directories by " +
                                           foreign->front() + ", not by --root " +
                                           c.state_root());
        return Status::Ok();
      });

  // ---- pre-dump -------------------------------------------------------------------------
  Gate predump = Both(NeedsFlag("checkpoint", "--pre-dump"), NeedsFeature("mem_dirty_track"));
  add("predump.keeps-running", "--pre-dump keeps the container running",
      "exit 0; still running; no descriptors.json in the pre-dump dir",
      "runc PRE_DUMP is memory only; runc#2253", predump, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/parent", {"--pre-dump"}), "pre-dump");
        CRH_RETURN_IF_ERROR(StillRunning(c, k, "pre-dump"));
        CONF_REQUIRE(!Exists(c.dir() + "/parent/descriptors.json"),
                     "a pre-dump wrote descriptors.json");
        return Status::Ok();
      });

  add("predump.parent-path-absolute-refused", "an absolute --parent-path is refused",
      "non-zero exit mentioning parent-path; the container keeps running",
      "runc/crun `--parent-path must be relative`; runc bats #6", predump,
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/parent", {"--pre-dump"}), "pre-dump");
        auto r = c.Checkpoint(k.id, c.dir() + "/img", {"--parent-path", c.dir() + "/parent"});
        CONF_REQUIRE(!r.ok(), "checkpoint with an absolute --parent-path succeeded");
        CONF_REQUIRE(r.output.find("parent-path") != std::string::npos,
                     "the error does not mention parent-path: " + r.output);
        return StillRunning(c, k, "the refused checkpoint");
      });

  add("predump.parent-path-missing-refused", "a --parent-path that does not exist is refused",
      "non-zero exit; the container keeps running", "runc ENOTDIR check; crun#1742", predump,
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        auto r = c.Checkpoint(k.id, c.dir() + "/img", {"--parent-path", "../no-such-parent"});
        CONF_REQUIRE(!r.ok(), "checkpoint with a missing --parent-path succeeded");
        return StillRunning(c, k, "the refused checkpoint");
      });

  add("predump.restore-with-parent", "pre-dump, final dump with --parent-path, restore",
      "image/parent link exists; restore continues the counter",
      "runc bats `checkpoint --pre-dump and restore`; crun test_cr_pre_dump", predump,
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/parent", {"--pre-dump"}), "pre-dump");
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--parent-path", "../parent"}),
                "final dump");
        long at = c.Counter(k.bundle);
        CONF_REQUIRE(Exists(c.dir() + "/img/parent"), "no `parent` link in the image dir");
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
        return RunningFrom(c, k.id, k.bundle, at);
      });

  // ---- network --------------------------------------------------------------------------
  add("net.external-netns-same-inode", "restore into the netns named in config.json",
      "the restored init's /proc/PID/ns/net is the pre-existing namespace (same inode)",
      "runc bats `external network namespace`; engines keep IPs by keeping the netns",
      NeedsFeature("external_net_ns"), [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string ns, c.NewNetns());
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c, {.netns_path = ns}));
        ino_t want = NetnsInode(ns);
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
        CRH_RETURN_IF_ERROR(RunningFrom(c, k.id, k.bundle, at));
        ino_t got = NetnsInode("/proc/" + std::to_string(c.PidOf(k.id)) + "/ns/net");
        CONF_REQUIRE(got == want, "restored into netns inode " + std::to_string(got) +
                                      ", config.json names inode " + std::to_string(want));
        return Status::Ok();
      });

  add("net.listening-socket-survives", "a listening TCP socket survives C/R",
      "an HTTP server on 127.0.0.1:8080 answers after restore", "CRIU restores listen sockets",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string ns, c.NewNetns());
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c, {.netns_path = ns}, kHttpd));
        CONF_REQUIRE(Fetch(c.PidOf(k.id)) == "served", "the server does not answer before C/R");
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "checkpoint");
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {}, k.log), "restore");
        std::string got = Fetch(c.PidOf(k.id));
        CONF_REQUIRE(got == "served", "after restore the server answers \"" + got + "\"");
        return Status::Ok();
      });

  add("net.established-refused-without-flag",
      "an established TCP connection is refused without --tcp-established",
      "checkpoint exits non-zero; the container keeps running with its connection",
      "CRIU refuses established sockets unless told; podman passes --tcp-established", {},
      [](CheckContext& c) -> Status {
        // A pre-existing netns, as engines use: a runtime-made one comes back with loopback
        // down (runc always restores into an empty netns), so no connection can be restored.
        CRH_ASSIGN_OR_RETURN(std::string ns, c.NewNetns());
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c, {.netns_path = ns}, kEstablished));
        CRH_RETURN_IF_ERROR(WaitEstablished(c, k.id));
        auto r = c.Checkpoint(k.id, c.dir() + "/img");
        CONF_REQUIRE(!r.ok(), "checkpoint with an established connection succeeded without "
                              "--tcp-established");
        CRH_RETURN_IF_ERROR(StillRunning(c, k, "the refused checkpoint"));
        CONF_REQUIRE(HasTcpState(c.PidOf(k.id), "01"), "the connection is gone");
        return Status::Ok();
      });

  add("net.established-with-flag", "--tcp-established dumps and restores a connection",
      "checkpoint and restore with --tcp-established succeed; the connection is established "
      "after restore",
      "podman checkpoint --tcp-established", NeedsFlag("checkpoint", "--tcp-established"),
      [](CheckContext& c) -> Status {
        // A pre-existing netns, as engines use: a runtime-made one comes back with loopback
        // down (runc always restores into an empty netns), so no connection can be restored.
        CRH_ASSIGN_OR_RETURN(std::string ns, c.NewNetns());
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c, {.netns_path = ns}, kEstablished));
        CRH_RETURN_IF_ERROR(WaitEstablished(c, k.id));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--tcp-established"}), "checkpoint");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {"--tcp-established"}, k.log),
                "restore");
        CRH_RETURN_IF_ERROR(RunningFrom(c, k.id, k.bundle, at));
        CONF_REQUIRE(HasTcpState(c.PidOf(k.id), "01"), "no established connection after restore");
        return Status::Ok();
      });

  add("net.tcp-close-on-restore", "restore --tcp-close drops dumped connections",
      "restore --tcp-close succeeds; the container runs without the established connection",
      "crun-only flag (CRIU tcp_close)", NeedsFlag("restore", "--tcp-close"),
      [](CheckContext& c) -> Status {
        // A pre-existing netns, as engines use: a runtime-made one comes back with loopback
        // down (runc always restores into an empty netns), so no connection can be restored.
        CRH_ASSIGN_OR_RETURN(std::string ns, c.NewNetns());
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c, {.netns_path = ns}, kEstablished));
        CRH_RETURN_IF_ERROR(WaitEstablished(c, k.id));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--tcp-established"}), "checkpoint");
        long at = c.Counter(k.bundle);
        CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {"--tcp-close"}, k.log), "restore");
        return RunningFrom(c, k.id, k.bundle, at);
      });

  // ---- options --------------------------------------------------------------------------
  auto flag_round_trip = [&](const std::string& flag, const std::string& why) {
    add("options." + flag.substr(2), flag + " works on checkpoint and restore",
        "checkpoint " + flag + " and restore " + flag + " succeed; the counter goes on", why,
        Both(NeedsFlag("checkpoint", flag), NeedsFlag("restore", flag)),
        [flag](CheckContext& c) -> Status {
          CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
          CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {flag}), "checkpoint " + flag);
          long at = c.Counter(k.bundle);
          CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {flag}, k.log), "restore " + flag);
          return RunningFrom(c, k.id, k.bundle, at);
        });
  };
  flag_round_trip("--file-locks", "podman passes --file-locks; CRIU file_locks");
  flag_round_trip("--shell-job", "CRIU shell_job; accepted for non-tty jobs");
  flag_round_trip("--ext-unix-sk", "CRIU ext_unix_sk");

  auto cgroups_mode = [&](const std::string& mode, const std::string& why) {
    add("options.manage-cgroups-mode-" + mode,
        "--manage-cgroups-mode " + mode + " on checkpoint and restore",
        "both succeed and the restored container runs in its cgroup", why,
        NeedsFlag("checkpoint", "--manage-cgroups-mode"), [mode](CheckContext& c) -> Status {
          CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
          CONF_OK(c.Checkpoint(k.id, c.dir() + "/img", {"--manage-cgroups-mode", mode}),
                  "checkpoint");
          long at = c.Counter(k.bundle);
          CONF_OK(c.Restore(k.id, k.bundle, c.dir() + "/img", {"--manage-cgroups-mode", mode},
                            k.log),
                  "restore");
          return RunningFrom(c, k.id, k.bundle, at);
        });
  };
  cgroups_mode("ignore", "runc bats use ignore everywhere (criu#3029); runc#4178");
  cgroups_mode("full", "runc/crun accept soft|full|strict|ignore");

  add("options.manage-cgroups-mode-invalid", "an invalid --manage-cgroups-mode is refused",
      "non-zero exit naming the value or the flag; the container keeps running",
      "runc `invalid manage-cgroups-mode value`", NeedsFlag("checkpoint", "--manage-cgroups-mode"),
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        auto r = c.Checkpoint(k.id, c.dir() + "/img", {"--manage-cgroups-mode", "bogus"});
        CONF_REQUIRE(!r.ok(), "checkpoint with --manage-cgroups-mode bogus succeeded");
        CONF_REQUIRE(r.output.find("cgroup") != std::string::npos ||
                         r.output.find("bogus") != std::string::npos,
                     "the error names neither the flag nor the value: " + r.output);
        return StillRunning(c, k, "the refused checkpoint");
      });

  add("options.unknown-flag-refused", "an unknown checkpoint flag is refused",
      "non-zero exit; the container keeps running", "a typo must not dump (or kill) anything",
      {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        auto r = c.Checkpoint(k.id, c.dir() + "/img", {"--no-such-flag"});
        CONF_REQUIRE(!r.ok(), "checkpoint --no-such-flag succeeded");
        return StillRunning(c, k, "the refused checkpoint");
      });

  // ---- faults: CRIU_FAULT -----------------------------------------------------------------
  auto dump_fault = [&](int code, const std::string& name, const std::string& what) {
    add("fault.criu-" + std::to_string(code) + "." + name,
        "CRIU_FAULT=" + std::to_string(code) + " (" + what + ") on checkpoint",
        "checkpoint fails; the container keeps running; a retry without the fault succeeds and "
        "restores",
        "zdtm fault invariant (test/jenkins/criu-fault.sh); runc#3655", {},
        [code](CheckContext& c) -> Status {
          return FaultedDump(c, {{"CRIU_FAULT", std::to_string(code)}},
                             "CRIU_FAULT=" + std::to_string(code));
        });
  };
  dump_fault(1, "dump-early", "dump killed early");
  dump_fault(3, "dump-pages", "page dump fails");
  dump_fault(5, "parasite-connect", "parasite cannot connect");

  add("fault.criu-136.dump-abort", "CRIU_FAULT=136 with a failing dump: CRIU abort()s",
      "a dump failed by a post-dump script under CRIU_FAULT=136 (CRIU aborts instead of a "
      "clean error) fails; the container keeps running; a retry succeeds",
      "zdtm vfork00 --fault 136 (FI_DUMP_CRASH only fires on the dump failure path)", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        CRH_ASSIGN_OR_RETURN(std::string armed, ArmActionScript(c, b, "post-dump"));
        Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
        CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
        auto r = c.Checkpoint(k.id, c.dir() + "/img-f", {}, {{"CRIU_FAULT", "136"}});
        CONF_REQUIRE(!r.ok(), "checkpoint succeeded although post-dump failed");
        CRH_RETURN_IF_ERROR(StillRunning(c, k, "the aborted dump"));
        fs::remove(armed);
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "the retried checkpoint");
        return Status::Ok();
      });

  auto restore_fault = [&](int code, const std::string& name, const std::string& what) {
    add("fault.criu-" + std::to_string(code) + "." + name,
        "CRIU_FAULT=" + std::to_string(code) + " (" + what + ") on restore",
        "restore fails and leaves nothing (state dir, cgroup, mount); a retry without the fault "
        "succeeds",
        "zdtm fault invariant; runc destroys a half-restored container", {},
        [code](CheckContext& c) -> Status {
          return FaultedRestore(c, {{"CRIU_FAULT", std::to_string(code)}},
                                "CRIU_FAULT=" + std::to_string(code));
        });
  };
  restore_fault(2, "restore-root", "restore root task killed");
  restore_fault(6, "post-restore", "late restore failure");

  // ---- faults: action scripts, the criu binary --------------------------------------------
  add("fault.action-script.post-dump", "a failing post-dump action script aborts the dump",
      "checkpoint fails; the container keeps running; a retry succeeds",
      "CRIU action scripts via the org.criu.config annotation (runc docs, crun >= CRIU 4.2)", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
        CRH_ASSIGN_OR_RETURN(std::string armed, ArmActionScript(c, b, "post-dump"));
        Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
        CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
        auto r = c.Checkpoint(k.id, c.dir() + "/img-f");
        CONF_REQUIRE(!r.ok(), "checkpoint succeeded although post-dump failed");
        CRH_RETURN_IF_ERROR(StillRunning(c, k, "the aborted dump"));
        fs::remove(armed);
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "the retried checkpoint");
        return Status::Ok();
      });

  auto restore_script = [&](const std::string& action) {
    add("fault.action-script." + action, "a failing " + action + " action script aborts restore",
        "restore fails and leaves nothing; a retry without the fault succeeds",
        "CRIU `Aborting restore due to " + action + " script ret code`", {},
        [action](CheckContext& c) -> Status {
          CRH_ASSIGN_OR_RETURN(std::string b, c.MakeBundle(kCounter));
          CRH_ASSIGN_OR_RETURN(std::string armed, ArmActionScript(c, b, action));
          Ctr k{c.NewId(), b, c.dir() + "/stdio.log"};
          CRH_RETURN_IF_ERROR(c.StartCounter(k.id, k.bundle, k.log));
          const std::string img = c.dir() + "/img";
          CONF_OK(c.Checkpoint(k.id, img), "checkpoint");
          long at = c.Counter(k.bundle);
          auto r = c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/wf"}, k.log);
          CONF_REQUIRE(!r.ok(), "restore succeeded although " + action + " failed");
          CRH_RETURN_IF_ERROR(NoLeftovers(c, k.id, k.bundle, "the aborted restore"));
          fs::remove(armed);
          CONF_OK(c.Restore(k.id, k.bundle, img, {}, k.log), "the retried restore");
          return RunningFrom(c, k.id, k.bundle, at);
        });
  };
  restore_script("pre-restore");
  restore_script("post-restore");

  add("fault.criu-absent", "checkpoint without a criu binary fails cleanly",
      "non-zero exit; the container keeps running",
      "containerd checkpoint-restore-cri-disable-test: `criu binary not found`", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        const std::string criu = c.runtime().criu_path;
        c.SetCriu(c.dir() + "/no-criu/criu");
        auto r = c.Checkpoint(k.id, c.dir() + "/img", {},
                              {{"PATH", c.dir() + "/no-criu:/usr/bin:/bin"}});
        c.SetCriu(criu);
        CONF_REQUIRE(!r.ok(), "checkpoint without criu succeeded");
        return StillRunning(c, k, "the failed checkpoint");
      });

  add("fault.criu-shim-fails", "a criu that fails at once fails the checkpoint cleanly",
      "non-zero exit; the container keeps running; a retry with the real criu succeeds",
      "a broken CRIU upgrade (runc#3532) must not take containers down", {},
      [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CRH_ASSIGN_OR_RETURN(std::string shim, WriteShim(c));
        const std::string criu = c.runtime().criu_path;
        c.SetCriu(shim);
        auto r = c.Checkpoint(k.id, c.dir() + "/img-f", {},
                              {{"CRH_CRIU_SHIM_MODE", "fail"}, {"CRH_CRIU_SHIM_REAL", criu}});
        c.SetCriu(criu);
        CONF_REQUIRE(!r.ok(), "checkpoint succeeded with a failing criu");
        CRH_RETURN_IF_ERROR(StillRunning(c, k, "the failed checkpoint"));
        CONF_OK(c.Checkpoint(k.id, c.dir() + "/img"), "the retried checkpoint");
        return Status::Ok();
      });

  add("fault.criu-shim-killed-restore", "criu killed mid-restore leaves a legal state",
      "either the restore succeeds, or it fails leaving nothing; a retry then succeeds",
      "an OOM kill or node drain can hit CRIU at any moment", {}, [](CheckContext& c) -> Status {
        CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
        CRH_ASSIGN_OR_RETURN(std::string shim, WriteShim(c));
        const std::string img = c.dir() + "/img", criu = c.runtime().criu_path;
        CONF_OK(c.Checkpoint(k.id, img), "checkpoint");
        long at = c.Counter(k.bundle);
        c.SetCriu(shim);
        auto r = c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/wf"}, k.log,
                           {{"CRH_CRIU_SHIM_MODE", "kill-after:0.1"},
                            {"CRH_CRIU_SHIM_REAL", criu}},
                           20'000);
        c.SetCriu(criu);
        if (r.ok()) return RunningFrom(c, k.id, k.bundle, at);
        CRH_RETURN_IF_ERROR(NoLeftovers(c, k.id, k.bundle, "restore with criu killed"));
        CONF_OK(c.Restore(k.id, k.bundle, img, {}, k.log), "the retried restore");
        return RunningFrom(c, k.id, k.bundle, at);
      });

  // ---- faults: images ---------------------------------------------------------------------
  auto image_fault = [&](const std::string& name, const std::string& title,
                         std::function<int(const std::string& img)> corrupt, int timeout_ms,
                         const std::string& why, bool hang_ok = false) {
    add("fault.image." + name, title,
        hang_ok ? "restore does not succeed; if it hangs, killing it after " +
                      std::to_string(timeout_ms / 1000) +
                      " s and `delete --force` leave nothing; the intact copy still restores"
                : "restore fails within " + std::to_string(timeout_ms / 1000) +
                      " s and leaves nothing; the intact copy still restores",
        why, {}, [corrupt, timeout_ms, hang_ok](CheckContext& c) -> Status {
          CRH_ASSIGN_OR_RETURN(Ctr k, Counter(c));
          const std::string img = c.dir() + "/img", good = c.dir() + "/img-good";
          CONF_OK(c.Checkpoint(k.id, img), "checkpoint");
          long at = c.Counter(k.bundle);
          fs::copy(img, good, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
          CONF_REQUIRE(corrupt(img) > 0, "nothing to corrupt in the image dir");
          auto r = c.Restore(k.id, k.bundle, img, {"--work-path", c.dir() + "/wf"}, k.log, {},
                             timeout_ms);
          if (r.timed_out && hang_ok) {
            // What an engine does after its timeout: kill what is left and delete.
            c.Note("restore hung and was killed after " + std::to_string(timeout_ms) + " ms");
            c.ForceRemove(k.id);
            CheckContext::UnmountUnder(c.dir() + "/wf");
          }
          CONF_REQUIRE(!r.timed_out || hang_ok, "restore hung on the corrupt image (killed after " +
                                                    std::to_string(timeout_ms) + " ms)");
          CONF_REQUIRE(!r.ok(), "restore from a corrupt image succeeded");
          CRH_RETURN_IF_ERROR(NoLeftovers(c, k.id, k.bundle, "the failed restore"));
          CONF_OK(c.Restore(k.id, k.bundle, good, {}, k.log), "restore from the intact copy");
          return RunningFrom(c, k.id, k.bundle, at);
        });
  };
  auto truncate = [](const std::string& prefix) {
    return [prefix](const std::string& img) {
      int n = 0;
      for (const auto& e : fs::directory_iterator(img)) {
        if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
        fs::resize_file(e.path(), e.file_size() / 2);
        ++n;
      }
      return n;
    };
  };
  auto remove = [](const std::string& file) {
    return [file](const std::string& img) { return fs::remove(img + "/" + file) ? 1 : 0; };
  };
  image_fault("truncated-pagemap", "restore from a truncated pagemap-*.img fails cleanly",
              truncate("pagemap-"), 15'000, "CRIU reads the page index first and fails cleanly");
  image_fault("missing-inventory", "restore without inventory.img fails cleanly",
              remove("inventory.img"), 15'000, "inventory.img is the image's header");
  image_fault("missing-descriptors", "restore without descriptors.json fails cleanly",
              remove("descriptors.json"), 15'000,
              "runc and crun need descriptors.json to reconnect stdio");
  // CRIU 4.2.1's restorer sometimes spins forever on a short page read and sometimes fails: the
  // check asks only for what an engine can rely on either way.
  image_fault("truncated-pages", "restore from truncated pages-*.img: no success, no leftovers",
              truncate("pages-"), 5'000,
              "a short page read must not restore; CRIU 4.2.1's restorer may spin, so engines "
              "need a timeout and a forced cleanup", /*hang_ok=*/true);

  // ---- the workload catalogue -------------------------------------------------------------
  AddWorkloadChecks(v);
  return v;
}

}  // namespace

const std::vector<Check>& AllChecks() {
  static const std::vector<Check> checks = MakeChecks();
  return checks;
}

}  // namespace crh::conformance
