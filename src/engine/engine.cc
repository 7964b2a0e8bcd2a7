#include "src/engine/engine.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <nlohmann/json.hpp>

#include "src/base/probe.h"
#include "src/oci/criu_images.h"

namespace crh {

namespace {

using json = nlohmann::json;

std::shared_ptr<spdlog::logger> Log() {
  static std::shared_ptr<spdlog::logger> log = [] {
    if (auto l = spdlog::get("engine")) return l;
    auto l = spdlog::default_logger()->clone("engine");
    spdlog::register_logger(l);
    return l;
  }();
  return log;
}

std::string Who(const Container& c) { return "container " + c.name + " (" + c.id.substr(0, 12) + ")"; }

// Files the seed's cleanup removes after a checkpoint unless --keep.
const std::vector<std::string> kCheckpointWorkFiles = {"dump.log", "stats-dump"};
// ... and after a restore.
const std::vector<std::string> kRestoreWorkFiles = {"restore.log", "dump.log", "stats-dump",
                                                    "stats-restore", "network.status"};

Status FirstError(Status a, const Status& b) { return a.ok() ? b : a; }

// "2026-12-08 00:21:07 UTC", for messages about when a checkpoint was taken.
std::string UtcTime(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

struct Engine::Locked {
  FileLockPtr lock;
  Container c;
};

Engine::Engine(EngineDeps deps) : deps_(std::move(deps)) {
  if (!deps_.clock) deps_.clock = std::make_shared<SystemClock>();
  if (!deps_.random) deps_.random = std::make_shared<SimRandom>(0);
}

std::string Engine::ContainerDir(const std::string& id) const {
  return JoinPath(JoinPath(deps_.root, "containers"), id);
}
std::string Engine::CheckpointDir(const std::string& id) const {
  return JoinPath(ContainerDir(id), "checkpoint");
}
std::string Engine::NetnsName(const std::string& id) const { return "crh-" + id.substr(0, 12); }

bool Engine::HasCompleteCheckpoint(const Container& c) {
  return deps_.fs->Exists(JoinPath(CheckpointDir(c.id), "inventory.img"));
}

void Engine::Warn(std::string message) {
  Log()->warn("{}", message);
  warnings_.push_back(std::move(message));
}

Status Engine::Crash(std::string_view step) {
  if (!deps_.crash_hook) return Status::Ok();
  return deps_.crash_hook(step);
}

Result<Container> Engine::Load(const std::string& id) {
  const std::string path = JoinPath(ContainerDir(id), "container.json");
  auto text = deps_.fs->Read(path);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return NotFound("no container with ID " + id);
    return text.status().WithContext("reading container record " + path);
  }
  // Same bytes, same record: skip the JSON parse when the file did not change since we last
  // read or wrote it (most operations read the record they wrote a moment ago).
  auto cached = record_cache_.find(id);
  if (cached != record_cache_.end() && cached->second.first == *text) return cached->second.second;
  CRH_ASSIGN_OR_RETURN(Container c, Container::FromJson(*text, path));
  record_cache_[id] = {std::move(text).value(), c};
  return c;
}

Status Engine::Save(const Container& c) {
  const std::string path = JoinPath(ContainerDir(c.id), "container.json");
  std::string text = c.ToJson();
  Status s = deps_.fs->WriteAtomic(path, text);
  if (s.ok()) {
    record_cache_[c.id] = {std::move(text), c};
  } else {
    record_cache_.erase(c.id);
  }
  return s.WithContext("saving the record of " + Who(c) + " to " + path);
}

std::string Engine::NamePath(const std::string& name) const {
  return JoinPath(JoinPath(deps_.root, "names"), name);
}

Result<std::string> Engine::ResolveId(const std::string& name_or_id) {
  if (name_or_id.empty()) return InvalidArgument("no container name or ID given");
  if (!ValidateIdentifier(name_or_id, "name").ok()) {
    return NotFound("no container named or with ID \"" + name_or_id + "\"");
  }
  // The name index first: one small read, whatever the number of containers.
  auto named = deps_.fs->Read(NamePath(name_or_id));
  if (named.ok()) {
    if (deps_.fs->Exists(ContainerDir(*named))) return *named;
  } else if (named.status().code() != Code::kNotFound) {
    return named.status().WithContext("looking up container " + name_or_id);
  }
  // An exact ID: one stat.
  if (deps_.fs->Exists(JoinPath(ContainerDir(name_or_id), "container.json"))) return name_or_id;
  // An ID prefix, scanning directory names only (no record is parsed).
  const std::string dir = JoinPath(deps_.root, "containers");
  std::vector<std::string> prefix_matches;
  if (deps_.fs->Exists(dir)) {
    CRH_ASSIGN_OR_RETURN(auto ids, deps_.fs->List(dir));
    for (const auto& id : ids) {
      if (id.rfind(name_or_id, 0) == 0) prefix_matches.push_back(id);
    }
  }
  if (prefix_matches.size() == 1) return prefix_matches[0];
  if (prefix_matches.size() > 1) {
    return InvalidArgument("\"" + name_or_id + "\" matches " +
                           std::to_string(prefix_matches.size()) +
                           " container IDs; give more of the ID or the name");
  }
  return NotFound("no container named or with ID \"" + name_or_id +
                  "\" (crh ps lists the containers)");
}

Result<Engine::Locked> Engine::LockAndLoad(const std::string& name_or_id) {
  warnings_.clear();
  CRH_ASSIGN_OR_RETURN(std::string id, ResolveId(name_or_id));
  CRH_RETURN_IF_ERROR(deps_.fs->MkdirAll(JoinPath(deps_.root, "locks")));
  auto lock = deps_.fs->Lock(JoinPath(JoinPath(deps_.root, "locks"), id + ".lock"));
  if (!lock.ok()) return lock.status().WithContext("locking container " + name_or_id);
  // Load under the lock: another process may have changed (or removed) it meanwhile.
  CRH_ASSIGN_OR_RETURN(Container c, Load(id));
  if (!c.runtime.empty() && c.runtime != deps_.runtime->Name()) {
    return FailedPrecondition(Who(c) + " belongs to runtime " + c.runtime + ", not " +
                              deps_.runtime->Name() + "; pass --runtime " + c.runtime +
                              " (checkpoints do not move between runtimes)");
  }
  return Locked{std::move(lock).value(), std::move(c)};
}

Result<std::vector<Container>> Engine::List() {
  const std::string dir = JoinPath(deps_.root, "containers");
  std::vector<Container> out;
  if (!deps_.fs->Exists(dir)) return out;
  CRH_ASSIGN_OR_RETURN(auto ids, deps_.fs->List(dir));
  for (const auto& id : ids) {
    auto c = Load(id);
    if (c.ok()) {
      out.push_back(std::move(c).value());
    } else if (c.status().code() != Code::kNotFound) {
      // A corrupt record must not hide the others; say which one it is.
      Log()->error("{}", c.status().ToString());
    }
  }
  return out;
}

Result<Container> Engine::Inspect(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(std::string id, ResolveId(name_or_id));
  return Load(id);
}

Result<Container> Engine::Define(const DefineSpec& spec) {
  warnings_.clear();
  CRH_RETURN_IF_ERROR(ValidateIdentifier(spec.name, "name"));
  std::string id = spec.id;
  if (id.empty()) {
    char buf[17];
    std::string hex;
    for (int i = 0; i < 2; ++i) {
      std::snprintf(buf, sizeof buf, "%016llx",
                    static_cast<unsigned long long>(deps_.random->Next()));
      hex += buf;
    }
    id = hex;
  }
  CRH_RETURN_IF_ERROR(ValidateIdentifier(id, "ID"));
  if (spec.bundle.empty() || spec.bundle.front() != '/') {
    return InvalidArgument("bundle path \"" + spec.bundle + "\" for container " + spec.name +
                           " must be absolute");
  }
  if (!deps_.fs->Exists(JoinPath(spec.bundle, "config.json"))) {
    return InvalidArgument("bundle " + spec.bundle + " for container " + spec.name +
                           " has no config.json (make one with `crh bundle DIR -- CMD...`)");
  }
  CRH_RETURN_IF_ERROR(deps_.fs->MkdirAll(JoinPath(deps_.root, "locks")));
  // Names are unique: hold a root-wide lock while checking and claiming one.
  CRH_ASSIGN_OR_RETURN(auto names_lock,
                       deps_.fs->Lock(JoinPath(JoinPath(deps_.root, "locks"), "names.lock")));
  // Any read error is reported: a name must never be given twice because a record could not be
  // read for a moment.
  auto holder = deps_.fs->Read(NamePath(spec.name));
  if (holder.ok()) {
    if (deps_.fs->Exists(ContainerDir(*holder))) {
      return AlreadyExists("a container named " + spec.name + " exists already (ID " +
                           holder->substr(0, 12) + "); pick another name or remove it");
    }
    CRH_PROBE("define.stale_name_reclaimed");
  } else if (holder.status().code() != Code::kNotFound) {
    return holder.status().WithContext("checking whether the name " + spec.name + " is free");
  }
  if (deps_.fs->Exists(ContainerDir(id))) return AlreadyExists("container ID " + id + " is taken");
  Container c;
  c.id = id;
  c.name = spec.name;
  c.bundle = spec.bundle;
  c.requested_ip = spec.static_ip;
  c.runtime = deps_.runtime->Name();
  c.state = ContainerState::kConfigured;
  c.created_at_ms = deps_.clock->NowMs();
  CRH_RETURN_IF_ERROR(deps_.fs->MkdirAll(ContainerDir(id)));
  // The lock file exists from the start, so no later operation (even a refused one) creates it.
  CRH_RETURN_IF_ERROR(
      deps_.fs->Lock(JoinPath(JoinPath(deps_.root, "locks"), id + ".lock")).status());
  CRH_RETURN_IF_ERROR(Save(c));
  // The name is claimed last: until then the container is reachable by its ID only.
  CRH_RETURN_IF_ERROR(deps_.fs->MkdirAll(JoinPath(deps_.root, "names")));
  CRH_RETURN_IF_ERROR(deps_.fs->WriteAtomic(NamePath(c.name), c.id));
  Log()->info("defined {}", Who(c));
  return c;
}

Status Engine::CheckBundle(const Container& c) {
  const std::string src = JoinPath(c.bundle, "config.json");
  CRH_ASSIGN_OR_RETURN(std::string text, deps_.fs->Read(src));
  json spec = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    return InvalidArgument(src + " is not a JSON object; fix the bundle of " + Who(c));
  }
  const json* root = spec.contains("root") && spec["root"].is_object() ? &spec["root"] : nullptr;
  if (!root || !root->contains("path") || !(*root)["path"].is_string()) {
    return InvalidArgument(src + ": field root.path: expected a string (the rootfs directory)");
  }
  std::string rootfs = (*root)["path"].get<std::string>();
  if (!rootfs.empty() && rootfs.front() != '/') rootfs = JoinPath(c.bundle, rootfs);
  if (!deps_.fs->IsDirectory(rootfs)) {
    return InvalidArgument(src + ": field root.path: " + rootfs +
                           " is not a directory; create the rootfs there or fix root.path");
  }
  static const std::set<std::string> kTypes = {"pid", "network", "mount", "ipc",
                                               "uts", "user",    "cgroup", "time"};
  const json* linux_ = spec.contains("linux") && spec["linux"].is_object() ? &spec["linux"] : nullptr;
  if (!linux_ || !linux_->contains("namespaces")) return Status::Ok();
  const json& nss = (*linux_)["namespaces"];
  if (!nss.is_array()) return InvalidArgument(src + ": field linux.namespaces: expected an array");
  for (size_t i = 0; i < nss.size(); ++i) {
    const std::string field = "linux.namespaces[" + std::to_string(i) + "]";
    const json& ns = nss[i];
    const std::string type = ns.is_object() && ns.contains("type") && ns["type"].is_string()
                                 ? ns["type"].get<std::string>()
                                 : "";
    if (!kTypes.count(type)) {
      return InvalidArgument(src + ": field " + field + ".type: \"" + type +
                             "\" is not an OCI namespace type (pid, network, mount, ipc, uts, "
                             "user, cgroup, time)");
    }
    // crh gives every container its own network namespace; another type may join an existing
    // namespace, which must be there for create (and again for every restore).
    if (type != "network" && ns.contains("path")) {
      if (!ns["path"].is_string() || !deps_.fs->Exists(ns["path"].get<std::string>())) {
        return InvalidArgument(src + ": field " + field + ".path: " + ns["path"].dump() +
                               " does not exist; create that " + type +
                               " namespace first or drop the path");
      }
    }
  }
  return Status::Ok();
}

Status Engine::WriteRuntimeBundle(const Container& c) {
  const std::string src = JoinPath(c.bundle, "config.json");
  CRH_ASSIGN_OR_RETURN(std::string text, deps_.fs->Read(src));
  json spec = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    return InvalidArgument(src + " is not a JSON object; fix the bundle of " + Who(c));
  }
  // The runtime bundle lives in the container dir, so the rootfs must be named absolutely.
  if (spec.contains("root") && spec["root"].is_object() && spec["root"].contains("path") &&
      spec["root"]["path"].is_string()) {
    std::string root = spec["root"]["path"].get<std::string>();
    if (!root.empty() && root.front() != '/') spec["root"]["path"] = JoinPath(c.bundle, root);
  } else {
    return InvalidArgument(src + ": field root.path: expected a string");
  }
  json& linux_ = spec["linux"];
  if (!linux_.is_object()) linux_ = json::object();
  json& nss = linux_["namespaces"];
  if (!nss.is_array()) nss = json::array();
  bool found = false;
  for (auto& ns : nss) {
    if (ns.is_object() && ns.value("type", "") == "network") {
      found = true;
      if (c.netns_path.empty()) {
        ns.erase("path");
      } else {
        ns["path"] = c.netns_path;
      }
    }
  }
  if (!found) {
    json ns{{"type", "network"}};
    if (!c.netns_path.empty()) ns["path"] = c.netns_path;
    nss.push_back(ns);
  }
  return deps_.fs->WriteAtomic(JoinPath(ContainerDir(c.id), "config.json"), spec.dump(2));
}

