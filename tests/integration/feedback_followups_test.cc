// FeedbackService follow-up visits (回访, issue 13) through the real server
// over loopback TCP, on the TestServer's FakeClock (2026-06-01 00:00Z, a
// Monday, 08:00 in Shanghai, the chain's zone).
//
// The server runs without its maintenance thread; the tests run the due
// maintenance tasks themselves with RetailServer::RunMaintenance() after
// moving the clock, so the follow-up scheduler (feedback.follow_up_scheduler)
// runs exactly when a test says. Its interval is set to one second
// (--followup_schedule_interval_seconds) and RunScheduler() moves the clock
// by that second first, so every call really runs it.
//
// VIPs are made by spend: --tier_vip_min_spend_minor is ¥1,000 and
// --tier_vip_min_orders 1 here, so one paid order of ¥1,000 makes a VIP and
// one of ¥300 a REGULAR; --tier_active_days is ten years so a VIP stays one
// while a test moves the clock a year.
//
// What is shown: scheduling by hand (the branch a follow-up belongs to,
// every invalid field named, unknown and foreign records, retries); the
// list (earliest due first, each filter, pages of two with tokens bound to
// their filters, masking by role, audited reveals, branch views); completing
// (reached, unreachable, the fields an unreachable outcome must not carry,
// completing twice); branch isolation and read-only roles; the scheduler by
// the clock (after a complaint closes, after a VIP's purchase, on a VIP's
// birthday at 10:00 local, each cause once across runs and restarts, the
// flags that turn a cause off, a person's own after-complaint follow-up,
// the first run's seven-day look-back); export and erasure.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int32_t, followup_after_complaint_days);
ABSL_DECLARE_FLAG(int32_t, followup_after_vip_purchase_days);
ABSL_DECLARE_FLAG(bool, followup_vip_birthdays);
ABSL_DECLARE_FLAG(int64_t, followup_schedule_interval_seconds);
ABSL_DECLARE_FLAG(int64_t, tier_vip_min_spend_minor);
ABSL_DECLARE_FLAG(int64_t, tier_vip_min_orders);
ABSL_DECLARE_FLAG(int64_t, tier_active_days);

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
namespace fb = ::retail::feedback::v1;
namespace cu = ::retail::customers::v1;
namespace od = ::retail::orders::v1;
namespace cp = ::retail::complaints::v1;
using FeedbackStub = fb::FeedbackService::Stub;

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// One paid order of this much makes a VIP (the fixture's tier flags).
constexpr int64_t kVipSpend = 100'000;   // ¥1,000.00
constexpr int64_t kSmallOrder = 30'000;  // ¥300.00

// A service token that may schedule and list follow-ups, and nothing else.
constexpr char kService[] = "svc-token";

std::vector<TestPrincipal> Principals() {
  std::vector<TestPrincipal> p = DefaultPrincipals();
  p.push_back({kService,
               "svc service "
               "methods=retail.feedback.v1.FeedbackService/ScheduleFollowUp,"
               "retail.feedback.v1.FeedbackService/ListFollowUps"});
  return p;
}

absl::TimeZone Shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}

// An instant given in Shanghai local time, as micros.
int64_t Local(int y, int mo, int d, int h, int mi = 0) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), Shanghai()));
}

int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

// An 11-digit mobile number as the masking rules show it: 139****1234.
std::string Masked(const std::string& phone) {
  EXPECT_EQ(phone.size(), 11u) << phone;
  return phone.size() == 11
             ? absl::StrCat(phone.substr(0, 3), "****", phone.substr(7))
             : "";
}

std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

// Expects INVALID_ARGUMENT naming exactly `fields` (in any order).
void ExpectFields(const grpc::Status& s,
                  const std::vector<std::string>& fields) {
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(DetailsOf(s).fields, ::testing::UnorderedElementsAreArray(fields))
      << Describe(s);
  ExpectNoStorageText(s);
}

// Expects `code` with ErrorInfo reason `reason` ("" for none checked).
void ExpectError(const grpc::Status& s, grpc::StatusCode code,
                 const std::string& reason = "") {
  EXPECT_EQ(s.error_code(), code) << Describe(s);
  if (!reason.empty()) {
    EXPECT_EQ(DetailsOf(s).reason, reason) << Describe(s);
  }
  ExpectNoStorageText(s);
}

// The answer of a call that returns a follow-up.
struct Result {
  grpc::Status status;
  fb::FollowUp f;
  bool ok() const { return status.ok(); }
};

class FollowUpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_tier_vip_min_spend_minor, kVipSpend);
    absl::SetFlag(&FLAGS_tier_vip_min_orders, 1);
    absl::SetFlag(&FLAGS_tier_active_days, 3650);
    absl::SetFlag(&FLAGS_followup_schedule_interval_seconds, 1);
    server_ = std::make_unique<TestServer>(TestServerOptions{
        .principals = Principals(), .configure = [](ServerOptions& o) {
          o.maintenance_interval = absl::ZeroDuration();
        }});
    t0_ = Now();
    Connect();
  }

  void Connect() {
    feedback_ = fb::FeedbackService::NewStub(server_->Channel());
    customers_ = cu::CustomerService::NewStub(server_->Channel());
    orders_ = od::OrderService::NewStub(server_->Channel());
    complaints_ = cp::ComplaintService::NewStub(server_->Channel());
  }

  // Stops and starts the server on the same database (the flags are read
  // again), as an operator would.
  void Restart() {
    server_->Restart();
    Connect();
  }

  // ---- time ----------------------------------------------------------------

  int64_t Now() const { return server_->clock().NowMicros(); }
  void Advance(int64_t us) { server_->clock().Advance(us); }
  void AdvanceTo(int64_t at) {
    ASSERT_GE(at, Now());
    server_->clock().Advance(at - Now());
  }

  // One run of the due maintenance tasks, the follow-up scheduler among
  // them (its one-second interval has passed).
  void RunScheduler() {
    Advance(kSecond);
    server_->server().RunMaintenance();
  }

  // ---- SQL -----------------------------------------------------------------

  int Count(const std::string& sql) {
    const std::string v = server_->QueryScalar(sql);
    EXPECT_FALSE(v.empty()) << sql;
    return v.empty() ? -1 : std::stoi(v);
  }
  int FollowUpRows() { return Count("SELECT COUNT(*) FROM follow_ups"); }
  std::string CauseOf(const std::string& follow_up_id) {
    return server_->QueryScalar(
        absl::StrCat("SELECT cause FROM follow_ups WHERE follow_up_id = '",
                     follow_up_id, "'"));
  }
  // The event types of the follow-up's change feed, oldest first.
  std::vector<std::string> Events(const std::string& id) {
    const std::string joined = server_->QueryScalar(
        JoinedSql(server_->on_postgres(), "event_type", ",",
                  absl::StrCat("events WHERE resource_type = 'follow_up' AND "
                               "resource_id = '",
                               id, "'"),
                  "event_id"));
    if (joined.empty()) return {};
    return absl::StrSplit(joined, ',');
  }

  std::string NewRequestId() { return absl::StrCat("fup-it-", ++counter_); }

  // ---- customers -----------------------------------------------------------

  std::string CreateCustomer(
      const std::string& branch, const std::string& name = "王小明",
      std::string phone = "",
      std::optional<absl::CivilDay> birthday = std::nullopt) {
    cu::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    if (phone.empty()) phone = absl::StrCat("1390000", 1000 + counter_);
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id(branch);
    if (birthday) {
      auto* b = req.mutable_customer()->mutable_birthday();
      b->set_year(static_cast<int32_t>(birthday->year()));
      b->set_month(birthday->month());
      b->set_day(birthday->day());
    }
    cu::CreateCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers_, &cu::CustomerService::Stub::CreateCustomer,
                      kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.customer().customer_id();
  }

  cu::Customer GetCustomer(const std::string& id) {
    cu::GetCustomerRequest req;
    req.set_customer_id(id);
    cu::GetCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers_, &cu::CustomerService::Stub::GetCustomer,
                      kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.customer();
  }

  grpc::Status Erase(const std::string& id) {
    cu::EraseCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.set_customer_id(id);
    req.set_reason("客户申请删除 ticket-13");
    cu::EraseCustomerResponse resp;
    return testing::Call(*customers_, &cu::CustomerService::Stub::EraseCustomer,
                         kAdmin, req, &resp);
  }

  cu::ExportCustomerDataResponse Export(const std::string& id) {
    cu::ExportCustomerDataRequest req;
    req.set_customer_id(id);
    cu::ExportCustomerDataResponse resp;
    grpc::Status s = testing::Call(
        *customers_, &cu::CustomerService::Stub::ExportCustomerData, kAdmin,
        req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }

  // ---- orders --------------------------------------------------------------

  od::Order CreateOrder(const std::string& customer, const std::string& branch,
                        int64_t price) {
    od::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    od::Order* o = req.mutable_order();
    o->set_customer_id(customer);
    o->set_branch_id(branch);
    o->set_channel(od::ORDER_CHANNEL_STORE);
    od::OrderItem* item = o->add_items();
    item->set_sku("COAT-L");
    item->set_name("羊毛大衣");
    item->set_quantity(1);
    item->mutable_unit_price()->set_minor_units(price);
    od::CreateOrderResponse resp;
    grpc::Status s = testing::Call(
        *orders_, &od::OrderService::Stub::CreateOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.order();
  }

  od::Order Pay(const od::Order& order) {
    od::PayOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order.order_id());
    req.mutable_payment()->set_method(od::PAYMENT_METHOD_CASH);
    *req.mutable_payment()->mutable_amount() = order.total();
    req.mutable_payment()->set_outcome(od::PAYMENT_OUTCOME_SUCCEEDED);
    od::PayOrderResponse resp;
    grpc::Status s = testing::Call(*orders_, &od::OrderService::Stub::PayOrder,
                                   kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(resp.order().status(), od::ORDER_STATUS_PAID);
    EXPECT_TRUE(resp.order().has_paid_time());
    return resp.order();
  }

  od::Order PaidOrder(const std::string& customer, const std::string& branch,
                      int64_t price) {
    return Pay(CreateOrder(customer, branch, price));
  }

  // Makes `customer` a VIP with one paid ¥1,000 order in `branch`.
  od::Order MakeVip(const std::string& customer, const std::string& branch) {
    od::Order o = PaidOrder(customer, branch, kVipSpend);
    EXPECT_EQ(GetCustomer(customer).tier(), cu::CUSTOMER_TIER_VIP);
    return o;
  }

  // ---- complaints ----------------------------------------------------------

  template <typename Req, typename Resp>
  cp::Complaint Complaint(grpc::Status (cp::ComplaintService::Stub::*m)(
                              grpc::ClientContext*, const Req&, Resp*),
                          const Req& req) {
    Resp resp;
    grpc::Status s = testing::Call(*complaints_, m, kAgent, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.complaint();
  }

  cp::Complaint CreateComplaint(const std::string& customer,
                                const std::string& branch) {
    cp::CreateComplaintRequest req;
    req.set_request_id(NewRequestId());
    cp::Complaint* c = req.mutable_complaint();
    c->set_customer_id(customer);
    c->set_branch_id(branch);
    c->set_channel(cp::COMPLAINT_CHANNEL_PHONE);
    c->set_category(cp::COMPLAINT_CATEGORY_LOGISTICS);
    c->set_severity(cp::COMPLAINT_SEVERITY_MODERATE);
    c->set_subject("快递三天没到，物流太慢");
    c->set_description("下单三天了快递还没到，物流信息一直不更新。");
    return Complaint(&cp::ComplaintService::Stub::CreateComplaint, req);
  }

  // NEW or REOPENED -> ... -> RESOLVED with the complaint RPCs.
  cp::Complaint ToResolved(cp::Complaint c) {
    if (c.status() == cp::COMPLAINT_STATUS_NEW) {
      cp::AssignComplaintRequest req;
      req.set_request_id(NewRequestId());
      req.set_complaint_id(c.complaint_id());
      req.set_etag(c.etag());
      req.set_owner_id("agent-7");
      req.set_team("售后一组");
      c = Complaint(&cp::ComplaintService::Stub::AssignComplaint, req);
    }
    if (c.status() == cp::COMPLAINT_STATUS_ACKNOWLEDGED ||
        c.status() == cp::COMPLAINT_STATUS_REOPENED) {
      cp::RespondToComplaintRequest req;
      req.set_request_id(NewRequestId());
      req.set_complaint_id(c.complaint_id());
      req.set_etag(c.etag());
      req.set_message("您好，我们正在处理");
      req.set_visibility(cp::MESSAGE_VISIBILITY_CUSTOMER);
      c = Complaint(&cp::ComplaintService::Stub::RespondToComplaint, req);
    }
    {
      cp::ProposeSolutionRequest req;
      req.set_request_id(NewRequestId());
      req.set_complaint_id(c.complaint_id());
      req.set_etag(c.etag());
      req.mutable_solution()->set_remedy(cp::REMEDY_COMPENSATION);
      req.mutable_solution()->set_description("退还运费并致歉");
      c = Complaint(&cp::ComplaintService::Stub::ProposeSolution, req);
    }
    cp::ResolveComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    c = Complaint(&cp::ComplaintService::Stub::ResolveComplaint, req);
    EXPECT_EQ(c.status(), cp::COMPLAINT_STATUS_RESOLVED);
    return c;
  }

  cp::Complaint Close(
      const cp::Complaint& c,
      cp::Confirmation confirmation = cp::CONFIRMATION_SATISFIED,
      int score = 5) {
    cp::CloseComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_confirmation(confirmation);
    req.set_satisfaction_score(score);
    cp::Complaint out =
        Complaint(&cp::ComplaintService::Stub::CloseComplaint, req);
    EXPECT_EQ(out.status(), cp::COMPLAINT_STATUS_CLOSED);
    EXPECT_TRUE(out.has_close_time());
    return out;
  }

  cp::Complaint Reopen(const cp::Complaint& c) {
    cp::ReopenComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_reason("客户仍未收到货");
    cp::Complaint out =
        Complaint(&cp::ComplaintService::Stub::ReopenComplaint, req);
    EXPECT_EQ(out.status(), cp::COMPLAINT_STATUS_REOPENED);
    return out;
  }

  // A new complaint of `customer` in `branch`, taken NEW -> ... -> CLOSED.
  cp::Complaint ClosedComplaint(
      const std::string& customer, const std::string& branch,
      cp::Confirmation confirmation = cp::CONFIRMATION_SATISFIED,
      int score = 5) {
    return Close(ToResolved(CreateComplaint(customer, branch)), confirmation,
                 score);
  }

  // ---- follow-ups ----------------------------------------------------------

  static fb::FollowUp NewFollowUp(
      const std::string& customer, int64_t due_us,
      fb::FollowUpReason reason = fb::FOLLOW_UP_REASON_VIP_CARE) {
    fb::FollowUp f;
    f.set_customer_id(customer);
    f.set_reason(reason);
    *f.mutable_due_time() = Ts(due_us);
    return f;
  }

  fb::ScheduleFollowUpRequest ScheduleRequest(const fb::FollowUp& f) {
    fb::ScheduleFollowUpRequest req;
    req.set_request_id(NewRequestId());
    *req.mutable_follow_up() = f;
    return req;
  }

  Result Schedule(const fb::ScheduleFollowUpRequest& req,
                  const std::string& token = kAgent) {
    fb::ScheduleFollowUpResponse resp;
    Result r;
    r.status = testing::Call(*feedback_, &FeedbackStub::ScheduleFollowUp, token,
                             req, &resp);
    r.f = resp.follow_up();
    return r;
  }
  Result Schedule(const fb::FollowUp& f, const std::string& token = kAgent) {
    return Schedule(ScheduleRequest(f), token);
  }
  fb::FollowUp ScheduleOk(const fb::FollowUp& f,
                          const std::string& token = kAgent) {
    Result r = Schedule(f, token);
    EXPECT_TRUE(r.ok()) << Describe(r.status);
    return r.f;
  }

  static fb::CompleteFollowUpRequest CompleteRequest(
      const std::string& id, fb::FollowUpOutcome outcome, int satisfaction = 0,
      fb::RepurchaseIntent intent = fb::REPURCHASE_INTENT_UNSPECIFIED,
      const std::string& notes = "") {
    fb::CompleteFollowUpRequest req;
    req.set_follow_up_id(id);
    req.set_outcome(outcome);
    req.set_satisfaction(satisfaction);
    req.set_repurchase_intent(intent);
    req.set_notes(notes);
    return req;
  }

  Result Complete(fb::CompleteFollowUpRequest req,
                  const std::string& token = kAgent) {
    if (req.request_id().empty()) req.set_request_id(NewRequestId());
    fb::CompleteFollowUpResponse resp;
    Result r;
    r.status = testing::Call(*feedback_, &FeedbackStub::CompleteFollowUp, token,
                             req, &resp);
    r.f = resp.follow_up();
    return r;
  }

  grpc::Status ListPage(const fb::ListFollowUpsRequest& req,
                        const std::string& token,
                        fb::ListFollowUpsResponse* resp) {
    return testing::Call(*feedback_, &FeedbackStub::ListFollowUps, token, req,
                         resp);
  }

  // Every follow-up `req` selects, following the pages.
  std::vector<fb::FollowUp> List(fb::ListFollowUpsRequest req = {},
                                 const std::string& token = kAdmin) {
    std::vector<fb::FollowUp> out;
    for (int page = 0; page < 100; ++page) {
      fb::ListFollowUpsResponse resp;
      grpc::Status s = ListPage(req, token, &resp);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok()) break;
      for (const fb::FollowUp& f : resp.follow_ups()) out.push_back(f);
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  // The follow-ups of `customer` (as admin sees them), earliest due first.
  std::vector<fb::FollowUp> FollowUpsOf(const std::string& customer) {
    std::vector<fb::FollowUp> out;
    for (fb::FollowUp& f : List()) {
      if (f.customer_id() == customer) out.push_back(std::move(f));
    }
    return out;
  }
  std::vector<fb::FollowUp> FollowUpsOf(const std::string& customer,
                                        fb::FollowUpReason reason) {
    std::vector<fb::FollowUp> out;
    for (fb::FollowUp& f : FollowUpsOf(customer)) {
      if (f.reason() == reason) out.push_back(std::move(f));
    }
    return out;
  }
  std::vector<fb::FollowUp> FollowUpsOfComplaint(const std::string& id) {
    std::vector<fb::FollowUp> out;
    for (fb::FollowUp& f : List()) {
      if (f.complaint_id() == id) out.push_back(std::move(f));
    }
    return out;
  }
  std::vector<fb::FollowUp> FollowUpsOfOrder(const std::string& id) {
    std::vector<fb::FollowUp> out;
    for (fb::FollowUp& f : List()) {
      if (f.order_id() == id) out.push_back(std::move(f));
    }
    return out;
  }
  fb::FollowUp Find(const std::string& follow_up_id,
                    const std::string& token = kAdmin) {
    for (fb::FollowUp& f : List({}, token)) {
      if (f.follow_up_id() == follow_up_id) return f;
    }
    ADD_FAILURE() << "follow-up " << follow_up_id << " not listed";
    return {};
  }

  static std::vector<std::string> Ids(const std::vector<fb::FollowUp>& fs) {
    std::vector<std::string> out;
    for (const fb::FollowUp& f : fs) out.push_back(f.follow_up_id());
    return out;
  }

  absl::FlagSaver flags_;  // first: restored after the server is gone
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<FeedbackStub> feedback_;
  std::unique_ptr<cu::CustomerService::Stub> customers_;
  std::unique_ptr<od::OrderService::Stub> orders_;
  std::unique_ptr<cp::ComplaintService::Stub> complaints_;
  int64_t t0_ = 0;
  int counter_ = 0;
};

// ===========================================================================
// ScheduleFollowUp by hand
// ===========================================================================

TEST_F(FollowUpsTest, ScheduledByHandIsPendingInTheCustomersHomeBranch) {
  const std::string customer = CreateCustomer("B002");
  Advance(kHour);
  fb::FollowUp in = NewFollowUp(customer, t0_ + 2 * kDay);
  in.set_owner_id("agent-7");
  // Output-only fields are ignored.
  in.set_follow_up_id("fup_mine");
  in.set_branch_id("B001");
  in.set_status(fb::FOLLOW_UP_STATUS_DONE);
  in.set_outcome(fb::FOLLOW_UP_OUTCOME_REACHED);
  in.set_satisfaction(5);
  in.set_notes("不应保存");
  in.set_automatic(true);
  const fb::FollowUp f = ScheduleOk(in);
  EXPECT_THAT(f.follow_up_id(), StartsWith("fup_"));
  EXPECT_NE(f.follow_up_id(), "fup_mine");
  EXPECT_EQ(f.customer_id(), customer);
  EXPECT_EQ(f.branch_id(), "B002");
  EXPECT_EQ(f.reason(), fb::FOLLOW_UP_REASON_VIP_CARE);
  EXPECT_EQ(Us(f.due_time()), t0_ + 2 * kDay);
  EXPECT_EQ(f.owner_id(), "agent-7");
  EXPECT_TRUE(f.order_id().empty());
  EXPECT_TRUE(f.complaint_id().empty());
  EXPECT_EQ(f.status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_EQ(f.outcome(), fb::FOLLOW_UP_OUTCOME_UNSPECIFIED);
  EXPECT_EQ(f.satisfaction(), 0);
  EXPECT_EQ(f.repurchase_intent(), fb::REPURCHASE_INTENT_UNSPECIFIED);
  EXPECT_TRUE(f.notes().empty());
  EXPECT_FALSE(f.automatic());
  EXPECT_EQ(Us(f.create_time()), t0_ + kHour);
  EXPECT_FALSE(f.has_complete_time());
  // The agent's view: the name, the phone masked.
  EXPECT_EQ(f.customer_name(), "王小明");
  EXPECT_EQ(f.customer_phone(), Masked(GetCustomer(customer).phone()));

  // As stored and listed.
  const fb::FollowUp listed = Find(f.follow_up_id());
  EXPECT_EQ(listed.branch_id(), "B002");
  EXPECT_EQ(listed.status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_FALSE(listed.automatic());
  EXPECT_EQ(CauseOf(f.follow_up_id()), "");  // NULL: a person scheduled it
  EXPECT_THAT(Events(f.follow_up_id()), ElementsAre("SCHEDULED"));
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id || ' ' || resource || ' ' || outcome "
                "FROM audit_log WHERE method LIKE '%/ScheduleFollowUp' ORDER "
                "BY audit_id DESC LIMIT 1"),
            absl::StrCat("agent follow-ups/", f.follow_up_id(), " OK"));
}

TEST_F(FollowUpsTest, ScheduledForAnOrderBelongsToTheOrdersBranch) {
  // A B002 member buying in B001: the visit is B001's.
  const std::string customer = CreateCustomer("B002");
  const od::Order order = PaidOrder(customer, "B001", kSmallOrder);
  fb::FollowUp in =
      NewFollowUp(customer, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  in.set_order_id(order.order_id());
  const fb::FollowUp f = ScheduleOk(in);
  EXPECT_EQ(f.branch_id(), "B001");
  EXPECT_EQ(f.order_id(), order.order_id());
  EXPECT_EQ(f.reason(), fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  EXPECT_EQ(f.status(), fb::FOLLOW_UP_STATUS_PENDING);
}

TEST_F(FollowUpsTest, ScheduledForAComplaintBelongsToTheComplaintsBranch) {
  const std::string customer = CreateCustomer("B002");
  const cp::Complaint c = CreateComplaint(customer, "B001");
  fb::FollowUp in =
      NewFollowUp(customer, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  in.set_complaint_id(c.complaint_id());
  const fb::FollowUp f = ScheduleOk(in);
  EXPECT_EQ(f.branch_id(), "B001");
  EXPECT_EQ(f.complaint_id(), c.complaint_id());
  EXPECT_TRUE(f.order_id().empty());
}

TEST_F(FollowUpsTest, ScheduleNamesEachInvalidField) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp good = NewFollowUp(customer, t0_ + kDay);
  struct Case {
    std::string name;
    std::function<void(fb::ScheduleFollowUpRequest&)> change;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"missing customer",
       [](auto& r) { r.mutable_follow_up()->clear_customer_id(); },
       {"follow_up.customer_id"}},
      {"customer id not an id",
       [](auto& r) { r.mutable_follow_up()->set_customer_id("cus 1/../x"); },
       {"follow_up.customer_id"}},
      {"reason unspecified",
       [](auto& r) {
         r.mutable_follow_up()->set_reason(fb::FOLLOW_UP_REASON_UNSPECIFIED);
       },
       {"follow_up.reason"}},
      {"reason out of range",
       [](auto& r) {
         r.mutable_follow_up()->set_reason(static_cast<fb::FollowUpReason>(42));
       },
       {"follow_up.reason"}},
      {"no due time",
       [](auto& r) { r.mutable_follow_up()->clear_due_time(); },
       {"follow_up.due_time"}},
      {"due time after year 9999",
       [](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_seconds(
             TimeUtil::kTimestampMaxSeconds + 1);
       },
       {"follow_up.due_time"}},
      {"due time with negative nanos",
       [](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_nanos(-1);
       },
       {"follow_up.due_time"}},
      {"both order and complaint",
       [](auto& r) {
         r.mutable_follow_up()->set_order_id("ord_1");
         r.mutable_follow_up()->set_complaint_id("cmp_1");
       },
       {"follow_up.complaint_id"}},
      {"order id not an id",
       [](auto& r) { r.mutable_follow_up()->set_order_id("ord 1"); },
       {"follow_up.order_id"}},
      {"complaint id not an id",
       [](auto& r) { r.mutable_follow_up()->set_complaint_id("cmp#1"); },
       {"follow_up.complaint_id"}},
      {"bad owner id",
       [](auto& r) { r.mutable_follow_up()->set_owner_id("张 三"); },
       {"follow_up.owner_id"}},
      {"owner id too long",
       [](auto& r) {
         r.mutable_follow_up()->set_owner_id(std::string(65, 'a'));
       },
       {"follow_up.owner_id"}},
      {"no request id", [](auto& r) { r.clear_request_id(); }, {"request_id"}},
      {"everything at once",
       [](auto& r) {
         r.set_request_id("short");
         fb::FollowUp* f = r.mutable_follow_up();
         f->clear_customer_id();
         f->set_reason(fb::FOLLOW_UP_REASON_UNSPECIFIED);
         f->clear_due_time();
         f->set_owner_id("bad owner");
       },
       {"request_id", "follow_up.customer_id", "follow_up.reason",
        "follow_up.due_time", "follow_up.owner_id"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fb::ScheduleFollowUpRequest req = ScheduleRequest(good);
    c.change(req);
    ExpectFields(Schedule(req).status, c.fields);
  }
  EXPECT_EQ(FollowUpRows(), 0);
  // The same request, valid, is stored.
  EXPECT_TRUE(Schedule(good).ok());
  EXPECT_EQ(FollowUpRows(), 1);
}

TEST_F(FollowUpsTest, ScheduleForUnknownRecordsIsNotFound) {
  const std::string customer = CreateCustomer("B001");
  Result r = Schedule(NewFollowUp("cus_nobody", t0_ + kDay));
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  fb::FollowUp f = NewFollowUp(customer, t0_ + kDay);
  f.set_order_id("ord_nothing");
  r = Schedule(f);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(r.status.error_message(), HasSubstr("follow_up.order_id"));
  f = NewFollowUp(customer, t0_ + kDay);
  f.set_complaint_id("cmp_nothing");
  r = Schedule(f);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(r.status.error_message(), HasSubstr("follow_up.complaint_id"));
  EXPECT_EQ(FollowUpRows(), 0);
}

TEST_F(FollowUpsTest, ScheduleForAnotherCustomersRecordIsFailedPrecondition) {
  const std::string mine = CreateCustomer("B001");
  const std::string theirs = CreateCustomer("B001", "李四");
  const od::Order order = PaidOrder(theirs, "B001", kSmallOrder);
  const cp::Complaint complaint = CreateComplaint(theirs, "B001");
  fb::FollowUp f =
      NewFollowUp(mine, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  f.set_order_id(order.order_id());
  Result r = Schedule(f);
  ExpectError(r.status, grpc::StatusCode::FAILED_PRECONDITION,
              "ORDER_OF_ANOTHER_CUSTOMER");
  // A walk-in's order is nobody's.
  const od::Order walk_in = PaidOrder("", "B001", kSmallOrder);
  f.set_order_id(walk_in.order_id());
  ExpectError(Schedule(f).status, grpc::StatusCode::FAILED_PRECONDITION,
              "ORDER_OF_ANOTHER_CUSTOMER");
  f = NewFollowUp(mine, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  f.set_complaint_id(complaint.complaint_id());
  ExpectError(Schedule(f).status, grpc::StatusCode::FAILED_PRECONDITION,
              "COMPLAINT_OF_ANOTHER_CUSTOMER");
  EXPECT_EQ(FollowUpRows(), 0);
}

TEST_F(FollowUpsTest, ScheduleForAnErasedCustomerIsFailedPrecondition) {
  const std::string customer = CreateCustomer("B001");
  ASSERT_TRUE(Erase(customer).ok());
  ExpectError(Schedule(NewFollowUp(customer, t0_ + kDay)).status,
              grpc::StatusCode::FAILED_PRECONDITION, "CUSTOMER_ERASED");
  EXPECT_EQ(FollowUpRows(), 0);
}

TEST_F(FollowUpsTest, RetryWithTheSameRequestIdReturnsTheSameFollowUp) {
  const std::string customer = CreateCustomer("B001");
  const fb::ScheduleFollowUpRequest req =
      ScheduleRequest(NewFollowUp(customer, t0_ + kDay));
  const Result first = Schedule(req);
  ASSERT_TRUE(first.ok()) << Describe(first.status);
  Advance(kMinute);
  const Result again = Schedule(req);
  ASSERT_TRUE(again.ok()) << Describe(again.status);
  EXPECT_EQ(again.f.follow_up_id(), first.f.follow_up_id());
  EXPECT_EQ(Us(again.f.create_time()), Us(first.f.create_time()));
  EXPECT_EQ(FollowUpRows(), 1);
  EXPECT_THAT(Events(first.f.follow_up_id()), ElementsAre("SCHEDULED"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE method LIKE "
                  "'%/ScheduleFollowUp' AND outcome = 'REPLAYED'"),
            1);
  // The same key for another request is refused.
  fb::ScheduleFollowUpRequest other = req;
  *other.mutable_follow_up()->mutable_due_time() = Ts(t0_ + 2 * kDay);
  ExpectFields(Schedule(other).status, {"request_id"});
  EXPECT_EQ(FollowUpRows(), 1);
  // Another key is another follow-up.
  fb::ScheduleFollowUpRequest fresh = req;
  fresh.set_request_id(NewRequestId());
  const Result second = Schedule(fresh);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second.f.follow_up_id(), first.f.follow_up_id());
  EXPECT_EQ(FollowUpRows(), 2);
}

// ===========================================================================
// Branch isolation and roles
// ===========================================================================

TEST_F(FollowUpsTest, BranchSchedulesOnlyForItsOwnBranch) {
  const std::string own = CreateCustomer("B001");
  const std::string other = CreateCustomer("B002", "李四");
  // Its own member: its own branch.
  const fb::FollowUp f = ScheduleOk(NewFollowUp(own, t0_ + kDay), kBranch1);
  EXPECT_EQ(f.branch_id(), "B001");
  // Another branch's member, with nothing of B001's: not found.
  ExpectError(Schedule(NewFollowUp(other, t0_ + kDay), kBranch1).status,
              grpc::StatusCode::NOT_FOUND);
  // A B002 order, even of its own member: not found.
  const od::Order b2_order = PaidOrder(own, "B002", kSmallOrder);
  fb::FollowUp in =
      NewFollowUp(own, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  in.set_order_id(b2_order.order_id());
  Result r = Schedule(in, kBranch1);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(r.status.error_message(), ::testing::Not(HasSubstr("B002")));
  // A B002 complaint: not found.
  const cp::Complaint b2_complaint = CreateComplaint(own, "B002");
  in = NewFollowUp(own, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  in.set_complaint_id(b2_complaint.complaint_id());
  ExpectError(Schedule(in, kBranch1).status, grpc::StatusCode::NOT_FOUND);
  // Another branch's member buying in B001 is B001's to follow up.
  const od::Order b1_order = PaidOrder(other, "B001", kSmallOrder);
  in = NewFollowUp(other, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  in.set_order_id(b1_order.order_id());
  const fb::FollowUp theirs = ScheduleOk(in, kBranch1);
  EXPECT_EQ(theirs.branch_id(), "B001");
  EXPECT_EQ(FollowUpRows(), 2);
}

// The service comment: a branch sees and records only its own branch's
// follow-ups, any other is NOT_FOUND; follow_ups.cc: a branch "learns
// nothing of another branch's records". Naming another branch's order or
// complaint (of another customer) must not tell B001 that it exists and
// whose it is.
TEST_F(FollowUpsTest, BranchLearnsNothingOfAnotherBranchsOrderOrComplaint) {
  const std::string own = CreateCustomer("B001");
  const std::string stranger = CreateCustomer("B002", "李四");
  const od::Order their_order = PaidOrder(stranger, "B002", kSmallOrder);
  const cp::Complaint their_complaint = CreateComplaint(stranger, "B002");
  fb::FollowUp in =
      NewFollowUp(own, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  in.set_order_id(their_order.order_id());
  Result r = Schedule(in, kBranch1);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(DetailsOf(r.status).reason, "ORDER_OF_ANOTHER_CUSTOMER");
  // Exactly what an order that does not exist gets.
  in.set_order_id("ord_nothing");
  ExpectError(Schedule(in, kBranch1).status, grpc::StatusCode::NOT_FOUND);
  in = NewFollowUp(own, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  in.set_complaint_id(their_complaint.complaint_id());
  r = Schedule(in, kBranch1);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(DetailsOf(r.status).reason, "COMPLAINT_OF_ANOTHER_CUSTOMER");
  EXPECT_EQ(FollowUpRows(), 0);
}

TEST_F(FollowUpsTest, AuditorAndUnlistedServicesMayNotWrite) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  ExpectError(Schedule(NewFollowUp(customer, t0_ + kDay), kAuditor).status,
              grpc::StatusCode::PERMISSION_DENIED);
  ExpectError(Schedule(NewFollowUp(customer, t0_ + kDay), kCrm).status,
              grpc::StatusCode::PERMISSION_DENIED);
  const fb::CompleteFollowUpRequest done =
      CompleteRequest(f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED, 5);
  ExpectError(Complete(done, kAuditor).status,
              grpc::StatusCode::PERMISSION_DENIED);
  ExpectError(Complete(done, kCrm).status, grpc::StatusCode::PERMISSION_DENIED);
  // svc may schedule and list, but not complete.
  ExpectError(Complete(done, kService).status,
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Schedule(NewFollowUp(customer, t0_ + kDay), kService).ok());
  EXPECT_EQ(Find(f.follow_up_id()).status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_EQ(FollowUpRows(), 2);
  // The auditor reads.
  fb::ListFollowUpsResponse resp;
  EXPECT_TRUE(ListPage({}, kAuditor, &resp).ok());
  EXPECT_EQ(resp.follow_ups_size(), 2);
  // crm may not even read.
  ExpectError(ListPage({}, kCrm, &resp), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(FollowUpsTest, BranchCannotCompleteAnotherBranchsFollowUp) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  ASSERT_EQ(f.branch_id(), "B001");
  const fb::CompleteFollowUpRequest done =
      CompleteRequest(f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED, 4,
                      fb::REPURCHASE_INTENT_MAYBE, "B002 想代办");
  Result r = Complete(done, kBranch2);
  ExpectError(r.status, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Find(f.follow_up_id()).status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_THAT(Events(f.follow_up_id()), ElementsAre("SCHEDULED"));
  // Its own branch may.
  r = Complete(done, kBranch1);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.status(), fb::FOLLOW_UP_STATUS_DONE);
  // B002 still sees nothing of it: not found, not "already made".
  fb::CompleteFollowUpRequest again = done;
  again.set_request_id("");
  ExpectError(Complete(again, kBranch2).status, grpc::StatusCode::NOT_FOUND);
}

// ===========================================================================
// ListFollowUps
// ===========================================================================

TEST_F(FollowUpsTest, ListsEarliestDueFirst) {
  const std::string customer = CreateCustomer("B001");
  const int64_t dues[] = {5 * kDay, 1 * kDay,  3 * kDay,
                          1 * kDay, -2 * kDay, 4 * kDay};
  std::vector<std::pair<int64_t, int>> want;  // (due, creation order)
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(
        ScheduleOk(NewFollowUp(customer, t0_ + dues[i])).follow_up_id());
    want.push_back({dues[i], i});
    Advance(kSecond);
  }
  std::sort(want.begin(), want.end());
  std::vector<std::string> expected;
  for (const auto& [due, i] : want) expected.push_back(ids[i]);
  const std::vector<fb::FollowUp> listed = List();
  EXPECT_THAT(Ids(listed), ElementsAreArray(expected));
  for (size_t i = 1; i < listed.size(); ++i) {
    EXPECT_LE(Us(listed[i - 1].due_time()), Us(listed[i].due_time()));
  }
  // A follow-up due before 1970 is listed too (first).
  const fb::FollowUp old = ScheduleOk(NewFollowUp(customer, -5 * kDay));
  EXPECT_EQ(List().front().follow_up_id(), old.follow_up_id());
}

TEST_F(FollowUpsTest, ListFiltersByDueRangeStatusBranchAndOwner) {
  const std::string a = CreateCustomer("B001");
  const std::string b = CreateCustomer("B002", "李四");
  auto make = [&](const std::string& customer, int64_t due,
                  const std::string& owner) {
    fb::FollowUp f = NewFollowUp(customer, t0_ + due);
    f.set_owner_id(owner);
    return ScheduleOk(f).follow_up_id();
  };
  const std::string a1 = make(a, 1 * kDay, "agent-7");
  const std::string a2 = make(a, 2 * kDay, "agent-8");
  const std::string a3 = make(a, 3 * kDay, "");
  const std::string b1 = make(b, 1 * kDay + kHour, "agent-7");
  const std::string b4 = make(b, 4 * kDay, "agent-8");
  ASSERT_TRUE(
      Complete(CompleteRequest(a2, fb::FOLLOW_UP_OUTCOME_UNREACHABLE)).ok());
  ASSERT_TRUE(
      Complete(CompleteRequest(b4, fb::FOLLOW_UP_OUTCOME_REACHED, 5)).ok());

  fb::ListFollowUpsRequest req;
  // Due range: start inclusive, end exclusive.
  *req.mutable_due_start() = Ts(t0_ + 1 * kDay);
  *req.mutable_due_end() = Ts(t0_ + 3 * kDay);
  EXPECT_THAT(Ids(List(req)), ElementsAre(a1, b1, a2));
  req.clear_due_end();
  *req.mutable_due_start() = Ts(t0_ + 1 * kDay + 1);
  EXPECT_THAT(Ids(List(req)), ElementsAre(b1, a2, a3, b4));
  req.clear_due_start();
  *req.mutable_due_end() = Ts(t0_ + 1 * kDay + kHour);
  EXPECT_THAT(Ids(List(req)), ElementsAre(a1));
  req.Clear();
  // Status.
  req.set_status(fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_THAT(Ids(List(req)), ElementsAre(a1, b1, a3));
  req.set_status(fb::FOLLOW_UP_STATUS_DONE);
  EXPECT_THAT(Ids(List(req)), ElementsAre(a2, b4));
  req.Clear();
  // Branch.
  req.set_branch_id("B002");
  EXPECT_THAT(Ids(List(req)), ElementsAre(b1, b4));
  req.set_branch_id("B009");
  EXPECT_THAT(List(req), IsEmpty());
  req.Clear();
  // Owner.
  req.set_owner_id("agent-7");
  EXPECT_THAT(Ids(List(req)), ElementsAre(a1, b1));
  req.set_owner_id("agent-8");
  EXPECT_THAT(Ids(List(req)), ElementsAre(a2, b4));
  // All together.
  req.set_branch_id("B001");
  req.set_status(fb::FOLLOW_UP_STATUS_DONE);
  *req.mutable_due_start() = Ts(t0_ + 2 * kDay);
  *req.mutable_due_end() = Ts(t0_ + 2 * kDay + 1);
  EXPECT_THAT(Ids(List(req)), ElementsAre(a2));
  req.set_status(fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_THAT(List(req), IsEmpty());
}

TEST_F(FollowUpsTest, ListPagesOfTwoWithATokenBoundToTheFilters) {
  const std::string customer = CreateCustomer("B001");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    // ids[1] and ids[2] share a due time: the first page ends between them.
    const int64_t due = t0_ + (i == 2 ? 2 : i + 1) * kDay;
    ids.push_back(ScheduleOk(NewFollowUp(customer, due)).follow_up_id());
  }
  const std::string done =
      ScheduleOk(NewFollowUp(customer, t0_)).follow_up_id();
  ASSERT_TRUE(
      Complete(CompleteRequest(done, fb::FOLLOW_UP_OUTCOME_UNREACHABLE)).ok());

  fb::ListFollowUpsRequest req;
  req.set_status(fb::FOLLOW_UP_STATUS_PENDING);
  req.set_page_size(2);
  std::vector<std::vector<std::string>> pages;
  std::string token_after_first;
  for (int page = 0; page < 10; ++page) {
    fb::ListFollowUpsResponse resp;
    grpc::Status s = ListPage(req, kAgent, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    pages.push_back(Ids({resp.follow_ups().begin(), resp.follow_ups().end()}));
    if (page == 0) token_after_first = resp.next_page_token();
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_THAT(pages[0], ElementsAre(ids[0], ids[1]));
  EXPECT_THAT(pages[1], ElementsAre(ids[2], ids[3]));
  EXPECT_THAT(pages[2], ElementsAre(ids[4]));
  ASSERT_FALSE(token_after_first.empty());

  // The token belongs to its filters.
  auto refused = [&](fb::ListFollowUpsRequest changed,
                     const std::string& token = kAgent) {
    changed.set_page_token(token_after_first);
    changed.set_page_size(2);
    fb::ListFollowUpsResponse resp;
    ExpectFields(ListPage(changed, token, &resp), {"page_token"});
  };
  fb::ListFollowUpsRequest changed;
  changed.set_status(fb::FOLLOW_UP_STATUS_DONE);
  refused(changed);
  changed.set_status(fb::FOLLOW_UP_STATUS_UNSPECIFIED);
  refused(changed);
  changed.set_status(fb::FOLLOW_UP_STATUS_PENDING);
  changed.set_owner_id("agent-7");
  refused(changed);
  changed.clear_owner_id();
  changed.set_branch_id("B001");
  refused(changed);
  changed.clear_branch_id();
  *changed.mutable_due_start() = Ts(t0_);
  refused(changed);
  changed.clear_due_start();
  *changed.mutable_due_end() = Ts(t0_ + 100 * kDay);
  refused(changed);
  changed.clear_due_end();
  // ... and to the caller's branch scope.
  refused(changed, kBranch1);
  // Unchanged filters continue; a page size may change.
  changed.set_page_token(token_after_first);
  changed.set_page_size(10);
  fb::ListFollowUpsResponse resp;
  ASSERT_TRUE(ListPage(changed, kAgent, &resp).ok());
  EXPECT_THAT(Ids({resp.follow_ups().begin(), resp.follow_ups().end()}),
              ElementsAre(ids[2], ids[3], ids[4]));
  EXPECT_TRUE(resp.next_page_token().empty());
  // A forged token.
  changed.set_page_token("not-a-token");
  ExpectFields(ListPage(changed, kAgent, &resp), {"page_token"});
}

TEST_F(FollowUpsTest, ListRejectsBadArgumentsNamingEachField) {
  fb::ListFollowUpsResponse resp;
  fb::ListFollowUpsRequest req;
  // Larger pages are cut to 1000 (common/pagination.h), not refused.
  req.set_page_size(1001);
  EXPECT_TRUE(ListPage(req, kAgent, &resp).ok());
  req.set_page_size(-1);
  ExpectFields(ListPage(req, kAgent, &resp), {"page_size"});
  req.Clear();
  req.set_status(static_cast<fb::FollowUpStatus>(7));
  ExpectFields(ListPage(req, kAgent, &resp), {"status"});
  req.Clear();
  req.set_owner_id("no spaces");
  ExpectFields(ListPage(req, kAgent, &resp), {"owner_id"});
  req.Clear();
  req.set_branch_id("B/001");
  ExpectFields(ListPage(req, kAgent, &resp), {"branch_id"});
  req.Clear();
  req.mutable_due_start()->set_nanos(-5);
  req.mutable_due_end()->set_seconds(TimeUtil::kTimestampMaxSeconds + 1);
  ExpectFields(ListPage(req, kAgent, &resp), {"due_start", "due_end"});
}

// ---- masking --------------------------------------------------------------

class FollowUpsMaskingTest : public FollowUpsTest {
 protected:
  void SetUp() override {
    FollowUpsTest::SetUp();
    // A B001 member with a follow-up in B001; a B002 member who bought in
    // B001, followed up by B001; a B002 member followed up by B002.
    own_ = CreateCustomer("B001", "王小明", "13712345678");
    visitor_ = CreateCustomer("B002", "李四", "13887654321");
    far_ = CreateCustomer("B002", "赵六", "13655556666");
    own_fu_ = ScheduleOk(NewFollowUp(own_, t0_ + kDay)).follow_up_id();
    const od::Order o = PaidOrder(visitor_, "B001", kSmallOrder);
    fb::FollowUp f = NewFollowUp(visitor_, t0_ + 2 * kDay,
                                 fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
    f.set_order_id(o.order_id());
    visitor_fu_ = ScheduleOk(f).follow_up_id();
    far_fu_ = ScheduleOk(NewFollowUp(far_, t0_ + 3 * kDay)).follow_up_id();
  }

  // name|phone of each follow-up listed by `token`, by follow-up id.
  std::map<std::string, std::string> Shown(const std::string& token,
                                           bool reveal = false) {
    fb::ListFollowUpsRequest req;
    req.set_reveal_pii(reveal);
    std::map<std::string, std::string> out;
    for (const fb::FollowUp& f : List(req, token)) {
      out[f.follow_up_id()] =
          absl::StrCat(f.customer_name(), "|", f.customer_phone());
    }
    return out;
  }

  int Reveals() {
    return Count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'");
  }

  std::string own_, visitor_, far_;
  std::string own_fu_, visitor_fu_, far_fu_;
};

TEST_F(FollowUpsMaskingTest, AgentSeesNamesWithMaskedPhones) {
  EXPECT_THAT(Shown(kAgent),
              UnorderedElementsAre(Pair(own_fu_, "王小明|137****5678"),
                                   Pair(visitor_fu_, "李四|138****4321"),
                                   Pair(far_fu_, "赵六|136****6666")));
  EXPECT_EQ(Reveals(), 0);
}

TEST_F(FollowUpsMaskingTest, AuditorAndServiceSeeNamesAndPhonesMasked) {
  const auto masked = UnorderedElementsAre(Pair(own_fu_, "王**|137****5678"),
                                           Pair(visitor_fu_, "李*|138****4321"),
                                           Pair(far_fu_, "赵*|136****6666"));
  EXPECT_THAT(Shown(kAuditor), masked);
  EXPECT_THAT(Shown(kService), masked);
  // Neither may ask to see more.
  fb::ListFollowUpsRequest req;
  req.set_reveal_pii(true);
  fb::ListFollowUpsResponse resp;
  ExpectError(ListPage(req, kAuditor, &resp),
              grpc::StatusCode::PERMISSION_DENIED);
  ExpectError(ListPage(req, kService, &resp),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reveals(), 0);
}

TEST_F(FollowUpsMaskingTest, AdminSeesEverythingWithoutAnAudit) {
  EXPECT_THAT(Shown(kAdmin),
              UnorderedElementsAre(Pair(own_fu_, "王小明|13712345678"),
                                   Pair(visitor_fu_, "李四|13887654321"),
                                   Pair(far_fu_, "赵六|13655556666")));
  EXPECT_EQ(Reveals(), 0);
}

TEST_F(FollowUpsMaskingTest, AgentRevealShowsEverythingAndIsAudited) {
  EXPECT_THAT(Shown(kAgent, /*reveal=*/true),
              UnorderedElementsAre(Pair(own_fu_, "王小明|13712345678"),
                                   Pair(visitor_fu_, "李四|13887654321"),
                                   Pair(far_fu_, "赵六|13655556666")));
  EXPECT_EQ(Reveals(), 1);
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id || ' ' || role || ' ' || resource FROM "
                "audit_log WHERE outcome = 'REVEAL'"),
            "agent agent follow-ups");
  EXPECT_THAT(server_->QueryScalar(
                  "SELECT method FROM audit_log WHERE outcome = 'REVEAL'"),
              HasSubstr("ListFollowUps"));
  // The detail names every follow-up shown, in the order shown.
  EXPECT_EQ(server_->QueryScalar(
                "SELECT detail FROM audit_log WHERE outcome = 'REVEAL'"),
            absl::StrCat("shown: follow-ups/", own_fu_, ",follow-ups/",
                         visitor_fu_, ",follow-ups/", far_fu_));
  // Each revealed page is audited: two pages, two more rows.
  fb::ListFollowUpsRequest req;
  req.set_reveal_pii(true);
  req.set_page_size(2);
  fb::ListFollowUpsResponse resp;
  ASSERT_TRUE(ListPage(req, kAgent, &resp).ok());
  req.set_page_token(resp.next_page_token());
  ASSERT_TRUE(ListPage(req, kAgent, &resp).ok());
  EXPECT_EQ(Reveals(), 3);
  EXPECT_EQ(server_->QueryScalar("SELECT detail FROM audit_log WHERE outcome "
                                 "= 'REVEAL' ORDER BY audit_id DESC LIMIT 1"),
            absl::StrCat("shown: follow-ups/", far_fu_));
}

TEST_F(FollowUpsMaskingTest, BranchSeesItsOwnMembersInFull) {
  // B001 sees its own follow-ups only: its member in full, the visiting
  // B002 member as an agent would.
  EXPECT_THAT(Shown(kBranch1),
              UnorderedElementsAre(Pair(own_fu_, "王小明|13712345678"),
                                   Pair(visitor_fu_, "李四|138****4321")));
  EXPECT_THAT(Shown(kBranch2),
              UnorderedElementsAre(Pair(far_fu_, "赵六|13655556666")));
  // Naming another branch shows nothing.
  fb::ListFollowUpsRequest req;
  req.set_branch_id("B002");
  EXPECT_THAT(List(req, kBranch1), IsEmpty());
  req.set_branch_id("B001");
  EXPECT_THAT(Ids(List(req, kBranch1)), ElementsAre(own_fu_, visitor_fu_));
  EXPECT_EQ(Reveals(), 0);
}

TEST_F(FollowUpsMaskingTest, WriteAnswersAreMaskedForTheCaller) {
  // The answer of a write shows the contact as the caller may see it.
  Result r = Complete(
      CompleteRequest(own_fu_, fb::FOLLOW_UP_OUTCOME_REACHED, 5), kAgent);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.customer_name(), "王小明");
  EXPECT_EQ(r.f.customer_phone(), "137****5678");
  r = Complete(CompleteRequest(visitor_fu_, fb::FOLLOW_UP_OUTCOME_REACHED, 5),
               kBranch1);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.customer_name(), "李四");
  EXPECT_EQ(r.f.customer_phone(), "138****4321");
  const fb::FollowUp admin = ScheduleOk(NewFollowUp(far_, t0_), kAdmin);
  EXPECT_EQ(admin.customer_name(), "赵六");
  EXPECT_EQ(admin.customer_phone(), "13655556666");
  const fb::FollowUp svc = ScheduleOk(NewFollowUp(far_, t0_), kService);
  EXPECT_EQ(svc.customer_name(), "赵*");
  EXPECT_EQ(svc.customer_phone(), "136****6666");
  const fb::FollowUp store = ScheduleOk(NewFollowUp(own_, t0_), kBranch1);
  EXPECT_EQ(store.customer_name(), "王小明");
  EXPECT_EQ(store.customer_phone(), "13712345678");
}

// ===========================================================================
// CompleteFollowUp
// ===========================================================================

TEST_F(FollowUpsTest, CompleteReachedRecordsSatisfactionIntentAndNotes) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  AdvanceTo(t0_ + kDay + kHour);
  Result r = Complete(CompleteRequest(
      f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED, 4,
      fb::REPURCHASE_INTENT_YES, "  客户对新外套很满意，下月还来  "));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.follow_up_id(), f.follow_up_id());
  EXPECT_EQ(r.f.status(), fb::FOLLOW_UP_STATUS_DONE);
  EXPECT_EQ(r.f.outcome(), fb::FOLLOW_UP_OUTCOME_REACHED);
  EXPECT_EQ(r.f.satisfaction(), 4);
  EXPECT_EQ(r.f.repurchase_intent(), fb::REPURCHASE_INTENT_YES);
  EXPECT_EQ(r.f.notes(), "客户对新外套很满意，下月还来");  // trimmed
  EXPECT_EQ(Us(r.f.complete_time()), t0_ + kDay + kHour);
  EXPECT_EQ(Us(r.f.create_time()), Us(f.create_time()));
  EXPECT_EQ(Us(r.f.due_time()), t0_ + kDay);
  EXPECT_EQ(r.f.customer_id(), customer);
  EXPECT_EQ(r.f.branch_id(), "B001");
  // As stored.
  const fb::FollowUp listed = Find(f.follow_up_id());
  EXPECT_EQ(listed.status(), fb::FOLLOW_UP_STATUS_DONE);
  EXPECT_EQ(listed.outcome(), fb::FOLLOW_UP_OUTCOME_REACHED);
  EXPECT_EQ(listed.satisfaction(), 4);
  EXPECT_EQ(listed.repurchase_intent(), fb::REPURCHASE_INTENT_YES);
  EXPECT_EQ(listed.notes(), "客户对新外套很满意，下月还来");
  EXPECT_EQ(Us(listed.complete_time()), t0_ + kDay + kHour);
  EXPECT_THAT(Events(f.follow_up_id()), ElementsAre("SCHEDULED", "COMPLETED"));
  // Reached without a score or an answer about buying again is fine.
  const fb::FollowUp g = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  r = Complete(
      CompleteRequest(g.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.satisfaction(), 0);
  EXPECT_EQ(r.f.repurchase_intent(), fb::REPURCHASE_INTENT_UNSPECIFIED);
}

TEST_F(FollowUpsTest, CompleteUnreachableCarriesNoOutcomeFigures) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  Result r = Complete(
      CompleteRequest(f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_UNREACHABLE, 0,
                      fb::REPURCHASE_INTENT_UNSPECIFIED, "三次无人接听"));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.status(), fb::FOLLOW_UP_STATUS_DONE);
  EXPECT_EQ(r.f.outcome(), fb::FOLLOW_UP_OUTCOME_UNREACHABLE);
  EXPECT_EQ(r.f.satisfaction(), 0);
  EXPECT_EQ(r.f.repurchase_intent(), fb::REPURCHASE_INTENT_UNSPECIFIED);
  EXPECT_EQ(r.f.notes(), "三次无人接听");
}

TEST_F(FollowUpsTest, CompleteNamesEachInvalidField) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  const std::string id = f.follow_up_id();
  struct Case {
    std::string name;
    fb::CompleteFollowUpRequest req;
    std::vector<std::string> fields;
  };
  fb::CompleteFollowUpRequest no_id =
      CompleteRequest("", fb::FOLLOW_UP_OUTCOME_REACHED);
  fb::CompleteFollowUpRequest bad_id =
      CompleteRequest("fup 1", fb::FOLLOW_UP_OUTCOME_REACHED);
  const std::vector<Case> cases = {
      {"unreachable with a satisfaction",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_UNREACHABLE, 3),
       {"satisfaction"}},
      {"unreachable with a repurchase intent",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_UNREACHABLE, 0,
                       fb::REPURCHASE_INTENT_NO),
       {"repurchase_intent"}},
      {"unreachable with both",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_UNREACHABLE, 5,
                       fb::REPURCHASE_INTENT_YES),
       {"satisfaction", "repurchase_intent"}},
      {"no outcome",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_UNSPECIFIED),
       {"outcome"}},
      {"outcome out of range",
       CompleteRequest(id, static_cast<fb::FollowUpOutcome>(9)),
       {"outcome"}},
      {"satisfaction 6",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, 6),
       {"satisfaction"}},
      {"satisfaction -1",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, -1),
       {"satisfaction"}},
      {"intent out of range",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, 3,
                       static_cast<fb::RepurchaseIntent>(8)),
       {"repurchase_intent"}},
      {"notes too long",
       CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, 3,
                       fb::REPURCHASE_INTENT_UNSPECIFIED,
                       std::string(2001, 'n')),
       {"notes"}},
      {"no follow-up id", no_id, {"follow_up_id"}},
      {"follow-up id not an id", bad_id, {"follow_up_id"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectFields(Complete(c.req).status, c.fields);
  }
  fb::CompleteFollowUpRequest no_request_id =
      CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, 3);
  no_request_id.set_request_id("x");
  ExpectFields(Complete(no_request_id).status, {"request_id"});
  // Nothing was recorded; 2000 characters of notes are fine.
  EXPECT_EQ(Find(id).status(), fb::FOLLOW_UP_STATUS_PENDING);
  Result r = Complete(CompleteRequest(id, fb::FOLLOW_UP_OUTCOME_REACHED, 3,
                                      fb::REPURCHASE_INTENT_NO,
                                      std::string(2000, 'n')));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.notes().size(), 2000u);
  // Characters, not bytes: 2000 Chinese characters are fine, 2001 are not.
  std::string chinese;
  for (int i = 0; i < 2000; ++i) chinese += "好";
  const std::string other =
      ScheduleOk(NewFollowUp(customer, t0_)).follow_up_id();
  ExpectFields(
      Complete(CompleteRequest(other, fb::FOLLOW_UP_OUTCOME_REACHED, 5,
                               fb::REPURCHASE_INTENT_YES, chinese + "好"))
          .status,
      {"notes"});
  r = Complete(CompleteRequest(other, fb::FOLLOW_UP_OUTCOME_REACHED, 5,
                               fb::REPURCHASE_INTENT_YES, chinese));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.f.notes(), chinese);
}

