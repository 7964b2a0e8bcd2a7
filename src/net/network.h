#pragma once
// The network seam: named network namespaces and a CNI-style network attached to them. The real
// implementation is CniNetwork (cni_network.h), which runs CNI plugins per the CNI spec;
// FakeNetwork (fakes/) is an in-memory host-local IPAM with leak accounting.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/net/network_status.h"

namespace crh {

struct NetworkRequest {
  // Ask for this address (no prefix, e.g. "10.88.7.12"); empty means "any free address".
  // The real driver passes it as CNI_ARGS "IgnoreUnknown=1;IP=<addr>" for this call only.
  std::string static_ip;
};

class Network {
 public:
  virtual ~Network() = default;

  virtual std::string Name() const = 0;

  // Creates a named network namespace and returns its path (/run/netns/NAME for the real
  // driver). kAlreadyExists if the name is taken.
  virtual Result<std::string> CreateNetns(const std::string& name) = 0;

  // Deletes a namespace created by CreateNetns. kNotFound if it does not exist.
  virtual Status DeleteNetns(const std::string& path) = 0;

  // Attaches the container's netns to the network (CNI ADD) and returns the result. With a
  // static_ip: kAlreadyExists if another container holds it, kInvalidArgument if it is outside
  // the subnet. On failure nothing stays reserved for the container.
  virtual Result<NetworkStatus> Setup(const std::string& container_id,
                                      const std::string& netns_path,
                                      const NetworkRequest& request) = 0;

  // Detaches (CNI DEL) and releases the container's address. Idempotent: tearing down what is
  // not set up succeeds, as the CNI spec asks of DEL.
  virtual Status Teardown(const std::string& container_id, const std::string& netns_path) = 0;
};

using NetworkPtr = std::shared_ptr<Network>;

}  // namespace crh
