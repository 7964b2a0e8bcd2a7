#pragma once
// CniNetwork: the real Network. Runs CNI plugins (the containernetworking-plugins binaries in
// /usr/lib/cni) per the CNI spec, over a network configuration list (a .conflist), and makes
// named network namespaces with util-linux `unshare`/`nsenter`.
//
// What it promises beyond network.h:
//  - Setup runs ADD for each plugin in order, feeding each the previous plugin's result as
//    `prevResult`; CNI_ARGS ("IgnoreUnknown=1;IP=<addr>" for a static IP) is set only in the
//    plugins' environment. The final result is stored under the state dir, for DEL's prevResult
//    and for StoredStatus().
//  - If any plugin fails, Setup runs DEL for the whole list in reverse order (the failed plugin
//    too: the bridge plugin creates the veth before it asks IPAM, so a failed ADD can leave one)
//    and returns the error: kAlreadyExists when host-local reports the requested IP as taken,
//    kInvalidArgument when it is outside the range or the gateway, kUnavailable otherwise. The
//    message names the plugin and carries its error JSON's `msg` and `details`.
//  - Teardown always runs DEL for the whole list in reverse order (prevResult = the stored result
//    if there is one), so it also releases an address whose result was never stored (a crash
//    between ADD and the store). A missing netns is passed as given; the plugins treat it as
//    already gone. The stored result is removed only when every DEL succeeded.
//  - Files under the state dir:
//      <state_dir>/cni/results/<network>/<container_id>.json   the stored ADD results
//    and, for DefaultConflist/BridgeConflist networks, host-local's dataDir:
//      <state_dir>/cni/ipam/<network>/<ip>                     one file per reserved address
//
// Example:
//   CniNetwork net({.conflist = DefaultConflist("/var/lib/crh"), .state_dir = "/var/lib/crh"});
//   CRH_RETURN_IF_ERROR(net.Init());
//   CRH_ASSIGN_OR_RETURN(std::string ns, net.CreateNetns("crh-web"));
//   CRH_ASSIGN_OR_RETURN(NetworkStatus st, net.Setup("web", ns, {.static_ip = "10.87.0.12"}));
//   ...
//   CRH_RETURN_IF_ERROR(net.Teardown("web", ns));
//   CRH_RETURN_IF_ERROR(net.DeleteNetns(ns));

#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/net/network.h"
#include "src/net/network_status.h"

namespace crh {

// The default network's parameters (see DefaultConflist).
inline constexpr char kDefaultNetworkName[] = "crh";
inline constexpr char kDefaultBridge[] = "crh0";
inline constexpr char kDefaultSubnet[] = "10.87.0.0/16";
// The CNI spec version the conflists below declare; containernetworking-plugins 1.1.1 (bookworm)
// supports 0.1.0 through 1.0.0.
inline constexpr char kCniVersion[] = "1.0.0";

// A bridge network with host-local IPAM: no uplink, no masquerade, no routes (so no default
// route out of the namespace). The bridge lives in the host netns; the plugins create it on the
// first ADD and never delete it (CniNetwork::DeleteBridges does).
struct BridgeNetworkSpec {
  std::string name = kDefaultNetworkName;
  std::string bridge = kDefaultBridge;  // at most 15 characters (IFNAMSIZ)
  std::string subnet = kDefaultSubnet;  // never 192.0.2.0/24: the machine's uplink
  std::string data_dir;                 // host-local dataDir; it appends "/<name>" itself
};
std::string BridgeConflist(const BridgeNetworkSpec& spec);

// Network "crh" on bridge crh0, subnet 10.87.0.0/16 (gateway 10.87.0.1), IPAM data in
// <state_dir>/cni/ipam.
std::string DefaultConflist(const std::string& state_dir);

// A parsed configuration list. Each plugin is kept as its JSON text.
struct CniPluginConf {
  std::string type;  // the binary's name in CNI_PATH
  std::string json;  // the plugin's object, as given
};
struct CniConflist {
  std::string cni_version;
  std::string name;
  std::vector<CniPluginConf> plugins;
};

// kInvalidArgument naming the bad field (missing name, cniVersion, plugins or a plugin's type).
Result<CniConflist> ParseConflist(const std::string& text);

// The stdin for plugin `index`: its object with `name` and `cniVersion` set from the list and
// `prevResult` set to `prev_result_json` (left out if that is empty).
Result<std::string> BuildPluginConfig(const CniConflist& list, size_t index,
                                      const std::string& prev_result_json);

// CNI_ARGS for a request: "IgnoreUnknown=1;IP=<addr>" with a static IP, "" without.
// kInvalidArgument if static_ip is not a bare IPv4/IPv6 address.
Result<std::string> BuildCniArgs(const NetworkRequest& request);

// A plugin's error output (stdout JSON, per the spec).
struct CniError {
  int code = 0;
  std::string msg;
  std::string details;
};
// kInvalidArgument if `out` is not a CNI error object.
Result<CniError> ParseCniError(const std::string& out);

// The Status for a failed plugin run: code chosen from the error text as described above;
// message "<network>: CNI <command> <plugin> failed: <msg> (<details>)" or, if the plugin did not
// print an error object, RunCommand's description of the failure.
Status CniFailureStatus(const std::string& network, const std::string& command,
                        const std::string& plugin, int exit_code, bool timed_out,
                        const std::string& out, const std::string& err);

struct CniNetworkOptions {
  // A path to a .conflist file, or the conflist JSON text itself (anything starting with '{').
  std::string conflist;
  // Where plugin binaries are looked up (':'-separated); passed to them as CNI_PATH.
  std::string cni_path = "/usr/lib/cni";
  // crh's state root; results are stored under <state_dir>/cni/results. Required.
  std::string state_dir;
  // Where CreateNetns makes namespaces. `ip netns` only sees /run/netns.
  std::string netns_dir = "/run/netns";
  std::string ifname = "eth0";
  int plugin_timeout_ms = 60'000;
};

class CniNetwork : public Network {
 public:
  explicit CniNetwork(CniNetworkOptions options);