TEST_F(FollowUpsTest, CompletingTwiceIsFollowUpDone) {
  const std::string customer = CreateCustomer("B001");
  const fb::FollowUp f = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  fb::CompleteFollowUpRequest first =
      CompleteRequest(f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED, 5,
                      fb::REPURCHASE_INTENT_YES, "很好");
  first.set_request_id(NewRequestId());
  const Result done = Complete(first);
  ASSERT_TRUE(done.ok()) << Describe(done.status);
  // A retry of the same request is answered again, unchanged.
  Advance(kMinute);
  const Result replay = Complete(first);
  ASSERT_TRUE(replay.ok()) << Describe(replay.status);
  EXPECT_EQ(replay.f.SerializeAsString(), done.f.SerializeAsString());
  // Another completion is refused, and changes nothing.
  const Result twice = Complete(
      CompleteRequest(f.follow_up_id(), fb::FOLLOW_UP_OUTCOME_UNREACHABLE));
  ExpectError(twice.status, grpc::StatusCode::FAILED_PRECONDITION,
              "FOLLOW_UP_DONE");
  EXPECT_EQ(DetailsOf(twice.status).metadata["follow_up_id"], f.follow_up_id());
  const fb::FollowUp now = Find(f.follow_up_id());
  EXPECT_EQ(now.outcome(), fb::FOLLOW_UP_OUTCOME_REACHED);
  EXPECT_EQ(now.satisfaction(), 5);
  EXPECT_EQ(now.notes(), "很好");
  EXPECT_EQ(Us(now.complete_time()), Us(done.f.complete_time()));
  EXPECT_THAT(Events(f.follow_up_id()), ElementsAre("SCHEDULED", "COMPLETED"));
}

