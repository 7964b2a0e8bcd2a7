#include "src/faults/fault_plan.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "src/base/named_logger.h"

namespace crh {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<FaultEffect, std::string_view>, 4> kEffectNames = {{
    {FaultEffect::kFail, "fail"},
    {FaultEffect::kPartialWrite, "partial_write"},
    {FaultEffect::kWrongIp, "wrong_ip"},
    {FaultEffect::kCrash, "crash"},
}};

std::shared_ptr<spdlog::logger> Log() { return NamedLogger("fault_plan"); }

std::string KindName(Trigger::Kind kind) {
  switch (kind) {
    case Trigger::Kind::kAlways: return "always";
    case Trigger::Kind::kNth: return "nth";
    case Trigger::Kind::kEveryK: return "every";
    case Trigger::Kind::kProbability: return "probability";
  }
  return "always";
}

bool SubjectMatches(const FaultRule& rule, std::string_view subject) {
  return rule.subject.empty() || subject.find(rule.subject) != std::string_view::npos;
}

std::string JoinSites() {
  std::string out;
  for (const auto& s : FaultPlan::KnownSites()) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// Accepts exactly the keys named; anything else is reported at its own path.
Status CheckKeys(const json& obj, const std::string& where, std::set<std::string> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) {
      return InvalidArgument(where + "." + it.key() + ": unknown field");
    }
  }
  return Status::Ok();
}

Result<uint64_t> PositiveCount(const json& obj, const char* key, const std::string& where) {
  const std::string path = where + "." + key;
  auto it = obj.find(key);
  if (it == obj.end()) return InvalidArgument(path + ": missing (expected an integer >= 1)");
  if (!it->is_number_integer() || (it->is_number_unsigned() ? it->get<uint64_t>() < 1
                                                            : it->get<int64_t>() < 1)) {
    return InvalidArgument(path + ": expected an integer >= 1");
  }
  return it->get<uint64_t>();
}

Result<Trigger> ParseTrigger(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + ": expected an object");
  Trigger t;
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) {
    return InvalidArgument(where + ".kind: expected one of always, nth, every, probability");
  }
  const std::string k = kind->get<std::string>();
  if (k == "always") {
    CRH_RETURN_IF_ERROR(CheckKeys(j, where, {"kind"}));
    t.kind = Trigger::Kind::kAlways;
  } else if (k == "nth") {
    CRH_RETURN_IF_ERROR(CheckKeys(j, where, {"kind", "n"}));
    t.kind = Trigger::Kind::kNth;
    CRH_ASSIGN_OR_RETURN(t.n, PositiveCount(j, "n", where));
  } else if (k == "every") {
    CRH_RETURN_IF_ERROR(CheckKeys(j, where, {"kind", "k"}));
    t.kind = Trigger::Kind::kEveryK;
    CRH_ASSIGN_OR_RETURN(t.n, PositiveCount(j, "k", where));
  } else if (k == "probability") {
    CRH_RETURN_IF_ERROR(CheckKeys(j, where, {"kind", "p"}));
    t.kind = Trigger::Kind::kProbability;
    auto p = j.find("p");
    if (p == j.end() || !p->is_number() || p->get<double>() < 0 || p->get<double>() > 1) {
      return InvalidArgument(where + ".p: expected a number in [0, 1]");
    }
    t.p = p->get<double>();
  } else {
    return InvalidArgument(where + ".kind: expected one of always, nth, every, probability");
  }
  return t;
}

Result<FaultRule> ParseRule(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + ": expected an object");
  CRH_RETURN_IF_ERROR(CheckKeys(j, where, {"site", "trigger", "effect", "code", "subject"}));
  FaultRule rule;
  auto site = j.find("site");
  if (site == j.end() || !site->is_string()) {
    return InvalidArgument(where + ".site: expected a string naming a fault site");
  }
  rule.site = site->get<std::string>();
  if (!FaultPlan::IsKnownSite(rule.site)) {
    return InvalidArgument(where + ".site: unknown fault site \"" + rule.site +
                           "\"; known: " + JoinSites());
  }
  if (auto t = j.find("trigger"); t != j.end()) {
    CRH_ASSIGN_OR_RETURN(rule.trigger, ParseTrigger(*t, where + ".trigger"));
  }
  if (auto e = j.find("effect"); e != j.end()) {
    std::optional<FaultEffect> effect;
    if (e->is_string()) effect = FaultEffectFromName(e->get<std::string>());
    if (!effect) {
      return InvalidArgument(where +
                             ".effect: expected one of fail, partial_write, wrong_ip, crash");
    }
    rule.effect = *effect;
  }
  if (auto c = j.find("code"); c != j.end()) {
    std::optional<Code> code;
    if (c->is_string()) code = CodeFromName(c->get<std::string>());
    if (!code || *code == Code::kOk) {
      return InvalidArgument(where + ".code: expected an error code name such as UNAVAILABLE");
    }
    rule.code = *code;
  }
  if (auto s = j.find("subject"); s != j.end()) {
    if (!s->is_string()) return InvalidArgument(where + ".subject: expected a string");
    rule.subject = s->get<std::string>();
  }
  return rule;
}

}  // namespace

