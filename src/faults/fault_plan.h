#pragma once
// A fault plan: which calls of which fault sites fail, and how. One FaultPlan (held through a
// FaultPlanPtr) is shared by every fake in a test and by the engine's crash points, so a single
// seed and rule list describes the whole fault schedule of a run and replays it exactly.
//
// Sites have stable names "<seam>.<op>[.<moment>]" (see KnownSites()): "fs.write", "cni.add",
// "runtime.checkpoint.after_dump", "engine.restore.after_network". A fake calls Check() (or
// MaybeFail()) once per call at each site it reaches; a "moment" site is checked only when the
// call gets that far. Every rule counts the calls that match it (site and subject), and its
// trigger decides from that count (or a seeded draw) whether it fires.
//
// Example:
//   auto plan = std::make_shared<FaultPlan>(/*seed=*/7);
//   plan->Add({.site = "fs.write", .trigger = Trigger::Nth(2), .subject = "network.status"})
//       .Add({.site = "engine.checkpoint.after_dump", .effect = FaultEffect::kCrash});
//   auto fs = std::make_shared<FakeFilesystem>(plan);
//
// Thread-safe: the plan serializes its own counters and random draws.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/sim_random.h"
#include "src/base/status.h"

namespace crh {

// What a fired rule does, ordered from least to most destructive:
//   kFail          the call returns an error (the rule's code, default kUnavailable) marked
//                  injected at the site, and changes nothing.
//   kPartialWrite  the call does part of its work, then fails: fs.write leaves a truncated file
//                  at the target (not atomic); runtime.checkpoint leaves an image directory
//                  without inventory.img.
//   kWrongIp       cni.add succeeds but holds and returns an address other than the one asked
//                  for (or than the one it would have picked). The call "succeeds": only the
//                  result is wrong, which is worse than a clean failure.
//   kCrash         the engine stops at a named engine step (CrashHook returns kAborted marked
//                  injected); the fakes keep whatever they hold, as after a real crash.
// A site applies the effects it can produce. Any other effect fired at a fake's site acts as
// kFail (kCrash with code kAborted); any rule fired at an "engine.*" site is a crash. The
// cni.add.wrong_ip site always gives a wrong address, whatever the rule's effect.
enum class FaultEffect { kFail, kPartialWrite, kWrongIp, kCrash };

// "fail", "partial_write", "wrong_ip", "crash".
std::string_view FaultEffectName(FaultEffect effect);
std::optional<FaultEffect> FaultEffectFromName(std::string_view name);

// When a rule fires, counted over the calls that match the rule (its site and subject).
struct Trigger {
  enum class Kind {
    kAlways,       // every matching call
    kNth,          // the n-th matching call only (1-based)
    kEveryK,       // every n-th matching call: n, 2n, 3n, ...
    kProbability,  // each matching call with probability p, drawn from the plan's SimRandom
  };
  Kind kind = Kind::kAlways;
  uint64_t n = 1;
  double p = 0;

  static Trigger Always() { return {}; }
  static Trigger Nth(uint64_t n) { return {.kind = Kind::kNth, .n = n}; }
  static Trigger EveryK(uint64_t k) { return {.kind = Kind::kEveryK, .n = k}; }
  static Trigger Probability(double p) { return {.kind = Kind::kProbability, .p = p}; }

  friend bool operator==(const Trigger&, const Trigger&) = default;
};

struct FaultRule {
  std::string site;
  Trigger trigger;
  FaultEffect effect = FaultEffect::kFail;
  Code code = Code::kUnavailable;  // the error code of kFail/kPartialWrite
  // If non-empty, the rule only sees calls whose subject (container id, path, netns) contains it.
  std::string subject;

  friend bool operator==(const FaultRule&, const FaultRule&) = default;
};

class FaultPlan {
 public:
  // Seed 0.
  FaultPlan();
  explicit FaultPlan(uint64_t seed);
  // Copies rules, counters and the random stream's state.
  FaultPlan(const FaultPlan& other);
  FaultPlan& operator=(const FaultPlan& other);

  // Appends a rule; rules are tried in the order added. A site outside KnownSites() is logged as
  // a warning (it can never fire unless some code checks it).
  FaultPlan& Add(FaultRule rule);

  // Fakes call this once per call at every site they reach. Counts the call at `site` and, for
  // every rule that matches, the rule's own count (and a draw for kProbability rules, fired or
  // not, so the stream does not depend on rule order); returns the first matching rule that
  // fires, or nullopt.
  std::optional<FaultRule> Check(std::string_view site, std::string_view subject = "");

  // For sites that can only fail: Check(), and if a rule fired, the error it stands for
  // (InjectedError); Ok otherwise. Sites with richer effects call Check() instead.
  Status MaybeFail(std::string_view site, std::string_view subject = "");

  // The error a fired rule stands for: the rule's code (kAborted for kCrash; kUnavailable if the
  // code is kOk), a message naming site, effect and subject, marked injected at `site`.
  static Status InjectedError(const FaultRule& rule, std::string_view site,
                              std::string_view subject);

  // How often `site` was checked, and how often a rule fired there, since the last reset.
  long Calls(std::string_view site) const;
  long Fired(std::string_view site) const;
  // Every site checked at least once -> its call count (for reports).
  std::map<std::string, long> AllCalls() const;

  const std::vector<FaultRule>& rules() const { return rules_; }
  uint64_t seed() const { return seed_; }
  bool empty() const { return rules_.empty(); }

  // {"seed":N,"rules":[{"site":"cni.add","trigger":{"kind":"nth","n":2},"effect":"fail",
  //  "code":"UNAVAILABLE","subject":"web"}]}. Triggers: {"kind":"always"}, {"kind":"nth","n":N},
  // {"kind":"every","k":K}, {"kind":"probability","p":P}. Counters are not saved.
  std::string ToJson() const;

  // Parses ToJson's format. Only "site" is required in a rule: trigger defaults to always,
  // effect to fail, code to UNAVAILABLE, subject to "", seed to 0. kInvalidArgument naming the
  // JSON path of the bad field: "$.rules[2].trigger.kind: expected one of always, nth, every,
  // probability", "$.rules[0].site: unknown fault site \"x\"; known: ...". Unknown keys are
  // errors too, so a misspelled field never silently does nothing.
  static Result<FaultPlan> FromJson(const std::string& text);

  // Every site some fake or the engine checks, in seam order.
  static const std::vector<std::string>& KnownSites();
  static bool IsKnownSite(std::string_view site);

  // Zeroes every counter and rewinds the random stream to the seed: the same calls afterwards
  // fire the same rules as the first time.
  void ResetCounters();

  // One line per rule, for logs: "cni.add: fail UNAVAILABLE on call 2 [subject web]".
  std::string Describe() const;

 private:
  mutable std::mutex mu_;
  uint64_t seed_;
  SimRandom random_;
  std::vector<FaultRule> rules_;
  std::vector<uint64_t> rule_calls_;  // parallel to rules_
  std::map<std::string, long, std::less<>> calls_;
  std::map<std::string, long, std::less<>> fired_;
};

using FaultPlanPtr = std::shared_ptr<FaultPlan>;

// The engine's crash points. The engine calls hook("engine.checkpoint.after_dump") at each named
// step (the "engine." prefix is added if missing); when a rule for that site fires, the hook
// returns kAborted marked injected at the site and the engine stops there. With a null plan the
// hook always returns Ok.
std::function<Status(std::string_view step)> CrashHook(FaultPlanPtr plan);

}  // namespace crh
