#include "src/scenario/scenario.h"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "src/engine/container.h"

namespace crh {

using json = nlohmann::json;
// Output keeps the order fields are written in, so files read top-down.
using ojson = nlohmann::ordered_json;

namespace {

constexpr std::array<std::pair<StepOp, std::string_view>, 23> kOpNames = {{
    {StepOp::kDefine, "define"},
    {StepOp::kCreate, "create"},
    {StepOp::kStart, "start"},
    {StepOp::kRun, "run"},
    {StepOp::kStop, "stop"},
    {StepOp::kKill, "kill"},
    {StepOp::kPause, "pause"},
    {StepOp::kUnpause, "unpause"},
    {StepOp::kCheckpoint, "checkpoint"},
    {StepOp::kRestore, "restore"},
    {StepOp::kRemove, "remove"},
    {StepOp::kSync, "sync"},
    {StepOp::kSyncAll, "sync_all"},
    {StepOp::kInspect, "inspect"},
    {StepOp::kCrashThenSync, "crash_then_sync"},
    {StepOp::kTick, "tick"},
    {StepOp::kExitProcess, "exit_process"},
    {StepOp::kCorruptImage, "corrupt_image"},
    {StepOp::kRemoveFile, "remove_file"},
    {StepOp::kWriteFile, "write_file"},
    {StepOp::kReserveIp, "reserve_ip"},
    {StepOp::kAddFault, "add_fault"},
    {StepOp::kClearFaults, "clear_faults"},
}};

std::string OpList() {
  std::string out;
  for (const auto& [op, name] : kOpNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// Operations that address one container by `container`.
bool NeedsContainer(StepOp op) {
  switch (op) {
    case StepOp::kSyncAll:
    case StepOp::kAddFault:
    case StepOp::kClearFaults:
    case StepOp::kReserveIp:
      return false;
    default:
      return true;
  }
}

// Reads one JSON object's fields, each checked against its path; remembers which keys were
// read so that Finish() can reject the rest.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  std::string At(std::string_view key) const { return path_ + "." + std::string(key); }

  bool Has(const char* key) {
    seen_.insert(key);
    return j_.contains(key);
  }

  Status Str(const char* key, std::string& out, bool required = false) {
    if (!Has(key)) return required ? Missing(key, "a string") : Status::Ok();
    if (!j_[key].is_string()) return Bad(key, "expected a string");
    out = j_[key].get<std::string>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool& out) {
    if (!Has(key)) return Status::Ok();
    if (!j_[key].is_boolean()) return Bad(key, "expected true or false");
    out = j_[key].get<bool>();
    return Status::Ok();
  }
  Status OptBool(const char* key, std::optional<bool>& out) {
    bool v = false;
    if (!Has(key)) return Status::Ok();
    CRH_RETURN_IF_ERROR(Bool(key, v));
    out = v;
    return Status::Ok();
  }
  Status OptStr(const char* key, std::optional<std::string>& out) {
    std::string v;
    if (!Has(key)) return Status::Ok();
    CRH_RETURN_IF_ERROR(Str(key, v));
    out = v;
    return Status::Ok();
  }
  template <typename T>
  Status Int(const char* key, T& out, int64_t min, int64_t max) {
    if (!Has(key)) return Status::Ok();
    const json& v = j_[key];
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(max)
                                : v.get<int64_t>() < min || v.get<int64_t>() > max)) {
      return Bad(key, "expected an integer in [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
    }
    out = static_cast<T>(v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>())
                                                : v.get<int64_t>());
    return Status::Ok();
  }
  Status U64(const char* key, uint64_t& out) {
    if (!Has(key)) return Status::Ok();
    if (!j_[key].is_number_unsigned()) return Bad(key, "expected an unsigned integer");
    out = j_[key].get<uint64_t>();
    return Status::Ok();
  }
  Status StrList(const char* key, std::vector<std::string>& out) {
    if (!Has(key)) return Status::Ok();
    if (!j_[key].is_array()) return Bad(key, "expected an array of strings");
    out.clear();
    for (size_t i = 0; i < j_[key].size(); ++i) {
      if (!j_[key][i].is_string()) {
        return InvalidArgument(At(key) + "[" + std::to_string(i) + "]: expected a string");
      }
      out.push_back(j_[key][i].get<std::string>());
    }
    return Status::Ok();
  }