std::string_view FaultEffectName(FaultEffect effect) {
  for (const auto& [e, name] : kEffectNames) {
    if (e == effect) return name;
  }
  return "fail";
}

std::optional<FaultEffect> FaultEffectFromName(std::string_view name) {
  for (const auto& [e, n] : kEffectNames) {
    if (n == name) return e;
  }
  return std::nullopt;
}

FaultPlan::FaultPlan() : FaultPlan(0) {}

FaultPlan::FaultPlan(uint64_t seed) : seed_(seed), random_(seed) {}

FaultPlan::FaultPlan(const FaultPlan& other) : seed_(0), random_(0) { *this = other; }

FaultPlan& FaultPlan::operator=(const FaultPlan& other) {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  seed_ = other.seed_;
  random_ = other.random_;
  rules_ = other.rules_;
  rule_calls_ = other.rule_calls_;
  calls_ = other.calls_;
  fired_ = other.fired_;
  return *this;
}

FaultPlan& FaultPlan::Add(FaultRule rule) {
  if (!IsKnownSite(rule.site)) {
    Log()->warn("rule for unknown fault site \"{}\" added; no fake checks it", rule.site);
  }
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(std::move(rule));
  rule_calls_.push_back(0);
  return *this;
}

std::optional<FaultRule> FaultPlan::Check(std::string_view site, std::string_view subject) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[std::string(site)];
  std::optional<FaultRule> fired;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i];
    if (rule.site != site || !SubjectMatches(rule, subject)) continue;
    const uint64_t count = ++rule_calls_[i];
    bool fires = false;
    switch (rule.trigger.kind) {
      case Trigger::Kind::kAlways: fires = true; break;
      case Trigger::Kind::kNth: fires = count == rule.trigger.n; break;
      case Trigger::Kind::kEveryK:
        fires = rule.trigger.n > 0 && count % rule.trigger.n == 0;
        break;
      case Trigger::Kind::kProbability: fires = random_.Bernoulli(rule.trigger.p); break;
    }
    if (fires && !fired) fired = rule;
  }
  if (fired) ++fired_[std::string(site)];
  return fired;
}

Status FaultPlan::MaybeFail(std::string_view site, std::string_view subject) {
  auto rule = Check(site, subject);
  if (!rule) return Status::Ok();
  return InjectedError(*rule, site, subject);
}

Status FaultPlan::InjectedError(const FaultRule& rule, std::string_view site,
                                std::string_view subject) {
  Code code = rule.code == Code::kOk ? Code::kUnavailable : rule.code;
  if (rule.effect == FaultEffect::kCrash) code = Code::kAborted;
  std::string message = std::string(site) + ": injected fault (" +
                        std::string(FaultEffectName(rule.effect)) + ")";
  if (!subject.empty()) message += " on " + std::string(subject);
  Status s(code, std::move(message));
  s.MarkInjected(std::string(site));
  return s;
}

long FaultPlan::Calls(std::string_view site) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(site);
  return it == calls_.end() ? 0 : it->second;
}

long FaultPlan::Fired(std::string_view site) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fired_.find(site);
  return it == fired_.end() ? 0 : it->second;
}

std::map<std::string, long> FaultPlan::AllCalls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {calls_.begin(), calls_.end()};
}