TEST_F(FollowUpsTest, CompleteUnknownFollowUpIsNotFound) {
  ExpectError(
      Complete(CompleteRequest("fup_nothing", fb::FOLLOW_UP_OUTCOME_REACHED, 5))
          .status,
      grpc::StatusCode::NOT_FOUND);
}

// ===========================================================================
// The scheduler: after a complaint closes
// ===========================================================================

TEST_F(FollowUpsTest, ClosedComplaintGetsOneFollowUpThreeDaysAfterItClosed) {
  const std::string customer = CreateCustomer("B002");
  Advance(2 * kHour);
  const cp::Complaint closed = ClosedComplaint(customer, "B001");
  const int64_t close_us = Us(closed.close_time());
  ASSERT_GT(close_us, t0_);
  Advance(kHour);
  RunScheduler();
  std::vector<fb::FollowUp> fs = FollowUpsOfComplaint(closed.complaint_id());
  ASSERT_EQ(fs.size(), 1u);
  const fb::FollowUp& f = fs[0];
  EXPECT_EQ(f.reason(), fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  EXPECT_TRUE(f.automatic());
  EXPECT_EQ(Us(f.due_time()), close_us + 3 * kDay);
  EXPECT_EQ(f.customer_id(), customer);
  EXPECT_EQ(f.branch_id(), "B001");  // the complaint's, not the home branch
  EXPECT_EQ(f.complaint_id(), closed.complaint_id());
  EXPECT_TRUE(f.order_id().empty());
  EXPECT_TRUE(f.owner_id().empty());
  EXPECT_EQ(f.status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_EQ(Us(f.create_time()), Now());
  EXPECT_EQ(CauseOf(f.follow_up_id()),
            absl::StrCat("complaint:", closed.complaint_id()));
  EXPECT_THAT(Events(f.follow_up_id()), ElementsAre("SCHEDULED"));
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id FROM events WHERE resource_type = "
                "'follow_up'"),
            "system");
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id || ' ' || outcome || ' ' || detail FROM "
                "audit_log WHERE method LIKE '%(follow-up scheduler)'"),
            "system OK 1 follow-up(s) scheduled");
  // B001 sees it; B002 (the customer's home) does not.
  EXPECT_THAT(Ids(List({}, kBranch1)), ElementsAre(f.follow_up_id()));
  EXPECT_THAT(List({}, kBranch2), IsEmpty());

  // Again: nothing new.
  RunScheduler();
  Advance(4 * kDay);
  RunScheduler();
  EXPECT_EQ(FollowUpRows(), 1);
  // After a restart (the scheduler starts over): still one.
  Restart();
  RunScheduler();
  Advance(kDay);
  RunScheduler();
  EXPECT_EQ(FollowUpRows(), 1);
  EXPECT_EQ(FollowUpsOfComplaint(closed.complaint_id())[0].follow_up_id(),
            f.follow_up_id());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE method LIKE "
                  "'%(follow-up scheduler)'"),
            1);
}

