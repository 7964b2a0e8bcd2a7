#pragma once
// Shared plumbing of the property suites: the seeded default budget, and the report a failure
// prints (seed, rapidcheck's reproduce string, the commands that replay it).
//
// Budget: unless RC_PARAMS says otherwise, every property runs with seed kDefaultSeed and
// CRH_PROPERTY_CASES cases (default: the suite's own, sized for seconds). RC_PARAMS given by the
// user wins key by key ("RC_PARAMS=seed=5" keeps the default case count), so a soak is
//   CRH_PROPERTY_CASES=20000 bazel test //property_tests:engine_property_test
// and a random exploration RC_PARAMS="seed=$RANDOM".

#include <rapidcheck.h>

#include <functional>
#include <optional>
#include <string>

#include "src/scenario/scenario.h"

namespace crh {

inline constexpr uint64_t kDefaultSeed = 20240601;

// The case count the suites use when CRH_PROPERTY_CASES is unset.
inline constexpr int kDefaultCases = 150;

// Runs `property` (a rapidcheck testable) as the current gtest test. On failure, writes
// `counterexample` (if the property left one) as a scenario file named by its content hash
// under CRH_COUNTEREXAMPLE_DIR (default $TEST_UNDECLARED_OUTPUTS_DIR, then the temp dir), and
// fails the test with the seed, the reproduce string and both replay commands.
void CheckProperty(const std::string& target, const std::function<void()>& property,
                   const std::function<std::optional<Scenario>()>& counterexample);

// Writes `s` as <dir>/<hash>.json and returns the path ("" if it could not be written).
std::string WriteCounterexample(const Scenario& s);

}  // namespace crh
