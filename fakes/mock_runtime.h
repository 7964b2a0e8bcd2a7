#pragma once
// MockRuntime: gmock's OciRuntime, for unit tests that script the runtime call by call (prefer
// StrictMock<MockRuntime>). For behavior that must hang together (lifecycle, images on disk)
// use FakeRuntime instead.

#include <gmock/gmock.h>

#include "src/oci/oci_runtime.h"

namespace crh {

class MockRuntime : public OciRuntime {
 public:
  MockRuntime();
  ~MockRuntime() override;

  MOCK_METHOD(std::string, Name, (), (const, override));
  MOCK_METHOD(Status, Create, (const std::string& id, const CreateOptions& opts), (override));
  MOCK_METHOD(Status, Start, (const std::string& id), (override));
  MOCK_METHOD(Result<RuntimeState>, State, (const std::string& id), (override));
  MOCK_METHOD(Status, Kill, (const std::string& id, int signal), (override));
  MOCK_METHOD(Status, Delete, (const std::string& id, bool force), (override));
  MOCK_METHOD(Status, Pause, (const std::string& id), (override));
  MOCK_METHOD(Status, Resume, (const std::string& id), (override));
  MOCK_METHOD(Status, Exec, (const std::string& id, const ExecOptions& opts), (override));
  MOCK_METHOD(Status, Checkpoint, (const std::string& id, const CheckpointOptions& opts),
              (override));
  MOCK_METHOD(Status, Restore, (const std::string& id, const RestoreOptions& opts), (override));
};

}  // namespace crh
