#include "src/oci/cli_runtime.h"

#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "src/base/subprocess.h"
#include "src/base/host.h"
#include "src/oci/bundle.h"
#include "src/oci/criu_images.h"
#include "src/oci/process_tree.h"
#include "src/oci/stdio_log.h"

extern char** environ;

namespace crh {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status ValidateId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.' || id[0] == '-') {
    return InvalidArgument("invalid container id \"" + id + "\"");
  }
  for (char c : id) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '+') {
      return InvalidArgument("invalid container id \"" + id + "\": only [A-Za-z0-9_.+-]");
    }
  }
  return Status::Ok();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ContainsAny(const std::string& haystack, std::initializer_list<const char*> needles) {
  for (const char* n : needles) {
    if (haystack.find(n) != std::string::npos) return true;
  }
  return false;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// Phrases runc and crun use when they refuse an operation because of the container's state.
bool IsStateRefusal(const std::string& lower) {
  return ContainsAny(lower, {"cannot be checkpointed", "in created state", "not running",
                             "not paused", "not stopped", "cannot start", "already running",
                             "already paused", "is not in running state", "not in a running",
                             "cannot delete", "cannot pause", "cannot resume",
                             "container is stopped", "has stopped", "is paused", "not created"});
}

// Whether `op` is one the container's status forbids (the runtimes word this differently).
bool StatusRefuses(const std::string& op, RuntimeStatus st) {
  if (op == "start") return st != RuntimeStatus::kCreated;
  if (op == "pause") return st != RuntimeStatus::kRunning;
  if (op == "resume") return st != RuntimeStatus::kPaused;
  if (op == "kill") return st == RuntimeStatus::kStopped;
  if (op == "delete") return st != RuntimeStatus::kStopped && st != RuntimeStatus::kCreated;
  if (op == "checkpoint") return st != RuntimeStatus::kRunning && st != RuntimeStatus::kPaused;
  if (op == "exec") return st != RuntimeStatus::kRunning;
  return false;
}


// The container's cgroup path relative to each hierarchy: config.json's linux.cgroupsPath if it
// is a plain path, else "/<id>" (what runc and crun use when it is unset). "" if unusable.
std::string CgroupRelPath(const std::string& bundle, const std::string& id) {
  std::string rel = "/" + id;
  if (!bundle.empty()) {
    std::ifstream in(fs::path(bundle) / "config.json");
    json j = json::parse(in, nullptr, false);
    if (j.is_object() && j.contains("linux") && j["linux"].is_object()) {
      std::string p = j["linux"].value("cgroupsPath", "");
      if (p.find(':') != std::string::npos || p.find("..") != std::string::npos) return "";
      if (!p.empty()) rel = p[0] == '/' ? p : "/" + p;
    }
  }
  return rel;
}


bool IsNotFoundText(const std::string& lower) {
  return ContainsAny(lower, {"does not exist", "not found", "no such container"});
}

bool IsExistsText(const std::string& lower) {
  return ContainsAny(lower, {"already exists", "with id exists", "id already in use"});
}

// The error-level messages of a runtime's `--log-format json` file (runc writes one object a
// line, crun pretty-prints them), else its raw tail. CRIU log excerpts the runtime quotes are
// dropped: the caller adds its own.
std::string RuntimeLogMessages(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string raw = ss.str();
  std::string msgs;
  bool in_excerpt = false;
  try {
    std::istringstream values(raw);
    while (values >> std::ws && !values.eof()) {
      json j;
      values >> j;
      if (!j.is_object() || !j.contains("msg") || !j["msg"].is_string()) continue;
      std::string level = j.value("level", "");
      if (level != "error" && level != "fatal") continue;
      std::string msg = j["msg"].get<std::string>();
      // crun quotes CRIU as separate messages, runc 1.3 as one "--- Quoting" block.
      if (msg.rfind("--- excerpt from CRIU log", 0) == 0) in_excerpt = true;
      if (!in_excerpt) {
        size_t q = msg.find("--- Quoting ");
        if (q != std::string::npos) {
          size_t e = msg.find("\n---\n", q);
          msg.erase(q, e == std::string::npos ? std::string::npos : e + 5 - q);
        }
        msgs += msg + "\n";
      }
      if (msg.rfind("--- end of excerpt", 0) == 0) in_excerpt = false;
    }
  } catch (const json::exception&) {
    msgs.clear();  // not the format we asked for: fall back to the raw text
  }
  std::string s = Trim(msgs.empty() ? raw : msgs);
  return s.size() > 4000 ? "..." + s.substr(s.size() - 4000) : s;
}

// The runtime with fds 0..2 given, in its own process group, with the configured timeout.
Result<int> SpawnAndWait(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env_add,
                         const std::array<int, 3>& stdio, int timeout_ms, bool* timed_out) {
  auto env = CurrentEnvironment();
  for (const auto& [k, v] : env_add) env[k] = v;
  CRH_ASSIGN_OR_RETURN(GroupRunResult r, RunInProcessGroup(argv, env, stdio, "", timeout_ms));
  *timed_out = r.timed_out;
  return r.exit_code;
}

Status MakeDirs(const std::string& dir, const char* what) {
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable(std::string("cannot create ") + what + " " + dir + ": " + ec.message());
  return Status::Ok();
}

std::string JoinMessage(const std::string& head, const std::string& criu_log,
                        const std::string& excerpt) {
  if (excerpt.empty()) return head;
  return head + "\n--- CRIU " + criu_log + " ---\n" + excerpt;
}

}  // namespace