Status Engine::SetUpNetwork(Container& c, const std::string& static_ip) {
  // Persist the netns path before creating it: a crash after this point leaves a record that
  // names what Sync must tear down.
  c.netns_path = "/run/netns/" + NetnsName(c.id);
  CRH_RETURN_IF_ERROR(Save(c));
  auto ns = deps_.network->CreateNetns(NetnsName(c.id));
  if (!ns.ok() && ns.status().code() == Code::kAlreadyExists) {
    // Left over from an interrupted operation on this same container: it is ours to reuse.
    CRH_PROBE("network.stale_netns_replaced");
    deps_.network->Teardown(c.id, c.netns_path).IgnoreError();  // best effort; DEL is idempotent
    Status del = deps_.network->DeleteNetns(c.netns_path);
    if (!del.ok() && del.code() != Code::kNotFound) {
      // The old netns is still there: keep naming it, so Sync or remove can delete it later.
      return del.WithContext("deleting the stale network namespace of " + Who(c));
    }
    ns = deps_.network->CreateNetns(NetnsName(c.id));
  }
  if (!ns.ok()) {
    c.netns_path.clear();
    Save(c).IgnoreError();  // the operation's error below is the news
    return ns.status().WithContext("creating the network namespace of " + Who(c));
  }
  c.netns_path = *ns;
  std::string asked = static_ip;
  auto st = deps_.network->Setup(c.id, c.netns_path, NetworkRequest{.static_ip = asked});
  if (!st.ok() && !asked.empty() && st.status().code() == Code::kAlreadyExists &&
      c.pending == PendingOp::kRestore) {
    Warn("the saved IP " + static_ip + " of " + Who(c) +
         " is held by another container; restoring with a new IP (" + st.status().message() +
         ")");
    CRH_PROBE("restore.saved_ip_taken");
    asked.clear();
    st = deps_.network->Setup(c.id, c.netns_path, NetworkRequest{});
  }
  if (st.ok() && !asked.empty() && st->PrimaryIp() != asked) {
    // A network that hands out another address than the one asked for would break established
    // TCP connections after restore; refuse rather than restore somewhere else silently.
    Status wrong = Unavailable("the network gave " + Who(c) + " the address " + st->PrimaryIp() +
                               " instead of the requested " + asked);
    CRH_PROBE("network.wrong_ip_refused");
    deps_.network->Teardown(c.id, c.netns_path).IgnoreError();  // reported via `wrong`
    st = wrong;
  }
  if (!st.ok()) {
    Status del = deps_.network->DeleteNetns(c.netns_path);
    if (del.ok() || del.code() == Code::kNotFound) c.netns_path.clear();
    Save(c).IgnoreError();  // the setup error is the news
    return st.status().WithContext("attaching " + Who(c) + " to the network");
  }
  c.has_network_status = true;
  c.network_status = std::move(st).value();
  return Status::Ok();
}