TEST_F(FollowUpsTest, ReopenedAndClosedAgainStillHasOneFollowUp) {
  const std::string customer = CreateCustomer("B001");
  const cp::Complaint first =
      ClosedComplaint(customer, "B001", cp::CONFIRMATION_UNSATISFIED, 2);
  const int64_t first_close = Us(first.close_time());
  RunScheduler();
  ASSERT_EQ(FollowUpsOfComplaint(first.complaint_id()).size(), 1u);
  Advance(kDay);
  const cp::Complaint reopened = Reopen(first);
  RunScheduler();
  Advance(kDay);
  const cp::Complaint again = Close(ToResolved(reopened));
  ASSERT_GT(Us(again.close_time()), first_close);
  RunScheduler();
  Restart();
  RunScheduler();
  const std::vector<fb::FollowUp> fs =
      FollowUpsOfComplaint(first.complaint_id());
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), first_close + 3 * kDay);
  EXPECT_EQ(FollowUpRows(), 1);
}

// A complaint closed unsatisfied and reopened before the scheduler looked
// is open again: "after a complaint closes" means after it is closed, so
// the follow-up waits for the close that ends it, due three days after it.
TEST_F(FollowUpsTest,
       ComplaintReopenedBeforeTheScanIsFollowedUpOnlyAfterItClosesAgain) {
  const std::string customer = CreateCustomer("B001");
  const cp::Complaint first =
      ClosedComplaint(customer, "B001", cp::CONFIRMATION_UNSATISFIED, 1);
  Advance(kMinute);
  const cp::Complaint reopened = Reopen(first);
  RunScheduler();
  EXPECT_THAT(FollowUpsOfComplaint(first.complaint_id()), IsEmpty())
      << "a follow-up 'after the complaint closed' was scheduled while it is "
         "REOPENED";
  Advance(2 * kDay);
  const cp::Complaint closed = Close(ToResolved(reopened));
  RunScheduler();
  const std::vector<fb::FollowUp> fs =
      FollowUpsOfComplaint(first.complaint_id());
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Us(closed.close_time()) + 3 * kDay);
}

