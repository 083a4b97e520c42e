// Helpers shared by the unit tests: status matchers that understand our
// error details, and a per-test temporary directory for database files.
#ifndef RETAIL_TESTS_UNIT_TEST_UTIL_H_
#define RETAIL_TESTS_UNIT_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/reply.h"
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

// A Reply for driving managers and SubmitMutation directly: it owns the
// response and hands it (or the error) to the returned future. Writes reply
// on the writer's ack thread, hence the future.
template <typename R>
std::pair<Reply<R>, std::future<absl::StatusOr<R>>> FutureReply() {
  auto out = std::make_shared<R>();
  auto promise = std::make_shared<std::promise<absl::StatusOr<R>>>();
  std::future<absl::StatusOr<R>> future = promise->get_future();
  Reply<R> reply(out.get(), [out, promise](absl::Status status) {
    if (status.ok()) {
      promise->set_value(std::move(*out));
    } else {
      promise->set_value(std::move(status));
    }
  });
  return {std::move(reply), std::move(future)};
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
