#pragma once
// FakeNetwork: named network namespaces plus a host-local-style IPAM behind the Network seam,
// with fault injection and leak accounting. It answers as the CNI bridge + host-local plugins
// would, as far as an engine can see:
//   - The subnet (default "10.88.0.0/24") has its gateway at .1; containers get addresses from
//     .2 to the last address before broadcast (.254 in a /24).
//   - Without a static IP, Setup takes the next free address after the last one reserved,
//     wrapping around at the end of the range (host-local's round-robin). A static reservation
//     also moves "the last one reserved".
//   - A static IP is honored if it is free (or already held by the same container); another
//     holder gives kAlreadyExists naming the holder; an address outside the range or a malformed
//     one gives kInvalidArgument.
//   - Setup needs the netns to exist (kNotFound) and refuses a container already attached
//     (kAlreadyExists). It returns {cniVersion "1.0.0", interfaces [{eth0, MAC derived from the
//     address (02:42:a:b:c:d), sandbox = netns path}], ips [{"a.b.c.d/24", gateway, interface
//     0}]}. On failure nothing stays reserved.
//   - Teardown is idempotent: it releases whatever the container holds, Ok if it holds nothing.
//   - CreateNetns(name) returns "/run/netns/<name>" (kAlreadyExists if taken, kInvalidArgument
//     for an empty name, '/', "." or ".."); DeleteNetns(path) is kNotFound if absent. Deleting a
//     netns does not release addresses: as with real CNI, only DEL does.
//
// Fault sites (subject = container id for cni.*, the name or path for netns.*):
//   netns.create, netns.delete   kFail
//   cni.add                      kFail: nothing reserved; kWrongIp: as cni.add.wrong_ip
//   cni.add.wrong_ip             checked once Setup's checks pass; when it fires Setup succeeds
//                                with (and holds) a free address other than the one asked for,
//                                or than the one round-robin would have picked
//   cni.del                      kFail: the address stays held, which leak accounting must see
// Every injected fault is logged on the "fake_network" logger.
//
// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "src/base/status.h"
#include "src/faults/fault_plan.h"
#include "src/net/network.h"
#include "src/net/network_status.h"

namespace crh {

class FakeNetwork : public Network {
 public:
  // Aborts on a malformed subnet or a prefix outside /8../30 (a bug in the test).
  explicit FakeNetwork(const std::string& subnet = "10.88.0.0/24", FaultPlanPtr plan = nullptr);
  ~FakeNetwork() override;

  std::string Name() const override { return "fake"; }
  Result<std::string> CreateNetns(const std::string& name) override;
  Status DeleteNetns(const std::string& path) override;
  Result<NetworkStatus> Setup(const std::string& container_id, const std::string& netns_path,
                              const NetworkRequest& request) override;
  Status Teardown(const std::string& container_id, const std::string& netns_path) override;

  // The plan this network consults (never null).
  const FaultPlanPtr& plan() const { return plan_; }
  // "10.88.0.1" for the default subnet.
  std::string Gateway() const;
  // "10.88.0.0/24".
  std::string Subnet() const;

  // --- Leak accounting and test helpers: no fault sites. ---

  // Every held address (no prefix) -> the container id (or owner) holding it.
  std::map<std::string, std::string> HeldIps() const;
  // The address the container holds, if any.
  std::optional<std::string> IpOf(const std::string& container_id) const;
  // Paths of the namespaces that exist.
  std::set<std::string> LiveNetns() const;
  // True if Setup succeeded for the container and no Teardown has succeeded since.
  bool Attached(const std::string& container_id) const;
  // Takes `ip` for `owner` as if another container held it (Teardown(owner) releases it).
  // Aborts if `ip` is malformed or outside the range, or held by someone else (a test bug).
  void Reserve(const std::string& ip, const std::string& owner);

 private:
  // Requires mu_. The next free address after `after` in round-robin order, skipping `avoid`.
  std::optional<uint32_t> NextFree(uint32_t after, std::optional<uint32_t> avoid) const;
  Result<uint32_t> ParseInRange(const std::string& ip) const;

  FaultPlanPtr plan_;
  uint32_t network_ = 0;  // host byte order
  int prefix_ = 24;
  uint32_t first_ = 0;  // first assignable address (.2)
  uint32_t last_ = 0;   // last assignable address (.254)

  mutable std::mutex mu_;
  uint32_t last_reserved_ = 0;
  std::map<uint32_t, std::string> held_;           // address -> holder
  std::map<std::string, std::string> attached_;    // container id -> netns path
  std::set<std::string> netns_;
};

using FakeNetworkPtr = std::shared_ptr<FakeNetwork>;

}  // namespace crh
