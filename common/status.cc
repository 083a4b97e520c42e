#include "common/status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace retail {
namespace {

constexpr absl::string_view kBadRequestUrl =
    "type.googleapis.com/google.rpc.BadRequest";
constexpr absl::string_view kErrorInfoUrl =
    "type.googleapis.com/google.rpc.ErrorInfo";
constexpr absl::string_view kRetryInfoUrl =
    "type.googleapis.com/google.rpc.RetryInfo";

}  // namespace

absl::Status InvalidArgument(std::vector<FieldViolation> violations) {
  google::rpc::BadRequest bad_request;
  std::string message;
  for (const FieldViolation& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    if (!message.empty()) message += "; ";
    message += v.field + ": " + v.description;
  }
  absl::Status status(absl::StatusCode::kInvalidArgument, message);
  status.SetPayload(kBadRequestUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidArgument(absl::string_view field,
                             absl::string_view description) {
  return InvalidArgument(
      {FieldViolation{std::string(field), std::string(description)}});
}

absl::Status ErrorWithReason(
    absl::StatusCode code, absl::string_view reason, absl::string_view message,
    std::vector<std::pair<std::string, std::string>> metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  absl::Status status(code, message);
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  const int64_t nanos = absl::ToInt64Nanoseconds(delay);
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(nanos % 1'000'000'000));
  status.SetPayload(kRetryInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoUrl);
  if (!payload) return absl::nullopt;
  google::rpc::RetryInfo info;
  if (!info.ParseFromString(std::string(*payload))) return absl::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestUrl);
  if (!payload) return out;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : bad_request.field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

void ViolationCollector::Merge(const absl::Status& status,
                               absl::string_view field) {
  if (status.ok()) return;
  std::vector<FieldViolation> named = FieldViolations(status);
  if (named.empty()) {
    // An error without BadRequest details still makes the request invalid:
    // dropping it would let the caller go on with a value that failed.
    violations_.push_back({std::string(field), std::string(status.message())});
    return;
  }
  for (FieldViolation& v : named) violations_.push_back(std::move(v));
}

absl::Status ViolationCollector::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  // The details travel in response headers, twice (the message and the
  // BadRequest), and gRPC clients refuse headers above 8 KiB with
  // RESOURCE_EXHAUSTED (sometimes dropping the connection). So a request
  // with many bad fields gets the first ones named, up to kMaxViolations
  // and about kMaxViolationBytes of text, and a count of the rest: still
  // INVALID_ARGUMENT, still naming fields.
  std::vector<FieldViolation> shown;
  size_t bytes = 0;
  for (const FieldViolation& v : violations_) {
    const size_t size = v.field.size() + v.description.size();
    if (!shown.empty() &&
        (shown.size() == kMaxViolations || bytes + size > kMaxViolationBytes)) {
      break;
    }
    shown.push_back(v);
    bytes += size;
  }
  if (shown.size() < violations_.size()) {
    shown.push_back(
        {"request",
         absl::StrCat("and ", violations_.size() - shown.size(),
                      " more violations; fix these and send again")});
  }
  return InvalidArgument(std::move(shown));
}

}  // namespace retail
