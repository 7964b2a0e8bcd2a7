#include "src/base/host.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crh {

namespace fs = std::filesystem;

namespace {

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> MountsUnder(const std::string& dir) {
  if (dir.empty()) return {};
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    mp = Unescape(mp);
    if (mp == prefix || mp.rfind(prefix + "/", 0) == 0) out.push_back(mp);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::vector<std::string> CgroupDirs(const std::string& rel) {
  std::vector<std::string> dirs;
  if (rel.empty() || rel == "/") return dirs;
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    fs::path d = h.path().string() + rel;
    if (fs::is_directory(d, ec)) dirs.push_back(d.string());
  }
  fs::path v2 = "/sys/fs/cgroup" + rel;  // a pure cgroup v2 host
  if (fs::exists(v2 / "cgroup.procs", ec)) dirs.push_back(v2.string());
  return dirs;
}

void RemoveCgroups(const std::string& rel) {
  const auto dirs = CgroupDirs(rel);
  for (const auto& d : dirs) {
    std::ofstream(fs::path(d) / "freezer.state") << "THAWED";
    std::ofstream(fs::path(d) / "cgroup.freeze") << "0";
  }
  const int64_t deadline = MonotonicMs() + 3000;
  std::error_code ec;
  for (const auto& d : dirs) {
    std::vector<fs::path> tree;
    for (const auto& e : fs::recursive_directory_iterator(d, ec)) {
      if (e.is_directory(ec)) tree.push_back(e.path());
    }
    std::sort(tree.begin(), tree.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    tree.push_back(d);
    for (const auto& t : tree) {
      while (true) {
        std::ifstream procs(t / "cgroup.procs");
        bool any = false;
        for (pid_t pid; procs >> pid;) {
          any = true;
          kill(pid, SIGKILL);
        }
        if (!any || MonotonicMs() > deadline) break;
        usleep(10'000);
      }
      rmdir(t.c_str());
    }
  }
}

}  // namespace crh
