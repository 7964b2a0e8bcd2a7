#pragma once
// gmock matchers for Status and Result<T>: EXPECT_THAT(s, IsOk()), StatusIs(Code::kNotFound),
// StatusIs(Code::kDataLoss, HasSubstr("inventory.img")).

#include <gmock/gmock.h>

#include <ostream>
#include <string>

#include "src/base/status.h"

namespace crh {

template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}
inline const Status& GetStatus(const Status& s) { return s; }

// Readable failure output instead of gtest's byte dumps.
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  *os << (r.ok() ? std::string("OK (a value)") : r.status().ToString());
}

MATCHER(IsOk, "is OK") {
  const Status& s = ::crh::GetStatus(arg);
  if (!s.ok()) *result_listener << "which is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has code " + std::string(::crh::CodeName(code))) {
  const Status& s = ::crh::GetStatus(arg);
  *result_listener << "which is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + std::string(::crh::CodeName(code)) + " and a matching message") {
  const Status& s = ::crh::GetStatus(arg);
  *result_listener << "which is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

// A Result that is OK and whose value matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace crh
