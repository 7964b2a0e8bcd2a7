#include "src/conformance/runner.h"

#include "src/base/host.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <thread>

#include "src/base/subprocess.h"
#include "src/oci/cli_runtime.h"
#include "src/oci/stdio_log.h"
#include "src/oci/toolchain.h"

extern char** environ;

namespace crh::conformance {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}

// RunInProcessGroup, timed and described for the check's transcript.
RunResult Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::array<int, 3>& fds, const std::string& cwd, int timeout_ms) {
  RunResult r;
  r.command = ShellJoin(argv);
  auto t0 = Clock::now();
  auto run = RunInProcessGroup(argv, env, fds, cwd, timeout_ms);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!run.ok()) {
    r.output = run.status().message();
    return r;
  }
  r.exit_code = run->exit_code;
  r.timed_out = run->timed_out;
  return r;
}

std::map<std::string, std::string> BaseEnv(const RuntimeUnderTest& rt,
                                           const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = CurrentEnvironment();
  // runc >= 1.2 and crun's libcriu exec `criu` from PATH; CRIU itself runs ip/iptables from sbin.
  std::string path = env.count("PATH") ? env["PATH"] : "/usr/local/bin:/usr/bin:/bin";
  if (!rt.criu_path.empty()) path = fs::path(rt.criu_path).parent_path().string() + ":" + path;
  env["PATH"] = path + ":/usr/local/sbin:/usr/sbin:/sbin";
  for (const auto& [k, v] : rt.env) env[k] = v;
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}




std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// "runc version 1.1.5+ds1" -> {"runc", "1.1.5"}.
std::pair<std::string, std::string> ParseVersion(const std::string& out) {
  std::istringstream in(FirstLine(out));
  std::string kind, word, ver;
  in >> kind >> word >> ver;
  if (word != "version") return {kind, ""};
  size_t end = ver.find_first_not_of("0123456789.");
  return {kind, ver.substr(0, end)};
}

bool VersionBelow(const std::string& v, int major, int minor) {
  int a = 0, b = 0;
  if (sscanf(v.c_str(), "%d.%d", &a, &b) < 1) return false;
  return a < major || (a == major && b < minor);
}

std::map<std::string, bool>& GateCache() {
  static std::map<std::string, bool> cache;
  return cache;
}

}  // namespace

std::string RunResult::Describe() const {
  std::ostringstream o;
  o << "`" << command << "` ";
  if (timed_out) {
    o << "timed out";
  } else {
    o << "exited " << exit_code;
  }
  o << " after " << std::fixed << std::setprecision(2) << seconds << " s";
  std::string out = output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (!out.empty()) o << ": " << Tail(out, 1500);
  return o.str();
}

