#include "src/engine/container.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace crh {

using json = nlohmann::json;

namespace {
constexpr std::string_view kStateNames[kNumStates] = {"configured", "created", "running",
                                                      "paused",     "stopped", "exited",
                                                      "removed"};
}  // namespace

std::string_view StateName(ContainerState s) { return kStateNames[static_cast<int>(s)]; }

Result<ContainerState> StateFromName(std::string_view name) {
  for (int i = 0; i < kNumStates; ++i) {
    if (kStateNames[i] == name) return static_cast<ContainerState>(i);
  }
  return InvalidArgument("unknown container state \"" + std::string(name) + "\"");
}

std::string_view PendingOpName(PendingOp op) {
  switch (op) {
    case PendingOp::kNone: return "";
    case PendingOp::kCheckpoint: return "checkpoint";
    case PendingOp::kRestore: return "restore";
  }
  return "";
}

Status ValidateIdentifier(std::string_view value, std::string_view what) {
  const std::string w(what);
  if (value.empty()) return InvalidArgument("container " + w + " is empty");
  std::string shown;
  for (char c : value.substr(0, 80)) {
    shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (value.size() > 64) {
    return InvalidArgument("container " + w + " \"" + shown + "...\" is " +
                           std::to_string(value.size()) + " characters long; at most 64 allowed");
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return InvalidArgument("container " + w + " \"" + shown +
                             "\" contains a character other than letters, digits, '_', '.', '-'");
    }
  }
  const char first = value.front();
  if (first == '.' || first == '-' || first == '_') {
    return InvalidArgument("container " + w + " \"" + shown +
                           "\" must start with a letter or digit");
  }
  if (value.find("..") != std::string_view::npos) {
    return InvalidArgument("container " + w + " \"" + shown + "\" contains \"..\"");
  }
  return Status::Ok();
}