TEST_F(FollowUpsTest, ComplaintDaysZeroSchedulesNoComplaintFollowUps) {
  absl::SetFlag(&FLAGS_followup_after_complaint_days, 0);
  Restart();
  const std::string customer = CreateCustomer("B001");
  const cp::Complaint closed = ClosedComplaint(customer, "B001");
  // The scheduler runs: a VIP's purchase is still followed up.
  const std::string vip = CreateCustomer("B001", "李四");
  MakeVip(vip, "B001");
  const od::Order order = PaidOrder(vip, "B001", kSmallOrder);
  RunScheduler();
  Advance(kDay);
  RunScheduler();
  EXPECT_THAT(FollowUpsOfComplaint(closed.complaint_id()), IsEmpty());
  EXPECT_THAT(FollowUpsOf(customer), IsEmpty());
  EXPECT_EQ(FollowUpsOfOrder(order.order_id()).size(), 1u);
}

TEST_F(FollowUpsTest, ComplaintDaysFlagSetsTheDueTime) {
  absl::SetFlag(&FLAGS_followup_after_complaint_days, 10);
  Restart();
  const std::string customer = CreateCustomer("B001");
  const cp::Complaint closed = ClosedComplaint(customer, "B001");
  RunScheduler();
  const std::vector<fb::FollowUp> fs =
      FollowUpsOfComplaint(closed.complaint_id());
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Us(closed.close_time()) + 10 * kDay);
}

