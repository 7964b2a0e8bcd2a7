#pragma once
// MockFilesystem: gmock's Filesystem, for unit tests that script disk calls one by one (prefer
// StrictMock<MockFilesystem>). MockFileLock reports its release through Released(), so a test
// can expect the lock to be dropped at the right moment. For a tree that must hang together use
// FakeFilesystem.

#include <gmock/gmock.h>

#include "src/fs/filesystem.h"

namespace crh {

class MockFilesystem : public Filesystem {
 public:
  MockFilesystem();
  ~MockFilesystem() override;

  MOCK_METHOD(Result<std::string>, Read, (const std::string& path), (override));
  MOCK_METHOD(Status, WriteAtomic, (const std::string& path, const std::string& data),
              (override));
  MOCK_METHOD(Status, Remove, (const std::string& path), (override));
  MOCK_METHOD(Status, RemoveAll, (const std::string& path), (override));
  MOCK_METHOD(bool, Exists, (const std::string& path), (override));
  MOCK_METHOD(bool, IsDirectory, (const std::string& path), (override));
  MOCK_METHOD(Result<std::vector<std::string>>, List, (const std::string& dir), (override));
  MOCK_METHOD(Status, MkdirAll, (const std::string& path), (override));
  MOCK_METHOD(Status, Rename, (const std::string& from, const std::string& to), (override));
  MOCK_METHOD(Result<FileLockPtr>, Lock, (const std::string& path), (override));
};

class MockFileLock : public FileLock {
 public:
  MockFileLock();
  // Calls Released().
  ~MockFileLock() override;

  MOCK_METHOD(void, Released, ());
};

}  // namespace crh