Status Engine::TearDownNetwork(Container& c) {
  Status first;
  if (!c.netns_path.empty() || c.has_network_status) {
    Status del = deps_.network->Teardown(c.id, c.netns_path);
    if (del.ok()) {
      c.has_network_status = false;
      c.network_status = NetworkStatus{};
    } else {
      first = del.WithContext("releasing the network of " + Who(c));
    }
  }
  if (!c.netns_path.empty()) {
    Status ns = deps_.network->DeleteNetns(c.netns_path);
    if (ns.ok() || ns.code() == Code::kNotFound) {
      c.netns_path.clear();
    } else {
      first = FirstError(first, ns.WithContext("deleting the network namespace of " + Who(c)));
    }
  }
  return first;
}

Status Engine::RemoveFiles(const std::string& dir, const std::vector<std::string>& names) {
  Status first;
  for (const auto& n : names) {
    const std::string p = JoinPath(dir, n);
    Status s = deps_.fs->IsDirectory(p) ? deps_.fs->RemoveAll(p) : deps_.fs->Remove(p);
    if (!s.ok() && s.code() != Code::kNotFound) first = FirstError(first, s);
  }
  return first;
}

OperationStats Engine::ReadOperationStats(const Container& c, const std::string& file,
                                          const std::string& kind, int64_t runtime_us) {
  OperationStats st;
  st.runtime_duration_us = runtime_us;
  st.criu_file = JoinPath(ContainerDir(c.id), file);
  auto bytes = deps_.fs->Read(st.criu_file);
  if (!bytes.ok()) {
    st.criu_error = bytes.status().code() == Code::kNotFound
                        ? st.criu_file + " is missing: the runtime left no CRIU statistics"
                        : "cannot read " + st.criu_file + ": " + bytes.status().message();
  } else if (auto decoded = DecodeStatsImage(*bytes, st.criu_file); !decoded.ok()) {
    st.criu_error = decoded.status().message();
  } else if (decoded->kind != kind) {
    st.criu_error = st.criu_file + " holds CRIU's " + decoded->kind + " figures, not its " +
                    kind + " figures";
  } else {
    st.criu = std::move(decoded->fields);
  }
  if (!st.criu_error.empty()) {
    // The operation itself went through; the figures are a report about it, so their absence
    // is said where they would be (--print-stats, inspect), not as a failure.
    CRH_PROBE("stats.criu_figures_unavailable");
    Log()->info("no CRIU figures for {}: {}", Who(c), st.criu_error);
  }
  return st;
}

