#include "src/net/cni_network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "src/base/subprocess.h"
#include "src/fs/posix_filesystem.h"

extern char** environ;

namespace crh {

using json = nlohmann::json;

namespace {

constexpr char kHostLocalDefaultDataDir[] = "/var/lib/cni/networks";

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool ValidContainerId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

bool ValidNetnsName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.size() <= 255;
}

std::string StripTrailingSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Looks a program up on PATH and then in the sbin directories a root shell would search.
std::string FindProgram(const std::string& name) {
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = JoinPath(dir, name);
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return name;
}

Result<CommandResult> Run(std::vector<std::string> argv, int timeout_ms = 30'000) {
  argv[0] = FindProgram(argv[0]);
  return RunCommand({.argv = std::move(argv), .timeout_ms = timeout_ms});
}

// Our environment minus every CNI_* variable, so nothing of ours leaks into a plugin call.
std::map<std::string, std::string> BaseEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (key.rfind("CNI_", 0) == 0) continue;
    env[key] = kv.substr(eq + 1);
  }
  if (env.find("PATH") == env.end()) env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
  return env;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

// ---- Conflists -------------------------------------------------------------------------------

std::string BridgeConflist(const BridgeNetworkSpec& spec) {
  json ipam = {{"type", "host-local"},
               {"ranges", json::array({json::array({{{"subnet", spec.subnet}}})})},
               {"routes", json::array()}};
  if (!spec.data_dir.empty()) ipam["dataDir"] = spec.data_dir;
  json bridge = {{"type", "bridge"},       {"bridge", spec.bridge}, {"isGateway", true},
                 {"ipMasq", false},        {"hairpinMode", false},  {"ipam", ipam}};
  json list = {{"cniVersion", kCniVersion},
               {"name", spec.name},
               {"plugins", json::array({bridge})}};
  return list.dump(2) + "\n";
}

std::string DefaultConflist(const std::string& state_dir) {
  return BridgeConflist({.data_dir = JoinPath(state_dir, "cni/ipam")});
}

Result<CniConflist> ParseConflist(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("conflist: not valid JSON");
  if (!j.is_object()) return InvalidArgument("conflist: expected an object");
  CniConflist list;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    return InvalidArgument("conflist.name: missing or not a non-empty string");
  }
  list.name = name->get<std::string>();
  auto version = j.find("cniVersion");
  if (version == j.end() || !version->is_string()) {
    return InvalidArgument("conflist.cniVersion: missing or not a string");
  }
  list.cni_version = version->get<std::string>();

  json plugins;
  if (auto p = j.find("plugins"); p != j.end()) {
    if (!p->is_array() || p->empty()) {
      return InvalidArgument("conflist.plugins: expected a non-empty array");
    }
    plugins = *p;
  } else if (j.contains("type")) {
    plugins = json::array({j});  // a single-plugin .conf
  } else {
    return InvalidArgument("conflist.plugins: missing");
  }
  for (size_t i = 0; i < plugins.size(); ++i) {
    const std::string where = "conflist.plugins[" + std::to_string(i) + "]";
    const json& p = plugins[i];
    if (!p.is_object()) return InvalidArgument(where + ": expected an object");
    auto type = p.find("type");
    if (type == p.end() || !type->is_string() || type->get<std::string>().empty()) {
      return InvalidArgument(where + ".type: missing or not a non-empty string");
    }
    const std::string t = type->get<std::string>();
    if (t.find('/') != std::string::npos || t == "." || t == "..") {
      return InvalidArgument(where + ".type: \"" + t + "\" is not a plugin name");
    }
    list.plugins.push_back({t, p.dump()});
  }
  return list;
}

Result<std::string> BuildPluginConfig(const CniConflist& list, size_t index,
                                      const std::string& prev_result_json) {
  if (index >= list.plugins.size()) {
    return InvalidArgument("plugin index " + std::to_string(index) + " out of range");
  }
  json conf = json::parse(list.plugins[index].json, nullptr, /*allow_exceptions=*/false);
  if (!conf.is_object()) return InvalidArgument("plugin config is not a JSON object");
  conf["name"] = list.name;
  conf["cniVersion"] = list.cni_version;
  conf.erase("prevResult");
  if (!prev_result_json.empty()) {
    json prev = json::parse(prev_result_json, nullptr, /*allow_exceptions=*/false);
    if (!prev.is_object()) return InvalidArgument("prevResult is not a JSON object");
    conf["prevResult"] = std::move(prev);
  }
  return conf.dump();
}

