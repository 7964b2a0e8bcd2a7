#include "src/base/status.h"

#include <array>

namespace crh {

namespace {
constexpr std::array<std::pair<Code, std::string_view>, 10> kNames = {{
    {Code::kOk, "OK"},
    {Code::kInvalidArgument, "INVALID_ARGUMENT"},
    {Code::kNotFound, "NOT_FOUND"},
    {Code::kAlreadyExists, "ALREADY_EXISTS"},
    {Code::kFailedPrecondition, "FAILED_PRECONDITION"},
    {Code::kUnavailable, "UNAVAILABLE"},
    {Code::kDataLoss, "DATA_LOSS"},
    {Code::kAborted, "ABORTED"},
    {Code::kDeadlineExceeded, "DEADLINE_EXCEEDED"},
    {Code::kInternal, "INTERNAL"},
}};
}  // namespace

std::string_view CodeName(Code code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "UNKNOWN";
}

std::optional<Code> CodeFromName(std::string_view name) {
  for (const auto& [c, n] : kNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s(code_, std::string(context) + ": " + message_);
  s.injected_site_ = injected_site_;
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = std::string(CodeName(code_)) + ": " + message_;
  if (injected()) s += " [injected at " + injected_site_ + "]";
  return s;
}

}  // namespace crh
