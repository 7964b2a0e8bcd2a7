#include "fakes/fake_filesystem.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "src/base/named_logger.h"

namespace crh {

namespace {

std::shared_ptr<spdlog::logger> Log() { return NamedLogger("fake_filesystem"); }

Result<std::string> Normalize(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgument("path \"" + path + "\" is not absolute");
  }
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  if (parts.empty()) return std::string("/");
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

std::string ParentOf(const std::string& normalized) {
  const size_t slash = normalized.rfind('/');
  return slash == 0 ? "/" : normalized.substr(0, slash);
}

std::string ChildPrefix(const std::string& dir) { return dir == "/" ? "/" : dir + "/"; }

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

[[noreturn]] void TestBug(const std::string& what) {
  std::fprintf(stderr, "FakeFilesystem misuse: %s\n", what.c_str());
  std::abort();
}

}  // namespace

class FakeFilesystem::FakeFileLock : public FileLock {
 public:
  FakeFileLock(std::shared_ptr<LockTable> table, std::string path)
      : table_(std::move(table)), path_(std::move(path)) {}
  ~FakeFileLock() override {
    std::lock_guard<std::mutex> lock(table_->mu);
    table_->held.erase(path_);
  }

 private:
  std::shared_ptr<LockTable> table_;
  std::string path_;
};

FakeFilesystem::FakeFilesystem(FaultPlanPtr plan)
    : plan_(plan ? std::move(plan) : std::make_shared<FaultPlan>()),
      locks_(std::make_shared<LockTable>()) {
  nodes_["/"] = Node{.dir = true};
}

FakeFilesystem::~FakeFilesystem() = default;

std::optional<FaultRule> FakeFilesystem::CheckSite(const char* site, const std::string& subject) {
  auto rule = plan_->Check(site, subject);
  if (rule) {
    Log()->info("injected fault at {} ({}) on {}", site, FaultEffectName(rule->effect), subject);
  }
  return rule;
}

bool FakeFilesystem::HasChildren(const std::string& dir) const {
  const std::string prefix = ChildPrefix(dir);
  auto it = nodes_.upper_bound(prefix);
  return it != nodes_.end() && StartsWith(it->first, prefix);
}

Result<std::string> FakeFilesystem::Read(const std::string& path) {
  if (auto rule = CheckSite("fs.read", path)) {
    return FaultPlan::InjectedError(*rule, "fs.read", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(p);
  if (it == nodes_.end()) return NotFound("read " + p + ": no such file");
  if (it->second.dir) return FailedPrecondition("read " + p + ": is a directory");
  return it->second.data;
}

Status FakeFilesystem::WriteAtomic(const std::string& path, const std::string& data) {
  auto rule = CheckSite("fs.write", path);
  if (rule && rule->effect != FaultEffect::kPartialWrite) {
    return FaultPlan::InjectedError(*rule, "fs.write", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  auto parent = nodes_.find(ParentOf(p));
  if (parent == nodes_.end()) {
    return NotFound("write " + p + ": parent directory " + ParentOf(p) + " does not exist");
  }
  if (!parent->second.dir) {
    return NotFound("write " + p + ": parent " + ParentOf(p) + " is not a directory");
  }
  auto it = nodes_.find(p);
  if (it != nodes_.end() && it->second.dir) {
    return FailedPrecondition("write " + p + ": is a directory");
  }
  if (rule) {
    // The torn write WriteAtomic exists to prevent: the target holds a prefix of the new data.
    nodes_[p] = Node{.dir = false, .data = data.substr(0, data.size() / 2)};
    Log()->info("fs.write partial_write: left {} of {} bytes at {}", data.size() / 2,
                data.size(), p);
    return FaultPlan::InjectedError(*rule, "fs.write", path);
  }
  nodes_[p] = Node{.dir = false, .data = data};
  return Status::Ok();
}

Status FakeFilesystem::Remove(const std::string& path) {
  if (auto rule = CheckSite("fs.remove", path)) {
    return FaultPlan::InjectedError(*rule, "fs.remove", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  if (p == "/") return FailedPrecondition("remove /: refusing to remove the root");
  auto it = nodes_.find(p);
  if (it == nodes_.end()) return NotFound("remove " + p + ": no such file or directory");
  if (it->second.dir && HasChildren(p)) {
    return FailedPrecondition("remove " + p + ": directory not empty");
  }
  nodes_.erase(it);
  return Status::Ok();
}

Status FakeFilesystem::RemoveAll(const std::string& path) {
  if (auto rule = CheckSite("fs.remove", path)) {
    return FaultPlan::InjectedError(*rule, "fs.remove", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  if (p == "/") return FailedPrecondition("remove /: refusing to remove the root");
  const std::string prefix = ChildPrefix(p);
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && StartsWith(it->first, prefix);) {
    it = nodes_.erase(it);
  }
  nodes_.erase(p);
  return Status::Ok();
}

bool FakeFilesystem::Exists(const std::string& path) {
  auto p = Normalize(path);
  if (!p.ok()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.count(*p) > 0;
}

bool FakeFilesystem::IsDirectory(const std::string& path) {
  auto p = Normalize(path);
  if (!p.ok()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(*p);
  return it != nodes_.end() && it->second.dir;
}

Result<std::vector<std::string>> FakeFilesystem::List(const std::string& dir) {
  if (auto rule = CheckSite("fs.list", dir)) {
    return FaultPlan::InjectedError(*rule, "fs.list", dir);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(dir));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(p);
  if (it == nodes_.end()) return NotFound("list " + p + ": no such directory");
  if (!it->second.dir) return FailedPrecondition("list " + p + ": not a directory");
  const std::string prefix = ChildPrefix(p);
  std::vector<std::string> names;
  for (auto c = nodes_.upper_bound(prefix); c != nodes_.end() && StartsWith(c->first, prefix);
       ++c) {
    const std::string rest = c->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) names.push_back(rest);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status FakeFilesystem::MkdirAll(const std::string& path) {
  if (auto rule = CheckSite("fs.mkdir", path)) {
    return FaultPlan::InjectedError(*rule, "fs.mkdir", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  // Check the whole chain first so a failure creates nothing.
  std::vector<std::string> missing;
  for (std::string cur = p;; cur = ParentOf(cur)) {
    auto it = nodes_.find(cur);
    if (it != nodes_.end()) {
      if (!it->second.dir) {
        return FailedPrecondition("mkdir " + p + ": " + cur + " exists and is not a directory");
      }
      break;
    }
    missing.push_back(cur);
    if (cur == "/") break;
  }
  for (const auto& m : missing) nodes_[m] = Node{.dir = true};
  return Status::Ok();
}

Status FakeFilesystem::Rename(const std::string& from, const std::string& to) {
  const std::string subject = from + " -> " + to;
  if (auto rule = CheckSite("fs.rename", subject)) {
    return FaultPlan::InjectedError(*rule, "fs.rename", subject);
  }
  CRH_ASSIGN_OR_RETURN(std::string f, Normalize(from));
  CRH_ASSIGN_OR_RETURN(std::string t, Normalize(to));
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "rename " + f + " -> " + t;
  auto src = nodes_.find(f);
  if (src == nodes_.end()) return NotFound(what + ": source does not exist");
  auto parent = nodes_.find(ParentOf(t));
  if (parent == nodes_.end() || !parent->second.dir) {
    return NotFound(what + ": target directory " + ParentOf(t) + " does not exist");
  }
  if (f == t) return Status::Ok();
  if (f == "/" || StartsWith(t, ChildPrefix(f))) {
    return InvalidArgument(what + ": cannot move a directory into itself");
  }
  const bool src_dir = src->second.dir;
  auto dst = nodes_.find(t);
  if (dst != nodes_.end()) {
    if (src_dir && !dst->second.dir) {
      return FailedPrecondition(what + ": target is not a directory");
    }
    if (!src_dir && dst->second.dir) {
      return FailedPrecondition(what + ": target is a directory");
    }
    if (dst->second.dir && HasChildren(t)) {
      return FailedPrecondition(what + ": target directory not empty");
    }
    nodes_.erase(dst);
  }
  std::vector<std::pair<std::string, Node>> moved;
  moved.emplace_back(t, src->second);
  nodes_.erase(src);
  if (src_dir) {
    const std::string prefix = ChildPrefix(f);
    for (auto it = nodes_.lower_bound(prefix);
         it != nodes_.end() && StartsWith(it->first, prefix);) {
      moved.emplace_back(t + "/" + it->first.substr(prefix.size()), std::move(it->second));
      it = nodes_.erase(it);
    }
  }
  for (auto& [p, node] : moved) nodes_[p] = std::move(node);
  return Status::Ok();
}

Result<FileLockPtr> FakeFilesystem::Lock(const std::string& path) {
  if (auto rule = CheckSite("fs.lock", path)) {
    return FaultPlan::InjectedError(*rule, "fs.lock", path);
  }
  CRH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!nodes_.count(p)) {
      auto parent = nodes_.find(ParentOf(p));
      if (parent == nodes_.end() || !parent->second.dir) {
        return NotFound("lock " + p + ": parent directory " + ParentOf(p) + " does not exist");
      }
      nodes_[p] = Node{};
    }
  }
  std::lock_guard<std::mutex> lock(locks_->mu);
  if (!locks_->held.insert(p).second) {
    // A real flock would wait here; a single-threaded simulation would deadlock instead.
    return Unavailable("lock " + p + ": would block (held by another lock holder)");
  }
  return FileLockPtr(std::make_unique<FakeFileLock>(locks_, p));
}

std::vector<std::string> FakeFilesystem::AllFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> files;
  for (const auto& [p, node] : nodes_) {
    if (!node.dir) files.push_back(p);
  }
  return files;
}

size_t FakeFilesystem::FileCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(nodes_.begin(), nodes_.end(), [](const auto& n) { return !n.second.dir; });
}

void FakeFilesystem::SetFile(const std::string& path, const std::string& data) {
  auto p = Normalize(path);
  if (!p.ok()) TestBug("SetFile(" + path + "): path is not absolute");
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (std::string cur = ParentOf(*p);; cur = ParentOf(cur)) {
    auto it = nodes_.find(cur);
    if (it != nodes_.end()) {
      if (!it->second.dir) TestBug("SetFile(" + path + "): " + cur + " is a file");
      break;
    }
    missing.push_back(cur);
  }
  auto it = nodes_.find(*p);
  if (it != nodes_.end() && it->second.dir) TestBug("SetFile(" + path + "): is a directory");
  for (const auto& m : missing) nodes_[m] = Node{.dir = true};
  nodes_[*p] = Node{.dir = false, .data = data};
}

void FakeFilesystem::SetDir(const std::string& path) {
  auto p = Normalize(path);
  if (!p.ok()) TestBug("SetDir(" + path + "): path is not absolute");
  std::lock_guard<std::mutex> lock(mu_);
  for (std::string cur = *p;; cur = ParentOf(cur)) {
    auto it = nodes_.find(cur);
    if (it != nodes_.end()) {
      if (!it->second.dir) TestBug("SetDir(" + path + "): " + cur + " is a file");
      break;
    }
    nodes_[cur] = Node{.dir = true};
  }
}

void FakeFilesystem::Truncate(const std::string& path, size_t size) {
  auto p = Normalize(path);
  if (!p.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(*p);
  if (it == nodes_.end() || it->second.dir) return;
  it->second.data.resize(size, '\0');
}

std::optional<std::string> FakeFilesystem::Peek(const std::string& path) const {
  auto p = Normalize(path);
  if (!p.ok()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(*p);
  if (it == nodes_.end() || it->second.dir) return std::nullopt;
  return it->second.data;
}

bool FakeFilesystem::IsLocked(const std::string& path) const {
  auto p = Normalize(path);
  if (!p.ok()) return false;
  std::lock_guard<std::mutex> lock(locks_->mu);
  return locks_->held.count(*p) > 0;
}

}  // namespace crh
