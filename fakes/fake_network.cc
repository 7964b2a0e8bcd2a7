#include "fakes/fake_network.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "src/base/named_logger.h"

namespace crh {

namespace {

constexpr const char* kNetnsDir = "/run/netns/";

std::shared_ptr<spdlog::logger> Log() { return NamedLogger("fake_network"); }

std::optional<uint32_t> ParseIpv4(const std::string& text) {
  uint32_t out = 0;
  int octets = 0;
  size_t i = 0;
  while (octets < 4) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<uint32_t>(text[i] - '0');
      if (++digits > 3 || v > 255) return std::nullopt;
      ++i;
    }
    out = (out << 8) | v;
    if (++octets < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::string FormatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

// Docker's convention: a locally administered prefix, then the address's four bytes.
std::string MacFor(uint32_t ip) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "02:42:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 0xff,
                (ip >> 8) & 0xff, ip & 0xff);
  return buf;
}

}  // namespace

FakeNetwork::FakeNetwork(const std::string& subnet, FaultPlanPtr plan)
    : plan_(plan ? std::move(plan) : std::make_shared<FaultPlan>()) {
  const size_t slash = subnet.find('/');
  std::optional<uint32_t> base;
  int prefix = -1;
  if (slash != std::string::npos) {
    base = ParseIpv4(subnet.substr(0, slash));
    const std::string len = subnet.substr(slash + 1);
    if (!len.empty() && len.size() <= 2 && len.find_first_not_of("0123456789") == len.npos) {
      prefix = std::stoi(len);
    }
  }
  if (!base || prefix < 8 || prefix > 30) {
    std::fprintf(stderr, "FakeNetwork: bad subnet \"%s\" (want a.b.c.d/8../30)\n",
                 subnet.c_str());
    std::abort();
  }
  const uint32_t mask = ~uint32_t{0} << (32 - prefix);
  prefix_ = prefix;
  network_ = *base & mask;
  first_ = network_ + 2;
  last_ = (network_ | ~mask) - 1;
  last_reserved_ = network_ + 1;  // so the first pick is .2
}

FakeNetwork::~FakeNetwork() = default;

std::string FakeNetwork::Gateway() const { return FormatIpv4(network_ + 1); }

std::string FakeNetwork::Subnet() const {
  return FormatIpv4(network_) + "/" + std::to_string(prefix_);
}

Result<std::string> FakeNetwork::CreateNetns(const std::string& name) {
  if (auto rule = plan_->Check("netns.create", name)) {
    Log()->info("injected fault at netns.create ({}) on {}", FaultEffectName(rule->effect), name);
    return FaultPlan::InjectedError(*rule, "netns.create", name);
  }
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return InvalidArgument("netns name \"" + name + "\" is not a valid file name");
  }
  const std::string path = kNetnsDir + name;
  std::lock_guard<std::mutex> lock(mu_);
  if (!netns_.insert(path).second) return AlreadyExists("netns " + path + " already exists");
  return path;
}

Status FakeNetwork::DeleteNetns(const std::string& path) {
  if (auto rule = plan_->Check("netns.delete", path)) {
    Log()->info("injected fault at netns.delete ({}) on {}", FaultEffectName(rule->effect), path);
    return FaultPlan::InjectedError(*rule, "netns.delete", path);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!netns_.erase(path)) return NotFound("netns " + path + " does not exist");
  return Status::Ok();
}

std::optional<uint32_t> FakeNetwork::NextFree(uint32_t after,
                                              std::optional<uint32_t> avoid) const {
  const uint32_t size = last_ - first_ + 1;
  uint32_t cur = (after < first_ || after >= last_) ? first_ : after + 1;
  for (uint32_t i = 0; i < size; ++i) {
    if (!held_.count(cur) && cur != avoid) return cur;
    cur = cur == last_ ? first_ : cur + 1;
  }
  return std::nullopt;
}

Result<uint32_t> FakeNetwork::ParseInRange(const std::string& ip) const {
  auto addr = ParseIpv4(ip);
  if (!addr) return InvalidArgument("\"" + ip + "\" is not an IPv4 address");
  if (*addr < first_ || *addr > last_) {
    return InvalidArgument(ip + " is outside the range " + FormatIpv4(first_) + "-" +
                           FormatIpv4(last_) + " of " + Subnet());
  }
  return *addr;
}