namespace {

// A JSON string literal. Records are written on every step of every operation, so this avoids
// building an nlohmann tree just to print fifteen scalars.
void AppendQuoted(std::string& out, const std::string& v) {
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string Container::ToJson() const {
  std::string o = "{\n";
  auto str = [&](const char* k, const std::string& v) {
    o += "  \"";
    o += k;
    o += "\": ";
    AppendQuoted(o, v);
    o += ",\n";
  };
  auto num = [&](const char* k, int64_t v) {
    o += "  \"";
    o += k;
    o += "\": " + std::to_string(v) + ",\n";
  };
  auto boolean = [&](const char* k, bool v) {
    o += "  \"";
    o += k;
    o += v ? "\": true,\n" : "\": false,\n";
  };
  str("id", id);
  str("name", name);
  str("bundle", bundle);
  str("requested_ip", requested_ip);
  str("runtime", runtime);
  str("state", std::string(StateName(state)));
  num("pid", pid);
  str("netns_path", netns_path);
  boolean("checkpointed", checkpointed);
  boolean("restored", restored);
  str("pending", std::string(PendingOpName(pending)));
  num("created_at_ms", created_at_ms);
  num("started_at_ms", started_at_ms);
  num("checkpointed_at_ms", checkpointed_at_ms);
  num("restored_at_ms", restored_at_ms);
  boolean("checkpoint_left_running", checkpoint_left_running);
  auto stats = [&](const char* k, const std::optional<OperationStats>& st) {
    o += "  \"";
    o += k;
    o += "\": ";
    if (!st) {
      o += "null,\n";
      return;
    }
    nlohmann::ordered_json j{{"crh_duration_us", st->crh_duration_us},
                             {"runtime_duration_us", st->runtime_duration_us},
                             {"criu_file", st->criu_file}};
    nlohmann::ordered_json criu = nlohmann::ordered_json::object();
    for (const auto& [name, value] : st->criu) criu[name] = value;
    j["criu"] = std::move(criu);
    if (!st->criu_error.empty()) j["criu_error"] = st->criu_error;
    o += j.dump() + ",\n";
  };
  stats("checkpoint_stats", checkpoint_stats);
  stats("restore_stats", restore_stats);
  o += "  \"network_status\": ";
  o += has_network_status ? network_status.ToJson() : "null";
  o += "\n}\n";
  return o;
}

Result<Container> Container::FromJson(const std::string& text, const std::string& source) {
  // Ordered, so CRIU's figures keep their field order across a save and a load.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr,
                                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss("container record " + source + " is not a JSON object (truncated or corrupt)");
  }
  auto bad = [&](const std::string& field, const std::string& expected) {
    return DataLoss("container record " + source + ": field \"" + field + "\": expected " +
                    expected);
  };
  Container c;
  auto str = [&](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return required ? bad(key, "a string (missing)") : Status::Ok();
    if (!it->is_string()) return bad(key, "a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  auto num = [&](const char* key, int64_t& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return Status::Ok();
    if (!it->is_number_integer()) return bad(key, "an integer");
    out = it->get<int64_t>();
    return Status::Ok();
  };
  auto boolean = [&](const char* key, bool& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return Status::Ok();
    if (!it->is_boolean()) return bad(key, "true or false");
    out = it->get<bool>();
    return Status::Ok();
  };
  CRH_RETURN_IF_ERROR(str("id", c.id, true));
  CRH_RETURN_IF_ERROR(str("name", c.name, true));
  if (!ValidateIdentifier(c.id, "ID").ok()) return bad("id", "a valid container ID");
  if (!ValidateIdentifier(c.name, "name").ok()) return bad("name", "a valid container name");
  CRH_RETURN_IF_ERROR(str("bundle", c.bundle, false));
  CRH_RETURN_IF_ERROR(str("requested_ip", c.requested_ip, false));
  CRH_RETURN_IF_ERROR(str("runtime", c.runtime, false));
  CRH_RETURN_IF_ERROR(str("netns_path", c.netns_path, false));
  std::string state, pending;
  CRH_RETURN_IF_ERROR(str("state", state, true));
  auto st = StateFromName(state);
  if (!st.ok() || *st == ContainerState::kRemoved) {
    return bad("state", "one of configured, created, running, paused, stopped, exited");
  }
  c.state = *st;
  CRH_RETURN_IF_ERROR(str("pending", pending, false));
  if (pending == "checkpoint") {
    c.pending = PendingOp::kCheckpoint;
  } else if (pending == "restore") {
    c.pending = PendingOp::kRestore;
  } else if (!pending.empty()) {
    return bad("pending", "\"\", \"checkpoint\" or \"restore\"");
  }
  int64_t pid = 0;
  CRH_RETURN_IF_ERROR(num("pid", pid));
  c.pid = static_cast<int>(pid);
  CRH_RETURN_IF_ERROR(boolean("checkpointed", c.checkpointed));
  CRH_RETURN_IF_ERROR(boolean("restored", c.restored));
  CRH_RETURN_IF_ERROR(num("created_at_ms", c.created_at_ms));
  CRH_RETURN_IF_ERROR(num("started_at_ms", c.started_at_ms));
  CRH_RETURN_IF_ERROR(num("checkpointed_at_ms", c.checkpointed_at_ms));
  CRH_RETURN_IF_ERROR(num("restored_at_ms", c.restored_at_ms));
  CRH_RETURN_IF_ERROR(boolean("checkpoint_left_running", c.checkpoint_left_running));
  auto stats = [&](const char* key, std::optional<OperationStats>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return Status::Ok();
    const std::string k = key;
    if (!it->is_object()) return bad(k, "an object or null");
    OperationStats st;
    for (const auto& [name, field] : {std::pair{"crh_duration_us", &st.crh_duration_us},
                                      std::pair{"runtime_duration_us", &st.runtime_duration_us}}) {
      auto f = it->find(name);
      if (f == it->end() || !f->is_number_integer()) return bad(k + "." + name, "an integer");
      *field = f->get<int64_t>();
    }
    for (const auto& [name, field] : {std::pair{"criu_file", &st.criu_file},
                                      std::pair{"criu_error", &st.criu_error}}) {
      auto f = it->find(name);
      if (f == it->end()) continue;
      if (!f->is_string()) return bad(k + "." + name, "a string");
      *field = f->get<std::string>();
    }
    if (auto criu = it->find("criu"); criu != it->end()) {
      if (!criu->is_object()) return bad(k + ".criu", "an object of counts");
      for (const auto& [name, value] : criu->items()) {
        if (!value.is_number_unsigned()) return bad(k + ".criu." + name, "a count");
        st.criu.emplace_back(name, value.get<uint64_t>());
      }
    }
    out = std::move(st);
    return Status::Ok();
  };
  CRH_RETURN_IF_ERROR(stats("checkpoint_stats", c.checkpoint_stats));
  CRH_RETURN_IF_ERROR(stats("restore_stats", c.restore_stats));
  if (auto it = j.find("network_status"); it != j.end() && !it->is_null()) {
    auto ns = NetworkStatus::FromJson(it->dump());
    if (!ns.ok()) return bad("network_status", "a CNI result (" + ns.status().message() + ")");
    c.has_network_status = true;
    c.network_status = std::move(ns).value();
  }
  return c;
}

}  // namespace crh
