#include "src/oci/toolchain.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace crh {

namespace {

using nlohmann::json;

Result<std::string> StringField(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) {
    return InvalidArgument(where + ": missing or empty string field \"" + key + "\"");
  }
  return it->get<std::string>();
}

}  // namespace

std::string DefaultToolchainPath() {
  const char* env = std::getenv("CRH_TOOLCHAIN");
  return env && *env ? std::string(env) : std::string(kDefaultToolchainPath);
}

Result<Toolchain> ParseToolchain(const std::string& json_text, const std::string& origin) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("toolchain manifest " + origin + " is not a JSON object");
  }
  Toolchain tc;
  auto criu = doc.find("criu");
  if (criu == doc.end() || !criu->is_object()) {
    return InvalidArgument("toolchain manifest " + origin + ": missing object \"criu\"");
  }
  CRH_ASSIGN_OR_RETURN(tc.criu_path, StringField(*criu, "path", origin + " criu"));
  CRH_ASSIGN_OR_RETURN(tc.criu_version, StringField(*criu, "version", origin + " criu"));
  CRH_ASSIGN_OR_RETURN(tc.path_prefix, StringField(doc, "path_prefix", origin));
  auto rts = doc.find("runtimes");
  if (rts == doc.end() || !rts->is_array() || rts->empty()) {
    return InvalidArgument("toolchain manifest " + origin + ": missing or empty \"runtimes\"");
  }
  for (size_t i = 0; i < rts->size(); ++i) {
    const json& r = (*rts)[i];
    std::string where = origin + " runtimes[" + std::to_string(i) + "]";
    if (!r.is_object()) return InvalidArgument(where + " is not an object");
    ToolchainRuntime rt;
    CRH_ASSIGN_OR_RETURN(rt.name, StringField(r, "name", where));
    CRH_ASSIGN_OR_RETURN(rt.path, StringField(r, "path", where));
    CRH_ASSIGN_OR_RETURN(rt.version, StringField(r, "version", where));
    auto flag = r.find("criu_flag");
    if (flag != r.end()) {
      if (!flag->is_boolean()) return InvalidArgument(where + ": \"criu_flag\" is not a bool");
      rt.criu_flag = flag->get<bool>();
    }
    for (const auto& other : tc.runtimes) {
      if (other.name == rt.name) return InvalidArgument(where + ": duplicate name " + rt.name);
    }
    tc.runtimes.push_back(std::move(rt));
  }
  return tc;
}

Result<Toolchain> LoadToolchain(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    if (err == ENOENT) {
      return FailedPrecondition("toolchain manifest " + path +
                                " not found: run `sudo ci/setup.sh`");
    }
    return FailedPrecondition("cannot read toolchain manifest " + path + ": " + strerror(err) +
                              " (run `sudo ci/setup.sh`)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  CRH_ASSIGN_OR_RETURN(Toolchain tc, ParseToolchain(ss.str(), path));
  tc.manifest_path = path;
  return tc;
}

Result<ToolchainRuntime> Toolchain::FindRuntime(std::string_view name_or_path) const {
  for (const auto& rt : runtimes) {
    if (rt.name == name_or_path || rt.path == name_or_path) return rt;
  }
  // A bare kind ("crun") matches if exactly one runtime has that kind.
  const ToolchainRuntime* only = nullptr;
  int n = 0;
  for (const auto& rt : runtimes) {
    if (rt.name.rfind(std::string(name_or_path) + "-", 0) == 0) {
      only = &rt;
      ++n;
    }
  }
  if (n == 1) return *only;
  std::string have;
  for (const auto& rt : runtimes) have += (have.empty() ? "" : ", ") + rt.name;
  std::string why = n > 1 ? " is ambiguous" : " is not in the toolchain manifest";
  return NotFound("runtime \"" + std::string(name_or_path) + "\"" + why + " " +
                  (manifest_path.empty() ? std::string("") : manifest_path + " ") + "(it has " +
                  have + ")");
}

}  // namespace crh