  Status Finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!seen_.count(it.key())) return InvalidArgument(At(it.key()) + ": unknown field");
    }
    return Status::Ok();
  }

  Status Bad(const char* key, const std::string& what) const {
    return InvalidArgument(At(key) + ": " + what);
  }
  Status Missing(const char* key, const std::string& what) const {
    return InvalidArgument(At(key) + ": missing (expected " + what + ")");
  }

  const json& operator[](const char* key) const { return j_[key]; }

 private:
  const json& j_;
  std::string path_;
  std::set<std::string> seen_;
};

Status CheckObject(const json& j, const std::string& path) {
  if (!j.is_object()) return InvalidArgument(path + ": expected an object");
  return Status::Ok();
}

// A fault rule uses FaultPlan's own parser, so the two formats can never drift apart.
Result<FaultRule> ParseRule(const json& j, const std::string& path) {
  json plan = {{"rules", json::array({j})}};
  auto parsed = FaultPlan::FromJson(plan.dump());
  if (!parsed.ok()) {
    std::string msg = parsed.status().message();
    const std::string prefix = "$.rules[0]";
    if (msg.rfind(prefix, 0) == 0) msg = path + msg.substr(prefix.size());
    return InvalidArgument(msg);
  }
  return parsed->rules().at(0);
}

// FaultPlan's own JSON for the rule, with the site first so a step reads naturally.
ojson RuleToJson(const FaultRule& r) {
  FaultPlan p;
  p.Add(r);
  const json j = json::parse(p.ToJson())["rules"][0];
  ojson out;
  for (const char* key : {"site", "trigger", "effect", "code", "subject"}) {
    if (j.contains(key)) out[key] = ojson::parse(j[key].dump());
  }
  return out;
}

Status ParseRules(Reader& r, const char* key, std::vector<FaultRule>& out) {
  if (!r.Has(key)) return Status::Ok();
  if (!r[key].is_array()) return r.Bad(key, "expected an array of fault rules");
  for (size_t i = 0; i < r[key].size(); ++i) {
    CRH_ASSIGN_OR_RETURN(FaultRule rule,
                         ParseRule(r[key][i], r.At(key) + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(rule));
  }
  return Status::Ok();
}

Result<IpExpect> ParseIp(const json& j, const std::string& path, int step_index) {
  IpExpect e;
  if (j.is_string()) {
    e.kind = IpExpect::Kind::kEquals;
    e.ip = j.get<std::string>();
    return e;
  }
  if (!j.is_object() || j.size() != 1) {
    return InvalidArgument(path + ": expected an address string (\"\" for none) or one of "
                                  "{\"same_as_step\": N}, {\"differs_from_step\": N}, "
                                  "{\"not\": \"ADDRESS\"}");
  }
  const std::string key = j.begin().key();
  const json& v = j.begin().value();
  if (key == "not") {
    if (!v.is_string()) return InvalidArgument(path + ".not: expected an address string");
    e.kind = IpExpect::Kind::kNot;
    e.ip = v.get<std::string>();
    return e;
  }
  if (key != "same_as_step" && key != "differs_from_step") {
    return InvalidArgument(path + "." + key +
                           ": unknown field (expected same_as_step, differs_from_step or not)");
  }
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= step_index) {
    return InvalidArgument(path + "." + key + ": expected the index of an earlier step (0.." +
                           std::to_string(step_index - 1) + ")");
  }
  e.kind = key == "same_as_step" ? IpExpect::Kind::kSameAsStep : IpExpect::Kind::kDiffersFromStep;
  e.step = static_cast<int>(v.get<int64_t>());
  return e;
}

