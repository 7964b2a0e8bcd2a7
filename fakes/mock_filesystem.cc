#include "fakes/mock_filesystem.h"

namespace crh {

// Out of line so gmock's generated code is compiled once, not in every test that includes this.
MockFilesystem::MockFilesystem() = default;
MockFilesystem::~MockFilesystem() = default;

MockFileLock::MockFileLock() = default;
MockFileLock::~MockFileLock() { Released(); }

}  // namespace crh
