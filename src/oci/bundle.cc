#include "src/oci/bundle.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "src/base/subprocess.h"

namespace crh {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status WriteFile(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Unavailable("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) return Unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

json Mount(const char* dest, const char* type, const char* source,
           std::vector<std::string> options) {
  json m{{"destination", dest}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = options;
  return m;
}

}  // namespace

std::string BusyboxConfigJson(const std::vector<std::string>& cmd, const BundleOptions& opts) {
  // `runc spec`'s defaults (runc 1.3.6), edited only as a user edits them for a detached
  // container: args, terminal off, a writable root, the hostname and the network namespace. So
  // the suites checkpoint what users run: masked *directories* (/proc/acpi, /sys/firmware, ...),
  // readonly paths and the cgroup mount included.
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  json netns = {{"type", "network"}};
  if (!opts.netns_path.empty()) netns["path"] = opts.netns_path;
  json spec = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", cmd},
        {"env", opts.env},
        {"cwd", opts.cwd},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", false}}},
      {"hostname", opts.hostname},
      {"mounts",
       json::array({
           Mount("/proc", "proc", "proc", {}),
           Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
           Mount("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
           Mount("/dev/shm", "tmpfs", "shm",
                 {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
           Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
           Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
           Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                 {"nosuid", "noexec", "nodev", "relatime", "ro"}),
       })},
      {"linux",
       {{"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
        {"namespaces",
         json::array({{{"type", "pid"}}, netns, {{"type", "ipc"}}, {{"type", "uts"}},
                      {{"type", "mount"}}})},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
  if (!opts.annotations.empty()) spec["annotations"] = opts.annotations;
  return spec.dump(2) + "\n";
}

Status MakeBusyboxBundle(const std::string& dir, const std::vector<std::string>& cmd,
                         const BundleOptions& opts) {
  if (cmd.empty()) return InvalidArgument("MakeBusyboxBundle: empty command");
  std::error_code ec;
  if (!fs::exists(opts.busybox, ec)) {
    return NotFound("busybox " + opts.busybox + " not found: install busybox-static");
  }
  const fs::path root = fs::path(dir) / "rootfs";
  for (const char* sub : {"bin", "sbin", "usr/bin", "usr/sbin", "proc", "dev", "sys", "tmp", "etc",
                          "root", "var/run", "run"}) {
    fs::create_directories(root / sub, ec);
    if (ec) return Unavailable("cannot create " + (root / sub).string() + ": " + ec.message());
  }
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  const fs::path bb = root / "bin" / "busybox";
  fs::copy_file(opts.busybox, bb, fs::copy_options::overwrite_existing, ec);
  if (ec) return Unavailable("cannot copy " + opts.busybox + " to " + bb.string() + ": " +
                             ec.message());

  // `busybox --list-full` names every applet with its conventional directory.
  CRH_ASSIGN_OR_RETURN(CommandResult list, RunCommand({.argv = {opts.busybox, "--list-full"}}));
  if (!list.ok()) return Unavailable(list.Describe(opts.busybox + " --list-full"));
  std::istringstream lines(list.out);
  std::string applet;
  while (std::getline(lines, applet)) {
    if (applet.empty() || applet == "bin/busybox") continue;
    fs::path link = root / applet;
    if (fs::symlink_status(link, ec).type() != fs::file_type::not_found) continue;
    fs::create_directories(link.parent_path(), ec);
    fs::create_symlink("/bin/busybox", link, ec);
    if (ec) return Unavailable("cannot create " + link.string() + ": " + ec.message());
  }
  CRH_RETURN_IF_ERROR(WriteFile(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                                     "nobody:x:65534:65534:nobody:/:/bin/false\n"));
  CRH_RETURN_IF_ERROR(WriteFile(root / "etc/group", "root:x:0:\nnogroup:x:65534:\n"));
  CRH_RETURN_IF_ERROR(WriteFile(root / "etc/hostname", opts.hostname + "\n"));
  return WriteFile(fs::path(dir) / "config.json", BusyboxConfigJson(cmd, opts));
}

Result<std::string> WithNetnsPath(const std::string& config_json, const std::string& netns_path,
                                  const std::string& rootfs_abs) {
  if (rootfs_abs.empty() || rootfs_abs[0] != '/') {
    return InvalidArgument("WithNetnsPath: rootfs path \"" + rootfs_abs + "\" is not absolute");
  }
  json spec = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    return InvalidArgument("config.json is not a JSON object");
  }
  if (spec.contains("root") && !spec["root"].is_object()) {
    return InvalidArgument("config.json: \"root\" is not an object");
  }
  spec["root"]["path"] = rootfs_abs;
  json& linux_obj = spec["linux"];
  if (!linux_obj.is_object()) return InvalidArgument("config.json: \"linux\" is not an object");
  json& nss = linux_obj["namespaces"];
  if (nss.is_null()) nss = json::array();
  if (!nss.is_array()) return InvalidArgument("config.json: linux.namespaces is not an array");
  bool found = false;
  for (json& ns : nss) {
    if (!ns.is_object() || ns.value("type", "") != "network") continue;
    found = true;
    if (netns_path.empty()) {
      ns.erase("path");
    } else {
      ns["path"] = netns_path;
    }
  }
  if (!found) {
    json ns = {{"type", "network"}};
    if (!netns_path.empty()) ns["path"] = netns_path;
    nss.push_back(ns);
  }
  return spec.dump(2) + "\n";
}

bool BundleWantsTerminal(const std::string& bundle) {
  if (bundle.empty()) return false;
  std::ifstream in(bundle + "/config.json");
  if (!in) return false;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("process") || !j["process"].is_object()) return false;
  const nlohmann::json t = j["process"].value("terminal", nlohmann::json(false));
  return t.is_boolean() && t.get<bool>();
}

}  // namespace crh
