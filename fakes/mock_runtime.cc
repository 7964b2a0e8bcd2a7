#include "fakes/mock_runtime.h"

namespace crh {

// Out of line so gmock's generated code is compiled once, not in every test that includes this.
MockRuntime::MockRuntime() = default;
MockRuntime::~MockRuntime() = default;

}  // namespace crh
