#include "common/status.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

MATCHER_P2(Violation, field, description, "") {
  return arg.field == field && arg.description == description;
}

TEST(InvalidArgumentTest, FieldViolationsRoundTrip) {
  absl::Status status =
      InvalidArgument({{"customer.phone", "must be a phone number"},
                       {"customer.email", "must be an address"}});

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Violation("customer.phone", "must be a phone number"),
                          Violation("customer.email", "must be an address")));
  // The message names every field too, for callers that only log it.
  EXPECT_THAT(status.message(), HasSubstr("customer.phone"));
  EXPECT_THAT(status.message(), HasSubstr("customer.email"));
}

TEST(InvalidArgumentTest, SingleFieldOverload) {
  absl::Status status = InvalidArgument("page_size", "must not be negative");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Violation("page_size", "must not be negative")));
}

TEST(InvalidArgumentTest, DetailsAreBadRequestPayload) {
  // The gRPC adapter copies payloads into google.rpc.Status details by type
  // URL, so the payload must be a real google.rpc.BadRequest.
  absl::Status status = InvalidArgument("filter", "bad");
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(bad_request.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "filter");
}

TEST(ErrorWithReasonTest, ReasonRoundTrips) {
  absl::Status status = ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                                        "ETAG_MISMATCH", "etag is stale");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status.message(), "etag is stale");
  EXPECT_EQ(ErrorReason(status), "ETAG_MISMATCH");
  EXPECT_THAT(FieldViolations(status), IsEmpty());
}

TEST(ErrorWithReasonTest, ErrorInfoCarriesDomainAndMetadata) {
  absl::Status status = ErrorWithReason(absl::StatusCode::kAlreadyExists,
                                        "PHONE_ALREADY_REGISTERED", "taken",
                                        {{"customer_id", "cus_1"}});
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  ASSERT_TRUE(payload.has_value());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.domain(), kErrorDomain);
  EXPECT_EQ(info.reason(), "PHONE_ALREADY_REGISTERED");
  EXPECT_EQ(info.metadata().at("customer_id"), "cus_1");
}

TEST(ErrorReasonTest, PlainStatusHasNoDetails) {
  absl::Status status = absl::NotFoundError("missing");
  EXPECT_EQ(ErrorReason(status), "");
  EXPECT_THAT(FieldViolations(status), IsEmpty());
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
}

TEST(ViolationCollectorTest, EmptyCollectorIsOk) {
  ViolationCollector v;
  EXPECT_TRUE(v.empty());
  EXPECT_THAT(v.ToStatus(), IsOk());
}

TEST(ViolationCollectorTest, CollectsEveryFieldInOrder) {
  ViolationCollector v;
  v.Add("customer.display_name", "is required");
  v.Merge(absl::OkStatus());  // a passing nested check adds nothing
  v.Merge(InvalidArgument("page_token", "is not ours"));
  v.Add("request_id", "is required");

  EXPECT_FALSE(v.empty());
  absl::Status status = v.ToStatus();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Violation("customer.display_name", "is required"),
                          Violation("page_token", "is not ours"),
                          Violation("request_id", "is required")));
}

absl::Status FailIf(bool fail) {
  return fail ? absl::UnavailableError("down") : absl::OkStatus();
}

absl::StatusOr<int> ValueOrError(bool fail, int value) {
  if (fail) return absl::NotFoundError("no value");
  return value;
}

// Counts how far it got, to show that the macros return early.
absl::Status UseReturnIfError(bool fail, int* reached) {
  RETURN_IF_ERROR(FailIf(fail));
  *reached = 1;
  return absl::OkStatus();
}

absl::StatusOr<int> UseAssignOrReturn(bool fail_first, bool fail_second) {
  ASSIGN_OR_RETURN(int a, ValueOrError(fail_first, 20));
  ASSIGN_OR_RETURN(const int b, ValueOrError(fail_second, 22));  // same scope
  return a + b;
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheError) {
  int reached = 0;
  EXPECT_THAT(UseReturnIfError(true, &reached),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(reached, 0);
  EXPECT_THAT(UseReturnIfError(false, &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsOrReturns) {
  absl::StatusOr<int> ok = UseAssignOrReturn(false, false);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(*ok, 42);
  EXPECT_THAT(UseAssignOrReturn(true, false),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(UseAssignOrReturn(false, true),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(StatusMacrosTest, AssignOrReturnAssignsToExistingVariable) {
  auto fn = []() -> absl::Status {
    std::string out = "old";
    ASSIGN_OR_RETURN(out, absl::StatusOr<std::string>("new"));
    return out == "new" ? absl::OkStatus() : absl::InternalError(out);
  };
  EXPECT_THAT(fn(), IsOk());
}

}  // namespace
}  // namespace retail