CliRuntimeConfig CliRuntimeConfigFor(const Toolchain& toolchain, const ToolchainRuntime& runtime,
                                     std::string root) {
  return CliRuntimeConfig{
      .name = runtime.name,
      .binary = runtime.path,
      .root = std::move(root),
      .criu_path = toolchain.criu_path,
      .criu_flag = runtime.criu_flag,
  };
}

Result<std::shared_ptr<CliRuntime>> CliRuntime::Make(CliRuntimeConfig config) {
  if (config.binary.empty() || access(config.binary.c_str(), X_OK) != 0) {
    return NotFound("runtime binary \"" + config.binary + "\" is not executable");
  }
  if (config.root.empty() || config.root[0] != '/') {
    return InvalidArgument("runtime state root \"" + config.root + "\" must be an absolute path");
  }
  if (!config.criu_path.empty() && access(config.criu_path.c_str(), X_OK) != 0) {
    return NotFound("criu binary \"" + config.criu_path + "\" is not executable");
  }
  CRH_RETURN_IF_ERROR(MakeDirs(config.root, "runtime state root"));
  chmod(config.root.c_str(), 0700);
  if (config.name.empty()) config.name = fs::path(config.binary).filename().string();
  return std::shared_ptr<CliRuntime>(new CliRuntime(std::move(config)));
}

std::vector<std::string> CliRuntime::Argv(const std::vector<std::string>& command) const {
  std::vector<std::string> argv = {config_.binary, "--root", config_.root};
  if (config_.criu_flag && !config_.criu_path.empty()) {
    argv.push_back("--criu");
    argv.push_back(config_.criu_path);
  }
  argv.insert(argv.end(), config_.global_flags.begin(), config_.global_flags.end());
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::map<std::string, std::string> CliRuntime::EnvAdd() const {
  std::map<std::string, std::string> env = config_.env;
  if (!config_.criu_flag && !config_.criu_path.empty() && !env.count("PATH")) {
    const char* path = std::getenv("PATH");
    std::string rest = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    // CRIU itself may run iptables/nft/ip from sbin; test runners often drop those from PATH.
    env["PATH"] = fs::path(config_.criu_path).parent_path().string() + ":" + rest +
                  ":/usr/local/sbin:/usr/sbin:/sbin";
  }
  return env;
}

bool CliRuntime::StateDirExists(const std::string& id) const {
  struct stat st;
  return stat((fs::path(config_.root) / id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status CliRuntime::Simple(const std::string& op, const std::string& id,
                          const std::vector<std::string>& command) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  CRH_ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = Argv(command),
                                                    .env_add = EnvAdd(),
                                                    .timeout_ms = config_.timeout_ms}));
  if (r.ok()) return Status::Ok();
  return ClassifyFailure(op, id, r.Describe(config_.name + " " + op + " " + id),
                         r.err + r.out, r.timed_out);
}