// Reads the container part of an expectation from `r` (shared by expect and expect_containers).
Status ParseContainerExpect(Reader& r, const std::string& path, int step_index,
                            ContainerExpect& e) {
  if (r.Has("state")) {
    std::string s;
    CRH_RETURN_IF_ERROR(r.Str("state", s));
    auto st = StateFromName(s);
    if (!st.ok() || *st == ContainerState::kRemoved) {
      return r.Bad("state", "expected one of configured, created, running, paused, stopped, "
                            "exited (use \"removed\": true for a removed container)");
    }
    e.state = s;
  }
  CRH_RETURN_IF_ERROR(r.OptBool("checkpointed", e.checkpointed));
  if (r.Has("ip")) {
    CRH_ASSIGN_OR_RETURN(IpExpect ip, ParseIp(r["ip"], path + ".ip", step_index));
    e.ip = ip;
  }
  CRH_RETURN_IF_ERROR(r.StrList("files_present", e.files_present));
  CRH_RETURN_IF_ERROR(r.StrList("files_absent", e.files_absent));
  if (r.Has("files_exactly")) {
    std::vector<std::string> files;
    CRH_RETURN_IF_ERROR(r.StrList("files_exactly", files));
    e.files_exactly = files;
  }
  CRH_RETURN_IF_ERROR(r.OptBool("removed", e.removed));
  CRH_RETURN_IF_ERROR(r.Bool("no_leaks", e.no_leaks));
  CRH_RETURN_IF_ERROR(r.Bool("record_consistent", e.record_consistent));
  return Status::Ok();
}

Status ParseStepExpect(const json& j, const std::string& path, int step_index, StepExpect& e) {
  CRH_RETURN_IF_ERROR(CheckObject(j, path));
  Reader r(j, path);
  CRH_RETURN_IF_ERROR(r.OptBool("ok", e.ok));
  if (r.Has("error")) {
    std::string name;
    CRH_RETURN_IF_ERROR(r.Str("error", name));
    auto code = CodeFromName(name);
    if (!code || *code == Code::kOk) {
      return r.Bad("error", "expected an error code name such as FAILED_PRECONDITION, "
                            "NOT_FOUND, UNAVAILABLE, DATA_LOSS, ABORTED");
    }
    e.error = *code;
    if (e.ok == true) return r.Bad("error", "contradicts \"ok\": true");
  }
  CRH_RETURN_IF_ERROR(r.OptBool("injected", e.injected));
  CRH_RETURN_IF_ERROR(r.OptStr("error_contains", e.error_contains));
  CRH_RETURN_IF_ERROR(r.OptStr("warning", e.warning));
  CRH_RETURN_IF_ERROR(r.Bool("no_warnings", e.no_warnings));
  CRH_RETURN_IF_ERROR(r.OptBool("crashed", e.crashed));
  CRH_RETURN_IF_ERROR(ParseContainerExpect(r, path, step_index, e.container));
  return r.Finish();
}

