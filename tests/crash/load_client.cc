#include "tests/crash/load_client.h"

#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"

namespace retail::crash {
namespace {

using ::retail::customers::v1::AdjustPointsRequest;
using ::retail::customers::v1::AdjustPointsResponse;
using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::orders::v1::CreateOrderRequest;
using ::retail::orders::v1::CreateOrderResponse;
using ::retail::orders::v1::PayOrderRequest;
using ::retail::orders::v1::PayOrderResponse;

// What one callback-API call needs to outlive the call.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

// `done` runs with the answer; the call's slot in `limit` is given back only
// after the call object (and its ClientContext) is gone, so that whoever
// waits for the limit to drain, and then destroys the channel, never races
// a callback still tearing a call down (gRPC 1.51's callback API has been
// seen to abort on a double unref in that window).
template <typename Request, typename Response, typename StartFn>
void StartCall(const Request& request, const std::string& token,
               std::shared_ptr<InFlightLimit> limit, StartFn start,
               std::function<void(const grpc::Status&, const Response&)> done) {
  auto* call = new Call<Request, Response>;
  call->request = request;
  call->context.AddMetadata("authorization", "Bearer " + token);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
  // Wait for a connection instead of failing at once if the channel is
  // between connections: a fail-fast call would come straight back to the
  // retry queue and spin. Calls already sent still fail as soon as the
  // server dies, which is what the test needs.
  call->context.set_wait_for_ready(true);
  start(&call->context, &call->request, &call->response,
        [call, limit = std::move(limit),
         done = std::move(done)](grpc::Status status) mutable {
          done(status, call->response);
          delete call;
          // Moved out first: the lambda itself is destroyed by gRPC later.
          std::shared_ptr<InFlightLimit> held = std::move(limit);
          held->Release();
        });
}

}  // namespace

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  static std::atomic<int> counter{0};
  grpc::ChannelArguments args;
  // A unique argument keeps gRPC from sharing a subchannel (and its backoff
  // state from the killed server) with an earlier channel.
  args.SetInt("retail.crash.channel", counter++);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: despite its name it is the
  // connect timeout, and a short one fails connections on a busy machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

absl::Status CheckServing(const std::shared_ptr<grpc::Channel>& channel,
                          absl::Duration timeout) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // An empty HealthCheckRequest asks about the server as a whole. The
  // ByteBuffer must wrap a slice: an uninitialised one is rejected.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(
      &context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
      &response,
      [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("health check: code ",
                                               status.error_code(), ": ",
                                               status.error_message()));
  }
  grpc::Slice flat;
  if (!response.TrySingleSlice(&flat).ok() &&
      !response.DumpToSingleSlice(&flat).ok()) {
    return absl::UnavailableError("health check: unreadable response");
  }
  const std::string bytes(reinterpret_cast<const char*>(flat.begin()),
                          flat.size());
  if (bytes != std::string("\x08\x01", 2)) {  // status: SERVING
    return absl::UnavailableError("health check: not SERVING");
  }
  return absl::OkStatus();
}

bool InFlightLimit::AcquireUntil(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, absl::ToChronoTime(deadline),
                      [this] { return used_ < max_; })) {
    return false;
  }
  ++used_;
  return true;
}

void InFlightLimit::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  --used_;
  cv_.notify_all();
}

bool InFlightLimit::WaitIdle(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [this] { return used_ == 0; });
}

LoadClient::LoadClient(std::shared_ptr<Ledger> ledger,
                       std::shared_ptr<grpc::Channel> channel,
                       std::string token, int max_in_flight)
    : ledger_(std::move(ledger)),
      limit_(std::make_shared<InFlightLimit>(max_in_flight)),
      stub_(customers::v1::CustomerService::NewStub(channel)),
      orders_stub_(orders::v1::OrderService::NewStub(channel)),
      complaints_stub_(complaints::v1::ComplaintService::NewStub(channel)),
      feedback_stub_(
          feedback::v1::FeedbackService::NewStub(std::move(channel))),
      token_(std::move(token)) {}