Status CliRuntime::ClassifyFailure(const std::string& op, const std::string& id,
                                   const std::string& msg, const std::string& output,
                                   bool timed_out) {
  if (timed_out) return Unavailable(msg);
  if (!StateDirExists(id)) return NotFound(msg);
  // The container's status decides whether this was a refusal; the wording differs by runtime.
  auto st = State(id);
  if (st.ok() && StatusRefuses(op, st->status)) {
    return FailedPrecondition(msg + " (container is " + std::string(RuntimeStatusName(st->status)) +
                              ")");
  }
  if (st.status().code() == Code::kNotFound) return NotFound(msg);
  std::string lower = Lower(output);
  if (IsStateRefusal(lower)) return FailedPrecondition(msg);
  if (IsNotFoundText(lower)) return NotFound(msg);
  return Unavailable(msg);
}

void CliRuntime::ForceCleanup(const std::string& id, const std::string& bundle,
                              const std::string& work_path) {
  if (StateDirExists(id)) {
    Delete(id, /*force=*/true).IgnoreError();  // best effort: the caller reports the real error
  }
  const std::string state_dir = (fs::path(config_.root) / id).string();
  if (StateDirExists(id)) {
    // The runtime was killed half-way (a timeout): undo what it mounted and forget the container.
    for (const auto& m : MountsUnder(state_dir)) umount2(m.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(state_dir, ec);
  }
  // crun bind-mounts the rootfs at <bundle>/criu-root for CRIU (runc does it in its state dir).
  if (!bundle.empty()) {
    for (const auto& m : MountsUnder((fs::path(bundle) / "criu-root").string())) {
      umount2(m.c_str(), MNT_DETACH);
    }
  }
  // A restored task CRIU left spinning, and the cgroups a failed crun restore leaves behind.
  RemoveCgroups(CgroupRelPath(bundle, id));
  // CRIU's cgroup yard, if CRIU was killed before it cleaned up.
  for (const auto& m : MountsUnder(work_path)) umount2(m.c_str(), MNT_DETACH);
}

Result<CommandResult> CliRuntime::RunInGroup(const std::vector<std::string>& command) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/crh-runtime-out-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int out_fd = mkostemp(buf.data(), O_CLOEXEC);
  if (out_fd < 0) return Unavailable("mkstemp " + pattern + ": " + strerror(errno));
  unlink(buf.data());
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(out_fd);
    return Unavailable(std::string("open /dev/null: ") + strerror(errno));
  }
  bool timed_out = false;
  auto rc = SpawnAndWait(Argv(command), EnvAdd(), {null_fd, out_fd, out_fd}, config_.timeout_ms,
                         &timed_out);
  close(null_fd);
  CommandResult r;
  std::string text;
  char chunk[65536];
  ssize_t n;
  off_t off = 0;
  while ((n = pread(out_fd, chunk, sizeof chunk, off)) > 0) {
    text.append(chunk, static_cast<size_t>(n));
    off += n;
  }
  close(out_fd);
  if (!rc.ok()) return rc.status();
  r.exit_code = *rc;
  r.timed_out = timed_out;
  r.err = std::move(text);
  return r;
}