Result<Container> Engine::Create(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kCreate));
  if (c.state == ContainerState::kStopped) {
    // Still known to the runtime and attached: clean up before creating it again.
    Status d = deps_.runtime->Delete(c.id, /*force=*/true);
    if (!d.ok() && d.code() != Code::kNotFound) return d.WithContext("cleaning up " + Who(c));
    CRH_RETURN_IF_ERROR(TearDownNetwork(c));
    c.state = ContainerState::kExited;
    c.pid = 0;
    CRH_RETURN_IF_ERROR(Save(c));
  }
  const ContainerState before = c.state;
  // A bundle crh cannot run is refused before anything is set up, naming the field.
  CRH_RETURN_IF_ERROR(CheckBundle(c).WithContext("creating " + Who(c)));
  CRH_RETURN_IF_ERROR(SetUpNetwork(c, c.requested_ip));
  Status s = WriteRuntimeBundle(c);
  if (s.ok()) {
    s = deps_.runtime->Create(
        c.id, CreateOptions{.bundle = ContainerDir(c.id),
                            .stdio_log = JoinPath(ContainerDir(c.id), "ctr.log")});
  }
  if (!s.ok()) {
    CRH_PROBE("create.rollback");
    Status t = TearDownNetwork(c);
    c.state = before;
    Save(c).IgnoreError();  // the create error is the news; Sync repairs a stale record
    return t.ok() ? s.WithContext("creating " + Who(c))
                  : s.WithContext("creating " + Who(c) + " (and then: " + t.message() + ")");
  }
  c.state = ContainerState::kCreated;
  c.checkpointed = false;
  c.restored = false;
  CRH_RETURN_IF_ERROR(Save(c));
  Log()->info("created {}", Who(c));
  return c;
}

Result<Container> Engine::Start(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kStart));
  CRH_RETURN_IF_ERROR(deps_.runtime->Start(c.id).WithContext("starting " + Who(c)));
  auto st = deps_.runtime->State(c.id);
  c.state = ContainerState::kRunning;
  c.pid = st.ok() ? st->pid : 0;
  c.started_at_ms = deps_.clock->NowMs();
  CRH_RETURN_IF_ERROR(Save(c));
  return c;
}

Result<Container> Engine::Run(const DefineSpec& spec) {
  CRH_ASSIGN_OR_RETURN(Container c, Define(spec));
  CRH_RETURN_IF_ERROR(Create(c.id).status());
  return Start(c.id);
}

Result<Container> Engine::Stop(const std::string& name_or_id, int64_t timeout_ms) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kStop));
  auto gone_or_stopped = [&]() {
    auto st = deps_.runtime->State(c.id);
    return !st.ok() || st->status == RuntimeStatus::kStopped;
  };
  if (c.state == ContainerState::kPaused) {
    // A frozen process cannot act on SIGTERM; thaw it so it can exit cleanly.
    CRH_RETURN_IF_ERROR(deps_.runtime->Resume(c.id).WithContext("unpausing " + Who(c)));
  }
  if (c.state == ContainerState::kRunning || c.state == ContainerState::kPaused) {
    Status k = deps_.runtime->Kill(c.id, 15);
    if (!k.ok() && k.code() != Code::kNotFound && k.code() != Code::kFailedPrecondition) {
      return k.WithContext("stopping " + Who(c));
    }
    int64_t waited = 0;
    while (!gone_or_stopped() && waited < timeout_ms) {
      deps_.clock->SleepMs(deps_.stop_poll_ms);
      waited += deps_.stop_poll_ms;
    }
    if (!gone_or_stopped()) {
      CRH_PROBE("stop.escalated_to_sigkill");
      Status k9 = deps_.runtime->Kill(c.id, 9);
      if (!k9.ok() && k9.code() != Code::kNotFound && k9.code() != Code::kFailedPrecondition) {
        return k9.WithContext("killing " + Who(c));
      }
      for (int i = 0; i < 50 && !gone_or_stopped(); ++i) deps_.clock->SleepMs(deps_.stop_poll_ms);
    }
  }
  Status d = deps_.runtime->Delete(c.id, /*force=*/true);
  if (!d.ok() && d.code() != Code::kNotFound) {
    // The process may be gone but the runtime still holds it: say Stopped, which Sync and a
    // second stop can finish.
    c.state = ContainerState::kStopped;
    c.pid = 0;
    Save(c).IgnoreError();  // the delete error is the news
    return d.WithContext("deleting " + Who(c) + " from the runtime");
  }
  c.state = ContainerState::kExited;
  c.pid = 0;
  Status t = TearDownNetwork(c);
  CRH_RETURN_IF_ERROR(Save(c));
  CRH_RETURN_IF_ERROR(t);
  return c;
}