Status ParseStep(const json& j, const std::string& path, int index, const Scenario& s,
                 Step& step) {
  CRH_RETURN_IF_ERROR(CheckObject(j, path));
  Reader r(j, path);
  std::string op;
  CRH_RETURN_IF_ERROR(r.Str("op", op, /*required=*/true));
  auto parsed = StepOpFromName(op);
  if (!parsed) return r.Bad("op", "unknown operation \"" + op + "\"; expected one of " + OpList());
  step.op = *parsed;
  CRH_RETURN_IF_ERROR(r.Str("container", step.container));
  CRH_RETURN_IF_ERROR(r.StrList("containers", step.containers));
  const bool multi = step.op == StepOp::kCheckpoint || step.op == StepOp::kRestore;
  if (!step.containers.empty() && !multi) {
    return r.Bad("containers", "only checkpoint and restore take several containers");
  }
  if (NeedsContainer(step.op) && step.container.empty() && step.containers.empty()) {
    return r.Missing("container", "the name of a container declared in $.containers");
  }
  std::vector<std::string> named = step.containers;
  if (!step.container.empty()) named.push_back(step.container);
  for (const auto& n : named) {
    if (!s.FindContainer(n)) {
      return InvalidArgument(path + (step.containers.empty() ? ".container" : ".containers") +
                             ": \"" + n + "\" is not declared in $.containers");
    }
  }
  CRH_RETURN_IF_ERROR(r.Bool("keep", step.keep));
  CRH_RETURN_IF_ERROR(r.Bool("force", step.force));
  CRH_RETURN_IF_ERROR(r.Bool("tcp_established", step.tcp_established));
  CRH_RETURN_IF_ERROR(r.Bool("file_locks", step.file_locks));
  CRH_RETURN_IF_ERROR(r.Bool("fresh_engine", step.fresh_engine));
  CRH_RETURN_IF_ERROR(r.Int("timeout_ms", step.timeout_ms, 0, 3'600'000));
  CRH_RETURN_IF_ERROR(r.Int("signal", step.signal, 1, 64));
  CRH_RETURN_IF_ERROR(r.U64("n", step.n));
  CRH_RETURN_IF_ERROR(r.Int("exit_code", step.exit_code, 0, 255));
  CRH_RETURN_IF_ERROR(r.Str("file", step.file));
  CRH_RETURN_IF_ERROR(r.Str("content", step.content));
  CRH_RETURN_IF_ERROR(r.Str("how", step.how));
  if (step.how != "truncate" && step.how != "garbage" && step.how != "remove") {
    return r.Bad("how", "expected one of truncate, garbage, remove");
  }
  CRH_RETURN_IF_ERROR(r.Str("ip", step.ip));
  CRH_RETURN_IF_ERROR(r.Str("owner", step.owner));
  CRH_RETURN_IF_ERROR(r.Str("crash_at", step.crash_at));
  CRH_RETURN_IF_ERROR(r.Str("comment", step.comment));
  if (r.Has("operation")) {
    std::string o;
    CRH_RETURN_IF_ERROR(r.Str("operation", o));
    if (o != "checkpoint" && o != "restore") {
      return r.Bad("operation", "expected checkpoint or restore");
    }
    step.operation = o == "checkpoint" ? StepOp::kCheckpoint : StepOp::kRestore;
  }
  switch (step.op) {
    case StepOp::kCrashThenSync:
      if (step.crash_at.rfind("engine.", 0) != 0 || !FaultPlan::IsKnownSite(step.crash_at)) {
        return r.Bad("crash_at", "expected an engine.* fault site such as "
                                 "engine.checkpoint.after_dump");
      }
      if (step.crash_at.rfind(std::string("engine.") + std::string(StepOpName(step.operation)),
                              0) != 0) {
        return r.Bad("operation", "does not match crash_at \"" + step.crash_at + "\"");
      }
      break;
    case StepOp::kRemoveFile:
    case StepOp::kWriteFile:
      if (step.file.empty() || step.file.front() == '/' ||
          step.file.find("..") != std::string::npos) {
        return r.Bad("file", "expected a path relative to the container directory");
      }
      break;
    case StepOp::kReserveIp:
      if (step.ip.empty()) return r.Missing("ip", "an address such as 10.88.0.9");
      break;
    default:
      break;
  }
  CRH_RETURN_IF_ERROR(ParseRules(r, "faults", step.faults));
  if (r.Has("rule")) {
    CRH_ASSIGN_OR_RETURN(FaultRule rule, ParseRule(r["rule"], r.At("rule")));
    step.rule = rule;
  } else if (step.op == StepOp::kAddFault) {
    return r.Missing("rule", "a fault rule as in FaultPlan JSON");
  }
  if (r.Has("expect")) {
    CRH_RETURN_IF_ERROR(ParseStepExpect(r["expect"], r.At("expect"), index, step.expect));
  }
  if (r.Has("expect_containers")) {
    const json& ec = r["expect_containers"];
    const std::string ecp = r.At("expect_containers");
    CRH_RETURN_IF_ERROR(CheckObject(ec, ecp));
    for (auto it = ec.begin(); it != ec.end(); ++it) {
      const std::string p = ecp + "." + it.key();
      if (!s.FindContainer(it.key())) {
        return InvalidArgument(p + ": \"" + it.key() + "\" is not declared in $.containers");
      }
      CRH_RETURN_IF_ERROR(CheckObject(it.value(), p));
      Reader cr(it.value(), p);
      ContainerExpect e;
      CRH_RETURN_IF_ERROR(ParseContainerExpect(cr, p, index, e));
      CRH_RETURN_IF_ERROR(cr.Finish());
      step.expect_containers[it.key()] = std::move(e);
    }
  }
  return r.Finish();
}