Result<std::string> CliRuntime::RunWithStdio(std::vector<std::string> command,
                                             const std::string& bundle,
                                             const std::string& stdio_log, bool* ok) {
  // The runtime's own messages: with create/restore its stderr is the container's.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/crh-runtime-log-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int lfd = mkstemp(buf.data());
  if (lfd < 0) return Unavailable("mkstemp " + pattern + ": " + strerror(errno));
  close(lfd);
  const std::string log_file = buf.data();

  auto stdio = StdioLog::Start(stdio_log, BundleWantsTerminal(bundle));
  if (!stdio.ok()) {
    unlink(log_file.c_str());
    return stdio.status();
  }
  if (!(*stdio)->console_socket().empty()) {
    command.insert(command.begin() + 1, {"--console-socket", (*stdio)->console_socket()});
  }
  std::vector<std::string> full = {"--log", log_file, "--log-format", "json"};
  full.insert(full.end(), command.begin(), command.end());
  bool timed_out = false;
  auto rc = SpawnAndWait(Argv(full), EnvAdd(), (*stdio)->container_fds(), config_.timeout_ms,
                         &timed_out);
  (*stdio)->CloseContainerEnds();
  std::string messages = RuntimeLogMessages(log_file);
  unlink(log_file.c_str());
  if (!rc.ok()) return rc.status();
  *ok = *rc == 0 && !timed_out;
  std::string head = ShellJoin(Argv(command));
  if (timed_out) return head + " timed out after " + std::to_string(config_.timeout_ms) + " ms";
  if (*rc != 0) head += " exited " + std::to_string(*rc);
  return messages.empty() ? head : head + ": " + messages;
}

Status CliRuntime::Create(const std::string& id, const CreateOptions& opts) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  if (opts.bundle.empty()) return InvalidArgument("create " + id + ": no bundle");
  if (StateDirExists(id)) {
    return AlreadyExists(config_.name + ": container " + id + " already exists");
  }
  std::vector<std::string> cmd = {"create", "--bundle", opts.bundle};
  if (!opts.pid_file.empty()) {
    cmd.push_back("--pid-file");
    cmd.push_back(opts.pid_file);
  }
  cmd.push_back(id);
  bool ok = false;
  CRH_ASSIGN_OR_RETURN(std::string msg, RunWithStdio(cmd, opts.bundle, opts.stdio_log, &ok));
  if (ok) return Status::Ok();
  if (IsExistsText(Lower(msg))) return AlreadyExists(msg);
  ForceCleanup(id, opts.bundle, "");  // a half-created container is not left behind
  return Unavailable(msg);
}

Status CliRuntime::Start(const std::string& id) { return Simple("start", id, {"start", id}); }

Result<RuntimeState> CliRuntime::State(const std::string& id) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  CRH_ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = Argv({"state", id}),
                                                    .env_add = EnvAdd(),
                                                    .timeout_ms = config_.timeout_ms}));
  if (!r.ok()) {
    std::string msg = r.Describe(config_.name + " state " + id);
    if (!r.timed_out && (!StateDirExists(id) || IsNotFoundText(Lower(r.err)))) {
      return NotFound(msg);
    }
    return Unavailable(msg);
  }
  json j = json::parse(r.out, nullptr, false);
  if (!j.is_object()) {
    return Unavailable(config_.name + " state " + id + " printed no JSON object: " + r.out);
  }
  RuntimeState s;
  s.id = j.value("id", id);
  s.pid = j.value("pid", 0);
  s.bundle = j.value("bundle", "");
  std::string status = j.value("status", "");
  if (status == "creating") {
    s.status = RuntimeStatus::kCreating;
  } else if (status == "created") {
    s.status = RuntimeStatus::kCreated;
  } else if (status == "running") {
    s.status = RuntimeStatus::kRunning;
  } else if (status == "paused") {
    s.status = RuntimeStatus::kPaused;
  } else if (status == "stopped") {
    s.status = RuntimeStatus::kStopped;
  } else {
    return Unavailable(config_.name + " state " + id + ": unknown status \"" + status + "\"");
  }
  return s;
}