Result<Container> Engine::ObserveAfterSignal(Container c, bool uncatchable) {
  auto st = deps_.runtime->State(c.id);
  // SIGKILL cannot be caught, but the kernel takes a moment to tear a process down and the runtime
  // says "running" until then (seen on crun 1.28 with runc spec's bundle). Only then look again,
  // briefly, so a fast exit costs no extra runtime call.
  for (int i = 0; uncatchable && i < 20 && st.ok() && st->status == RuntimeStatus::kRunning; ++i) {
    deps_.clock->SleepMs(deps_.stop_poll_ms);
    st = deps_.runtime->State(c.id);
  }
  if (!st.ok()) {
    // Saving the old state would be a lie if the signal killed it; leave the record as it was and
    // say what to do.
    return st.status().WithContext("the signal reached " + Who(c) +
                                   " but its state is unknown; run `crh sync " + c.name + "`");
  }
  switch (st->status) {
    case RuntimeStatus::kStopped: c.state = ContainerState::kStopped; c.pid = 0; break;
    case RuntimeStatus::kPaused: c.state = ContainerState::kPaused; break;
    case RuntimeStatus::kRunning: c.state = ContainerState::kRunning; break;
    default: break;
  }
  CRH_RETURN_IF_ERROR(Save(c));
  return c;
}

Result<Container> Engine::Kill(const std::string& name_or_id, int signal) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kKill));
  if (signal <= 0 || signal > 64) {
    return InvalidArgument("signal " + std::to_string(signal) + " is not between 1 and 64");
  }
  Status k = deps_.runtime->Kill(c.id, signal);
  if (!k.ok()) {
    if (k.code() == Code::kFailedPrecondition || k.code() == Code::kNotFound) {
      // The runtime says the process is not there to signal: the record is stale. Bring it up to
      // date before reporting, so the next operation starts from the truth.
      CRH_PROBE("kill.record_was_stale");
      auto seen = ObserveAfterSignal(c);
      (void)seen;  // the kill error below is the news; the record was refreshed if possible
    }
    return k.WithContext("signalling " + Who(c));
  }
  return ObserveAfterSignal(c, /*uncatchable=*/signal == 9);
}

Result<Container> Engine::Pause(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kPause));
  CRH_RETURN_IF_ERROR(deps_.runtime->Pause(c.id).WithContext("pausing " + Who(c)));
  c.state = ContainerState::kPaused;
  CRH_RETURN_IF_ERROR(Save(c));
  return c;
}

Result<Container> Engine::Unpause(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kUnpause));
  CRH_RETURN_IF_ERROR(deps_.runtime->Resume(c.id).WithContext("unpausing " + Who(c)));
  c.state = ContainerState::kRunning;
  CRH_RETURN_IF_ERROR(Save(c));
  return c;
}

Status Engine::SaveNetworkStatus(const Container& c, std::string_view if_lost) {
  if (!c.has_network_status) return Status::Ok();
  Status w = deps_.fs->WriteAtomic(JoinPath(ContainerDir(c.id), "network.status"),
                                   EncodeNetworkStatusFile({c.network_status}));
  if (w.ok()) return w;
  CRH_PROBE("checkpoint.status_write_failed");
  return w.WithContext("saving network.status of " + Who(c) + " (" + std::string(if_lost) + ")");
}

Result<int> Engine::Exec(const std::string& name_or_id, const ExecRequest& req) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kExec));
  if (req.args.empty()) return InvalidArgument("exec in " + Who(c) + ": no command given");
  const std::string dir = ContainerDir(c.id);
  // The runtime writes the pid here; it is read and removed at once, so the container
  // directory keeps only the files the checkpoint/restore invariants expect.
  const std::string pid_file = JoinPath(dir, "exec.pid");
  if (deps_.fs->Exists(pid_file)) deps_.fs->Remove(pid_file).IgnoreError();
  CRH_RETURN_IF_ERROR(deps_.runtime
                          ->Exec(c.id, {.args = req.args,
                                        .detach = req.detach,
                                        .pid_file = req.detach ? pid_file : "",
                                        .stdio_log = JoinPath(dir, "ctr.log")})
                          .WithContext("exec in " + Who(c)));
  if (!req.detach) return 0;
  auto text = deps_.fs->Read(pid_file);
  if (deps_.fs->Exists(pid_file)) deps_.fs->Remove(pid_file).IgnoreError();
  if (!text.ok()) return text.status().WithContext("exec in " + Who(c) + ": reading its pid");
  int pid = std::atoi(text->c_str());
  if (pid <= 0) return Unavailable("exec in " + Who(c) + ": the runtime wrote no pid to " + pid_file);
  Log()->info("exec'd {} as pid {} in {}", req.args[0], pid, Who(c));
  return pid;
}