ojson ContainerExpectToJson(const ContainerExpect& e) {
  ojson j = ojson::object();
  if (e.state) j["state"] = *e.state;
  if (e.checkpointed) j["checkpointed"] = *e.checkpointed;
  if (e.ip) {
    switch (e.ip->kind) {
      case IpExpect::Kind::kEquals: j["ip"] = e.ip->ip; break;
      case IpExpect::Kind::kNot: j["ip"] = {{"not", e.ip->ip}}; break;
      case IpExpect::Kind::kSameAsStep: j["ip"] = {{"same_as_step", e.ip->step}}; break;
      case IpExpect::Kind::kDiffersFromStep: j["ip"] = {{"differs_from_step", e.ip->step}}; break;
    }
  }
  if (!e.files_present.empty()) j["files_present"] = e.files_present;
  if (!e.files_absent.empty()) j["files_absent"] = e.files_absent;
  if (e.files_exactly) j["files_exactly"] = *e.files_exactly;
  if (e.removed) j["removed"] = *e.removed;
  if (e.no_leaks) j["no_leaks"] = true;
  if (e.record_consistent) j["record_consistent"] = true;
  return j;
}

ojson StepToJson(const Step& s) {
  const Step d;  // defaults
  ojson j;
  j["op"] = std::string(StepOpName(s.op));
  if (!s.comment.empty()) j["comment"] = s.comment;
  if (!s.container.empty()) j["container"] = s.container;
  if (!s.containers.empty()) j["containers"] = s.containers;
  if (s.keep) j["keep"] = true;
  if (s.force) j["force"] = true;
  if (s.tcp_established) j["tcp_established"] = true;
  if (s.file_locks) j["file_locks"] = true;
  if (s.fresh_engine) j["fresh_engine"] = true;
  if (s.timeout_ms != d.timeout_ms) j["timeout_ms"] = s.timeout_ms;
  if (s.signal != d.signal) j["signal"] = s.signal;
  if (s.n != d.n) j["n"] = s.n;
  if (s.exit_code != d.exit_code) j["exit_code"] = s.exit_code;
  if (!s.file.empty()) j["file"] = s.file;
  if (!s.content.empty()) j["content"] = s.content;
  if (s.how != d.how) j["how"] = s.how;
  if (!s.ip.empty()) j["ip"] = s.ip;
  if (s.owner != d.owner) j["owner"] = s.owner;
  if (s.op == StepOp::kCrashThenSync) {
    j["crash_at"] = s.crash_at;
    j["operation"] = std::string(StepOpName(s.operation));
  }
  if (!s.faults.empty()) {
    j["faults"] = ojson::array();
    for (const auto& r : s.faults) j["faults"].push_back(RuleToJson(r));
  }
  if (s.rule) j["rule"] = RuleToJson(*s.rule);
  ojson e = ContainerExpectToJson(s.expect.container);
  if (s.expect.ok) e["ok"] = *s.expect.ok;
  if (s.expect.error) e["error"] = std::string(CodeName(*s.expect.error));
  if (s.expect.injected) e["injected"] = *s.expect.injected;
  if (s.expect.error_contains) e["error_contains"] = *s.expect.error_contains;
  if (s.expect.warning) e["warning"] = *s.expect.warning;
  if (s.expect.no_warnings) e["no_warnings"] = true;
  if (s.expect.crashed) e["crashed"] = *s.expect.crashed;
  if (!e.empty()) j["expect"] = e;
  if (!s.expect_containers.empty()) {
    ojson ec = ojson::object();
    for (const auto& [name, ce] : s.expect_containers) ec[name] = ContainerExpectToJson(ce);
    j["expect_containers"] = ec;
  }
  return j;
}

}  // namespace

std::string_view StepOpName(StepOp op) {
  for (const auto& [o, name] : kOpNames) {
    if (o == op) return name;
  }
  return "inspect";
}

std::optional<StepOp> StepOpFromName(std::string_view name) {
  for (const auto& [o, n] : kOpNames) {
    if (n == name) return o;
  }
  return std::nullopt;
}

bool IsFakeOnly(StepOp op) { return static_cast<int>(op) >= static_cast<int>(StepOp::kCrashThenSync); }