Result<std::string> BuildCniArgs(const NetworkRequest& request) {
  if (request.static_ip.empty()) return std::string();
  if (!IsIpAddress(request.static_ip)) {
    return InvalidArgument("static IP \"" + request.static_ip +
                           "\" is not an IPv4 or IPv6 address (give it without a prefix)");
  }
  return "IgnoreUnknown=1;IP=" + request.static_ip;
}

Result<CniError> ParseCniError(const std::string& out) {
  json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("msg")) return InvalidArgument("not a CNI error object");
  CniError e;
  if (auto c = j.find("code"); c != j.end() && c->is_number_integer()) e.code = c->get<int>();
  if (auto m = j.find("msg"); m->is_string()) e.msg = m->get<std::string>();
  if (auto d = j.find("details"); d != j.end() && d->is_string()) e.details = d->get<std::string>();
  return e;
}

Status CniFailureStatus(const std::string& network, const std::string& command,
                        const std::string& plugin, int exit_code, bool timed_out,
                        const std::string& out, const std::string& err) {
  std::string text;
  std::string what = network + ": CNI " + command + " " + plugin + " failed: ";
  auto parsed = ParseCniError(out);
  if (!timed_out && parsed.ok()) {
    text = parsed->msg;
    what += parsed->msg;
    if (!parsed->details.empty()) {
      text += " " + parsed->details;
      what += " (" + parsed->details + ")";
    }
    what += " [CNI error code " + std::to_string(parsed->code) + "]";
  } else {
    CommandResult r{.exit_code = exit_code, .timed_out = timed_out, .out = out, .err = err};
    text = Trim(err.empty() ? out : err);
    what += r.Describe(plugin);
  }
  // host-local's wording (containernetworking-plugins 1.1.1, ipam/host-local allocator).
  if (text.find("is not available in range set") != std::string::npos) {
    return AlreadyExists(what);
  }
  if (text.find("is subnet's gateway") != std::string::npos ||
      text.find("failed to allocate all requested IPs") != std::string::npos ||
      text.find("not in range set") != std::string::npos ||
      text.find("invalid IP address") != std::string::npos) {
    return InvalidArgument(what);
  }
  return Unavailable(what);
}

// ---- CniNetwork -------------------------------------------------------------------------------

CniNetwork::CniNetwork(CniNetworkOptions options) : options_(std::move(options)) {}

Status CniNetwork::Init() {
  if (options_.state_dir.empty()) return InvalidArgument("CniNetwork: state_dir is required");
  if (options_.conflist.empty()) return InvalidArgument("CniNetwork: conflist is required");
  std::string text = options_.conflist;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') {
    PosixFilesystem fs;
    auto read = fs.Read(options_.conflist);
    if (!read.ok()) return read.status().WithContext("reading CNI conflist");
    text = std::move(read).value();
  }
  auto parsed = ParseConflist(text);
  if (!parsed.ok()) return parsed.status();
  if (!ValidContainerId(parsed->name)) {
    return InvalidArgument("conflist.name: \"" + parsed->name +
                           "\" must be letters, digits, '_', '.', '-'");
  }
  list_ = std::move(parsed).value();
  PosixFilesystem fs;
  CRH_RETURN_IF_ERROR(fs.MkdirAll(JoinPath(options_.state_dir, "cni/results/" + list_.name)));
  initialized_ = true;
  return Status::Ok();
}

std::string CniNetwork::Name() const { return list_.name; }

Status CniNetwork::CheckInit() const {
  if (!initialized_) return FailedPrecondition("CniNetwork: Init() has not succeeded");
  return Status::Ok();
}

std::string CniNetwork::ResultPath(const std::string& container_id) const {
  return JoinPath(options_.state_dir,
                  "cni/results/" + list_.name + "/" + container_id + ".json");
}

Result<std::string> CniNetwork::CreateNetns(const std::string& name) {
  if (!ValidNetnsName(name)) return InvalidArgument("netns name \"" + name + "\" is not valid");
  const std::string dir = StripTrailingSlashes(options_.netns_dir);
  const std::string path = JoinPath(dir, name);
  // 0755 as `ip netns add` makes it; not PosixFilesystem::MkdirAll (0700).
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return Unavailable("mkdir " + prefix + ": " + strerror(errno));
    }
  }
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists("netns " + path + " already exists");
    return Unavailable("create " + path + ": " + strerror(errno));
  }
  close(fd);
  auto undo = [&] {
    umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
  };
  auto made = Run({"unshare", "--net=" + path, "true"});
  if (!made.ok() || !made->ok()) {
    undo();
    return Unavailable("create netns " + path + ": " +
                       (made.ok() ? made->Describe("unshare") : made.status().message()));
  }
  auto lo = Run({"nsenter", "--net=" + path, FindProgram("ip"), "link", "set", "lo", "up"});
  if (!lo.ok() || !lo->ok()) {
    undo();
    return Unavailable("bring up loopback in " + path + ": " +
                       (lo.ok() ? lo->Describe("nsenter ip link set lo up")
                                : lo.status().message()));
  }
  return path;
}

