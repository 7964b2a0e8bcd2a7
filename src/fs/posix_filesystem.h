#pragma once
// PosixFilesystem: the real Filesystem, on top of POSIX calls. See filesystem.h for the contract.
//
// Errors name the path and carry strerror(errno); ENOENT maps to kNotFound, everything else that
// the contract does not name to kUnavailable. Lock() uses flock(2), so it excludes other
// processes (and other open file descriptions in this process) but is advisory only. The lock's
// descriptor is O_CLOEXEC, so programs we exec never hold it, but a fork()ed child that does not
// exec shares it (and keeps the lock held until it exits).
// Files are created mode 0600, directories 0700. Exists() does not follow a final symlink (a
// dangling symlink exists); IsDirectory() does. RemoveAll() never follows symlinks.
//
//   auto fs = std::make_shared<PosixFilesystem>();
//   CRH_RETURN_IF_ERROR(fs->MkdirAll("/var/lib/crh/containers/web"));
//   CRH_ASSIGN_OR_RETURN(FileLockPtr lock, fs->Lock("/var/lib/crh/containers/web/lock"));
//   CRH_RETURN_IF_ERROR(fs->WriteAtomic("/var/lib/crh/containers/web/record.json", text));

#include <string>
#include <vector>

#include "src/fs/filesystem.h"

namespace crh {

class PosixFilesystem : public Filesystem {
 public:
  PosixFilesystem() = default;

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
};

}  // namespace crh