Result<Container> Engine::Checkpoint(const std::string& name_or_id,
                                     const CheckpointRequest& req) {
  const int64_t started_us = deps_.clock->MonotonicUs();
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  CRH_RETURN_IF_ERROR(CheckTransition(
      c, req.leave_running ? Operation::kCheckpointLeaveRunning : Operation::kCheckpoint));
  const std::string dir = ContainerDir(c.id);
  const std::string images = CheckpointDir(c.id);
  CRH_RETURN_IF_ERROR(Crash("engine.checkpoint.before_dump"));

  // An older checkpoint (kept after a restore) is stale now that the container has run on; a
  // new dump must never mix its files with it.
  CRH_RETURN_IF_ERROR(deps_.fs->RemoveAll(images).WithContext("removing the stale checkpoint of " +
                                                              Who(c)));
  c.pending = PendingOp::kCheckpoint;
  // Marked before the dump: if crh dies after it, the images are behind a process that runs on,
  // and the stale-checkpoint guard errs on the side of refusing them.
  c.checkpoint_left_running = req.leave_running;
  CRH_RETURN_IF_ERROR(Save(c));

  const int64_t runtime_started_us = deps_.clock->MonotonicUs();
  Status dump = deps_.runtime->Checkpoint(
      c.id, CheckpointOptions{.image_path = images,
                              .work_path = dir,
                              .leave_running = req.leave_running,
                              .tcp_established = req.tcp_established,
                              .file_locks = req.file_locks});
  const int64_t runtime_us = deps_.clock->MonotonicUs() - runtime_started_us;
  if (!dump.ok()) {
    auto st = deps_.runtime->State(c.id);
    const bool still_there = st.ok() || st.status().code() != Code::kNotFound;
    if (still_there) {
      // The process lives on: the container is Running and untouched, and whatever the failed
      // dump wrote is not a checkpoint.
      CRH_PROBE("checkpoint.dump_failed_container_kept");
      deps_.fs->RemoveAll(images).IgnoreError();  // incomplete without inventory.img anyway
      c.pending = PendingOp::kNone;
      c.checkpoint_left_running = false;  // there are no images left to be stale
      CRH_RETURN_IF_ERROR(Save(c));
      return dump.WithContext("checkpointing " + Who(c) + " (it is still running)");
    }
    // The runtime reported failure but the container is gone: carry on as after a dump, so the
    // record tells the truth, and report the error at the end.
    CRH_PROBE("checkpoint.dump_failed_container_gone");
  }
  CRH_RETURN_IF_ERROR(Crash("engine.checkpoint.after_dump"));
  OperationStats stats = ReadOperationStats(c, "stats-dump", "dump", runtime_us);

  if (req.leave_running && dump.ok()) {
    // The process runs on: its state, pid, address and netns stay as they are. network.status is
    // written all the same, so a restore after a stop asks for the address it had at the dump.
    Status first;
    if (!HasCompleteCheckpoint(c)) {
      first = DataLoss("the runtime reported a dump of " + Who(c) + " but left no " + images +
                       "/inventory.img; the container runs on, without a checkpoint");
    }
    first = FirstError(first, SaveNetworkStatus(c, "a later restore will pick a new IP"));
    CRH_RETURN_IF_ERROR(Crash("engine.checkpoint.after_status_write"));
    c.pending = PendingOp::kNone;
    c.checkpointed_at_ms = deps_.clock->NowMs();
    if (!req.keep) first = FirstError(first, RemoveFiles(dir, kCheckpointWorkFiles));
    stats.crh_duration_us = deps_.clock->MonotonicUs() - started_us;
    c.checkpoint_stats = std::move(stats);
    first = FirstError(first, Save(c));
    if (!first.ok()) return first;
    CRH_PROBE("checkpoint.left_running");
    Log()->info("checkpointed {} and left it running", Who(c));
    return c;
  }

  // From here on the process is gone. Every step is attempted; the first error is returned.
  Status first = dump.ok() ? Status::Ok()
                           : dump.WithContext("checkpointing " + Who(c) +
                                              " (the runtime reported failure after the dump)");
  const bool complete = HasCompleteCheckpoint(c);
  first = FirstError(first, SaveNetworkStatus(c, "restore will pick a new IP"));
  CRH_RETURN_IF_ERROR(Crash("engine.checkpoint.after_status_write"));

  c.state = ContainerState::kExited;
  c.pid = 0;
  c.checkpointed = complete;
  c.restored = false;
  c.pending = PendingOp::kNone;
  c.checkpoint_left_running = false;  // the process is gone: the images are its last moment
  c.checkpointed_at_ms = deps_.clock->NowMs();
  if (!complete) {
    first = FirstError(first, DataLoss("the checkpoint of " + Who(c) +
                                       " is incomplete (no checkpoint/inventory.img); the "
                                       "process is gone and cannot be restored"));
  }
  Status saved = Save(c);
  first = FirstError(first, saved);

  // The runtime deleted the container along with the dump; what is left is ours: the network.
  Status t = TearDownNetwork(c);
  if (!t.ok()) CRH_PROBE("checkpoint.teardown_failed");
  first = FirstError(first, t);
  CRH_RETURN_IF_ERROR(Crash("engine.checkpoint.after_teardown"));
  if (!req.keep) first = FirstError(first, RemoveFiles(dir, kCheckpointWorkFiles));
  stats.crh_duration_us = deps_.clock->MonotonicUs() - started_us;
  c.checkpoint_stats = std::move(stats);
  first = FirstError(first, Save(c));
  if (!first.ok()) return first;
  Log()->info("checkpointed {}", Who(c));
  return c;
}