Status CliRuntime::Kill(const std::string& id, int signal) {
  return Simple("kill", id, {"kill", id, std::to_string(signal)});
}

Status CliRuntime::Delete(const std::string& id, bool force) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  // runc and crun differ on `delete --force` of an unknown ID; the state directory decides.
  if (!StateDirExists(id)) return NotFound(config_.name + ": container " + id + " does not exist");
  std::vector<std::string> cmd = {"delete"};
  if (force) cmd.push_back("--force");
  cmd.push_back(id);
  return Simple("delete", id, cmd);
}

Status CliRuntime::Pause(const std::string& id) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  // crun 1.28 "pauses" a paused container again without complaint, runc refuses: refuse uniformly.
  auto st = State(id);
  if (st.ok() && st->status != RuntimeStatus::kRunning) {
    return FailedPrecondition(config_.name + " pause " + id + ": container is " +
                              std::string(RuntimeStatusName(st->status)) + ", not running");
  }
  return Simple("pause", id, {"pause", id});
}

Status CliRuntime::Resume(const std::string& id) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  // crun 1.28 resumes a running container without complaint, runc refuses: refuse uniformly.
  auto st = State(id);
  if (st.ok() && st->status != RuntimeStatus::kPaused) {
    return FailedPrecondition(config_.name + " resume " + id + ": container is " +
                              std::string(RuntimeStatusName(st->status)) + ", not paused");
  }
  return Simple("resume", id, {"resume", id});
}

Status CliRuntime::Exec(const std::string& id, const ExecOptions& opts) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  if (opts.args.empty()) return InvalidArgument("exec " + id + ": no command");
  if (!StateDirExists(id)) return NotFound(config_.name + ": container " + id + " does not exist");
  // Both runtimes exec into a paused or stopped container's namespaces differently (crun 1.28
  // starts the process and leaves it frozen); refuse uniformly, as Pause does.
  auto st = State(id);
  if (st.ok() && st->status != RuntimeStatus::kRunning) {
    return FailedPrecondition(config_.name + " exec " + id + ": container is " +
                              std::string(RuntimeStatusName(st->status)) + ", not running");
  }
  std::vector<std::string> cmd = {"exec"};
  if (opts.detach) cmd.push_back("--detach");
  if (!opts.pid_file.empty()) cmd.insert(cmd.end(), {"--pid-file", opts.pid_file});
  cmd.push_back(id);
  cmd.insert(cmd.end(), opts.args.begin(), opts.args.end());
  bool ok = false;
  CRH_ASSIGN_OR_RETURN(std::string msg, RunWithStdio(cmd, "", opts.stdio_log, &ok));
  if (ok) return Status::Ok();
  return ClassifyFailure("exec", id, msg, msg, /*timed_out=*/false);
}

