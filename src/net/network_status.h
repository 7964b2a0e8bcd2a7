#pragma once
// The network status a container had: the CNI result of attaching it (interfaces and addresses).
// Checkpoint saves it as `network.status` next to the images; restore reads it to ask for the
// same address again. The file holds a JSON array of CNI results (one per network), as podman's
// does; crh attaches one network, so it writes a one-element array.
//
//   [{"cniVersion":"1.0.0",
//     "interfaces":[{"name":"eth0","mac":"..","sandbox":"/run/netns/crh-.."}],
//     "ips":[{"address":"10.88.7.12/24","gateway":"10.88.7.1","interface":0}]}]

#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

struct NetInterface {
  std::string name;
  std::string mac;
  std::string sandbox;
  friend bool operator==(const NetInterface&, const NetInterface&) = default;
};

struct IpConfig {
  std::string address;  // CIDR: "10.88.7.12/24"
  std::string gateway;  // may be empty
  int interface = -1;   // index into interfaces, -1 if absent
  friend bool operator==(const IpConfig&, const IpConfig&) = default;
};

struct NetworkStatus {
  std::string cni_version = "1.0.0";
  std::vector<NetInterface> interfaces;
  std::vector<IpConfig> ips;

  // The first IPv4 address without its prefix, or "" if there is none.
  std::string PrimaryIp() const;

  // One CNI result object, as JSON text.
  std::string ToJson() const;
  // Parses one CNI result object. kInvalidArgument naming the bad field.
  static Result<NetworkStatus> FromJson(const std::string& text);

  friend bool operator==(const NetworkStatus&, const NetworkStatus&) = default;
};

// The network.status file: an array of results. Encode never fails.
std::string EncodeNetworkStatusFile(const std::vector<NetworkStatus>& results);
// kInvalidArgument (with the JSON path of the bad field) if it is not an array of results.
Result<std::vector<NetworkStatus>> DecodeNetworkStatusFile(const std::string& text);

// "10.88.7.12/24" -> "10.88.7.12". Leaves a bare address as it is.
std::string StripPrefix(const std::string& cidr);

}  // namespace crh