Result<Container> Engine::Restore(const std::string& name_or_id, const RestoreRequest& req) {
  const int64_t started_us = deps_.clock->MonotonicUs();
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  const std::string dir = ContainerDir(c.id);
  const std::string images = CheckpointDir(c.id);
  const bool stale = c.checkpoint_left_running && HasCompleteCheckpoint(c);
  const std::string taken = "checkpoint --leave-running of " + UtcTime(c.checkpointed_at_ms);
  if (stale && c.state == ContainerState::kRunning) {
    CRH_PROBE("restore.refused_stale_while_running");
    return FailedPrecondition("cannot restore " + Who(c) + ": it is running on from its " +
                              taken + "; stop it first, then restore --allow-stale to take the "
                              "process back to that checkpoint");
  }
  CRH_RETURN_IF_ERROR(CheckTransition(c, Operation::kRestore));
  if (!HasCompleteCheckpoint(c)) {
    return FailedPrecondition("cannot restore " + Who(c) + ": no complete checkpoint at " +
                              images + " (inventory.img is missing); checkpoint it first");
  }
  if (req.allow_stale && !stale) {
    return InvalidArgument("--allow-stale: the checkpoint of " + Who(c) +
                           " is not stale (it was not taken with --leave-running); restore "
                           "it without the flag");
  }
  if (stale && !req.allow_stale) {
    CRH_PROBE("restore.refused_stale");
    return FailedPrecondition(
        "cannot restore " + Who(c) + ": its " + taken +
        " is stale, the container ran on after it; restoring takes the process back to that "
        "moment and loses what it did since. Pass --allow-stale to do that, or checkpoint it "
        "again");
  }

  // The address to ask for. Anything wrong with the saved status means a new address, never a
  // crash: the process state is what matters, and listening sockets survive a new IP.
  std::string saved_ip;
  const std::string status_path = JoinPath(dir, "network.status");
  auto text = deps_.fs->Read(status_path);
  if (!text.ok()) {
    Warn(text.status().code() == Code::kNotFound
             ? status_path + " is missing; restoring " + Who(c) + " with a new IP"
             : "cannot read " + status_path + " (" + text.status().message() +
                   "); restoring " + Who(c) + " with a new IP");
  } else {
    auto decoded = DecodeNetworkStatusFile(*text);
    if (!decoded.ok()) {
      Warn(status_path + " is malformed (" + decoded.status().message() + "); restoring " +
           Who(c) + " with a new IP");
    } else if (decoded->empty() || (*decoded)[0].PrimaryIp().empty()) {
      Warn(status_path + " holds no IPv4 address; restoring " + Who(c) + " with a new IP");
    } else {
      saved_ip = (*decoded)[0].PrimaryIp();
    }
  }
  if (!warnings_.empty()) CRH_PROBE("restore.new_ip_no_saved_status");
  if (stale) {
    Warn("restoring " + Who(c) + " from its stale " + taken +
         ": what the process did since is lost");
  }
  CRH_RETURN_IF_ERROR(Crash("engine.restore.before_network"));

  c.pending = PendingOp::kRestore;
  Status net = SetUpNetwork(c, saved_ip);
  if (!net.ok()) {
    c.pending = PendingOp::kNone;
    Save(c).IgnoreError();  // the network error is the news
    return net.WithContext("restoring " + Who(c) + " (the checkpoint is kept; retry restore)");
  }
  CRH_RETURN_IF_ERROR(Crash("engine.restore.after_network"));
  CRH_RETURN_IF_ERROR(Save(c));

  Status s = WriteRuntimeBundle(c);
  const int64_t runtime_started_us = deps_.clock->MonotonicUs();
  if (s.ok()) {
    s = deps_.runtime->Restore(
        c.id, RestoreOptions{.bundle = dir,
                             .image_path = images,
                             .work_path = dir,
                             .stdio_log = JoinPath(dir, "ctr.log"),
                             .tcp_established = req.tcp_established,
                             .file_locks = req.file_locks});
  }
  const int64_t runtime_us = deps_.clock->MonotonicUs() - runtime_started_us;
  if (!s.ok()) {
    // Undo everything restore set up; leave the checkpoint exactly as it was.
    CRH_PROBE("restore.cleanup_after_runtime_failure");
    Status first = s.WithContext("restoring " + Who(c) + " (the checkpoint is kept; retry restore)");
    Status d = deps_.runtime->Delete(c.id, /*force=*/true);
    if (!d.ok() && d.code() != Code::kNotFound) {
      first = Status(first.code(), first.message() + "; and then deleting the half-restored "
                                                      "container failed: " + d.message());
    }
    Status t = TearDownNetwork(c);
    c.pending = PendingOp::kNone;
    c.state = ContainerState::kExited;
    Status saved = Save(c);
    if (!t.ok()) first = Status(first.code(), first.message() + "; and then: " + t.message());
    if (!saved.ok()) first = Status(first.code(), first.message() + "; and then: " + saved.message());
    if (s.injected()) first.MarkInjected(s.injected_site());
    return first;
  }
  CRH_RETURN_IF_ERROR(Crash("engine.restore.after_runtime_restore"));

  auto st = deps_.runtime->State(c.id);
  c.state = ContainerState::kRunning;
  c.pid = st.ok() ? st->pid : 0;
  c.restored = true;
  c.checkpointed = false;
  c.pending = PendingOp::kNone;
  c.restored_at_ms = deps_.clock->NowMs();
  // Measured here, before the cleanup removes stats-restore: the container runs and its record
  // is about to say so.
  OperationStats stats = ReadOperationStats(c, "stats-restore", "restore", runtime_us);
  stats.crh_duration_us = deps_.clock->MonotonicUs() - started_us;
  c.restore_stats = std::move(stats);
  CRH_RETURN_IF_ERROR(Save(c));
  CRH_RETURN_IF_ERROR(Crash("engine.restore.before_cleanup"));

  if (!req.keep) {
    // The container runs again; a cleanup failure is worth a warning, not a failed restore.
    Status r = RemoveFiles(dir, kRestoreWorkFiles);
    Status ri = deps_.fs->RemoveAll(images);
    if (!r.ok() || !ri.ok()) {
      Warn("restored " + Who(c) + " but could not remove its checkpoint files: " +
           FirstError(r, ri).message());
    }
  }
  Log()->info("restored {} with IP {}", Who(c), c.Ip());
  return c;
}

std::vector<NamedResult> Engine::CheckpointAll(const std::vector<std::string>& names,
                                               const CheckpointRequest& req) {
  std::vector<NamedResult> out;
  for (const auto& n : names) out.push_back({n, Checkpoint(n, req)});
  return out;
}

