// Error model shared by every layer (docs/architecture.md, "Errors").
//
// Inside the server everything returns absl::Status / absl::StatusOr. The
// builders below attach google.rpc error details as absl::Status payloads
// keyed by their type URL, so that the gRPC adapter can turn them into
// google.rpc.Status details without knowing which layer produced them.
#ifndef RETAIL_COMMON_STATUS_H_
#define RETAIL_COMMON_STATUS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace retail {

// Domain of every ErrorInfo this service emits.
inline constexpr absl::string_view kErrorDomain = "retail.example.com";

// One bad field of a request. `field` is the request path, e.g.
// "customer.phone"; `description` states the rule that was broken.
struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field.
absl::Status InvalidArgument(std::vector<FieldViolation> violations);
absl::Status InvalidArgument(absl::string_view field,
                             absl::string_view description);

// A status of `code` with a google.rpc.ErrorInfo carrying a stable,
// machine-readable `reason` (e.g. "ETAG_MISMATCH") and optional metadata.
absl::Status ErrorWithReason(
    absl::StatusCode code, absl::string_view reason, absl::string_view message,
    std::vector<std::pair<std::string, std::string>> metadata = {});

// Returns the ErrorInfo reason attached to `status`, or "" if there is none.
std::string ErrorReason(const absl::Status& status);

// `status` with a google.rpc.RetryInfo: the client should wait `delay`
// before it tries again (overload: RATE_LIMITED, WRITER_QUEUE_FULL). gRPC
// retry policies and our clients read it from the status details.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// The RetryInfo delay attached to `status`, if any.
absl::optional<absl::Duration> RetryDelay(const absl::Status& status);

// Returns the BadRequest field violations attached to `status`.
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

// Collects field violations while validating a request, so one answer names
// every bad field instead of only the first.
class ViolationCollector {
 public:
  void Add(absl::string_view field, absl::string_view description) {
    violations_.push_back({std::string(field), std::string(description)});
  }
  // Adds the violations of a nested check, e.g. a page token. An error that
  // names no field is kept too, as a violation of `field`, so `empty()` is
  // true only when every check passed and every parsed value may be used.
  void Merge(const absl::Status& status, absl::string_view field = "request");
  // Merges `value`'s error and returns the value only if it parsed.
  template <typename T>
  const T* Take(const absl::StatusOr<T>& value,
                absl::string_view field = "request") {
    Merge(value.status(), field);
    return value.ok() ? &*value : nullptr;
  }
  bool empty() const { return violations_.empty(); }
  // INVALID_ARGUMENT naming every violation, or the first ones (at most
  // kMaxViolations, about kMaxViolationBytes of text) and a count of the
  // rest.
  absl::Status ToStatus() const;
  static constexpr size_t kMaxViolations = 20;
  static constexpr size_t kMaxViolationBytes = 1500;

 private:
  std::vector<FieldViolation> violations_;
};

}  // namespace retail

// This Abseil (20220623) has no status macros; these are ours.
#define RETAIL_STATUS_CONCAT_INNER_(a, b) a##b
#define RETAIL_STATUS_CONCAT_(a, b) RETAIL_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    if (::absl::Status _st = (expr); !_st.ok()) { \
      return _st;                                 \
    }                                             \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(RETAIL_STATUS_CONCAT_(_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)   \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

#endif  // RETAIL_COMMON_STATUS_H_
