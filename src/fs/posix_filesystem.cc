#include "src/fs/posix_filesystem.h"

#include "src/base/host.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <cstring>

namespace crh {

namespace {

// "<op> <path>: <strerror>" with a code chosen from errno.
Status ErrnoStatus(const std::string& op, const std::string& path, int err) {
  std::string msg = op + " " + path + ": " + strerror(err);
  switch (err) {
    case ENOENT:
      return NotFound(std::move(msg));
    case EEXIST:
      return AlreadyExists(std::move(msg));
    case ENOTEMPTY:
    case ENOTDIR:
    case EISDIR:
    case EINVAL:
    case ELOOP:
    case ENAMETOOLONG:
      return FailedPrecondition(std::move(msg));
    default:
      return Unavailable(std::move(msg));
  }
}

// Retries a syscall returning -1/errno on EINTR.
template <typename F>
auto NoIntr(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

std::string Dirname(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A sibling name no other writer (thread or process) picks at the same moment.
std::string TempSibling(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Dirname(path) + "/." + Basename(path) + ".tmp." + std::to_string(getpid()) + "." +
         std::to_string(counter.fetch_add(1)) + "." + std::to_string(ts.tv_nsec);
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  Fd fd(NoIntr([&] { return open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (fd.get() < 0) return ErrnoStatus("open directory", dir, errno);
  if (fsync(fd.get()) != 0) return ErrnoStatus("fsync directory", dir, errno);
  return Status::Ok();
}

// Removes everything inside the directory open at `dirfd` (never following symlinks), then
// nothing else: the caller removes the directory itself.
Status RemoveContents(int dirfd, const std::string& dir_path) {
  int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoStatus("dup", dir_path, errno);
  DIR* d = fdopendir(dup_fd);
  if (d == nullptr) {
    int e = errno;
    close(dup_fd);
    return ErrnoStatus("opendir", dir_path, e);
  }
  std::vector<std::pair<std::string, bool>> entries;  // name, is_dir
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = false;
    if (e->d_type == DT_DIR) {
      is_dir = true;
    } else if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) is_dir = S_ISDIR(st.st_mode);
    }
    entries.emplace_back(std::move(name), is_dir);
    errno = 0;
  }
  int read_err = errno;
  closedir(d);
  if (read_err != 0) return ErrnoStatus("readdir", dir_path, read_err);

  for (const auto& [name, is_dir] : entries) {
    const std::string child = JoinPath(dir_path, name);
    if (is_dir) {
      Fd sub(NoIntr([&] {
        return openat(dirfd, name.c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }));
      if (sub.get() < 0) {
        if (errno == ENOENT) continue;
        return ErrnoStatus("open directory", child, errno);
      }
      CRH_RETURN_IF_ERROR(RemoveContents(sub.get(), child));
      if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return ErrnoStatus("rmdir", child, errno);
      }
    } else if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus("unlink", child, errno);
    }
  }
  return Status::Ok();
}

class FlockLock : public FileLock {
 public:
  explicit FlockLock(int fd) : fd_(fd) {}
  ~FlockLock() override {
    // Closing the only descriptor of the open file description releases the flock.
    close(fd_);
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> PosixFilesystem::Read(const std::string& path) {
  Fd fd(NoIntr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (fd.get() < 0) return ErrnoStatus("open", path, errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", path, errno);
  if (S_ISDIR(st.st_mode)) return ErrnoStatus("read", path, EISDIR);
  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t r = read(fd.get(), buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

Status PosixFilesystem::WriteAtomic(const std::string& path, const std::string& data) {
  const std::string dir = Dirname(path);
  const std::string tmp = TempSibling(path);
  Fd fd(NoIntr([&] {
    return open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  }));
  if (fd.get() < 0) {
    int e = errno;
    if (e == ENOENT) return NotFound("write " + path + ": parent directory " + dir +
                                     " does not exist");
    return ErrnoStatus("create temporary file", tmp, e);
  }
  Status s = WriteAll(fd.get(), data, tmp);
  if (s.ok() && fsync(fd.get()) != 0) s = ErrnoStatus("fsync", tmp, errno);
  if (s.ok() && close(fd.release()) != 0) s = ErrnoStatus("close", tmp, errno);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    s = ErrnoStatus("rename " + tmp + " to", path, errno);
  }
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(dir);
}

Status PosixFilesystem::Remove(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return ErrnoStatus("remove", path, errno);
  if (S_ISDIR(st.st_mode)) {
    if (rmdir(path.c_str()) != 0) return ErrnoStatus("rmdir", path, errno);
  } else if (unlink(path.c_str()) != 0) {
    return ErrnoStatus("unlink", path, errno);
  }
  return Status::Ok();
}


Status PosixFilesystem::RemoveAll(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus("remove", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    // A bind mount left under a state directory (a runtime killed mid-restore leaves its
    // criu-root mounted) would make a recursive delete wipe the container's rootfs. Refuse.
    auto mounts = MountsUnder(path);
    if (!mounts.empty()) {
      return FailedPrecondition("refusing to remove " + path + ": " + mounts.front() +
                                " is a mount point under it; unmount it first (umount -l)");
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }
  Fd fd(NoIntr([&] {
    return open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus("open directory", path, errno);
  }
  CRH_RETURN_IF_ERROR(RemoveContents(fd.get(), path));
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("rmdir", path, errno);
  return Status::Ok();
}

bool PosixFilesystem::Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool PosixFilesystem::IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> PosixFilesystem::List(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("list", dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    errno = 0;
  }
  int read_err = errno;
  closedir(d);
  if (read_err != 0) return ErrnoStatus("readdir", dir, read_err);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFilesystem::MkdirAll(const std::string& path) {
  if (path.empty()) return InvalidArgument("mkdir: empty path");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;
    if (mkdir(prefix.c_str(), 0700) == 0) continue;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(prefix.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      return ErrnoStatus("mkdir", prefix, ENOTDIR);
    }
    return ErrnoStatus("mkdir", prefix, e);
  }
  return Status::Ok();
}

Status PosixFilesystem::Rename(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus("rename " + from + " to", to, errno);
  }
  return Status::Ok();
}

Result<FileLockPtr> PosixFilesystem::Lock(const std::string& path) {
  Fd fd(NoIntr([&] { return open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); }));
  if (fd.get() < 0) return ErrnoStatus("open lock file", path, errno);
  if (NoIntr([&] { return flock(fd.get(), LOCK_EX); }) != 0) {
    return ErrnoStatus("flock", path, errno);
  }
  return FileLockPtr(std::make_unique<FlockLock>(fd.release()));
}

}  // namespace crh
