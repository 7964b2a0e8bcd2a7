#pragma once
// FakeFilesystem: an in-memory directory tree behind the Filesystem seam, with fault injection.
// It keeps the promises filesystem.h documents, so an engine that works against it makes the
// same calls it would make against PosixFilesystem:
//   - WriteAtomic needs the parent directory (kNotFound otherwise) and replaces the file whole;
//   - Remove refuses a non-empty directory (kFailedPrecondition); RemoveAll of an absent path is
//     Ok; List returns sorted names;
//   - Rename replaces a file or an empty directory, needs the source (kNotFound) and the
//     target's parent (kNotFound), and moves a directory with everything under it;
//   - Lock is an in-memory exclusive lock, created as an empty file like flock(2)'s. A fake cannot
//     block, so a second Lock on a path while the first is held returns kUnavailable ("would
//     block") instead of waiting. The lock is released when the FileLock is destroyed, even
//     after the FakeFilesystem is gone.
// Paths must be absolute; "//", "." and ".." are normalized, a trailing '/' is ignored. A relative
// path is kInvalidArgument (Exists/IsDirectory just say false).
//
// Fault sites (subject = the path; for Rename "<from> -> <to>", so a rule's subject can match
// either): fs.read, fs.write, fs.rename, fs.remove (Remove and RemoveAll), fs.mkdir, fs.list,
// fs.lock. All fail cleanly (kFail, changing nothing) except fs.write with kPartialWrite, which
// leaves the first half of the data at the target path, not atomically, then fails. Exists and
// IsDirectory have no site. Every injected fault is logged on the "fake_filesystem" logger.
//
// Thread-safe. The test helpers (SetFile, Truncate, Peek, ...) bypass the fault plan.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/faults/fault_plan.h"
#include "src/fs/filesystem.h"

namespace crh {

class FakeFilesystem : public Filesystem {
 public:
  // A tree holding only "/". A null plan injects nothing.
  explicit FakeFilesystem(FaultPlanPtr plan = nullptr);
  ~FakeFilesystem() override;

  Result<std::string> Read(const std::string& path) override;
  Status WriteAtomic(const std::string& path, const std::string& data) override;
  Status Remove(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  bool Exists(const std::string& path) override;
  bool IsDirectory(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status MkdirAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<FileLockPtr> Lock(const std::string& path) override;

  // The plan this filesystem consults (never null).
  const FaultPlanPtr& plan() const { return plan_; }

  // --- Test helpers: no fault sites. ---

  // Absolute paths of every regular file, sorted.
  std::vector<std::string> AllFiles() const;
  size_t FileCount() const;
  // Writes `data` at `path`, creating missing parent directories. Aborts if `path` is relative
  // or a directory, or a parent is a file (a bug in the test).
  void SetFile(const std::string& path, const std::string& data);
  // Creates the directory `path` and its missing parents. Aborts as SetFile does.
  void SetDir(const std::string& path);
  // Cuts the file to `size` bytes (or pads it with '\0', like truncate(2)). No-op if the file
  // does not exist.
  void Truncate(const std::string& path, size_t size);
  // The file's contents, or nullopt if there is no such file.
  std::optional<std::string> Peek(const std::string& path) const;
  // True while a FileLock on `path` is held.
  bool IsLocked(const std::string& path) const;

 private:
  struct Node {
    bool dir = false;
    std::string data;
  };
  // Shared with the FileLocks handed out, so a lock may outlive the filesystem.
  struct LockTable {
    std::mutex mu;
    std::set<std::string> held;
  };
  class FakeFileLock;

  // Checks the site and logs the rule that fired, if any.
  std::optional<FaultRule> CheckSite(const char* site, const std::string& subject);
  // Requires mu_.
  bool HasChildren(const std::string& dir) const;

  FaultPlanPtr plan_;
  mutable std::mutex mu_;
  std::map<std::string, Node> nodes_;  // normalized absolute path -> node; always holds "/"
  std::shared_ptr<LockTable> locks_;
};

using FakeFilesystemPtr = std::shared_ptr<FakeFilesystem>;

}  // namespace crh