Status CniNetwork::DeleteNetns(const std::string& path) {
  const std::string dir = StripTrailingSlashes(options_.netns_dir);
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos || path.substr(0, slash) != dir ||
      !ValidNetnsName(path.substr(slash + 1))) {
    return InvalidArgument("netns path " + path + " is not a namespace in " + dir);
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return NotFound("netns " + path + " does not exist");
    return Unavailable("stat " + path + ": " + strerror(errno));
  }
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Unavailable("umount netns " + path + ": " + strerror(errno));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Unavailable("remove netns " + path + ": " + strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> CniNetwork::RunPlugin(size_t index, const std::string& command,
                                          const std::string& container_id,
                                          const std::string& netns_path,
                                          const std::string& cni_args,
                                          const std::string& prev_result) {
  const CniPluginConf& plugin = list_.plugins[index];
  std::string binary;
  size_t start = 0;
  const std::string& dirs = options_.cni_path;
  while (start <= dirs.size() && binary.empty()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = JoinPath(dir, plugin.type);
      if (access(candidate.c_str(), X_OK) == 0) binary = candidate;
    }
    start = end + 1;
  }
  if (binary.empty()) {
    return Unavailable(list_.name + ": CNI " + command + " " + plugin.type + " failed: plugin \"" +
                       plugin.type + "\" not found in CNI_PATH " + options_.cni_path);
  }
  CRH_ASSIGN_OR_RETURN(std::string config, BuildPluginConfig(list_, index, prev_result));
  auto env = BaseEnvironment();
  env["CNI_COMMAND"] = command;
  env["CNI_CONTAINERID"] = container_id;
  env["CNI_NETNS"] = netns_path;
  env["CNI_IFNAME"] = options_.ifname;
  env["CNI_PATH"] = options_.cni_path;
  if (!cni_args.empty()) env["CNI_ARGS"] = cni_args;
  auto run = RunCommand({.argv = {binary},
                         .env = std::move(env),
                         .stdin_data = std::move(config),
                         .timeout_ms = options_.plugin_timeout_ms});
  if (!run.ok()) return run.status().WithContext(list_.name + ": CNI " + command);
  if (!run->ok()) {
    return CniFailureStatus(list_.name, command, plugin.type, run->exit_code, run->timed_out,
                            run->out, run->err);
  }
  return run->out;
}

Status CniNetwork::DelAll(const std::string& container_id, const std::string& netns_path,
                          const std::string& prev_result) {
  Status first;
  for (size_t i = list_.plugins.size(); i-- > 0;) {
    auto r = RunPlugin(i, "DEL", container_id, netns_path, /*cni_args=*/"", prev_result);
    if (!r.ok() && first.ok()) first = r.status();
  }
  return first;
}

Result<NetworkStatus> CniNetwork::Setup(const std::string& container_id,
                                        const std::string& netns_path,
                                        const NetworkRequest& request) {
  CRH_RETURN_IF_ERROR(CheckInit());
  if (!ValidContainerId(container_id)) {
    return InvalidArgument("container ID \"" + container_id +
                           "\" must be 1-128 of letters, digits, '_', '.', '-'");
  }
  if (netns_path.empty()) return InvalidArgument("setup " + container_id + ": empty netns path");
  CRH_ASSIGN_OR_RETURN(std::string cni_args, BuildCniArgs(request));
  const std::string context = "setup network " + list_.name + " for container " + container_id;
  PosixFilesystem fs;
  const std::string result_path = ResultPath(container_id);
  if (fs.Exists(result_path)) {
    return FailedPrecondition(context + ": already set up (" + result_path +
                              " exists); tear it down first");
  }

  std::string prev;
  for (size_t i = 0; i < list_.plugins.size(); ++i) {
    auto r = RunPlugin(i, "ADD", container_id, netns_path, cni_args, prev);
    if (!r.ok()) {
      Status failure = r.status().WithContext(context);
      Status undo = DelAll(container_id, netns_path, prev);
      if (!undo.ok()) {
        return Status(failure.code(), failure.message() +
                                          "; cleaning up with DEL also failed: " + undo.message());
      }
      return failure;
    }
    prev = std::move(r).value();
  }

  auto status = NetworkStatus::FromJson(prev);
  Status stored = status.ok() ? fs.WriteAtomic(result_path, prev) : status.status();
  if (!stored.ok()) {
    Status undo = DelAll(container_id, netns_path, prev);
    std::string msg = context + ": " + (status.ok() ? "storing the CNI result: "
                                                    : "the last plugin's result: ") +
                      stored.message();
    if (!undo.ok()) msg += "; cleaning up with DEL also failed: " + undo.message();
    return Unavailable(msg);
  }
  return status;
}

