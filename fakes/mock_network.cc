#include "fakes/mock_network.h"

namespace crh {

// Out of line so gmock's generated code is compiled once, not in every test that includes this.
MockNetwork::MockNetwork() = default;
MockNetwork::~MockNetwork() = default;

}  // namespace crh
