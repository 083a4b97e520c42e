// Helpers shared by the unit tests: status matchers that understand our
// error details, and a per-test temporary directory for database files.
#ifndef RETAIL_TESTS_UNIT_TEST_UTIL_H_
#define RETAIL_TESTS_UNIT_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail::testing {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an OK absl::Status or absl::StatusOr.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

// Matches a status (or StatusOr) with the given code.
MATCHER_P(StatusIs, code, "has the expected status code") {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

// Matches INVALID_ARGUMENT whose BadRequest details name `field`.
MATCHER_P(IsInvalidField, field, "is INVALID_ARGUMENT naming the field") {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  if (status.code() != absl::StatusCode::kInvalidArgument) return false;
  for (const FieldViolation& v : FieldViolations(status)) {
    if (v.field == field) return true;
  }
  return false;
}

// Matches a status of `code` whose ErrorInfo reason is `reason`.
MATCHER_P2(StatusWithReason, code, reason,
           "has the code and ErrorInfo reason") {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status << ", reason '"
                   << ErrorReason(status) << "'";
  return status.code() == code && ErrorReason(status) == reason;
}

// A fresh directory under ::testing::TempDir(), removed with its contents
// when the test ends, so no two tests (or test processes) share a database.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = ::testing::TempDir() + "retail_unit_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace retail::testing

#endif  // RETAIL_TESTS_UNIT_TEST_UTIL_H_