TEST_F(FollowUpsTest, PersonScheduledAfterComplaintFollowUpStopsTheAutomatic) {
  const std::string customer = CreateCustomer("B001");
  // One complaint a person follows up after the complaint; another that a
  // person only schedules VIP care for.
  const cp::Complaint mine = CreateComplaint(customer, "B001");
  const cp::Complaint other = CreateComplaint(customer, "B001");
  fb::FollowUp by_hand =
      NewFollowUp(customer, t0_ + kDay, fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
  by_hand.set_complaint_id(mine.complaint_id());
  by_hand.set_owner_id("agent-7");
  const fb::FollowUp person = ScheduleOk(by_hand);
  fb::FollowUp care = NewFollowUp(customer, t0_ + kDay);
  care.set_complaint_id(other.complaint_id());
  const fb::FollowUp vip_care = ScheduleOk(care);
  Close(ToResolved(mine));
  const cp::Complaint other_closed = Close(ToResolved(other));
  RunScheduler();
  const std::vector<fb::FollowUp> for_mine =
      FollowUpsOfComplaint(mine.complaint_id());
  ASSERT_EQ(for_mine.size(), 1u);
  EXPECT_EQ(for_mine[0].follow_up_id(), person.follow_up_id());
  EXPECT_FALSE(for_mine[0].automatic());
  // VIP care is not an after-complaint visit: the scheduler adds one.
  std::vector<fb::FollowUp> for_other =
      FollowUpsOfComplaint(other.complaint_id());
  ASSERT_EQ(for_other.size(), 2u);
  for (const fb::FollowUp& f : for_other) {
    if (f.follow_up_id() == vip_care.follow_up_id()) continue;
    EXPECT_TRUE(f.automatic());
    EXPECT_EQ(f.reason(), fb::FOLLOW_UP_REASON_AFTER_COMPLAINT);
    EXPECT_EQ(Us(f.due_time()), Us(other_closed.close_time()) + 3 * kDay);
  }
  // Even once the person's visit is made, no automatic one follows.
  ASSERT_TRUE(Complete(CompleteRequest(person.follow_up_id(),
                                       fb::FOLLOW_UP_OUTCOME_REACHED, 5))
                  .ok());
  RunScheduler();
  EXPECT_EQ(FollowUpsOfComplaint(mine.complaint_id()).size(), 1u);
}

TEST_F(FollowUpsTest, ErasedCustomersComplaintIsNotFollowedUp) {
  const std::string customer = CreateCustomer("B001");
  const cp::Complaint closed = ClosedComplaint(customer, "B001");
  const std::string kept = CreateCustomer("B001", "李四");
  const cp::Complaint control = ClosedComplaint(kept, "B001");
  ASSERT_TRUE(Erase(customer).ok());
  RunScheduler();
  EXPECT_THAT(FollowUpsOfComplaint(closed.complaint_id()), IsEmpty());
  EXPECT_EQ(FollowUpsOfComplaint(control.complaint_id()).size(), 1u);
  EXPECT_EQ(FollowUpRows(), 1);
}

TEST_F(FollowUpsTest, FirstRunLooksBackSevenDays) {
  const std::string customer = CreateCustomer("B001");
  const std::string vip = CreateCustomer("B001", "李四");
  MakeVip(vip, "B001");  // paid at t0: more than 7 days before the first run
  const cp::Complaint old_one = ClosedComplaint(customer, "B001");
  AdvanceTo(t0_ + 2 * kDay);
  const cp::Complaint recent = ClosedComplaint(customer, "B001");
  const od::Order recent_order = PaidOrder(vip, "B002", kSmallOrder);
  // The first run, 8 days after the first closed and was paid.
  AdvanceTo(t0_ + 8 * kDay + kHour);
  RunScheduler();
  EXPECT_THAT(FollowUpsOfComplaint(old_one.complaint_id()), IsEmpty());
  const std::vector<fb::FollowUp> fs =
      FollowUpsOfComplaint(recent.complaint_id());
  ASSERT_EQ(fs.size(), 1u);
  // Due in the past already: still scheduled, with its own due time.
  EXPECT_EQ(Us(fs[0].due_time()), Us(recent.close_time()) + 3 * kDay);
  const std::vector<fb::FollowUp> purchase =
      FollowUpsOf(vip, fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  ASSERT_EQ(purchase.size(), 1u);
  EXPECT_EQ(purchase[0].order_id(), recent_order.order_id());
  EXPECT_EQ(FollowUpRows(), 2);
}

// ===========================================================================
// The scheduler: after a VIP's purchase
// ===========================================================================

TEST_F(FollowUpsTest, VipPurchaseGetsFollowUpSevenDaysAfterPayment) {
  const std::string vip = CreateCustomer("B002");
  MakeVip(vip, "B002");
  Advance(3 * kHour);
  const od::Order order = PaidOrder(vip, "B001", kSmallOrder);
  const int64_t paid_us = Us(order.paid_time());
  RunScheduler();
  std::vector<fb::FollowUp> fs = FollowUpsOfOrder(order.order_id());
  ASSERT_EQ(fs.size(), 1u);
  const fb::FollowUp& f = fs[0];
  EXPECT_EQ(f.reason(), fb::FOLLOW_UP_REASON_AFTER_PURCHASE);
  EXPECT_TRUE(f.automatic());
  EXPECT_EQ(Us(f.due_time()), paid_us + 7 * kDay);
  EXPECT_EQ(f.customer_id(), vip);
  EXPECT_EQ(f.branch_id(), "B001");  // the order's
  EXPECT_TRUE(f.complaint_id().empty());
  EXPECT_EQ(f.status(), fb::FOLLOW_UP_STATUS_PENDING);
  EXPECT_EQ(CauseOf(f.follow_up_id()),
            absl::StrCat("vip_order:", order.order_id()));
  // Each order at most once, across runs and restarts.
  const int rows = FollowUpRows();
  RunScheduler();
  Restart();
  RunScheduler();
  EXPECT_EQ(FollowUpsOfOrder(order.order_id()).size(), 1u);
  EXPECT_EQ(FollowUpRows(), rows);
}

TEST_F(FollowUpsTest, NonVipPurchaseGetsNoFollowUp) {
  const std::string regular = CreateCustomer("B001");
  const od::Order order = PaidOrder(regular, "B001", kSmallOrder);
  EXPECT_EQ(GetCustomer(regular).tier(), cu::CUSTOMER_TIER_REGULAR);
  // A walk-in's order has nobody to call.
  PaidOrder("", "B001", kVipSpend);
  // An order not (yet) paid is no purchase, even a VIP's.
  const std::string vip = CreateCustomer("B001", "李四");
  MakeVip(vip, "B001");
  const od::Order unpaid = CreateOrder(vip, "B001", kSmallOrder);
  const od::Order control = PaidOrder(vip, "B001", kSmallOrder);
  RunScheduler();
  EXPECT_THAT(FollowUpsOfOrder(order.order_id()), IsEmpty());
  EXPECT_THAT(FollowUpsOf(regular), IsEmpty());
  EXPECT_THAT(FollowUpsOfOrder(unpaid.order_id()), IsEmpty());
  // The scheduler ran: the VIP's paid order is followed up.
  EXPECT_EQ(FollowUpsOfOrder(control.order_id()).size(), 1u);
}

TEST_F(FollowUpsTest, PurchaseDaysZeroSchedulesNoPurchaseFollowUps) {
  absl::SetFlag(&FLAGS_followup_after_vip_purchase_days, 0);
  Restart();
  const std::string vip = CreateCustomer("B001");
  MakeVip(vip, "B001");
  const od::Order order = PaidOrder(vip, "B001", kSmallOrder);
  // The scheduler runs: a closed complaint is still followed up.
  const cp::Complaint closed = ClosedComplaint(vip, "B001");
  RunScheduler();
  EXPECT_THAT(FollowUpsOfOrder(order.order_id()), IsEmpty());
  EXPECT_THAT(FollowUpsOf(vip, fb::FOLLOW_UP_REASON_AFTER_PURCHASE), IsEmpty());
  EXPECT_EQ(FollowUpsOfComplaint(closed.complaint_id()).size(), 1u);
}

// ===========================================================================
// The scheduler: VIP birthdays
// ===========================================================================

TEST_F(FollowUpsTest, VipBirthdaysAreFollowedUpAtTenLocalEachYear) {
  // 2026-06-01 08:00 in Shanghai. One VIP born on 1 June, one on 2 June, a
  // regular customer born on 1 June.
  const std::string today =
      CreateCustomer("B001", "王小明", "", absl::CivilDay(1990, 6, 1));
  const std::string tomorrow =
      CreateCustomer("B002", "李四", "", absl::CivilDay(1985, 6, 2));
  const std::string regular =
      CreateCustomer("B001", "赵六", "", absl::CivilDay(1992, 6, 1));
  MakeVip(today, "B001");
  MakeVip(tomorrow, "B001");  // bought in B001; the birthday is B002's
  PaidOrder(regular, "B001", kSmallOrder);
  ASSERT_EQ(GetCustomer(regular).tier(), cu::CUSTOMER_TIER_REGULAR);

  RunScheduler();
  std::vector<fb::FollowUp> fs =
      FollowUpsOf(today, fb::FOLLOW_UP_REASON_BIRTHDAY);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Local(2026, 6, 1, 10));
  EXPECT_TRUE(fs[0].automatic());
  EXPECT_EQ(fs[0].branch_id(), "B001");
  EXPECT_TRUE(fs[0].order_id().empty());
  EXPECT_TRUE(fs[0].complaint_id().empty());
  EXPECT_EQ(CauseOf(fs[0].follow_up_id()),
            absl::StrCat("birthday:", today, ":2026"));
  EXPECT_THAT(FollowUpsOf(tomorrow, fb::FOLLOW_UP_REASON_BIRTHDAY), IsEmpty());
  EXPECT_THAT(FollowUpsOf(regular), IsEmpty());
  // Later the same day: nothing new.
  Advance(10 * kHour);
  RunScheduler();
  EXPECT_EQ(FollowUpsOf(today, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);
  EXPECT_THAT(FollowUpsOf(tomorrow, fb::FOLLOW_UP_REASON_BIRTHDAY), IsEmpty());

  // The next day (08:00 local): the other VIP's birthday.
  AdvanceTo(Local(2026, 6, 2, 8));
  RunScheduler();
  fs = FollowUpsOf(tomorrow, fb::FOLLOW_UP_REASON_BIRTHDAY);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Local(2026, 6, 2, 10));
  EXPECT_EQ(fs[0].branch_id(), "B002");  // the home branch
  EXPECT_EQ(CauseOf(fs[0].follow_up_id()),
            absl::StrCat("birthday:", tomorrow, ":2026"));
  EXPECT_EQ(FollowUpsOf(today, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);
  Restart();
  RunScheduler();
  EXPECT_EQ(FollowUpsOf(tomorrow, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);

  // A year later: a new one for this year's birthday.
  AdvanceTo(Local(2027, 6, 1, 9));
  RunScheduler();
  fs = FollowUpsOf(today, fb::FOLLOW_UP_REASON_BIRTHDAY);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(Us(fs[0].due_time()), Local(2026, 6, 1, 10));
  EXPECT_EQ(Us(fs[1].due_time()), Local(2027, 6, 1, 10));
  EXPECT_EQ(CauseOf(fs[1].follow_up_id()),
            absl::StrCat("birthday:", today, ":2027"));
  // The other VIP's is tomorrow, not yet.
  EXPECT_EQ(FollowUpsOf(tomorrow, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);
  EXPECT_THAT(FollowUpsOf(regular), IsEmpty());
}

// The birthday is taken in the chain's zone: at 16:30 UTC on 1 June it is
// already 2 June in Shanghai.
TEST_F(FollowUpsTest, BirthdayDayIsTheChainsLocalDay) {
  const std::string vip =
      CreateCustomer("B001", "王小明", "", absl::CivilDay(1990, 6, 2));
  MakeVip(vip, "B001");
  // 2026-06-01 16:30Z = 2026-06-02 00:30 in Shanghai.
  AdvanceTo(t0_ + 16 * kHour + 30 * kMinute);
  RunScheduler();
  const std::vector<fb::FollowUp> fs =
      FollowUpsOf(vip, fb::FOLLOW_UP_REASON_BIRTHDAY);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Local(2026, 6, 2, 10));
  EXPECT_EQ(Us(fs[0].due_time()), t0_ + 26 * kHour);  // 02:00Z on 2 June
}

TEST_F(FollowUpsTest, BirthdaysOffSchedulesNoBirthdayFollowUps) {
  absl::SetFlag(&FLAGS_followup_vip_birthdays, false);
  Restart();
  const std::string vip =
      CreateCustomer("B001", "王小明", "", absl::CivilDay(1990, 6, 1));
  MakeVip(vip, "B001");
  const od::Order order = PaidOrder(vip, "B001", kSmallOrder);
  RunScheduler();
  AdvanceTo(Local(2027, 6, 1, 12));
  RunScheduler();
  EXPECT_THAT(FollowUpsOf(vip, fb::FOLLOW_UP_REASON_BIRTHDAY), IsEmpty());
  // The scheduler ran: the purchase is followed up.
  EXPECT_EQ(FollowUpsOfOrder(order.order_id()).size(), 1u);
}

TEST_F(FollowUpsTest, LeapDayBirthdayIsKeptOnTheTwentyEighthInCommonYears) {
  const std::string vip =
      CreateCustomer("B001", "王小明", "", absl::CivilDay(2000, 2, 29));
  MakeVip(vip, "B001");
  RunScheduler();  // the scan starts on 2026-06-01
  AdvanceTo(Local(2027, 2, 27, 12));
  RunScheduler();
  EXPECT_THAT(FollowUpsOf(vip, fb::FOLLOW_UP_REASON_BIRTHDAY), IsEmpty());
  AdvanceTo(Local(2027, 2, 28, 8));
  RunScheduler();
  std::vector<fb::FollowUp> fs =
      FollowUpsOf(vip, fb::FOLLOW_UP_REASON_BIRTHDAY);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(Us(fs[0].due_time()), Local(2027, 2, 28, 10));
  AdvanceTo(Local(2027, 3, 1, 12));
  RunScheduler();
  EXPECT_EQ(FollowUpsOf(vip, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);
}

TEST_F(FollowUpsTest, ErasedVipGetsNoScheduledFollowUps) {
  const std::string vip =
      CreateCustomer("B001", "王小明", "", absl::CivilDay(1990, 6, 1));
  MakeVip(vip, "B001");
  PaidOrder(vip, "B001", kSmallOrder);
  const std::string kept =
      CreateCustomer("B001", "李四", "", absl::CivilDay(1991, 6, 1));
  MakeVip(kept, "B001");
  ASSERT_TRUE(Erase(vip).ok());
  RunScheduler();
  // Nothing for the erased VIP (birthday, purchases); the other VIP's
  // birthday and purchase are followed up.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM follow_ups WHERE customer_id = '" +
                  vip + "'"),
            0);
  EXPECT_EQ(FollowUpsOf(kept, fb::FOLLOW_UP_REASON_BIRTHDAY).size(), 1u);
  EXPECT_EQ(FollowUpRows(), static_cast<int>(FollowUpsOf(kept).size()));
}

// ===========================================================================
// Export and erasure
// ===========================================================================

TEST_F(FollowUpsTest, ExportIncludesTheCustomersFollowUps) {
  const std::string customer = CreateCustomer("B001", "王小明", "13712345678");
  const std::string other = CreateCustomer("B001", "李四");
  const fb::FollowUp pending = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  const fb::FollowUp made = ScheduleOk(NewFollowUp(customer, t0_ + 2 * kDay));
  ScheduleOk(NewFollowUp(other, t0_ + kDay));
  ASSERT_TRUE(Complete(CompleteRequest(
                           made.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED,
                           5, fb::REPURCHASE_INTENT_YES, "EXPORTMARK 满意"))
                  .ok());
  std::map<std::string, fb::FollowUp> exported;
  const cu::ExportCustomerDataResponse data = Export(customer);
  for (const google::protobuf::Any& any : data.records()) {
    fb::FollowUp f;
    if (any.Is<fb::FollowUp>() && any.UnpackTo(&f)) {
      exported[f.follow_up_id()] = f;
    }
  }
  ASSERT_EQ(exported.size(), 2u);
  ASSERT_TRUE(exported.count(pending.follow_up_id()));
  ASSERT_TRUE(exported.count(made.follow_up_id()));
  const fb::FollowUp& e = exported[made.follow_up_id()];
  EXPECT_EQ(e.customer_id(), customer);
  EXPECT_EQ(e.notes(), "EXPORTMARK 满意");
  EXPECT_EQ(e.satisfaction(), 5);
  // Unmasked: it is the person's own data.
  EXPECT_EQ(e.customer_name(), "王小明");
  EXPECT_EQ(e.customer_phone(), "13712345678");
  EXPECT_EQ(exported[pending.follow_up_id()].status(),
            fb::FOLLOW_UP_STATUS_PENDING);
}

TEST_F(FollowUpsTest, ErasureEmptiesFollowUpsAndClosesPendingOnes) {
  const std::string customer = CreateCustomer("B001", "王小明", "13712345678");
  const std::string other = CreateCustomer("B001", "李四");
  // A pending one, a made one (with notes), an automatic one, and another
  // customer's.
  const fb::ScheduleFollowUpRequest schedule_req =
      ScheduleRequest(NewFollowUp(customer, t0_ + 5 * kDay));
  const Result scheduled = Schedule(schedule_req);
  ASSERT_TRUE(scheduled.ok()) << Describe(scheduled.status);
  const fb::FollowUp& pending = scheduled.f;
  const fb::FollowUp made = ScheduleOk(NewFollowUp(customer, t0_ + kDay));
  fb::CompleteFollowUpRequest complete_req =
      CompleteRequest(made.follow_up_id(), fb::FOLLOW_UP_OUTCOME_REACHED, 4,
                      fb::REPURCHASE_INTENT_MAYBE, "ERASEMARK 客户说尺码偏小");
  complete_req.set_request_id(NewRequestId());
  const Result completed = Complete(complete_req);
  ASSERT_TRUE(completed.ok()) << Describe(completed.status);
  ASSERT_EQ(completed.f.notes(), "ERASEMARK 客户说尺码偏小");
  const cp::Complaint closed = ClosedComplaint(customer, "B001");
  RunScheduler();
  const std::vector<fb::FollowUp> automatic =
      FollowUpsOfComplaint(closed.complaint_id());
  ASSERT_EQ(automatic.size(), 1u);
  const fb::FollowUp theirs = ScheduleOk(NewFollowUp(other, t0_ + kDay));
  ASSERT_EQ(FollowUpsOf(customer).size(), 3u);

  Advance(kHour);
  const int64_t erase_us = Now();
  ASSERT_TRUE(Erase(customer).ok());

  // Listed without the person: no id, name, phone or notes.
  for (const std::string& id : {pending.follow_up_id(), made.follow_up_id(),
                                automatic[0].follow_up_id()}) {
    SCOPED_TRACE(id);
    const fb::FollowUp f = Find(id);
    EXPECT_EQ(f.customer_id(), "");
    EXPECT_EQ(f.customer_name(), "");
    EXPECT_EQ(f.customer_phone(), "");
    EXPECT_EQ(f.notes(), "");
    EXPECT_EQ(f.status(), fb::FOLLOW_UP_STATUS_DONE);
    EXPECT_EQ(f.branch_id(), "B001");
    EXPECT_THAT(Events(id), Contains("TEXT_ERASED"));
  }
  // A pending one is closed, with no outcome.
  for (const std::string& id :
       {pending.follow_up_id(), automatic[0].follow_up_id()}) {
    SCOPED_TRACE(id);
    const fb::FollowUp f = Find(id);
    EXPECT_EQ(f.outcome(), fb::FOLLOW_UP_OUTCOME_UNSPECIFIED);
    EXPECT_EQ(f.satisfaction(), 0);
    EXPECT_EQ(f.repurchase_intent(), fb::REPURCHASE_INTENT_UNSPECIFIED);
    EXPECT_EQ(Us(f.complete_time()), erase_us);
  }
  // A made one keeps its outcome (statistics), not its notes.
  {
    const fb::FollowUp f = Find(made.follow_up_id());
    EXPECT_EQ(f.outcome(), fb::FOLLOW_UP_OUTCOME_REACHED);
    EXPECT_EQ(f.satisfaction(), 4);
    EXPECT_EQ(f.repurchase_intent(), fb::REPURCHASE_INTENT_MAYBE);
    EXPECT_EQ(Us(f.complete_time()), Us(completed.f.complete_time()));
  }
  // Another customer's is untouched.
  const fb::FollowUp kept = Find(theirs.follow_up_id());
  EXPECT_EQ(kept.customer_id(), other);
  EXPECT_EQ(kept.customer_name(), "李四");
  EXPECT_EQ(kept.status(), fb::FOLLOW_UP_STATUS_PENDING);
  // Nothing of the notes is left in the rows or the stored answers.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM follow_ups WHERE notes LIKE "
                  "'%ERASEMARK%'"),
            0);
  const bool pg = server_->on_postgres();
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM idempotency_keys WHERE ",
                               HoldsBytes(pg, "response", "ERASEMARK"))),
            0);
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT COUNT(*) FROM idempotency_keys WHERE resource LIKE "
                "'follow-ups/%' AND (",
                HoldsBytes(pg, "response", "13712345678"), " OR ",
                HoldsBytes(pg, "response", "王小明"), ")")),
            0);

  // Replays answer without the person.
  const Result replay = Complete(complete_req);
  ASSERT_TRUE(replay.ok()) << Describe(replay.status);
  EXPECT_EQ(replay.f.follow_up_id(), made.follow_up_id());
  EXPECT_EQ(replay.f.notes(), "");
  EXPECT_EQ(replay.f.customer_id(), "");
  EXPECT_EQ(replay.f.customer_name(), "");
  EXPECT_EQ(replay.f.customer_phone(), "");
  EXPECT_EQ(replay.f.satisfaction(), 4);
  const Result replay_schedule = Schedule(schedule_req);
  ASSERT_TRUE(replay_schedule.ok()) << Describe(replay_schedule.status);
  EXPECT_EQ(replay_schedule.f.follow_up_id(), pending.follow_up_id());
  EXPECT_EQ(replay_schedule.f.customer_id(), "");
  EXPECT_EQ(replay_schedule.f.customer_name(), "");
  EXPECT_EQ(replay_schedule.f.customer_phone(), "");

  // The closed visit cannot be made any more; nothing new is scheduled.
  ExpectError(Complete(CompleteRequest(pending.follow_up_id(),
                                       fb::FOLLOW_UP_OUTCOME_REACHED, 5))
                  .status,
              grpc::StatusCode::FAILED_PRECONDITION, "FOLLOW_UP_DONE");
  ExpectError(Schedule(NewFollowUp(customer, t0_ + kDay)).status,
              grpc::StatusCode::FAILED_PRECONDITION, "CUSTOMER_ERASED");
  const int rows = FollowUpRows();
  RunScheduler();
  EXPECT_EQ(FollowUpRows(), rows);
  // The export no longer lists them.
  const cu::ExportCustomerDataResponse after = Export(customer);
  for (const google::protobuf::Any& any : after.records()) {
    EXPECT_FALSE(any.Is<fb::FollowUp>());
    EXPECT_FALSE(absl::StrContains(any.value(), "ERASEMARK"));
  }
}

}  // namespace
}  // namespace retail::testing