Result<RuntimeUnderTest> ResolveRuntime(const std::string& name_or_path, const std::string& criu,
                                        const std::string& display_name) {
  RuntimeUnderTest rt;
  auto tc = LoadToolchain();
  if (tc.ok()) {
    rt.criu_path = tc->criu_path;
    rt.criu_version = tc->criu_version;
    auto found = tc->FindRuntime(name_or_path);
    if (found.ok()) {
      rt.name = found->name;
      rt.binary = found->path;
      rt.version = found->version;
      rt.criu_flag = found->criu_flag;
      rt.kind = found->name.substr(0, found->name.find('-'));
    }
  }
  if (rt.binary.empty()) {
    if (name_or_path.find('/') == std::string::npos) {
      return NotFound("runtime \"" + name_or_path + "\" is neither in the toolchain manifest (" +
                      (tc.ok() ? "" : tc.status().message() + "; ") + "run `sudo ci/setup.sh`) " +
                      "nor a path");
    }
    std::error_code ec;
    fs::path abs = fs::absolute(name_or_path, ec);
    if (access(abs.c_str(), X_OK) != 0) {
      return NotFound("runtime binary " + abs.string() + " is not executable");
    }
    rt.binary = abs.string();
    auto v = RunCommand({.argv = {rt.binary, "--version"}, .timeout_ms = 10'000});
    if (!v.ok() || !v->ok()) {
      return Unavailable(rt.binary + " --version failed" +
                         (v.ok() ? ": " + v->Describe(rt.binary) : ""));
    }
    auto [kind, version] = ParseVersion(v->out);
    rt.kind = kind;
    rt.version = version;
    rt.name = abs.filename().string();
    // runc before 1.2 ignores PATH and needs --criu.
    rt.criu_flag = kind == "runc" && VersionBelow(version, 1, 2);
  }
  if (!display_name.empty()) rt.name = display_name;
  if (!criu.empty()) {
    std::error_code ec;
    rt.criu_path = fs::absolute(criu, ec).string();
    auto v = RunCommand({.argv = {rt.criu_path, "--version"}, .timeout_ms = 10'000});
    rt.criu_version = "";
    if (v.ok() && v->ok()) {
      auto pos = v->out.find("Version: ");
      if (pos != std::string::npos) rt.criu_version = FirstLine(v->out.substr(pos + 9));
    }
  }
  if (rt.criu_path.empty()) return NotFound("no CRIU: pass --criu PATH or run `sudo ci/setup.sh`");
  return rt;
}

CheckContext::CheckContext(const RuntimeUnderTest& rt, std::string dir, std::string state_root)
    : rt_(rt), dir_(std::move(dir)), root_(std::move(state_root)) {}

CheckContext::~CheckContext() {
  for (const auto& id : ids_) ForceRemove(id);
  for (const auto& ns : netns_) {
    RunCommand({.argv = {"ip", "netns", "delete", ns}, .timeout_ms = 10'000}).status().IgnoreError();
  }
  for (const auto& m : MountsUnder(dir_)) umount2(m.c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string CheckContext::NewId() {
  ids_.push_back("crhc-" + std::to_string(getpid()) + "-" + fs::path(dir_).filename().string() +
                 "-" + std::to_string(next_id_++));
  return ids_.back();
}

Result<std::string> CheckContext::MakeBundle(const std::vector<std::string>& cmd,
                                             BundleOptions opts, const std::string& name) {
  std::string b = dir_ + "/" + name;
  CRH_RETURN_IF_ERROR(MakeBusyboxBundle(b, cmd, opts));
  return b;
}

Status CheckContext::EditConfig(const std::string& bundle,
                                const std::function<void(nlohmann::json&)>& edit) {
  std::string path = bundle + "/config.json";
  json j = json::parse(ReadFile(path), nullptr, false);
  if (!j.is_object()) return InvalidArgument(path + " is not a JSON object");
  edit(j);
  std::ofstream(path) << j.dump(2);
  return Status::Ok();
}

RunResult CheckContext::Run(const std::vector<std::string>& args, int timeout_ms,
                            const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {rt_.binary};
  if (!default_root_) argv.insert(argv.end(), {"--root", root_});
  if (rt_.criu_flag) {
    argv.push_back("--criu");
    argv.push_back(rt_.criu_path);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  char tmpl[] = "/tmp/crhc-out-XXXXXX";
  int out = mkostemp(tmpl, O_CLOEXEC);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  RunResult r;
  if (out < 0 || null_fd < 0) {
    r.command = ShellJoin(argv);
    r.output = "cannot open a temp file";
  } else {
    unlink(tmpl);
    r = Spawn(argv, BaseEnv(rt_, env), {null_fd, out, out}, dir_, timeout_ms);
    char buf[65536];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(out, buf, sizeof buf, off)) > 0) {
      r.output.append(buf, static_cast<size_t>(n));
      off += n;
    }
  }
  if (out >= 0) close(out);
  if (null_fd >= 0) close(null_fd);
  transcript_ += "$ " + r.Describe() + "\n";
  return r;
}

RunResult CheckContext::RunWithStdio(const std::vector<std::string>& args,
                                     const std::string& stdio_log, int timeout_ms,
                                     const std::map<std::string, std::string>& env) {
  static int n = 0;
  const std::string log = dir_ + "/runtime-log-" + std::to_string(n++) + ".json";
  std::vector<std::string> argv = {rt_.binary};
  if (!default_root_) argv.insert(argv.end(), {"--root", root_});
  if (rt_.criu_flag) {
    argv.push_back("--criu");
    argv.push_back(rt_.criu_path);
  }
  argv.insert(argv.end(), {"--log", log, "--log-format", "json"});
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string stdio = stdio_log.empty() ? dir_ + "/stdio.log" : stdio_log;
  RunResult r;
  std::string bundle;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--bundle" || args[i] == "-b") bundle = args[i + 1];
  }
  auto pipes = StdioLog::Start(stdio, BundleWantsTerminal(bundle));
  if (pipes.ok() && !(*pipes)->console_socket().empty() && !args.empty()) {
    // After the command word, as runc and crun take their command flags.
    const auto at = argv.end() - static_cast<std::ptrdiff_t>(args.size()) + 1;
    argv.insert(at, {"--console-socket", (*pipes)->console_socket()});
  }
  if (!pipes.ok()) {
    r.command = ShellJoin(argv);
    r.output = pipes.status().ToString();
  } else {
    r = Spawn(argv, BaseEnv(rt_, env), (*pipes)->container_fds(), dir_, timeout_ms);
    (*pipes)->CloseContainerEnds();
    // The runtime's messages: its --log, plus what it printed to the container's stderr.
    r.output = ReadFile(log);
    if (!r.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the copier flush
      r.output += Tail(ReadFile(stdio), 1500);
    }
  }
  transcript_ += "$ " + r.Describe() + "\n";
  return r;
}

Status CheckContext::StartCounter(const std::string& id, const std::string& bundle,
                                  const std::string& stdio_log) {
  RunResult c = RunWithStdio({"create", "--bundle", bundle, id}, stdio_log);
  if (!c.ok()) return Unavailable("create failed: " + c.Describe());
  RunResult s = Run({"start", id});
  if (!s.ok()) return Unavailable("start failed: " + s.Describe());
  return WaitForCounter(bundle, 3);
}

RunResult CheckContext::Checkpoint(const std::string& id, const std::string& image,
                                   const std::vector<std::string>& flags,
                                   const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = {"checkpoint"};
  args.insert(args.end(), flags.begin(), flags.end());
  if (!image.empty()) args.insert(args.end(), {"--image-path", image});
  args.push_back(id);
  return Run(args, 30'000, env);
}

RunResult CheckContext::Restore(const std::string& id, const std::string& bundle,
                                const std::string& image, const std::vector<std::string>& flags,
                                const std::string& stdio_log,
                                const std::map<std::string, std::string>& env, int timeout_ms) {
  std::vector<std::string> args = {"restore", "--detach", "--bundle", bundle, "--image-path", image};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(id);
  if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) ids_.push_back(id);
  return RunWithStdio(args, stdio_log, timeout_ms, RestoreEnv(image, env));
}

std::map<std::string, std::string> CheckContext::RestoreEnv(
    const std::string& image, const std::map<std::string, std::string>& env) {
  // The checks use runc spec's bundle, whose masked directories crun 1.24+ keys by its default
  // root on checkpoint (crun PR #2239). Mapping them, as crh's engine does, lets every other check
  // judge what it is about; paths.masked-directories* judge the bug itself, unmapped.
  std::map<std::string, std::string> env_all = env;
  if (!map_empty_directories_ || default_root_ || env.count("CRIU_CONFIG_FILE")) return env_all;
  std::string text;
  auto keys = ForeignEmptyDirectoryKeys(image, root_);
  if (!keys.ok()) {
    Note("# not mapping masked directories: " + keys.status().ToString());
    return env_all;
  }
  for (const auto& k : *keys) {
    text += "external mnt[" + k + "]:" + root_ + "/.empty-directory\n";
  }
  if (text.empty()) return env_all;
  static int n = 0;
  const std::string conf = dir_ + "/crh-criu-map-" + std::to_string(n++) + ".conf";
  std::ofstream(conf) << text;
  env_all["CRIU_CONFIG_FILE"] = conf;
  Note("# crh maps the image's foreign empty-directory keys for CRIU (crun PR #2239): " + text);
  return env_all;

}

std::string CheckContext::StatusOf(const std::string& id) {
  RunResult r = Run({"state", id}, 10'000);
  if (!r.ok()) return "";
  json j = json::parse(r.output, nullptr, false);
  return j.is_object() ? j.value("status", "") : "";
}

int CheckContext::PidOf(const std::string& id) {
  RunResult r = Run({"state", id}, 10'000);
  if (!r.ok()) return 0;
  json j = json::parse(r.output, nullptr, false);
  return j.is_object() ? j.value("pid", 0) : 0;
}

long CheckContext::Counter(const std::string& bundle) {
  std::string s = ReadFile(bundle + "/rootfs/tmp/c");
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, 10);
  return end == s.c_str() ? -1 : v;
}

bool CheckContext::WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (MonotonicMs() < deadline) {
    if (pred()) return true;
    usleep(20'000);
  }
  return pred();
}

Status CheckContext::WaitForStatus(const std::string& id, const std::string& status,
                                   int timeout_ms) {
  std::string last;
  if (WaitFor([&] { return (last = StatusOf(id)) == status; }, timeout_ms)) return Status::Ok();
  return DeadlineExceeded("container " + id + " did not become " + status + " within " +
                          std::to_string(timeout_ms) + " ms; last state: " +
                          (last.empty() ? "`state` failed" : last));
}

Status CheckContext::WaitForCounter(const std::string& bundle, long at_least, int timeout_ms) {
  if (WaitFor([&] { return Counter(bundle) >= at_least; }, timeout_ms)) return Status::Ok();
  return DeadlineExceeded("counter did not reach " + std::to_string(at_least) + " within " +
                          std::to_string(timeout_ms) + " ms; last " +
                          std::to_string(Counter(bundle)));
}

std::string CheckContext::Leftovers(const std::string& id, const std::string& bundle) {
  std::string out;
  std::error_code ec;
  if (fs::exists(fs::path(root_) / id, ec)) out += "state dir " + root_ + "/" + id + "; ";
  if (!StatusOf(id).empty()) out += "`state " + id + "` still succeeds; ";
  for (const auto& d : CgroupDirs("/" + id)) out += "cgroup " + d + "; ";
  for (const auto& m : MountsUnder(dir_)) out += "mount " + m + "; ";
  if (!bundle.empty() && fs::exists(bundle + "/criu-root", ec)) {
    out += "directory " + bundle + "/criu-root; ";
  }
  return out;
}

void CheckContext::ForceRemove(const std::string& id) {
  std::error_code ec;
  // Under the runtime's default root (UseDefaultRoot) the state dir is the runtime's business.
  if (default_root_ || fs::exists(fs::path(root_) / id, ec)) {
    // Thaw first: runc and crun cannot kill a frozen container reliably.
    Run({"resume", id}, 10'000);
    Run({"delete", "--force", id}, 15'000);
  }
  RemoveCgroups("/" + id);
  if (fs::exists(fs::path(root_) / id, ec)) {
    for (const auto& m : MountsUnder((fs::path(root_) / id).string())) {
      umount2(m.c_str(), MNT_DETACH);
    }
    fs::remove_all(fs::path(root_) / id, ec);
  }
}

void CheckContext::UnmountUnder(const std::string& dir) {
  for (const auto& m : MountsUnder(dir)) umount2(m.c_str(), MNT_DETACH);
}

Result<std::string> CheckContext::NewNetns() {
  static int n = 0;
  std::string name = "crhc-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  CRH_ASSIGN_OR_RETURN(auto r, RunCommand({.argv = {"ip", "netns", "add", name},
                                           .timeout_ms = 10'000}));
  if (!r.ok()) return Unavailable(r.Describe("ip netns add " + name));
  netns_.push_back(name);
  CRH_ASSIGN_OR_RETURN(auto up, RunCommand({.argv = {"ip", "-n", name, "link", "set", "lo", "up"},
                                            .timeout_ms = 10'000}));
  if (!up.ok()) return Unavailable(up.Describe("ip link set lo up"));
  return "/run/netns/" + name;
}

bool CheckContext::HelpHas(const std::string& command, const std::string& flag) {
  std::string key = "help:" + rt_.binary + ":" + command;
  auto& cache = GateCache();
  std::string text_key = key + ":" + flag;
  if (auto it = cache.find(text_key); it != cache.end()) return it->second;
  RunResult r = Run({command, "--help"}, 10'000);
  // "--pre-dump" must appear as a whole flag, not as the prefix of a longer one.
  bool has = false;
  for (size_t pos = 0; (pos = r.output.find(flag, pos)) != std::string::npos; pos += flag.size()) {
    char next = pos + flag.size() < r.output.size() ? r.output[pos + flag.size()] : ' ';
    if (!isalnum(static_cast<unsigned char>(next)) && next != '-') has = true;
  }
  cache[text_key] = has;
  return has;
}

bool CheckContext::CriuFeature(const std::string& feature) {
  std::string key = "criu:" + rt_.criu_path + ":" + feature;
  auto& cache = GateCache();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto r = RunCommand({.argv = {rt_.criu_path, "check", "--feature", feature},
                       .timeout_ms = 20'000});
  bool ok = r.ok() && r->ok();
  cache[key] = ok;
  return ok;
}

std::string CheckContext::FailureLog() const {
  std::string out = transcript_;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "rootfs") {
      it.disable_recursion_pending();
      continue;
    }
    if (name != "dump.log" && name != "restore.log") continue;
    std::string excerpt = CliRuntime::CriuLogExcerpt(it->path().string(), 25);
    if (!excerpt.empty()) out += "--- " + it->path().string() + " ---\n" + excerpt + "\n";
  }
  return Tail(out, 12'000);
}

SuiteReport RunSuite(const RuntimeUnderTest& rt, const std::vector<Check>& checks,
                     const SuiteOptions& opts) {
  SuiteReport report{.runtime_name = rt.name,
                     .runtime_path = rt.binary,
                     .runtime_version = rt.version,
                     .criu_path = rt.criu_path,
                     .criu_version = rt.criu_version};
  std::vector<const Check*> selected;
  for (const auto& c : checks) {
    bool take = opts.only.empty();
    for (const auto& o : opts.only) {
      if (c.id == o || (!o.empty() && (o.back() == '.' || o.back() == '-') &&
                        c.id.rfind(o, 0) == 0)) {
        take = true;
      }
    }
    if (take) selected.push_back(&c);
  }
  std::string tmpl_s = opts.work_dir + "/crhc-run-XXXXXX";
  std::vector<char> tmpl(tmpl_s.begin(), tmpl_s.end());
  tmpl.push_back('\0');
  std::string run_dir = mkdtemp(tmpl.data()) ? tmpl.data() : "";
  if (opts.tap) TapHeader(*opts.tap, rt.name + " " + rt.version + " at " + rt.binary,
                          selected.size());
  auto suite_t0 = Clock::now();
  size_t n = 0;
  for (const Check* c : selected) {
    ++n;
    CheckResult res{.id = c->id, .title = c->title, .expect = c->expect, .why = c->why};
    auto t0 = Clock::now();
    if (run_dir.empty()) {
      res.reason = "cannot create a work directory under " + opts.work_dir;
    } else {
      std::string dir = run_dir + "/c" + std::to_string(n);
      fs::create_directories(dir);
      CheckContext ctx(rt, dir, run_dir + "/state");
      std::string skip = c->gate ? c->gate(ctx) : "";
      if (!skip.empty()) {
        res.outcome = Outcome::kSkip;
        res.reason = skip;
      } else {
        Status s = c->body(ctx);
        if (s.ok()) {
          res.outcome = Outcome::kPass;
        } else {
          res.outcome = Outcome::kFail;
          res.reason = s.message();
          res.log = ctx.FailureLog();
        }
      }
    }  // the context's destructor cleans up before the next check starts
    res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (opts.tap) TapLine(*opts.tap, n, res);
    report.results.push_back(std::move(res));
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - suite_t0).count();
  if (!run_dir.empty()) {
    std::error_code ec;
    for (const auto& m : MountsUnder(run_dir)) umount2(m.c_str(), MNT_DETACH);
    fs::remove_all(run_dir, ec);
  }
  return report;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

}  // namespace crh::conformance