Result<NetworkStatus> FakeNetwork::Setup(const std::string& container_id,
                                         const std::string& netns_path,
                                         const NetworkRequest& request) {
  bool wrong_ip = false;
  if (auto rule = plan_->Check("cni.add", container_id)) {
    Log()->info("injected fault at cni.add ({}) on {}", FaultEffectName(rule->effect),
                container_id);
    if (rule->effect != FaultEffect::kWrongIp) {
      return FaultPlan::InjectedError(*rule, "cni.add", container_id);
    }
    wrong_ip = true;
  }
  if (container_id.empty()) return InvalidArgument("cni add: empty container id");
  std::lock_guard<std::mutex> lock(mu_);
  if (!netns_.count(netns_path)) {
    return NotFound("cni add " + container_id + ": netns " + netns_path + " does not exist");
  }
  if (attached_.count(container_id)) {
    return AlreadyExists("cni add " + container_id + ": container is already attached to " +
                         attached_[container_id]);
  }
  std::optional<uint32_t> wanted;
  if (!request.static_ip.empty()) {
    auto parsed = ParseInRange(request.static_ip);
    if (!parsed.ok()) return parsed.status().WithContext("cni add " + container_id);
    wanted = *parsed;
    auto holder = held_.find(*wanted);
    if (holder != held_.end() && holder->second != container_id) {
      return AlreadyExists("cni add " + container_id + ": " + request.static_ip +
                           " is held by " + holder->second);
    }
  }
  if (!wrong_ip && plan_->Check("cni.add.wrong_ip", container_id)) {
    Log()->info("injected fault at cni.add.wrong_ip (wrong_ip) on {}", container_id);
    wrong_ip = true;
  }
  std::optional<uint32_t> ip;
  if (wrong_ip) {
    // Avoid what the caller asked for, or what it would have got.
    const auto expected = wanted ? wanted : NextFree(last_reserved_, std::nullopt);
    ip = NextFree(last_reserved_, expected);
    if (ip) {
      Log()->info("cni.add.wrong_ip: {} gets {} instead of {}", container_id, FormatIpv4(*ip),
                  expected ? FormatIpv4(*expected) : "any");
    }
  } else {
    ip = wanted ? wanted : NextFree(last_reserved_, std::nullopt);
  }
  if (!ip) {
    return Unavailable("cni add " + container_id + ": no free address in " + Subnet());
  }
  held_[*ip] = container_id;
  last_reserved_ = *ip;
  attached_[container_id] = netns_path;

  NetworkStatus status;
  status.cni_version = "1.0.0";
  status.interfaces.push_back({.name = "eth0", .mac = MacFor(*ip), .sandbox = netns_path});
  status.ips.push_back({.address = FormatIpv4(*ip) + "/" + std::to_string(prefix_),
                        .gateway = FormatIpv4(network_ + 1),
                        .interface = 0});
  return status;
}

Status FakeNetwork::Teardown(const std::string& container_id, const std::string& netns_path) {
  if (auto rule = plan_->Check("cni.del", container_id)) {
    Log()->info("injected fault at cni.del ({}) on {}; its address stays held",
                FaultEffectName(rule->effect), container_id);
    return FaultPlan::InjectedError(*rule, "cni.del", container_id);
  }
  (void)netns_path;  // CNI DEL must work even when the netns is already gone.
  std::lock_guard<std::mutex> lock(mu_);
  attached_.erase(container_id);
  for (auto it = held_.begin(); it != held_.end();) {
    it = it->second == container_id ? held_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

std::map<std::string, std::string> FakeNetwork::HeldIps() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& [ip, owner] : held_) out[FormatIpv4(ip)] = owner;
  return out;
}

std::optional<std::string> FakeNetwork::IpOf(const std::string& container_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [ip, owner] : held_) {
    if (owner == container_id) return FormatIpv4(ip);
  }
  return std::nullopt;
}

std::set<std::string> FakeNetwork::LiveNetns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return netns_;
}

bool FakeNetwork::Attached(const std::string& container_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return attached_.count(container_id) > 0;
}

void FakeNetwork::Reserve(const std::string& ip, const std::string& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  auto addr = ParseInRange(ip);
  if (!addr.ok()) {
    std::fprintf(stderr, "FakeNetwork::Reserve: %s\n", addr.status().ToString().c_str());
    std::abort();
  }
  auto it = held_.find(*addr);
  if (it != held_.end() && it->second != owner) {
    std::fprintf(stderr, "FakeNetwork::Reserve: %s is held by %s\n", ip.c_str(),
                 it->second.c_str());
    std::abort();
  }
  held_[*addr] = owner;
}

}  // namespace crh
