#pragma once
// MockNetwork: gmock's Network, for unit tests that script CNI and netns calls one by one
// (prefer StrictMock<MockNetwork>). For IPAM that must hang together use FakeNetwork.

#include <gmock/gmock.h>

#include "src/net/network.h"

namespace crh {

class MockNetwork : public Network {
 public:
  MockNetwork();
  ~MockNetwork() override;

  MOCK_METHOD(std::string, Name, (), (const, override));
  MOCK_METHOD(Result<std::string>, CreateNetns, (const std::string& name), (override));
  MOCK_METHOD(Status, DeleteNetns, (const std::string& path), (override));
  MOCK_METHOD(Result<NetworkStatus>, Setup,
              (const std::string& container_id, const std::string& netns_path,
               const NetworkRequest& request),
              (override));
  MOCK_METHOD(Status, Teardown, (const std::string& container_id, const std::string& netns_path),
              (override));
};

}  // namespace crh