Status CniNetwork::Teardown(const std::string& container_id, const std::string& netns_path) {
  CRH_RETURN_IF_ERROR(CheckInit());
  if (!ValidContainerId(container_id)) {
    return InvalidArgument("container ID \"" + container_id +
                           "\" must be 1-128 of letters, digits, '_', '.', '-'");
  }
  PosixFilesystem fs;
  const std::string result_path = ResultPath(container_id);
  std::string prev;
  if (auto read = fs.Read(result_path); read.ok()) {
    prev = std::move(read).value();
    // A corrupt stored result must not block releasing the address: DEL without prevResult.
    if (!json::accept(prev)) prev.clear();
  } else if (read.status().code() != Code::kNotFound) {
    return read.status().WithContext("teardown " + container_id);
  }
  Status del = DelAll(container_id, netns_path, prev);
  if (!del.ok()) {
    return del.WithContext("teardown network " + list_.name + " for container " + container_id);
  }
  return fs.RemoveAll(result_path);
}

Result<NetworkStatus> CniNetwork::StoredStatus(const std::string& container_id) {
  CRH_RETURN_IF_ERROR(CheckInit());
  if (!ValidContainerId(container_id)) {
    return InvalidArgument("container ID \"" + container_id + "\" is not valid");
  }
  PosixFilesystem fs;
  CRH_ASSIGN_OR_RETURN(std::string text, fs.Read(ResultPath(container_id)));
  auto s = NetworkStatus::FromJson(text);
  if (!s.ok()) return DataLoss(ResultPath(container_id) + ": " + s.status().message());
  return s;
}

std::vector<std::string> CniNetwork::ReservedIps() const {
  std::vector<std::string> ips;
  for (const auto& p : list_.plugins) {
    json conf = json::parse(p.json, nullptr, false);
    auto ipam = conf.find("ipam");
    if (ipam == conf.end() || !ipam->is_object() || ipam->value("type", "") != "host-local") {
      continue;
    }
    std::string data_dir = ipam->value("dataDir", std::string(kHostLocalDefaultDataDir));
    for (auto& name : ListDir(JoinPath(data_dir, list_.name))) {
      if (IsIpAddress(name)) ips.push_back(std::move(name));
    }
  }
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  return ips;
}

std::vector<std::string> CniNetwork::StoredContainers() const {
  std::vector<std::string> ids;
  if (!initialized_) return ids;
  for (const auto& name : ListDir(JoinPath(options_.state_dir, "cni/results/" + list_.name))) {
    const std::string suffix = ".json";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ids.push_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  return ids;
}

std::vector<std::string> CniNetwork::Bridges() const {
  std::vector<std::string> out;
  for (const auto& p : list_.plugins) {
    if (p.type != "bridge") continue;
    json conf = json::parse(p.json, nullptr, false);
    out.push_back(conf.value("bridge", std::string("cni0")));
  }
  return out;
}

Status CniNetwork::DeleteBridges() {
  for (const auto& b : Bridges()) {
    if (!HostLinkExists(b)) continue;
    auto r = Run({"ip", "link", "del", b});
    if (!r.ok()) return r.status();
    if (!r->ok() && HostLinkExists(b)) {
      return Unavailable("delete bridge " + b + ": " + r->Describe("ip link del"));
    }
  }
  return Status::Ok();
}

bool NetnsExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool HostLinkExists(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos) return false;
  struct stat st;
  return lstat(("/sys/class/net/" + name).c_str(), &st) == 0;
}

std::vector<std::string> BridgePorts(const std::string& bridge) {
  if (bridge.empty() || bridge.find('/') != std::string::npos) return {};
  return ListDir("/sys/class/net/" + bridge + "/brif");
}

}  // namespace crh
