#include "src/oci/process_tree.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace crh {

namespace {

namespace fs = std::filesystem;

struct Proc {
  char state = '?';
  pid_t ppid = 0;
  pid_t ns_pid = 0;
  std::string comm;
  std::string pidns;
};

std::string ReadLink(const fs::path& p) {
  std::error_code ec;
  fs::path t = fs::read_symlink(p, ec);
  return ec ? "" : t.string();
}

// PPid and the last NSpid entry of /proc/PID/status; false if the process is gone.
bool ReadStatus(const fs::path& dir, Proc* p) {
  std::ifstream in(dir / "status");
  if (!in) return false;
  std::string line;
  bool have_ppid = false;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string key;
    ss >> key;
    if (key == "State:") {
      ss >> p->state;
    } else if (key == "PPid:") {
      have_ppid = static_cast<bool>(ss >> p->ppid);
    } else if (key == "NSpid:") {
      pid_t v;
      while (ss >> v) p->ns_pid = v;
    }
  }
  std::ifstream comm(dir / "comm");
  std::getline(comm, p->comm);
  return have_ppid;
}

bool IsPid(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<StrayProcess>> ProcessesOutsideInitTree(pid_t init_pid,
                                                          const std::string& proc_root) {
  const fs::path root(proc_root);
  const std::string init_ns = ReadLink(root / std::to_string(init_pid) / "ns" / "pid");
  if (init_ns.empty()) {
    return NotFound("process " + std::to_string(init_pid) + " is not in " + proc_root);
  }
  const std::string self_ns = ReadLink(root / "self" / "ns" / "pid");
  if (init_ns == self_ns) return std::vector<StrayProcess>{};

  std::map<pid_t, Proc> members;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!IsPid(name)) continue;
    Proc p;
    p.pidns = ReadLink(it->path() / "ns" / "pid");
    if (p.pidns != init_ns || !ReadStatus(it->path(), &p)) continue;
    members[static_cast<pid_t>(std::stol(name))] = p;
  }
  if (ec) return Unavailable("listing " + proc_root + ": " + ec.message());

  std::vector<StrayProcess> out;
  for (const auto& [pid, p] : members) {
    // A zombie has nothing left to lose (its parent outside may simply not reap it).
    if (pid == init_pid || p.state == 'Z' || p.state == 'X') continue;
    // Walk up inside the namespace: a member whose chain reaches init is dumped. A parent
    // outside the namespace (or 0) ends the chain without reaching it.
    pid_t cur = p.ppid;
    for (size_t hops = 0; cur != init_pid && hops <= members.size(); ++hops) {
      auto up = members.find(cur);
      if (up == members.end()) break;
      cur = up->second.ppid;
    }
    if (cur != init_pid) out.push_back({pid, p.ns_pid, p.ppid, p.comm});
  }
  return out;
}

std::string DescribeStrays(const std::string& id, const std::vector<StrayProcess>& strays) {
  std::string list;
  for (const auto& s : strays) {
    if (!list.empty()) list += ", ";
    list += std::to_string(s.pid) + " (" + s.comm + ", pid " + std::to_string(s.ns_pid) +
            " in the container)";
  }
  return "checkpoint " + id + ": process" + (strays.size() > 1 ? "es " : " ") + list +
         (strays.size() > 1 ? " are" : " is") +
         " not a descendant of the container's init (started by exec --detach?); CRIU dumps only "
         "init's process tree and would leave " +
         (strays.size() > 1 ? "them" : "it") +
         " out of the checkpoint without an error. Stop " + (strays.size() > 1 ? "them" : "it") +
         ", or start background processes so that they daemonize inside the container (fork "
         "and let the parent exit: init adopts the child), then checkpoint again";
}

}  // namespace crh