std::string FaultPlan::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  json j;
  j["seed"] = seed_;
  j["rules"] = json::array();
  for (const FaultRule& r : rules_) {
    json t{{"kind", KindName(r.trigger.kind)}};
    switch (r.trigger.kind) {
      case Trigger::Kind::kAlways: break;
      case Trigger::Kind::kNth: t["n"] = r.trigger.n; break;
      case Trigger::Kind::kEveryK: t["k"] = r.trigger.n; break;
      case Trigger::Kind::kProbability: t["p"] = r.trigger.p; break;
    }
    json jr{{"site", r.site},
            {"trigger", t},
            {"effect", std::string(FaultEffectName(r.effect))},
            {"code", std::string(CodeName(r.code))}};
    if (!r.subject.empty()) jr["subject"] = r.subject;
    j["rules"].push_back(std::move(jr));
  }
  return j.dump();
}

Result<FaultPlan> FaultPlan::FromJson(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann reports syntax errors only by exception; its message has the byte offset.
    return InvalidArgument(std::string("$: not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return InvalidArgument("$: expected an object with \"seed\" and \"rules\"");
  CRH_RETURN_IF_ERROR(CheckKeys(j, "$", {"seed", "rules"}));
  uint64_t seed = 0;
  if (auto s = j.find("seed"); s != j.end()) {
    if (!s->is_number_unsigned()) return InvalidArgument("$.seed: expected an unsigned integer");
    seed = s->get<uint64_t>();
  }
  FaultPlan plan(seed);
  if (auto rules = j.find("rules"); rules != j.end()) {
    if (!rules->is_array()) return InvalidArgument("$.rules: expected an array");
    for (size_t i = 0; i < rules->size(); ++i) {
      CRH_ASSIGN_OR_RETURN(FaultRule rule,
                           ParseRule((*rules)[i], "$.rules[" + std::to_string(i) + "]"));
      plan.Add(std::move(rule));
    }
  }
  return plan;
}

const std::vector<std::string>& FaultPlan::KnownSites() {
  static const std::vector<std::string> kSites = {
      "runtime.create",
      "runtime.start",
      "runtime.state",
      "runtime.kill",
      "runtime.delete",
      "runtime.pause",
      "runtime.resume",
      "runtime.checkpoint",
      "runtime.checkpoint.after_dump",
      "runtime.restore",
      "runtime.restore.after_restore",
      "netns.create",
      "netns.delete",
      "cni.add",
      "cni.add.wrong_ip",
      "cni.del",
      "fs.read",
      "fs.write",
      "fs.rename",
      "fs.remove",
      "fs.mkdir",
      "fs.list",
      "fs.lock",
      "engine.checkpoint.before_dump",
      "engine.checkpoint.after_dump",
      "engine.checkpoint.after_status_write",
      "engine.checkpoint.after_teardown",
      "engine.restore.before_network",
      "engine.restore.after_network",
      "engine.restore.after_runtime_restore",
      "engine.restore.before_cleanup",
  };
  return kSites;
}

bool FaultPlan::IsKnownSite(std::string_view site) {
  const auto& sites = KnownSites();
  return std::find(sites.begin(), sites.end(), site) != sites.end();
}

void FaultPlan::ResetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  random_ = SimRandom(seed_);
  std::fill(rule_calls_.begin(), rule_calls_.end(), 0);
  calls_.clear();
  fired_.clear();
}

std::string FaultPlan::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  for (const FaultRule& r : rules_) {
    out << r.site << ": " << FaultEffectName(r.effect);
    if (r.effect == FaultEffect::kFail || r.effect == FaultEffect::kPartialWrite) {
      out << " " << CodeName(r.code);
    }
    switch (r.trigger.kind) {
      case Trigger::Kind::kAlways: out << " on every call"; break;
      case Trigger::Kind::kNth: out << " on call " << r.trigger.n; break;
      case Trigger::Kind::kEveryK: out << " on every " << r.trigger.n << "th call"; break;
      case Trigger::Kind::kProbability: out << " with probability " << r.trigger.p; break;
    }
    if (!r.subject.empty()) out << " [subject " << r.subject << "]";
    out << "\n";
  }
  return out.str();
}

std::function<Status(std::string_view step)> CrashHook(FaultPlanPtr plan) {
  return [plan = std::move(plan)](std::string_view step) -> Status {
    if (!plan) return Status::Ok();
    std::string site(step);
    if (site.rfind("engine.", 0) != 0) site = "engine." + site;
    auto rule = plan->Check(site);
    if (!rule) return Status::Ok();
    Log()->info("injected crash at {}", site);
    Status s = Aborted(site + ": injected crash (the engine stops here)");
    s.MarkInjected(site);
    return s;
  };
}

}  // namespace crh