Status CliRuntime::Checkpoint(const std::string& id, const CheckpointOptions& opts) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  if (opts.image_path.empty()) return InvalidArgument("checkpoint " + id + ": no image path");
  if (!opts.parent_path.empty() && opts.parent_path[0] == '/') {
    return InvalidArgument("checkpoint " + id + ": parent path must be relative to the image path");
  }
  if (!StateDirExists(id)) return NotFound(config_.name + ": container " + id + " does not exist");
  // CRIU would dump init's tree only and merely warn about the rest; say so before dumping.
  // A scan that fails (init gone) leaves the verdict to the runtime.
  if (auto st = State(id); st.ok() && st->pid > 0) {
    auto strays = ProcessesOutsideInitTree(st->pid);
    if (strays.ok() && !strays->empty()) {
      return FailedPrecondition(config_.name + ": " + DescribeStrays(id, *strays));
    }
  }
  CRH_RETURN_IF_ERROR(MakeDirs(opts.image_path, "image directory"));
  CRH_RETURN_IF_ERROR(MakeDirs(opts.work_path, "work directory"));
  std::vector<std::string> cmd = {"checkpoint", "--image-path", opts.image_path};
  if (!opts.work_path.empty()) cmd.insert(cmd.end(), {"--work-path", opts.work_path});
  if (!opts.parent_path.empty()) cmd.insert(cmd.end(), {"--parent-path", opts.parent_path});
  if (opts.leave_running) cmd.push_back("--leave-running");
  if (opts.tcp_established) cmd.push_back("--tcp-established");
  if (opts.file_locks) cmd.push_back("--file-locks");
  if (opts.ext_unix_sk) cmd.push_back("--ext-unix-sk");
  if (opts.shell_job) cmd.push_back("--shell-job");
  if (opts.pre_dump) cmd.push_back("--pre-dump");
  if (!opts.manage_cgroups_mode.empty()) {
    cmd.insert(cmd.end(), {"--manage-cgroups-mode", opts.manage_cgroups_mode});
  }
  cmd.push_back(id);
  CRH_ASSIGN_OR_RETURN(CommandResult r, RunInGroup(cmd));
  if (r.ok()) return Status::Ok();
  std::string msg = r.Describe(config_.name + " checkpoint " + id);
  Status s = ClassifyFailure("checkpoint", id, msg, r.err, r.timed_out);
  if (s.code() != Code::kUnavailable) return s;
  const std::string dir = opts.work_path.empty() ? opts.image_path : opts.work_path;
  for (const char* name : {"dump.log", "pre-dump.log"}) {
    std::string path = (fs::path(dir) / name).string();
    std::string excerpt = CriuLogExcerpt(path);
    if (!excerpt.empty()) return Unavailable(JoinMessage(msg, path, excerpt));
  }
  return Unavailable(msg);
}

Status CliRuntime::Restore(const std::string& id, const RestoreOptions& opts) {
  CRH_RETURN_IF_ERROR(ValidateId(id));
  if (opts.bundle.empty() || opts.image_path.empty()) {
    return InvalidArgument("restore " + id + ": bundle and image path are required");
  }
  std::error_code ec;
  if (!fs::is_directory(opts.image_path, ec)) {
    return NotFound("restore " + id + ": image directory " + opts.image_path + " does not exist");
  }
  if (!fs::exists(fs::path(opts.image_path) / "inventory.img", ec)) {
    return DataLoss("restore " + id + ": image directory " + opts.image_path +
                    " has no inventory.img (an incomplete or foreign checkpoint)");
  }
  if (StateDirExists(id)) {
    return AlreadyExists(config_.name + ": container " + id + " already exists");
  }
  const std::string work = opts.work_path.empty() ? opts.image_path : opts.work_path;
  CRH_RETURN_IF_ERROR(MakeDirs(work, "work directory"));
  std::vector<std::string> cmd = {"restore"};
  if (opts.detach) cmd.push_back("--detach");
  cmd.insert(cmd.end(), {"--bundle", opts.bundle, "--image-path", opts.image_path, "--work-path",
                         work});
  if (!opts.pid_file.empty()) cmd.insert(cmd.end(), {"--pid-file", opts.pid_file});
  if (opts.tcp_established) cmd.push_back("--tcp-established");
  if (opts.file_locks) cmd.push_back("--file-locks");
  if (opts.ext_unix_sk) cmd.push_back("--ext-unix-sk");
  if (opts.shell_job) cmd.push_back("--shell-job");
  if (!opts.manage_cgroups_mode.empty()) {
    cmd.insert(cmd.end(), {"--manage-cgroups-mode", opts.manage_cgroups_mode});
  }
  cmd.push_back(id);
  // crun >= 1.24 < the fix of its PR #2239 keys masked directories by its *default* state root on
  // checkpoint but by --root on restore, so CRIU finds no mapping. The image says which key it
  // holds: only when it names another root's shared empty directory does crh map it for CRIU.
  CRH_ASSIGN_OR_RETURN(std::string criu_conf, EmptyDirectoryMappingConfig(opts.image_path, work));
  if (!criu_conf.empty()) config_.env["CRIU_CONFIG_FILE"] = criu_conf;
  bool ok = false;
  auto ran = RunWithStdio(cmd, opts.bundle, opts.stdio_log, &ok);
  if (!criu_conf.empty()) {
    config_.env.erase("CRIU_CONFIG_FILE");
    ::unlink(criu_conf.c_str());  // the work dir holds only what the engine documents
  }
  CRH_ASSIGN_OR_RETURN(std::string msg, std::move(ran));
  if (ok) return Status::Ok();
  // The promise of the seam: a failed restore leaves no half-created container.
  ForceCleanup(id, opts.bundle, work);
  if (IsExistsText(Lower(msg))) return AlreadyExists(msg);
  std::string path = (fs::path(work) / "restore.log").string();
  return Unavailable(JoinMessage(msg, path, CriuLogExcerpt(path)));
}