  // Reads and parses the conflist and creates the state directories. Must succeed before any
  // other method is used; they return kFailedPrecondition otherwise.
  Status Init();

  // The conflist's network name ("" before Init).
  std::string Name() const override;

  // A file <netns_dir>/NAME bind-mounted to a new network namespace whose loopback is up.
  // kInvalidArgument for a NAME that is empty, "." / "..", or holds '/'; kAlreadyExists if the
  // file exists; kUnavailable if unshare/nsenter fail (nothing is left behind then).
  Result<std::string> CreateNetns(const std::string& name) override;

  // Unmounts and removes a namespace file. kInvalidArgument if `path` is not directly inside
  // netns_dir (this never unmounts anything else); kNotFound if it does not exist.
  Status DeleteNetns(const std::string& path) override;

  // See network.h and the notes at the top of this file. A container_id must be 1-128 of
  // [A-Za-z0-9_.-] not starting with '.' (kInvalidArgument). kFailedPrecondition if the
  // container already has a stored result (tear it down first).
  Result<NetworkStatus> Setup(const std::string& container_id, const std::string& netns_path,
                              const NetworkRequest& request) override;
  Status Teardown(const std::string& container_id, const std::string& netns_path) override;

  // The stored result of the container's last successful Setup. kNotFound if there is none.
  Result<NetworkStatus> StoredStatus(const std::string& container_id);

  // --- Leak inspection (for tests) ---

  // Addresses host-local holds for this network (files named as IPs in <dataDir>/<network> for
  // every host-local IPAM in the list; dataDir defaults to /var/lib/cni/networks), sorted.
  std::vector<std::string> ReservedIps() const;
  // Container IDs with a stored result, sorted.
  std::vector<std::string> StoredContainers() const;
  // Bridge names the list's bridge plugins use (default "cni0" if a plugin names none).
  std::vector<std::string> Bridges() const;
  // Deletes the bridges (`ip link del`); absent ones are fine. The plugins never do this.
  Status DeleteBridges();

 private:
  Result<std::string> RunPlugin(size_t index, const std::string& command,
                                const std::string& container_id, const std::string& netns_path,
                                const std::string& cni_args, const std::string& prev_result);
  // DEL for every plugin in reverse order; returns the first error but tries them all.
  Status DelAll(const std::string& container_id, const std::string& netns_path,
                const std::string& prev_result);
  Status CheckInit() const;
  std::string ResultPath(const std::string& container_id) const;

  CniNetworkOptions options_;
  bool initialized_ = false;
  CniConflist list_;
};

// True if `path` exists (a namespace file, mounted or not: either is a leak if it should be gone).
bool NetnsExists(const std::string& path);

// True if a network interface of that name exists in our network namespace.
bool HostLinkExists(const std::string& name);

// Names of the interfaces enslaved to `bridge` in our network namespace (veth host ends), sorted.
// Empty if the bridge does not exist.
std::vector<std::string> BridgePorts(const std::string& bridge);

}  // namespace crh
