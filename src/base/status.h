#pragma once
// Errors as values. Every fallible call in crh returns a Status or a Result<T>; nothing in the
// engine throws. A Status carries a canonical code, a message that names what failed (container,
// file, field) and what to do, and, for faults the fakes inject, the fault site's name, so an
// oracle can tell an explained failure from a real one.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace crh {

// Canonical error codes, in the spirit of absl::StatusCode. Keep this list short: a code is a
// decision a caller can make, the message is for people.
enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad input: a hostile ID, a malformed file, a bad flag
  kNotFound,            // the thing named does not exist (container, file, netns)
  kAlreadyExists,       // a name or ID is taken, an IP is held by someone else
  kFailedPrecondition,  // refused by the state machine or a missing prerequisite
  kUnavailable,         // a component failed in a way a retry may fix (runtime, CNI, I/O)
  kDataLoss,            // stored data is corrupt or incomplete (an image, a record)
  kAborted,             // the operation was cut short (a simulated crash)
  kDeadlineExceeded,    // a wait ran out of time
  kInternal,            // a broken promise inside crh: a bug
};

std::string_view CodeName(Code code);
std::optional<Code> CodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Set when a fake's fault plan produced this error; names the fault site ("cni.add").
  const std::string& injected_site() const { return injected_site_; }
  bool injected() const { return !injected_site_.empty(); }
  Status& MarkInjected(std::string site) {
    injected_site_ = std::move(site);
    return *this;
  }

  // Returns a copy whose message is "<context>: <message>", keeping code and mark.
  Status WithContext(std::string_view context) const;

  // "FAILED_PRECONDITION: container web (3f2a...) is paused: ..." and, if injected,
  // " [injected at cni.add]".
  std::string ToString() const;

  // Ignores the status on purpose; say why at the call site.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string injected_site_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status DataLoss(std::string m) { return Status(Code::kDataLoss, std::move(m)); }
inline Status Aborted(std::string m) { return Status(Code::kAborted, std::move(m)); }
inline Status DeadlineExceeded(std::string m) {
  return Status(Code::kDeadlineExceeded, std::move(m));
}
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// A value or the Status that explains why there is none. Result<T> from an ok Status is a bug
// (the constructor turns it into kInternal).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Internal("Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace crh

#define CRH_CONCAT_INNER_(a, b) a##b
#define CRH_CONCAT_(a, b) CRH_CONCAT_INNER_(a, b)

// Returns from the enclosing function with the status if it is not ok.
#define CRH_RETURN_IF_ERROR(expr)                  \
  do {                                             \
    ::crh::Status crh_status_ = (expr);            \
    if (!crh_status_.ok()) return crh_status_;     \
  } while (0)

// `CRH_ASSIGN_OR_RETURN(auto x, Fn());` declares x from an ok Result or returns its status.
#define CRH_ASSIGN_OR_RETURN(lhs, expr) \
  CRH_ASSIGN_OR_RETURN_IMPL_(CRH_CONCAT_(crh_result_, __LINE__), lhs, expr)
#define CRH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
