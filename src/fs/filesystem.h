#pragma once
// The filesystem seam. The engine touches disk only through this interface: the container
// records, the per-container lock, the checkpoint directory's files, network.status. The real
// implementation is PosixFilesystem (posix_filesystem.h); FakeFilesystem (fakes/) is an in-memory
// tree with fault injection.
//
// Paths are absolute, '/'-separated strings. Every method returns an error Status rather than
// throwing; errors name the path.

#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

// Holds an exclusive advisory lock until destroyed (or Release()d).
class FileLock {
 public:
  virtual ~FileLock() = default;
};
using FileLockPtr = std::unique_ptr<FileLock>;

class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // Whole-file read. kNotFound if absent; kUnavailable on I/O errors.
  virtual Result<std::string> Read(const std::string& path) = 0;

  // Atomic replace: the file afterwards holds either its old contents or `data`, never a mix.
  // Writes a temporary sibling, fsyncs it, renames it over `path`, fsyncs the directory.
  // kNotFound if the parent directory does not exist; kUnavailable on I/O errors.
  virtual Status WriteAtomic(const std::string& path, const std::string& data) = 0;

  // Removes a file or an empty directory. kNotFound if absent.
  virtual Status Remove(const std::string& path) = 0;

  // Removes a path and everything under it. Absent is not an error.
  virtual Status RemoveAll(const std::string& path) = 0;

  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;

  // Names (not paths) of a directory's entries, sorted. kNotFound if absent.
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;

  // Creates a directory and its missing parents (mode 0700). Existing is not an error.
  virtual Status MkdirAll(const std::string& path) = 0;

  // rename(2): atomic within a filesystem; replaces an existing file or empty directory.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;

  // Takes an exclusive lock on `path` (created if missing), blocking until it is free. Two crh
  // processes locking the same path never hold it at once (flock(2) on the real filesystem).
  virtual Result<FileLockPtr> Lock(const std::string& path) = 0;
};

using FilesystemPtr = std::shared_ptr<Filesystem>;

// Joins path segments with exactly one '/' between them.
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace crh