LoadClient::~LoadClient() { limit_->WaitIdle(kRpcTimeout + absl::Seconds(5)); }

void LoadClient::Drive(absl::Time until, bool allow_new, int round,
                       const std::function<bool()>& keep_going) {
  while (absl::Now() < until && (!keep_going || keep_going())) {
    if (!limit_->AcquireUntil(until)) break;
    std::optional<size_t> next = ledger_->NextToSend(allow_new);
    if (next) {
      Send(*next, round);
      continue;
    }
    limit_->Release();
    if (!allow_new && ledger_->Settled()) return;
    // Only retries may be sent and none is queued yet: answers still in
    // flight may put some back. Poll briefly rather than spin.
    absl::SleepFor(absl::Milliseconds(1));
  }
}

void LoadClient::Send(size_t index, int round) {
  const Entry entry = ledger_->Snapshot(index);
  // Every kind ends the same way: OK goes to the ledger with the id the
  // server assigned (if any), anything else back to the retry logic.
  auto record = [ledger = ledger_, index, round](
                    const grpc::Status& status, const std::string& bytes,
                    const std::string& assigned_id) {
    if (status.ok()) {
      ledger->RecordOk(index, bytes, assigned_id, round);
    } else {
      ledger->RecordFailure(index, status.error_code(), status.error_message());
    }
  };
  auto* customers = stub_->async();
  auto* orders = orders_stub_->async();
  auto* complaints = complaints_stub_->async();
  auto* fb = feedback_stub_->async();
  switch (entry.kind) {
    case Kind::kCreate:
      StartCall<CreateCustomerRequest, CreateCustomerResponse>(
          entry.create, token_, limit_,
          [customers](auto* context, auto* request, auto* response, auto done) {
            customers->CreateCustomer(context, request, response,
                                      std::move(done));
          },
          [record](const grpc::Status& status,
                   const CreateCustomerResponse& r) {
            record(status, r.SerializeAsString(), r.customer().customer_id());
          });
      break;
    case Kind::kAdjust:
      StartCall<AdjustPointsRequest, AdjustPointsResponse>(
          entry.adjust, token_, limit_,
          [customers](auto* context, auto* request, auto* response, auto done) {
            customers->AdjustPoints(context, request, response,
                                    std::move(done));
          },
          [record](const grpc::Status& status, const AdjustPointsResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kCreateOrder:
      StartCall<CreateOrderRequest, CreateOrderResponse>(
          entry.create_order, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->CreateOrder(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status, const CreateOrderResponse& r) {
            record(status, r.SerializeAsString(), r.order().order_id());
          });
      break;
    case Kind::kPay:
      StartCall<PayOrderRequest, PayOrderResponse>(
          entry.pay, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->PayOrder(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status, const PayOrderResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kCompleteOrder:
      StartCall<orders::v1::CompleteOrderRequest,
                orders::v1::CompleteOrderResponse>(
          entry.complete_order, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->CompleteOrder(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const orders::v1::CompleteOrderResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kRequestReturn:
      StartCall<orders::v1::RequestReturnRequest,
                orders::v1::RequestReturnResponse>(
          entry.request_return, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->RequestReturn(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const orders::v1::RequestReturnResponse& r) {
            record(status, r.SerializeAsString(), r.order_return().return_id());
          });
      break;
    case Kind::kReviewReturn:
      StartCall<orders::v1::ReviewReturnRequest,
                orders::v1::ReviewReturnResponse>(
          entry.review_return, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->ReviewReturn(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const orders::v1::ReviewReturnResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kReceiveReturn:
      StartCall<orders::v1::ReceiveReturnRequest,
                orders::v1::ReceiveReturnResponse>(
          entry.receive_return, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->ReceiveReturn(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const orders::v1::ReceiveReturnResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kCompleteReturn:
      StartCall<orders::v1::CompleteReturnRequest,
                orders::v1::CompleteReturnResponse>(
          entry.complete_return, token_, limit_,
          [orders](auto* context, auto* request, auto* response, auto done) {
            orders->CompleteReturn(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const orders::v1::CompleteReturnResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kCreateComplaint:
      StartCall<complaints::v1::CreateComplaintRequest,
                complaints::v1::CreateComplaintResponse>(
          entry.create_complaint, token_, limit_,
          [complaints](auto* context, auto* request, auto* response,
                       auto done) {
            complaints->CreateComplaint(context, request, response,
                                        std::move(done));
          },
          [record](const grpc::Status& status,
                   const complaints::v1::CreateComplaintResponse& r) {
            record(status, r.SerializeAsString(), r.complaint().complaint_id());
          });
      break;
    case Kind::kAssignComplaint:
      StartCall<complaints::v1::AssignComplaintRequest,
                complaints::v1::AssignComplaintResponse>(
          entry.assign_complaint, token_, limit_,
          [complaints](auto* context, auto* request, auto* response,
                       auto done) {
            complaints->AssignComplaint(context, request, response,
                                        std::move(done));
          },
          [record](const grpc::Status& status,
                   const complaints::v1::AssignComplaintResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kRespondToComplaint:
      StartCall<complaints::v1::RespondToComplaintRequest,
                complaints::v1::RespondToComplaintResponse>(
          entry.respond_complaint, token_, limit_,
          [complaints](auto* context, auto* request, auto* response,
                       auto done) {
            complaints->RespondToComplaint(context, request, response,
                                           std::move(done));
          },
          [record](const grpc::Status& status,
                   const complaints::v1::RespondToComplaintResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
    case Kind::kCreateSurvey:
      StartCall<feedback::v1::CreateSurveyRequest,
                feedback::v1::CreateSurveyResponse>(
          entry.create_survey, token_, limit_,
          [fb](auto* context, auto* request, auto* response, auto done) {
            fb->CreateSurvey(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const feedback::v1::CreateSurveyResponse& r) {
            record(status, r.SerializeAsString(), r.survey().survey_id());
          });
      break;
    case Kind::kSubmitFeedback:
      StartCall<feedback::v1::SubmitFeedbackRequest,
                feedback::v1::SubmitFeedbackResponse>(
          entry.submit_feedback, token_, limit_,
          [fb](auto* context, auto* request, auto* response, auto done) {
            fb->SubmitFeedback(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const feedback::v1::SubmitFeedbackResponse& r) {
            record(status, r.SerializeAsString(), r.feedback().feedback_id());
          });
      break;
    case Kind::kSubmitSurveyResponse:
      StartCall<feedback::v1::SubmitSurveyResponseRequest,
                feedback::v1::SubmitSurveyResponseResponse>(
          entry.submit_response, token_, limit_,
          [fb](auto* context, auto* request, auto* response, auto done) {
            fb->SubmitSurveyResponse(context, request, response,
                                     std::move(done));
          },
          [record](const grpc::Status& status,
                   const feedback::v1::SubmitSurveyResponseResponse& r) {
            record(status, r.SerializeAsString(), r.response().response_id());
          });
      break;
    case Kind::kScheduleFollowUp:
      StartCall<feedback::v1::ScheduleFollowUpRequest,
                feedback::v1::ScheduleFollowUpResponse>(
          entry.schedule_follow_up, token_, limit_,
          [fb](auto* context, auto* request, auto* response, auto done) {
            fb->ScheduleFollowUp(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const feedback::v1::ScheduleFollowUpResponse& r) {
            record(status, r.SerializeAsString(), r.follow_up().follow_up_id());
          });
      break;
    case Kind::kCompleteFollowUp:
      StartCall<feedback::v1::CompleteFollowUpRequest,
                feedback::v1::CompleteFollowUpResponse>(
          entry.complete_follow_up, token_, limit_,
          [fb](auto* context, auto* request, auto* response, auto done) {
            fb->CompleteFollowUp(context, request, response, std::move(done));
          },
          [record](const grpc::Status& status,
                   const feedback::v1::CompleteFollowUpResponse& r) {
            record(status, r.SerializeAsString(), "");
          });
      break;
  }
}

}  // namespace retail::crash