const ContainerSpec* Scenario::FindContainer(const std::string& name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Scenario> ParseScenario(const std::string& text, const std::string& source) {
  auto parse = [&]() -> Result<Scenario> {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InvalidArgument("$: not valid JSON");
    CRH_RETURN_IF_ERROR(CheckObject(j, "$"));
    Reader r(j, "$");
    Scenario s;
    CRH_RETURN_IF_ERROR(r.Str("name", s.name, /*required=*/true));
    if (s.name.empty()) return r.Bad("name", "expected a non-empty string");
    CRH_RETURN_IF_ERROR(r.Str("description", s.description, /*required=*/true));
    if (r.Has("backends")) {
      CRH_RETURN_IF_ERROR(r.StrList("backends", s.backends));
      for (size_t i = 0; i < s.backends.size(); ++i) {
        if (s.backends[i] != "fake" && s.backends[i] != "real") {
          return InvalidArgument("$.backends[" + std::to_string(i) + "]: expected fake or real");
        }
      }
    }
    CRH_RETURN_IF_ERROR(r.U64("seed", s.seed));
    if (r.Has("containers")) {
      if (!j["containers"].is_array()) return r.Bad("containers", "expected an array");
      for (size_t i = 0; i < j["containers"].size(); ++i) {
        const std::string p = "$.containers[" + std::to_string(i) + "]";
        const json& cj = j["containers"][i];
        CRH_RETURN_IF_ERROR(CheckObject(cj, p));
        Reader cr(cj, p);
        ContainerSpec c;
        CRH_RETURN_IF_ERROR(cr.Str("name", c.name, /*required=*/true));
        if (Status v = ValidateIdentifier(c.name, "name"); !v.ok()) {
          return InvalidArgument(p + ".name: " + v.message());
        }
        if (s.FindContainer(c.name)) return cr.Bad("name", "\"" + c.name + "\" declared twice");
        CRH_RETURN_IF_ERROR(cr.StrList("command", c.command));
        if (c.command.empty()) return cr.Bad("command", "expected a non-empty array of strings");
        CRH_RETURN_IF_ERROR(cr.Str("static_ip", c.static_ip));
        CRH_RETURN_IF_ERROR(cr.Str("id", c.id));
        CRH_RETURN_IF_ERROR(cr.Finish());
        s.containers.push_back(std::move(c));
      }
    }
    if (r.Has("fault_plan")) {
      const json& fp = j["fault_plan"];
      CRH_RETURN_IF_ERROR(CheckObject(fp, "$.fault_plan"));
      auto plan = FaultPlan::FromJson(fp.dump());
      if (!plan.ok()) {
        std::string msg = plan.status().message();
        if (msg.rfind("$", 0) == 0) msg = "$.fault_plan" + msg.substr(1);
        return InvalidArgument(msg);
      }
      s.fault_rules = plan->rules();
      s.fault_seed = plan->seed();
    }
    if (r.Has("metadata")) {
      const json& m = j["metadata"];
      CRH_RETURN_IF_ERROR(CheckObject(m, "$.metadata"));
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (!it.value().is_string()) {
          return InvalidArgument("$.metadata." + it.key() + ": expected a string");
        }
        s.metadata[it.key()] = it.value().get<std::string>();
      }
    }
    if (!r.Has("steps") || !j["steps"].is_array() || j["steps"].empty()) {
      return r.Bad("steps", "expected a non-empty array of steps");
    }
    for (size_t i = 0; i < j["steps"].size(); ++i) {
      Step step;
      CRH_RETURN_IF_ERROR(ParseStep(j["steps"][i], "$.steps[" + std::to_string(i) + "]",
                                    static_cast<int>(i), s, step));
      s.steps.push_back(std::move(step));
    }
    CRH_RETURN_IF_ERROR(r.Finish());
    return s;
  };
  auto s = parse();
  if (!s.ok()) return InvalidArgument(source + ": " + s.status().message());
  return s;
}

std::string ScenarioToJson(const Scenario& s) {
  ojson j;
  j["name"] = s.name;
  j["description"] = s.description;
  j["backends"] = s.backends;
  j["seed"] = s.seed;
  j["containers"] = ojson::array();
  for (const auto& c : s.containers) {
    ojson cj{{"name", c.name}, {"command", c.command}};
    if (!c.static_ip.empty()) cj["static_ip"] = c.static_ip;
    if (!c.id.empty()) cj["id"] = c.id;
    j["containers"].push_back(cj);
  }
  if (!s.fault_rules.empty() || s.fault_seed != 0) {
    FaultPlan p(s.fault_seed);
    for (const auto& r : s.fault_rules) p.Add(r);
    j["fault_plan"] = ojson::parse(p.ToJson());
  }
  if (!s.metadata.empty()) j["metadata"] = s.metadata;
  j["steps"] = ojson::array();
  for (const auto& step : s.steps) j["steps"].push_back(StepToJson(step));
  return j.dump(2) + "\n";
}

std::string ContentHash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace crh
