#include "src/oci/toolchain.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
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
  if (auto crit = doc.find("crit"); crit != doc.end()) {
    if (!crit->is_object()) {
      return InvalidArgument("toolchain manifest " + origin + ": \"crit\" is not an object");
    }
    CRH_ASSIGN_OR_RETURN(tc.crit_path, StringField(*crit, "path", origin + " crit"));
    CRH_ASSIGN_OR_RETURN(tc.crit_version, StringField(*crit, "version", origin + " crit"));
  }
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

int CompareVersions(std::string_view a, std::string_view b) {
  // Dotted numeric components compare as numbers ("1.28" > "1.3"); anything else as text.
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    size_t ie = a.find('.', i), je = b.find('.', j);
    if (ie == std::string_view::npos) ie = a.size();
    if (je == std::string_view::npos) je = b.size();
    std::string_view pa = i < a.size() ? a.substr(i, ie - i) : std::string_view("0");
    std::string_view pb = j < b.size() ? b.substr(j, je - j) : std::string_view("0");
    auto numeric = [](std::string_view p) {
      return !p.empty() && p.size() < 19 &&
             std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    };
    int c = 0;
    if (numeric(pa) && numeric(pb)) {
      unsigned long long na = std::stoull(std::string(pa)), nb = std::stoull(std::string(pb));
      c = na < nb ? -1 : (na > nb ? 1 : 0);
    } else {
      c = pa.compare(pb) < 0 ? -1 : (pa.compare(pb) > 0 ? 1 : 0);
    }
    if (c != 0) return c;
    i = ie + 1;
    j = je + 1;
  }
  return 0;
}

std::string RuntimeFamily(std::string_view runtime_name) {
  size_t dash = runtime_name.rfind('-');
  return std::string(dash == std::string_view::npos ? runtime_name : runtime_name.substr(0, dash));
}

Result<ToolchainRuntime> Toolchain::FindRuntime(std::string_view name_or_path) const {
  for (const auto& rt : runtimes) {
    if (rt.name == name_or_path || rt.path == name_or_path) return rt;
  }
  // A family ("runc", as podman's --runtime takes it): the newest runtime of that family.
  const ToolchainRuntime* newest = nullptr;
  for (const auto& rt : runtimes) {
    if (RuntimeFamily(rt.name) != name_or_path) continue;
    if (!newest || CompareVersions(rt.version, newest->version) > 0) newest = &rt;
  }
  if (newest) return *newest;
  std::string have;
  for (const auto& rt : runtimes) have += (have.empty() ? "" : ", ") + rt.name;
  std::set<std::string> families;
  for (const auto& rt : runtimes) families.insert(RuntimeFamily(rt.name));
  std::string fam;
  for (const auto& f : families) fam += (fam.empty() ? "" : ", ") + f;
  return NotFound("runtime \"" + std::string(name_or_path) + "\" is not in the toolchain manifest " +
                  (manifest_path.empty() ? std::string("") : manifest_path + " ") + "(it has " +
                  have + "; families " + fam + "; or pass the path of a binary)");
}

}  // namespace crh