std::vector<NamedResult> Engine::RestoreAll(const std::vector<std::string>& names,
                                            const RestoreRequest& req) {
  std::vector<NamedResult> out;
  for (const auto& n : names) out.push_back({n, Restore(n, req)});
  return out;
}

Status Engine::Remove(const std::string& name_or_id, bool force) {
  auto locked = LockAndLoad(name_or_id);
  if (!locked.ok()) {
    if (force && locked.status().code() == Code::kDataLoss) {
      // The record is unreadable, but the ID is known and everything crh creates is named after
      // it: clean up by name rather than leave a netns nobody can release.
      return RemoveUnreadable(name_or_id, locked.status());
    }
    return locked.status();
  }
  Container& c = locked->c;
  CRH_RETURN_IF_ERROR(CheckTransition(c, force ? Operation::kForceRemove : Operation::kRemove));
  return RemoveEverything(c);
}

Status Engine::RemoveUnreadable(const std::string& name_or_id, const Status& why) {
  CRH_PROBE("remove.unreadable_record");
  CRH_ASSIGN_OR_RETURN(std::string id, ResolveId(name_or_id));
  CRH_ASSIGN_OR_RETURN(auto lock,
                       deps_.fs->Lock(JoinPath(JoinPath(deps_.root, "locks"), id + ".lock")));
  Container c;
  c.id = id;
  c.name = name_or_id == id ? id : name_or_id;
  c.state = ContainerState::kExited;
  // Whether it exists is the network's to say: deleting an absent netns is fine.
  c.netns_path = "/run/netns/" + NetnsName(id);
  Log()->warn("removing {} whose record is unreadable ({})", Who(c), why.message());
  return RemoveEverything(c);
}

Status Engine::RemoveEverything(Container& c) {
  Status d = deps_.runtime->Delete(c.id, /*force=*/true);
  if (!d.ok() && d.code() != Code::kNotFound) return d.WithContext("removing " + Who(c));
  if (c.state != ContainerState::kConfigured && c.state != ContainerState::kExited) {
    c.state = ContainerState::kExited;
    c.pid = 0;
  }
  Status t = TearDownNetwork(c);
  if (!t.ok()) {
    Save(c).IgnoreError();  // keeps the netns path so a second rm can finish the job
    return t.WithContext("removing " + Who(c));
  }
  CRH_RETURN_IF_ERROR(deps_.fs->RemoveAll(ContainerDir(c.id)).WithContext("removing " + Who(c)));
  // The name goes once the container is gone, and only if it is still this container's.
  auto holder = deps_.fs->Read(NamePath(c.name));
  if (holder.ok() && *holder == c.id) {
    Status nr = deps_.fs->Remove(NamePath(c.name));
    if (!nr.ok() && nr.code() != Code::kNotFound) return nr.WithContext("removing " + Who(c));
  }
  // The lock file goes last; we still hold it, which is fine for flock.
  Status lr = deps_.fs->Remove(JoinPath(JoinPath(deps_.root, "locks"), c.id + ".lock"));
  if (!lr.ok() && lr.code() != Code::kNotFound) return lr;
  Log()->info("removed {}", Who(c));
  return Status::Ok();
}

Result<Container> Engine::Sync(const std::string& name_or_id) {
  CRH_ASSIGN_OR_RETURN(Locked l, LockAndLoad(name_or_id));
  Container& c = l.c;
  auto st = deps_.runtime->State(c.id);
  if (!st.ok() && st.status().code() != Code::kNotFound) {
    return st.status().WithContext("syncing " + Who(c));
  }
  if (st.ok()) {
    switch (st->status) {
      case RuntimeStatus::kCreating:
      case RuntimeStatus::kCreated: c.state = ContainerState::kCreated; break;
      case RuntimeStatus::kRunning: c.state = ContainerState::kRunning; break;
      case RuntimeStatus::kPaused: c.state = ContainerState::kPaused; break;
      case RuntimeStatus::kStopped: c.state = ContainerState::kStopped; break;
    }
    c.pid = c.state == ContainerState::kStopped ? 0 : st->pid;
    if (c.pending == PendingOp::kRestore && c.state == ContainerState::kRunning) {
      // A crash after the runtime restored it: the restore happened; adopt it.
      CRH_PROBE("sync.adopted_interrupted_restore");
      c.restored = true;
      c.checkpointed = false;
      c.restored_at_ms = deps_.clock->NowMs();
    }
    if (c.pending == PendingOp::kCheckpoint) CRH_PROBE("sync.checkpoint_did_not_happen");
    c.pending = PendingOp::kNone;
    CRH_RETURN_IF_ERROR(Save(c));
    return c;
  }
  // The runtime does not know it: whatever the record said, the process is gone.
  if (c.state != ContainerState::kConfigured || c.pending != PendingOp::kNone) {
    if (c.pending == PendingOp::kCheckpoint && HasCompleteCheckpoint(c)) {
      // A crash after the dump: the images are a checkpoint; network.status may be missing,
      // which restore handles with a new IP.
      CRH_PROBE("sync.completed_interrupted_checkpoint");
      c.checkpointed = true;
      c.checkpointed_at_ms = deps_.clock->NowMs();
    }
    if (c.state != ContainerState::kConfigured) c.state = ContainerState::kExited;
  }
  c.pid = 0;
  c.pending = PendingOp::kNone;
  Status t = TearDownNetwork(c);
  CRH_RETURN_IF_ERROR(Save(c));
  CRH_RETURN_IF_ERROR(t);
  return c;
}

std::vector<NamedResult> Engine::SyncAll() {
  std::vector<NamedResult> out;
  auto all = List();
  if (!all.ok()) {
    out.push_back({"*", all.status()});
    return out;
  }
  for (const auto& c : *all) out.push_back({c.name, Sync(c.id)});
  return out;
}

}  // namespace crh
