#include "src/net/network_status.h"

#include <nlohmann/json.hpp>

namespace crh {

using json = nlohmann::json;

namespace {

json ToJsonValue(const NetworkStatus& s) {
  json j;
  j["cniVersion"] = s.cni_version;
  j["interfaces"] = json::array();
  for (const auto& i : s.interfaces) {
    json ji{{"name", i.name}};
    if (!i.mac.empty()) ji["mac"] = i.mac;
    if (!i.sandbox.empty()) ji["sandbox"] = i.sandbox;
    j["interfaces"].push_back(ji);
  }
  j["ips"] = json::array();
  for (const auto& ip : s.ips) {
    json jip{{"address", ip.address}};
    if (!ip.gateway.empty()) jip["gateway"] = ip.gateway;
    if (ip.interface >= 0) jip["interface"] = ip.interface;
    j["ips"].push_back(jip);
  }
  return j;
}

Result<std::string> StringField(const json& obj, const char* key, const std::string& where,
                                bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return InvalidArgument(where + "." + key + ": missing (expected a string)");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgument(where + "." + key + ": expected a string");
  return it->get<std::string>();
}

Result<NetworkStatus> FromJsonValue(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + ": expected a CNI result object");
  NetworkStatus s;
  CRH_ASSIGN_OR_RETURN(s.cni_version, StringField(j, "cniVersion", where, false));
  if (auto it = j.find("interfaces"); it != j.end()) {
    if (!it->is_array()) return InvalidArgument(where + ".interfaces: expected an array");
    for (size_t n = 0; n < it->size(); ++n) {
      const std::string w = where + ".interfaces[" + std::to_string(n) + "]";
      const json& ji = (*it)[n];
      if (!ji.is_object()) return InvalidArgument(w + ": expected an object");
      NetInterface i;
      CRH_ASSIGN_OR_RETURN(i.name, StringField(ji, "name", w, true));
      CRH_ASSIGN_OR_RETURN(i.mac, StringField(ji, "mac", w, false));
      CRH_ASSIGN_OR_RETURN(i.sandbox, StringField(ji, "sandbox", w, false));
      s.interfaces.push_back(std::move(i));
    }
  }
  if (auto it = j.find("ips"); it != j.end()) {
    if (!it->is_array()) return InvalidArgument(where + ".ips: expected an array");
    for (size_t n = 0; n < it->size(); ++n) {
      const std::string w = where + ".ips[" + std::to_string(n) + "]";
      const json& jip = (*it)[n];
      if (!jip.is_object()) return InvalidArgument(w + ": expected an object");
      IpConfig ip;
      CRH_ASSIGN_OR_RETURN(ip.address, StringField(jip, "address", w, true));
      if (ip.address.find('/') == std::string::npos) {
        return InvalidArgument(w + ".address: expected CIDR notation (a.b.c.d/prefix), got \"" +
                               ip.address + "\"");
      }
      CRH_ASSIGN_OR_RETURN(ip.gateway, StringField(jip, "gateway", w, false));
      if (auto f = jip.find("interface"); f != jip.end()) {
        if (!f->is_number_integer()) return InvalidArgument(w + ".interface: expected an integer");
        ip.interface = f->get<int>();
      }
      s.ips.push_back(std::move(ip));
    }
  }
  return s;
}

}  // namespace

std::string StripPrefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

std::string NetworkStatus::PrimaryIp() const {
  for (const auto& ip : ips) {
    const std::string a = StripPrefix(ip.address);
    if (a.find(':') == std::string::npos) return a;
  }
  return "";
}

std::string NetworkStatus::ToJson() const { return ToJsonValue(*this).dump(); }

Result<NetworkStatus> NetworkStatus::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("$: not valid JSON");
  return FromJsonValue(j, "$");
}

std::string EncodeNetworkStatusFile(const std::vector<NetworkStatus>& results) {
  json arr = json::array();
  for (const auto& r : results) arr.push_back(ToJsonValue(r));
  return arr.dump(2) + "\n";
}

Result<std::vector<NetworkStatus>> DecodeNetworkStatusFile(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("$: not valid JSON");
  if (!j.is_array()) return InvalidArgument("$: expected an array of CNI results");
  std::vector<NetworkStatus> out;
  for (size_t n = 0; n < j.size(); ++n) {
    CRH_ASSIGN_OR_RETURN(NetworkStatus s, FromJsonValue(j[n], "$[" + std::to_string(n) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace crh