Result<std::vector<std::string>> ForeignEmptyDirectoryKeys(const std::string& image_path,
                                                           const std::string& own_root) {
  static constexpr std::string_view kSuffix = "/.empty-directory";
  const std::string own = (fs::path(own_root) / ".empty-directory").lexically_normal().string();
  auto mounts = ReadMountpoints(image_path);
  if (!mounts.ok()) {
    if (mounts.status().code() == Code::kNotFound) return std::vector<std::string>{};
    return mounts.status();
  }
  std::set<std::string> keys;
  for (const auto& m : *mounts) {
    const std::string& key = m.ext_key();
    if (key.size() <= kSuffix.size() ||
        key.compare(key.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    if (fs::path(key).lexically_normal().string() != own) keys.insert(key);
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

Result<std::string> CliRuntime::EmptyDirectoryMappingConfig(const std::string& image_path,
                                                            const std::string& work_path) {
  auto found = ForeignEmptyDirectoryKeys(image_path, config_.root);
  if (!found.ok()) {
    // Not ours to judge: CRIU reads the same image and reports what is wrong with it.
    spdlog::info("{}: not mapping masked directories: {}", config_.name, found.status().ToString());
    return std::string();
  }
  const std::vector<std::string>& keys = *found;
  if (keys.empty()) return std::string();
  const std::string own = (fs::path(config_.root) / ".empty-directory").string();
  std::string text =
      "# Written by crh: this image keys masked directories by another state root (crun PR "
      "#2239).\n";
  for (const auto& k : keys) {
    spdlog::info("{}: the image keys masked directories by {}, not {}: mapping it for CRIU "
                 "(crun PR #2239)", config_.name, k, own);
    text += "external mnt[" + k + "]:" + own + "\n";
  }
  const std::string path = (fs::path(work_path) / "crh-criu-restore.conf").string();
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Unavailable("cannot write the CRIU configuration " + path);
  return path;
}

std::string CliRuntime::CriuLogExcerpt(const std::string& log_path, size_t max_lines) {
  std::ifstream in(log_path);
  if (!in) return "";
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (lines.empty()) return "";
  std::vector<bool> keep(lines.size(), false);
  bool any = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("Error") == std::string::npos) continue;
    any = true;
    for (size_t j = i >= 2 ? i - 2 : 0; j < std::min(lines.size(), i + 3); ++j) keep[j] = true;
  }
  if (!any) {
    for (size_t j = lines.size() > 10 ? lines.size() - 10 : 0; j < lines.size(); ++j) keep[j] = true;
  }
  std::deque<std::string> out;
  size_t last = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!keep[i]) continue;
    if (last != lines.size() && i != last + 1) out.push_back("...");
    out.push_back(lines[i]);
    last = i;
  }
  // Keep the first error lines and the last ones: the cause is usually early, the summary late.
  while (out.size() > max_lines) out.erase(out.begin() + static_cast<long>(max_lines / 2));
  std::string s;
  for (const auto& l : out) s += l + "\n";
  return Trim(s);
}

}  // namespace crh
