// ComplaintService through the real server over loopback TCP, on the
// TestServer's FakeClock (2026-06-01 00:00Z, a Monday, 08:00 in Shanghai,
// the chain's zone). The escalation sweep is the module's maintenance task:
// most tests run the server without the maintenance thread and run the
// sweep's slices themselves (ComplaintManager::SweepSlice, found through the
// registry, exactly what the scheduler runs) after moving the clock, so
// every sweep happens at an instant the test chose and nothing else runs;
// two tests show the thread doing it every
// --complaint_sweep_interval_seconds, or not at all, and one that
// RetailServer::RunMaintenance() returns without the thread.
//
// What is shown: each SLA clock met and each breached; the pause while
// waiting on the customer (due times move by the pause, paused time shown,
// no escalation while paused); business hours across a weekend and a closed
// date; escalation at the near-breach share and at the due time (level,
// history, events) and by hand; illegal transitions; stale etags; every
// transition in order; reopen after an unsatisfied close; the unreachable
// close; branch isolation through every RPC; masking and audited reveals;
// SLA policy versions; order and return links; erasure and export; retries.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "server/complaints/complaint_manager.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int64_t, complaint_sweep_interval_seconds);

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::complaints::v1::ComplaintService;
using ::retail::customers::v1::CustomerService;
using ::retail::orders::v1::OrderService;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace v1 = ::retail::complaints::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
using Stub = ComplaintService::Stub;

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr absl::Duration kPatience = absl::Seconds(60);

absl::TimeZone Shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}

// An instant given in Shanghai local time, as micros.
int64_t Local(int y, int mo, int d, int h, int mi = 0, int s = 0) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), Shanghai()));
}

int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
int64_t Us(const google::protobuf::Duration& d) {
  return TimeUtil::DurationToMicroseconds(d);
}
google::protobuf::Duration Dur(int64_t us) {
  return TimeUtil::MicrosecondsToDuration(us);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

const v1::SlaClock& ClockOf(const v1::Complaint& c, v1::ClockKind kind) {
  static const v1::SlaClock kNone;
  for (const v1::SlaClock& k : c.clocks()) {
    if (k.kind() == kind) return k;
  }
  ADD_FAILURE() << "complaint " << c.complaint_id() << " has no clock "
                << v1::ClockKind_Name(kind);
  return kNone;
}

constexpr v1::ClockKind kFirst = v1::CLOCK_KIND_FIRST_RESPONSE;
constexpr v1::ClockKind kSolution = v1::CLOCK_KIND_SOLUTION;
constexpr v1::ClockKind kClosure = v1::CLOCK_KIND_CLOSURE;

// The answer of one call that returns a complaint.
struct Result {
  grpc::Status status;
  v1::Complaint complaint;
  bool ok() const { return status.ok(); }
};

std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

// Expects FAILED_PRECONDITION / ILLEGAL_TRANSITION naming both states.
void ExpectIllegal(const grpc::Status& s, v1::ComplaintStatus current,
                   v1::ComplaintStatus requested) {
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(s);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "ILLEGAL_TRANSITION") << Describe(s);
  EXPECT_EQ(d.metadata["current_status"], v1::ComplaintStatus_Name(current));
  EXPECT_EQ(d.metadata["requested_status"],
            v1::ComplaintStatus_Name(requested));
  auto short_name = [](v1::ComplaintStatus st) {
    std::string n = v1::ComplaintStatus_Name(st);
    return n.substr(std::string("COMPLAINT_STATUS_").size());
  };
  EXPECT_THAT(s.error_message(), HasSubstr(short_name(current)));
  EXPECT_THAT(s.error_message(), HasSubstr(short_name(requested)));
}

class ComplaintsTest : public ::testing::Test {
 protected:
  // The server without its maintenance thread: tests run the due tasks
  // (the escalation sweep among them) with Sweep().
  void SetUp() override { StartServer(absl::ZeroDuration()); }

  void StartServer(absl::Duration maintenance_interval) {
    server_ = std::make_unique<TestServer>(
        TestServerOptions{.configure = [=](ServerOptions& o) {
          o.maintenance_interval = maintenance_interval;
        }});
    t0_ = server_->clock().NowMicros();
    ConnectStubs();
  }

  void ConnectStubs() {
    stub_ = ComplaintService::NewStub(server_->Channel());
    customers_ = CustomerService::NewStub(server_->Channel());
    orders_ = OrderService::NewStub(server_->Channel());
  }

  // ---- time ----------------------------------------------------------------

  int64_t Now() const { return server_->clock().NowMicros(); }
  void Advance(int64_t us) { server_->clock().Advance(us); }
  void AdvanceTo(int64_t at) {
    ASSERT_GE(at, Now());
    server_->clock().Advance(at - Now());
  }
  // The complaints module's manager, registered as a person-data part.
  complaints::ComplaintManager* Manager() {
    for (PersonDataPart* part :
         server_->server().registry().person_data_parts()) {
      if (auto* m = dynamic_cast<complaints::ComplaintManager*>(part)) return m;
    }
    ADD_FAILURE() << "no complaints module";
    return nullptr;
  }

  // One escalation sweep now, slice after slice until nothing more is due,
  // as the maintenance scheduler runs complaints.escalation_sweep.
  void Sweep() {
    complaints::ComplaintManager* m = Manager();
    ASSERT_NE(m, nullptr);
    for (int slice = 0; slice < 100; ++slice) {
      absl::StatusOr<bool> more = m->SweepSlice();
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) return;
    }
    ADD_FAILURE() << "the sweep still had work after 100 slices";
  }

  // ---- calls ---------------------------------------------------------------

  template <typename Req, typename Resp>
  grpc::Status Rpc(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                const Req&, Resp*),
                   const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*stub_, method, token, req, resp);
  }

  std::string NewRequestId() {
    return absl::StrCat("cmp-it-", ++request_counter_);
  }

  std::string CreateCustomer(const std::string& branch,
                             const std::string& name = "王小明",
                             std::string phone = "") {
    cv1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name(name);
    if (phone.empty()) phone = absl::StrCat("1390000", 1000 + request_counter_);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id(branch);
    cv1::CreateCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers_, &CustomerService::Stub::CreateCustomer,
                      kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.customer().customer_id();
  }

  cv1::Customer GetCustomer(const std::string& id, const std::string& token) {
    cv1::GetCustomerRequest req;
    req.set_customer_id(id);
    cv1::GetCustomerResponse resp;
    grpc::Status s = testing::Call(
        *customers_, &CustomerService::Stub::GetCustomer, token, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.customer();
  }

  static v1::CreateComplaintRequest NewComplaint(
      const std::string& customer_id, const std::string& branch,
      v1::ComplaintSeverity severity = v1::COMPLAINT_SEVERITY_MODERATE,
      v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_LOGISTICS) {
    v1::CreateComplaintRequest req;
    v1::Complaint* c = req.mutable_complaint();
    c->set_customer_id(customer_id);
    c->set_branch_id(branch);
    c->set_channel(v1::COMPLAINT_CHANNEL_PHONE);
    c->set_category(category);
    c->set_severity(severity);
    c->set_subject("快递三天没到，物流太慢");
    c->set_description(
        "下单三天了快递还没到，物流信息一直不更新，客服也不回复。");
    return req;
  }

  Result Create(v1::CreateComplaintRequest req,
                const std::string& token = kAgent) {
    if (req.request_id().empty()) req.set_request_id(NewRequestId());
    v1::CreateComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::CreateComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  // A MODERATE logistics complaint of a new B001 customer, created now.
  v1::Complaint CreateOk(
      const std::string& branch = "B001",
      v1::ComplaintSeverity severity = v1::COMPLAINT_SEVERITY_MODERATE,
      const std::string& token = kAgent) {
    const std::string customer = CreateCustomer(branch);
    Result r = Create(NewComplaint(customer, branch, severity), token);
    EXPECT_TRUE(r.ok()) << Describe(r.status);
    return r.complaint;
  }

  Result Get(const std::string& id, const std::string& token = kAgent,
             bool reveal = false) {
    v1::GetComplaintRequest req;
    req.set_complaint_id(id);
    req.set_reveal_pii(reveal);
    v1::GetComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::GetComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  v1::Complaint GetOk(const std::string& id,
                      const std::string& token = kAdmin) {
    Result r = Get(id, token);
    EXPECT_TRUE(r.ok()) << Describe(r.status);
    return r.complaint;
  }

  Result Assign(const v1::Complaint& c, const std::string& owner = "agent-7",
                const std::string& team = "售后一组",
                const std::string& note = "",
                const std::string& token = kAgent) {
    v1::AssignComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_owner_id(owner);
    req.set_team(team);
    req.set_note(note);
    v1::AssignComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::AssignComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Respond(
      const v1::Complaint& c, const std::string& message, bool wait = false,
      const std::string& token = kAgent,
      v1::MessageVisibility visibility = v1::MESSAGE_VISIBILITY_CUSTOMER) {
    v1::RespondToComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_message(message);
    req.set_visibility(visibility);
    req.set_wait_for_customer(wait);
    v1::RespondToComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::RespondToComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Note(const v1::Complaint& c, const std::string& message,
              const std::string& token = kAgent) {
    return Respond(c, message, false, token, v1::MESSAGE_VISIBILITY_INTERNAL);
  }

  Result Contact(const v1::Complaint& c, v1::ContactOutcome outcome,
                 const std::string& note = "",
                 const std::string& token = kAgent) {
    v1::RecordCustomerContactRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_outcome(outcome);
    req.set_note(note);
    v1::RecordCustomerContactResponse resp;
    Result r;
    r.status = Rpc(&Stub::RecordCustomerContact, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Propose(const v1::Complaint& c,
                 const std::string& description = "退还运费并致歉",
                 v1::Remedy remedy = v1::REMEDY_COMPENSATION,
                 const std::string& return_id = "",
                 const std::string& token = kAgent) {
    v1::ProposeSolutionRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.mutable_solution()->set_remedy(remedy);
    req.mutable_solution()->set_description(description);
    req.mutable_solution()->set_return_id(return_id);
    v1::ProposeSolutionResponse resp;
    Result r;
    r.status = Rpc(&Stub::ProposeSolution, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Resolve(const v1::Complaint& c, const std::string& note = "",
                 const std::string& token = kAgent) {
    v1::ResolveComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_note(note);
    v1::ResolveComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::ResolveComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Close(const v1::Complaint& c, v1::Confirmation confirmation,
               int score = 0, const std::string& note = "",
               const std::string& token = kAgent) {
    v1::CloseComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_confirmation(confirmation);
    req.set_satisfaction_score(score);
    req.set_note(note);
    v1::CloseComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::CloseComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Reopen(const v1::Complaint& c,
                const std::string& reason = "客户不满意处理结果",
                const std::string& token = kAgent) {
    v1::ReopenComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_reason(reason);
    v1::ReopenComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::ReopenComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  Result Escalate(const v1::Complaint& c,
                  const std::string& reason = "客户要求主管处理",
                  const std::string& token = kAgent) {
    v1::EscalateComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(c.complaint_id());
    req.set_etag(c.etag());
    req.set_reason(reason);
    v1::EscalateComplaintResponse resp;
    Result r;
    r.status = Rpc(&Stub::EscalateComplaint, token, req, &resp);
    r.complaint = resp.complaint();
    return r;
  }

  // Every entry of the complaint's history, following the pages.
  std::vector<v1::HistoryEntry> History(const std::string& id,
                                        const std::string& token = kAdmin,
                                        int page_size = 0) {
    std::vector<v1::HistoryEntry> out;
    v1::ListComplaintHistoryRequest req;
    req.set_complaint_id(id);
    req.set_page_size(page_size);
    for (int page = 0; page < 100; ++page) {
      v1::ListComplaintHistoryResponse resp;
      grpc::Status s = Rpc(&Stub::ListComplaintHistory, token, req, &resp);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok()) break;
      for (const v1::HistoryEntry& e : resp.entries()) out.push_back(e);
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  static std::vector<v1::HistoryKind> Kinds(
      const std::vector<v1::HistoryEntry>& entries) {
    std::vector<v1::HistoryKind> out;
    for (const v1::HistoryEntry& e : entries) out.push_back(e.kind());
    return out;
  }

  std::vector<v1::Complaint> List(v1::ListComplaintsRequest req,
                                  const std::string& token = kAgent) {
    std::vector<v1::Complaint> out;
    for (int page = 0; page < 100; ++page) {
      v1::ListComplaintsResponse resp;
      grpc::Status s = Rpc(&Stub::ListComplaints, token, req, &resp);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok()) break;
      for (const v1::Complaint& c : resp.complaints()) out.push_back(c);
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  static std::vector<std::string> Ids(const std::vector<v1::Complaint>& cs) {
    std::vector<std::string> out;
    for (const v1::Complaint& c : cs) out.push_back(c.complaint_id());
    return out;
  }

  // The event types of the complaint's change feed, oldest first.
  std::vector<std::string> Events(const std::string& id) {
    const std::string joined = server_->QueryScalar(
        JoinedSql(server_->on_postgres(), "event_type", ",",
                  absl::StrCat("events WHERE resource_type = 'complaint' AND "
                               "resource_id = '",
                               id, "'"),
                  "event_id"));
    if (joined.empty()) return {};
    return absl::StrSplit(joined, ',');
  }

  int Count(const std::string& sql) {
    return std::stoi(server_->QueryScalar(sql));
  }

  v1::SlaPolicy GetPolicy(const std::string& token = kAdmin) {
    v1::GetSlaPolicyRequest req;
    v1::GetSlaPolicyResponse resp;
    grpc::Status s = Rpc(&Stub::GetSlaPolicy, token, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.policy();
  }

  grpc::Status UpdatePolicy(const v1::SlaPolicy& policy,
                            v1::SlaPolicy* out = nullptr,
                            const std::string& token = kAdmin) {
    v1::UpdateSlaPolicyRequest req;
    req.set_request_id(NewRequestId());
    *req.mutable_policy() = policy;
    v1::UpdateSlaPolicyResponse resp;
    grpc::Status s = Rpc(&Stub::UpdateSlaPolicy, token, req, &resp);
    if (out != nullptr) *out = resp.policy();
    return s;
  }

  static void SetTarget(v1::SlaTarget* t, int64_t us, bool business) {
    *t->mutable_duration() = Dur(us);
    t->set_business_hours(business);
  }

  // Monday to Friday 09:00-18:00 in Shanghai, closed on `closed` (y, m, d).
  static v1::BranchCalendar OfficeHours(
      const std::string& branch,
      const std::vector<std::array<int, 3>>& closed = {}) {
    v1::BranchCalendar c;
    c.set_branch_id(branch);
    c.set_time_zone("Asia/Shanghai");
    for (int day = 1; day <= 5; ++day) {
      v1::OpeningHours* h = c.add_weekly_hours();
      h->set_day_of_week(day);
      h->set_open_minute(9 * 60);
      h->set_close_minute(18 * 60);
    }
    for (const auto& [y, m, d] : closed) {
      auto* date = c.add_closed_dates();
      date->set_year(y);
      date->set_month(m);
      date->set_day(d);
    }
    return c;
  }

  grpc::Status SetCalendar(const v1::BranchCalendar& cal,
                           const std::string& token = kAdmin,
                           v1::BranchCalendar* out = nullptr) {
    v1::UpdateBranchCalendarRequest req;
    req.set_request_id(NewRequestId());
    *req.mutable_calendar() = cal;
    v1::UpdateBranchCalendarResponse resp;
    grpc::Status s = Rpc(&Stub::UpdateBranchCalendar, token, req, &resp);
    if (out != nullptr) *out = resp.calendar();
    return s;
  }

  // Walks `c` (assigned or not) to RESOLVED: assign if NEW, answer,
  // propose, resolve.
  v1::Complaint ToResolved(v1::Complaint c) {
    if (c.status() == v1::COMPLAINT_STATUS_NEW) {
      Result a = Assign(c);
      EXPECT_TRUE(a.ok()) << Describe(a.status);
      c = a.complaint;
    }
    if (c.status() == v1::COMPLAINT_STATUS_ACKNOWLEDGED ||
        c.status() == v1::COMPLAINT_STATUS_REOPENED) {
      Result r = Respond(c, "您好，我们正在处理");
      EXPECT_TRUE(r.ok()) << Describe(r.status);
      c = r.complaint;
    }
    Result p = Propose(c);
    EXPECT_TRUE(p.ok()) << Describe(p.status);
    Result r = Resolve(p.complaint);
    EXPECT_TRUE(r.ok()) << Describe(r.status);
    EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_RESOLVED);
    return r.complaint;
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::unique_ptr<OrderService::Stub> orders_;
  int64_t t0_ = 0;
  int request_counter_ = 0;
};

// ---- Clocks met and breached ----------------------------------------------

TEST_F(ComplaintsTest, NewComplaintStartsThreeClocksFromThePolicy) {
  const v1::Complaint c = CreateOk();
  EXPECT_THAT(c.complaint_id(), ::testing::StartsWith("cmp_"));
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_NEW);
  EXPECT_EQ(c.branch_id(), "B001");
  EXPECT_TRUE(c.owner_id().empty());
  EXPECT_EQ(c.sla_policy_version(), 1);
  EXPECT_EQ(c.escalation_level(), 0);
  EXPECT_FALSE(c.etag().empty());
  EXPECT_FALSE(c.breached());
  EXPECT_EQ(Us(c.create_time()), t0_);
  ASSERT_EQ(c.clocks_size(), 3);
  const int64_t targets[] = {24 * kHour, 72 * kHour, 168 * kHour};
  for (int i = 0; i < 3; ++i) {
    const v1::SlaClock& k = c.clocks(i);
    SCOPED_TRACE(v1::ClockKind_Name(k.kind()));
    EXPECT_EQ(k.kind(), static_cast<v1::ClockKind>(i + 1));
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_RUNNING);
    EXPECT_EQ(Us(k.target()), targets[i]);
    EXPECT_EQ(Us(k.due_time()), t0_ + targets[i]);
    EXPECT_EQ(Us(k.remaining()), targets[i]);
    EXPECT_EQ(Us(k.paused()), 0);
    EXPECT_FALSE(k.business_hours());
    EXPECT_FALSE(k.has_stop_time());
  }
  EXPECT_EQ(Us(c.next_due_time()), t0_ + 24 * kHour);
  // Topics and keywords from the shared analyser: 物流 is a logistics term.
  EXPECT_THAT(c.topics(), ::testing::Contains("logistics_delivery"));
  EXPECT_THAT(c.keywords(), ::testing::Contains("物流"));
  EXPECT_THAT(Kinds(History(c.complaint_id())),
              ElementsAre(v1::HISTORY_KIND_CREATED));
  EXPECT_THAT(Events(c.complaint_id()), ElementsAre("CREATED"));

  // As of a later read, the clocks have moved on.
  Advance(5 * kHour);
  const v1::Complaint later = GetOk(c.complaint_id());
  EXPECT_EQ(Us(ClockOf(later, kFirst).remaining()), 19 * kHour);
  EXPECT_EQ(later.etag(), c.etag());
}

TEST_F(ComplaintsTest, EachClockMetWhenEveryStepIsInTime) {
  v1::Complaint c = CreateOk();
  Advance(2 * kHour);
  Result r = Assign(c);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  Advance(1 * kHour);
  r = Respond(r.complaint, "您好，已为您催促快递");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
  {
    const v1::SlaClock& k = ClockOf(r.complaint, kFirst);
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_MET);
    EXPECT_EQ(Us(k.stop_time()), t0_ + 3 * kHour);
    EXPECT_EQ(Us(k.remaining()), 21 * kHour);
    EXPECT_EQ(ClockOf(r.complaint, kSolution).state(), v1::CLOCK_STATE_RUNNING);
    EXPECT_EQ(Us(r.complaint.next_due_time()), t0_ + 72 * kHour);
  }
  AdvanceTo(t0_ + 48 * kHour);
  Sweep();  // nothing is near breach: solution at 48 of 72 h (< 80%)
  r = Propose(GetOk(c.complaint_id()));
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  {
    const v1::SlaClock& k = ClockOf(r.complaint, kSolution);
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_MET);
    EXPECT_EQ(Us(k.stop_time()), t0_ + 48 * kHour);
    EXPECT_EQ(Us(k.remaining()), 24 * kHour);
    EXPECT_EQ(Us(r.complaint.next_due_time()), t0_ + 168 * kHour);
  }
  r = Resolve(r.complaint, "已补偿运费");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  AdvanceTo(t0_ + 100 * kHour);
  Sweep();
  r = Close(GetOk(c.complaint_id()), v1::CONFIRMATION_SATISFIED, 5);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  const v1::Complaint& closed = r.complaint;
  EXPECT_EQ(closed.status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(closed.confirmation(), v1::CONFIRMATION_SATISFIED);
  EXPECT_EQ(closed.satisfaction_score(), 5);
  EXPECT_EQ(Us(closed.close_time()), t0_ + 100 * kHour);
  const v1::SlaClock& k = ClockOf(closed, kClosure);
  EXPECT_EQ(k.state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(Us(k.remaining()), 68 * kHour);
  for (const v1::SlaClock& each : closed.clocks()) {
    EXPECT_EQ(each.state(), v1::CLOCK_STATE_MET) << each.ShortDebugString();
  }
  EXPECT_FALSE(closed.breached());
  EXPECT_FALSE(closed.has_next_due_time());
  EXPECT_EQ(closed.escalation_level(), 0);

  // One CLOCK_STOPPED entry per clock, in the order they stopped.
  std::vector<v1::ClockKind> stopped;
  for (const v1::HistoryEntry& e : History(c.complaint_id())) {
    EXPECT_NE(e.kind(), v1::HISTORY_KIND_NEAR_BREACH);
    EXPECT_NE(e.kind(), v1::HISTORY_KIND_BREACHED);
    if (e.kind() == v1::HISTORY_KIND_CLOCK_STOPPED)
      stopped.push_back(e.clock());
  }
  EXPECT_THAT(stopped, ElementsAre(kFirst, kSolution, kClosure));

  // Long after, a closed complaint's clocks stay as they stopped.
  Advance(30 * kDay);
  const v1::Complaint later = GetOk(c.complaint_id());
  EXPECT_EQ(Us(ClockOf(later, kClosure).remaining()), 68 * kHour);
  EXPECT_EQ(ClockOf(later, kClosure).state(), v1::CLOCK_STATE_MET);
}

TEST_F(ComplaintsTest, EachClockBreachedWhenLate) {
  const v1::Complaint c = CreateOk();
  AdvanceTo(t0_ + 25 * kHour);
  v1::Complaint got = GetOk(c.complaint_id());
  {
    const v1::SlaClock& k = ClockOf(got, kFirst);
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_BREACHED);
    EXPECT_EQ(Us(k.remaining()), -1 * kHour);
    EXPECT_FALSE(k.has_stop_time());
    EXPECT_TRUE(got.breached());
  }
  Result r = Assign(got);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  r = Respond(r.complaint, "抱歉回复晚了");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  {
    const v1::SlaClock& k = ClockOf(r.complaint, kFirst);
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_BREACHED);
    EXPECT_EQ(Us(k.stop_time()), t0_ + 25 * kHour);
    EXPECT_EQ(Us(k.remaining()), -1 * kHour);
    EXPECT_TRUE(r.complaint.breached());
  }
  AdvanceTo(t0_ + 73 * kHour);
  got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kSolution).state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Us(ClockOf(got, kSolution).remaining()), -1 * kHour);
  r = Propose(got);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(ClockOf(r.complaint, kSolution).state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Us(ClockOf(r.complaint, kSolution).stop_time()), t0_ + 73 * kHour);
  r = Resolve(r.complaint);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  AdvanceTo(t0_ + 170 * kHour);
  got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kClosure).state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Us(ClockOf(got, kClosure).remaining()), -2 * kHour);
  r = Close(got, v1::CONFIRMATION_SATISFIED);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  for (const v1::SlaClock& k : r.complaint.clocks()) {
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_BREACHED) << k.ShortDebugString();
    EXPECT_TRUE(k.has_stop_time());
  }
  EXPECT_EQ(Us(ClockOf(r.complaint, kClosure).remaining()), -2 * kHour);
  EXPECT_TRUE(r.complaint.breached());

  // Stored as breached: the list filter finds it, without any sweep.
  v1::ListComplaintsRequest breached;
  breached.set_breached(true);
  EXPECT_THAT(Ids(List(breached)), ElementsAre(c.complaint_id()));
  breached.set_breached(false);
  EXPECT_THAT(Ids(List(breached)), IsEmpty());
}

// ---- Pauses
// ------------------------------------------------------------------

TEST_F(ComplaintsTest, WaitingOnTheCustomerPausesTheClocksAndMovesDueTimes) {
  const v1::Complaint c = CreateOk();
  Result r = Assign(c);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  AdvanceTo(t0_ + 2 * kHour);
  r = Respond(r.complaint, "请提供订单截图", /*wait=*/true);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  // The answer stopped the first-response clock; the others pause.
  EXPECT_EQ(ClockOf(r.complaint, kFirst).state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(ClockOf(r.complaint, kSolution).state(), v1::CLOCK_STATE_PAUSED);
  EXPECT_EQ(ClockOf(r.complaint, kClosure).state(), v1::CLOCK_STATE_PAUSED);
  EXPECT_FALSE(r.complaint.has_next_due_time());
  {
    const std::vector<v1::HistoryEntry> h = History(c.complaint_id());
    ASSERT_GE(h.size(), 3u);
    const v1::HistoryEntry& paused = h.back();
    EXPECT_EQ(paused.kind(), v1::HISTORY_KIND_PAUSED);
    EXPECT_EQ(paused.from_status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
    EXPECT_EQ(paused.to_status(), v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
    EXPECT_EQ(Us(paused.time()), t0_ + 2 * kHour);
  }
  // Nothing burns while paused: the "what burns next" view leaves it out.
  v1::ListComplaintsRequest by_due;
  by_due.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
  EXPECT_THAT(Ids(List(by_due)), IsEmpty());

  // Ten hours later the pause so far is shown, and the due time if it
  // resumed now.
  AdvanceTo(t0_ + 12 * kHour);
  v1::Complaint got = GetOk(c.complaint_id());
  {
    const v1::SlaClock& k = ClockOf(got, kSolution);
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_PAUSED);
    EXPECT_EQ(Us(k.paused()), 10 * kHour);
    EXPECT_EQ(Us(k.remaining()), 70 * kHour);
    EXPECT_EQ(Us(k.due_time()), t0_ + 82 * kHour);
    EXPECT_EQ(Us(ClockOf(got, kFirst).paused()), 0);
  }
  // Past the point where the running solution clock would be near breach
  // (80% of 72 h) and even due: the sweep marks nothing while paused.
  AdvanceTo(t0_ + 75 * kHour);
  Sweep();
  got = GetOk(c.complaint_id());
  EXPECT_EQ(got.escalation_level(), 0);
  EXPECT_FALSE(got.breached());
  EXPECT_EQ(ClockOf(got, kSolution).state(), v1::CLOCK_STATE_PAUSED);

  // The customer replies: back to IN_PROGRESS, every due time moved by the
  // 73 h pause.
  r = Contact(got, v1::CONTACT_OUTCOME_REPLIED, "客户发来了截图");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
  {
    const v1::SlaClock& s = ClockOf(r.complaint, kSolution);
    EXPECT_EQ(s.state(), v1::CLOCK_STATE_RUNNING);
    EXPECT_EQ(Us(s.paused()), 73 * kHour);
    EXPECT_EQ(Us(s.due_time()), t0_ + 72 * kHour + 73 * kHour);
    EXPECT_EQ(Us(s.remaining()), 70 * kHour);
    const v1::SlaClock& k = ClockOf(r.complaint, kClosure);
    EXPECT_EQ(Us(k.due_time()), t0_ + 168 * kHour + 73 * kHour);
    EXPECT_EQ(Us(k.paused()), 73 * kHour);
    EXPECT_EQ(Us(r.complaint.next_due_time()), t0_ + 145 * kHour);
  }
  {
    const std::vector<v1::HistoryEntry> h = History(c.complaint_id());
    ASSERT_GE(h.size(), 2u);
    EXPECT_EQ(h[h.size() - 2].kind(), v1::HISTORY_KIND_CUSTOMER_REPLIED);
    EXPECT_EQ(h[h.size() - 2].text(), "客户发来了截图");
    EXPECT_EQ(h.back().kind(), v1::HISTORY_KIND_RESUMED);
    EXPECT_EQ(h.back().from_status(), v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
    EXPECT_EQ(h.back().to_status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
  }
  EXPECT_THAT(Ids(List(by_due)), ElementsAre(c.complaint_id()));
  // Due by the moved time, not the first one.
  AdvanceTo(t0_ + 145 * kHour);
  got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kSolution).state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(Us(ClockOf(got, kSolution).remaining()), 0);
  AdvanceTo(t0_ + 146 * kHour);
  got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kSolution).state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Us(ClockOf(got, kSolution).remaining()), -1 * kHour);
}

// ---- Business hours --------------------------------------------------------

// B001: Monday to Friday 09:00-18:00 in Shanghai, closed Monday 8 June
// 2026. Policy v2: first response 4 h and solution 16 h of business time,
// closure 7 days of wall-clock time. A complaint on Friday 5 June at 16:00.
TEST_F(ComplaintsTest, BusinessHoursSkipTheWeekendAndAClosedDate) {
  v1::BranchCalendar stored;
  grpc::Status s =
      SetCalendar(OfficeHours("B001", {{2026, 6, 8}}), kBranch1, &stored);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_FALSE(stored.is_default());
  EXPECT_EQ(stored.closed_dates_size(), 1);
  {
    v1::GetBranchCalendarRequest req;
    req.set_branch_id("B001");
    v1::GetBranchCalendarResponse resp;
    ASSERT_TRUE(Rpc(&Stub::GetBranchCalendar, kAuditor, req, &resp).ok());
    EXPECT_FALSE(resp.calendar().is_default());
    EXPECT_EQ(resp.calendar().weekly_hours_size(), 5);
    EXPECT_EQ(resp.calendar().time_zone(), "Asia/Shanghai");
    // B002 has none: the default, 09:00-21:00 every day.
    req.set_branch_id("B002");
    ASSERT_TRUE(Rpc(&Stub::GetBranchCalendar, kAuditor, req, &resp).ok());
    EXPECT_TRUE(resp.calendar().is_default());
    ASSERT_EQ(resp.calendar().weekly_hours_size(), 7);
    EXPECT_EQ(resp.calendar().weekly_hours(6).open_minute(), 540);
    EXPECT_EQ(resp.calendar().weekly_hours(6).close_minute(), 1260);
  }
  v1::SlaPolicy policy = GetPolicy();
  EXPECT_EQ(policy.version(), 1);
  for (v1::SeverityTargets& t : *policy.mutable_targets()) {
    SetTarget(t.mutable_first_response(), 4 * kHour, true);
    SetTarget(t.mutable_solution(), 16 * kHour, true);
    SetTarget(t.mutable_closure(), 7 * kDay, false);
  }
  v1::SlaPolicy updated;
  s = UpdatePolicy(policy, &updated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(updated.version(), 2);

  const int64_t fri16 = Local(2026, 6, 5, 16);
  AdvanceTo(fri16);
  const v1::Complaint c = CreateOk("B001");
  const v1::Complaint other = CreateOk("B002");
  EXPECT_EQ(c.sla_policy_version(), 2);
  {
    const v1::SlaClock& first = ClockOf(c, kFirst);
    EXPECT_TRUE(first.business_hours());
    EXPECT_EQ(Us(first.target()), 4 * kHour);
    // Friday 2 h; Saturday, Sunday and Monday 8 June closed; Tuesday 2 h.
    EXPECT_EQ(Us(first.due_time()), Local(2026, 6, 9, 11));
    // Friday 2, Tuesday 9, Wednesday 5.
    EXPECT_EQ(Us(ClockOf(c, kSolution).due_time()), Local(2026, 6, 10, 14));
    EXPECT_FALSE(ClockOf(c, kClosure).business_hours());
    EXPECT_EQ(Us(ClockOf(c, kClosure).due_time()), fri16 + 7 * kDay);
    EXPECT_EQ(Us(c.next_due_time()), Local(2026, 6, 9, 11));
  }
  // B002 keeps the default calendar: 5 open hours left on Friday.
  EXPECT_EQ(Us(ClockOf(other, kFirst).due_time()), Local(2026, 6, 5, 20));

  // Sunday noon: only Friday's two hours are used.
  AdvanceTo(Local(2026, 6, 7, 12));
  Sweep();
  v1::Complaint got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(Us(ClockOf(got, kFirst).remaining()), 2 * kHour);
  EXPECT_EQ(Us(ClockOf(got, kSolution).remaining()), 14 * kHour);
  EXPECT_EQ(got.escalation_level(), 0);
  // The closed Monday counts nothing either.
  AdvanceTo(Local(2026, 6, 8, 17));
  Sweep();
  got = GetOk(c.complaint_id());
  EXPECT_EQ(Us(ClockOf(got, kFirst).remaining()), 2 * kHour);
  EXPECT_EQ(got.escalation_level(), 0);
  // Tuesday 10:00: 3 h used, short of 80% (3 h 12 min).
  AdvanceTo(Local(2026, 6, 9, 10));
  Sweep();
  EXPECT_EQ(GetOk(c.complaint_id()).escalation_level(), 0);
  AdvanceTo(Local(2026, 6, 9, 10, 12));
  Sweep();
  got = GetOk(c.complaint_id());
  EXPECT_EQ(got.escalation_level(), 1);
  EXPECT_TRUE(ClockOf(got, kFirst).near_breach());
  // Tuesday 11:01: a minute overdue.
  AdvanceTo(Local(2026, 6, 9, 11, 1));
  Sweep();
  got = GetOk(c.complaint_id());
  EXPECT_EQ(got.escalation_level(), 2);
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Us(ClockOf(got, kFirst).remaining()), -kMinute);
  Result r = Assign(got);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  r = Respond(r.complaint, "您好");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  // Wednesday 13:00: the solution clock has 1 h of open time left.
  AdvanceTo(Local(2026, 6, 10, 13));
  r = Propose(r.complaint);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(ClockOf(r.complaint, kSolution).state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(Us(ClockOf(r.complaint, kSolution).remaining()), kHour);

  // A calendar change keeps the due times already stored: B002's first
  // response, due by the default calendar, stays due Friday 20:00.
  ASSERT_TRUE(SetCalendar(OfficeHours("B002")).ok());
  EXPECT_EQ(Us(ClockOf(GetOk(other.complaint_id()), kFirst).due_time()),
            Local(2026, 6, 5, 20));
}

// A business-hours clock due at closing time on Friday (2 h from 16:00)
// is past its due time all weekend. It must show BREACHED then, and the
// sweep must mark it once, not rewrite the complaint on every pass.
TEST_F(ComplaintsTest,
       BusinessClockDueAtClosingTimeBreachesOnceOverTheWeekend) {
  ASSERT_TRUE(SetCalendar(OfficeHours("B001")).ok());
  v1::SlaPolicy policy = GetPolicy();
  for (v1::SeverityTargets& t : *policy.mutable_targets()) {
    SetTarget(t.mutable_first_response(), 2 * kHour, true);
  }
  ASSERT_TRUE(UpdatePolicy(policy).ok());
  AdvanceTo(Local(2026, 6, 5, 16));
  const v1::Complaint c = CreateOk("B001");
  EXPECT_EQ(Us(ClockOf(c, kFirst).due_time()), Local(2026, 6, 5, 18));
  AdvanceTo(Local(2026, 6, 5, 17, 40));
  Sweep();
  ASSERT_EQ(GetOk(c.complaint_id()).escalation_level(), 1);  // near breach

  AdvanceTo(Local(2026, 6, 5, 18, 30));
  Sweep();
  v1::Complaint got = GetOk(c.complaint_id());
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_BREACHED)
      << "half an hour past its due time: " << got.clocks(0).ShortDebugString();
  EXPECT_TRUE(got.breached());
  EXPECT_EQ(got.escalation_level(), 2);
  // The breached filter and the complaint agree.
  v1::ListComplaintsRequest breached;
  breached.set_breached(true);
  const std::vector<v1::Complaint> listed = List(breached);
  EXPECT_THAT(Ids(listed), ElementsAre(c.complaint_id()));
  for (const v1::Complaint& each : listed) EXPECT_TRUE(each.breached());
  breached.set_breached(false);
  for (const v1::Complaint& each : List(breached)) {
    EXPECT_FALSE(each.breached()) << each.complaint_id();
    EXPECT_NE(each.complaint_id(), c.complaint_id());
  }
  const std::string etag = got.etag();
  for (int hour = 0; hour < 3; ++hour) {
    Advance(kHour);
    Sweep();
  }
  got = GetOk(c.complaint_id());
  EXPECT_EQ(got.etag(), etag)
      << "the sweep rewrote the complaint though nothing changed; events: "
      << absl::StrJoin(Events(c.complaint_id()), ",");
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM events WHERE "
                               "resource_id = '",
                               c.complaint_id(),
                               "' AND event_type = 'SWEEP_RESCHEDULED'")),
            0);
}

// A sweep at exactly the due instant finds nothing to mark (a clock that
// stops then is met): it must not write the complaint.
TEST_F(ComplaintsTest, SweepAtTheDueInstantWritesNothing) {
  const v1::Complaint c = CreateOk();
  AdvanceTo(t0_ + 20 * kHour);
  Sweep();
  const v1::Complaint near = GetOk(c.complaint_id());
  ASSERT_EQ(near.escalation_level(), 1);
  AdvanceTo(t0_ + 24 * kHour);
  Sweep();
  const v1::Complaint at_due = GetOk(c.complaint_id());
  EXPECT_EQ(at_due.escalation_level(), 1);
  EXPECT_EQ(ClockOf(at_due, kFirst).state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(at_due.etag(), near.etag())
      << "events: " << absl::StrJoin(Events(c.complaint_id()), ",");
  Advance(kMinute);
  Sweep();
  EXPECT_EQ(GetOk(c.complaint_id()).escalation_level(), 2);
}

// ---- Escalation
// ----------------------------------------------------------------

TEST_F(ComplaintsTest, SweepEscalatesAtEightyPercentAndAtTheDueTime) {
  const v1::Complaint c = CreateOk("B001", v1::COMPLAINT_SEVERITY_SEVERE);
  const std::string id = c.complaint_id();
  // 19 h of the first response's 24: under 80%.
  AdvanceTo(t0_ + 19 * kHour);
  Sweep();
  EXPECT_EQ(GetOk(id).escalation_level(), 0);
  EXPECT_EQ(GetOk(id).etag(), c.etag());
  // 19 h 12 min: exactly 80%.
  AdvanceTo(t0_ + 19 * kHour + 12 * kMinute);
  Sweep();
  v1::Complaint got = GetOk(id);
  EXPECT_EQ(got.escalation_level(), 1);
  EXPECT_TRUE(ClockOf(got, kFirst).near_breach());
  EXPECT_FALSE(ClockOf(got, kSolution).near_breach());
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_FALSE(got.breached());
  EXPECT_NE(got.etag(), c.etag());
  {
    const v1::HistoryEntry e = History(id).back();
    EXPECT_EQ(e.kind(), v1::HISTORY_KIND_NEAR_BREACH);
    EXPECT_EQ(e.clock(), kFirst);
    EXPECT_EQ(e.actor(), "system");
    EXPECT_EQ(e.escalation_level(), 1);
    EXPECT_EQ(e.from_status(), v1::COMPLAINT_STATUS_NEW);
    EXPECT_EQ(e.to_status(), v1::COMPLAINT_STATUS_NEW);
    EXPECT_EQ(Us(e.time()), t0_ + 19 * kHour + 12 * kMinute);
  }
  EXPECT_THAT(Events(id), ElementsAre("CREATED", "NEAR_BREACH"));
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id || ' ' || outcome || ' ' || detail FROM "
                "audit_log WHERE method LIKE '%(escalation sweep)' ORDER BY "
                "audit_id DESC LIMIT 1"),
            "system OK 1 complaint(s) escalated");
  // Further sweeps before the due time add nothing.
  AdvanceTo(t0_ + 23 * kHour);
  Sweep();
  EXPECT_EQ(GetOk(id).etag(), got.etag());

  // Past the due time: breached, level 2.
  AdvanceTo(t0_ + 24 * kHour + kMinute);
  Sweep();
  got = GetOk(id);
  EXPECT_EQ(got.escalation_level(), 2);
  EXPECT_TRUE(got.breached());
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_BREACHED);
  {
    const v1::HistoryEntry e = History(id).back();
    EXPECT_EQ(e.kind(), v1::HISTORY_KIND_BREACHED);
    EXPECT_EQ(e.clock(), kFirst);
    EXPECT_EQ(e.escalation_level(), 2);
    EXPECT_EQ(e.actor(), "system");
  }
  EXPECT_THAT(Events(id), ElementsAre("CREATED", "NEAR_BREACH", "BREACHED"));
  v1::ListComplaintsRequest level;
  level.set_min_escalation_level(2);
  EXPECT_THAT(Ids(List(level)), ElementsAre(id));
  level.set_min_escalation_level(3);
  EXPECT_THAT(Ids(List(level)), IsEmpty());
  v1::ListComplaintsRequest breached;
  breached.set_breached(true);
  EXPECT_THAT(Ids(List(breached)), ElementsAre(id));

  // Marked once: a later sweep leaves it alone.
  Advance(kHour);
  Sweep();
  EXPECT_EQ(GetOk(id).escalation_level(), 2);
  EXPECT_EQ(GetOk(id).etag(), got.etag());

  // Long past everything: the solution clock breaches, the closure clock
  // nears and breaches, all in one pass (one write, one event).
  AdvanceTo(t0_ + 200 * kHour);
  Sweep();
  got = GetOk(id);
  const std::vector<v1::HistoryEntry> h = History(id);
  std::vector<std::pair<v1::HistoryKind, v1::ClockKind>> marks;
  for (const v1::HistoryEntry& e : h) {
    if (e.kind() == v1::HISTORY_KIND_NEAR_BREACH ||
        e.kind() == v1::HISTORY_KIND_BREACHED) {
      marks.push_back({e.kind(), e.clock()});
    }
  }
  EXPECT_THAT(marks,
              ElementsAre(std::pair{v1::HISTORY_KIND_NEAR_BREACH, kFirst},
                          std::pair{v1::HISTORY_KIND_BREACHED, kFirst},
                          std::pair{v1::HISTORY_KIND_NEAR_BREACH, kSolution},
                          std::pair{v1::HISTORY_KIND_BREACHED, kSolution},
                          std::pair{v1::HISTORY_KIND_NEAR_BREACH, kClosure},
                          std::pair{v1::HISTORY_KIND_BREACHED, kClosure}));
  EXPECT_EQ(got.escalation_level(), 6);
  EXPECT_EQ(Events(id).size(), 4u);

  // By hand, with a reason.
  Result r = Escalate(got, "客户投诉到总部");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.escalation_level(), 7);
  {
    const v1::HistoryEntry e = History(id).back();
    EXPECT_EQ(e.kind(), v1::HISTORY_KIND_ESCALATED);
    EXPECT_EQ(e.text(), "客户投诉到总部");
    EXPECT_EQ(e.actor(), "agent");
    EXPECT_EQ(e.escalation_level(), 7);
  }
  EXPECT_EQ(Events(id).back(), "ESCALATED");
  // A closed complaint is not escalated.
  const v1::Complaint resolved = ToResolved(r.complaint);
  r = Close(resolved, v1::CONFIRMATION_SATISFIED, 3);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  Result refused = Escalate(r.complaint);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(refused.status).reason, "ILLEGAL_TRANSITION");
}

TEST_F(ComplaintsTest, EscalationByHandNeedsAReasonAndMayRepeat) {
  const v1::Complaint c = CreateOk();
  Result r = Escalate(c, "");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(r.status).fields, ::testing::Contains("reason"));
  r = Escalate(c, "VIP 客户");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  r = Escalate(r.complaint, "媒体关注");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.escalation_level(), 2);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_NEW);
  // The sweep adds to the level by hand.
  AdvanceTo(t0_ + 20 * kHour);
  Sweep();
  EXPECT_EQ(GetOk(c.complaint_id()).escalation_level(), 3);
}

// The sweep on the scheduler thread, every --complaint_sweep_interval_seconds
// of the injected clock.
class ComplaintsSweepThreadTest : public ComplaintsTest {
 protected:
  void SetUp() override {}

  // Returns once the scheduler thread has finished a whole pass over its
  // tasks begun at the current clock time or later (as in
  // maintenance_integration_test.cc): two unauthenticated calls leave a
  // failure count that only core.flush_failure_audit writes, once the clock
  // passes the minute; seeing two such flushes means the pass of the first
  // has finished. Moves the clock two minutes.
  void SchedulerPass() {
    for (int round = 0; round < 2; ++round) {
      const int before = Unauthenticated();
      for (int i = 0; i < 2; ++i) {
        v1::GetSlaPolicyRequest req;
        v1::GetSlaPolicyResponse resp;
        ASSERT_EQ(Rpc(&Stub::GetSlaPolicy, "", req, &resp).error_code(),
                  grpc::StatusCode::UNAUTHENTICATED);
      }
      Advance(kMinute);
      const absl::Time end = absl::Now() + kPatience;
      while (Unauthenticated() != before + 2 && absl::Now() < end) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      ASSERT_EQ(Unauthenticated(), before + 2) << "no flush of the failures";
    }
  }
  int Unauthenticated() {
    return Count(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM audit_log WHERE "
        "outcome = 'UNAUTHENTICATED'");
  }
};

TEST_F(ComplaintsSweepThreadTest, TheMaintenanceThreadRunsTheSweep) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_complaint_sweep_interval_seconds, 600);
  StartServer(absl::Hours(1));
  const v1::Complaint c = CreateOk();
  AdvanceTo(t0_ + 19 * kHour + 12 * kMinute);
  const absl::Time end = absl::Now() + kPatience;
  int level = 0;
  while (absl::Now() < end) {
    level = GetOk(c.complaint_id()).escalation_level();
    if (level == 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(level, 1) << "no sweep " << kPatience
                      << " after the near-breach instant";
  EXPECT_EQ(History(c.complaint_id()).back().kind(),
            v1::HISTORY_KIND_NEAR_BREACH);
}

TEST_F(ComplaintsSweepThreadTest, IntervalZeroDisablesTheSweep) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_complaint_sweep_interval_seconds, 0);
  StartServer(absl::Hours(1));
  const v1::Complaint c = CreateOk();
  AdvanceTo(t0_ + 30 * kHour);
  // Every other task runs; there is no sweep task.
  ASSERT_NO_FATAL_FAILURE(SchedulerPass());
  const v1::Complaint got = GetOk(c.complaint_id());
  EXPECT_EQ(got.escalation_level(), 0);
  EXPECT_EQ(got.etag(), c.etag());
  // The clocks still show the breach.
  EXPECT_EQ(ClockOf(got, kFirst).state(), v1::CLOCK_STATE_BREACHED);
}

// server.h: "Zero disables the maintenance thread (tests drive
// RunMaintenance() directly)". With a zero interval the core tasks
// (core.prune_request_ids, customers.tier_lapse) are due again the moment
// they ran; RunMaintenance() must still return (it once looped for ever on
// a FakeClock). If it does not, Shutdown() ends it (RunDue checks
// Stopping()) so the test fails instead of hanging.
TEST_F(ComplaintsSweepThreadTest, RunMaintenanceReturnsWithoutTheThread) {
  StartServer(absl::ZeroDuration());
  std::future<int> slices = std::async(std::launch::async, [this] {
    return server_->server().RunMaintenance();
  });
  const bool returned =
      slices.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "RunMaintenance() still running after 10 s with "
                           "maintenance_interval zero";
  // Shutdown() stops the scheduler, whose Stopping() ends RunDue's loop;
  // the server object stays until the slice in progress is over.
  if (!returned) (void)server_->server().Shutdown(absl::Seconds(5));
  slices.get();
}

// ---- Transitions
// ---------------------------------------------------------------

TEST_F(ComplaintsTest, EveryTransitionInOrderWithHistoryAndEvents) {
  const v1::Complaint c = CreateOk();
  const std::string id = c.complaint_id();
  std::set<std::string> etags = {c.etag()};
  auto step = [&](Result r, v1::ComplaintStatus want) {
    EXPECT_TRUE(r.ok()) << Describe(r.status);
    EXPECT_EQ(r.complaint.status(), want)
        << v1::ComplaintStatus_Name(r.complaint.status());
    EXPECT_TRUE(etags.insert(r.complaint.etag()).second)
        << "etag " << r.complaint.etag() << " seen before";
    Advance(kMinute);
    return r.complaint;
  };
  // The first assignment, by a named cashier at a shared token.
  v1::Complaint cur;
  {
    v1::AssignComplaintRequest req;
    req.set_request_id(NewRequestId());
    req.set_complaint_id(id);
    req.set_etag(c.etag());
    req.set_owner_id("agent-7");
    req.set_team("售后一组");
    auto ctx = ContextFor(kAgent);
    ctx->AddMetadata("x-staff-id", "S1001");
    v1::AssignComplaintResponse resp;
    Result r;
    r.status = stub_->AssignComplaint(ctx.get(), req, &resp);
    r.complaint = resp.complaint();
    cur = step(r, v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  }
  EXPECT_EQ(cur.owner_id(), "agent-7");
  cur = step(Assign(cur, "agent-9", "售后二组", "交接给二组"),
             v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(cur.owner_id(), "agent-9");
  EXPECT_EQ(cur.team(), "售后二组");
  cur =
      step(Note(cur, "内部备注：先查物流"), v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  // A note is no answer to the customer.
  EXPECT_EQ(ClockOf(cur, kFirst).state(), v1::CLOCK_STATE_RUNNING);
  cur = step(Respond(cur, "您好，正在核实"), v1::COMPLAINT_STATUS_IN_PROGRESS);
  EXPECT_EQ(ClockOf(cur, kFirst).state(), v1::CLOCK_STATE_MET);
  cur = step(Respond(cur, "请提供单号", true),
             v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  cur = step(Contact(cur, v1::CONTACT_OUTCOME_FAILED, "电话未接"),
             v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  EXPECT_EQ(cur.failed_contact_attempts(), 1);
  cur = step(Contact(cur, v1::CONTACT_OUTCOME_REPLIED, "客户回电"),
             v1::COMPLAINT_STATUS_IN_PROGRESS);
  cur = step(Propose(cur, "补偿20元优惠券", v1::REMEDY_COUPON),
             v1::COMPLAINT_STATUS_SOLUTION_PROPOSED);
  EXPECT_EQ(cur.solution().remedy(), v1::REMEDY_COUPON);
  EXPECT_EQ(cur.solution().description(), "补偿20元优惠券");
  EXPECT_EQ(ClockOf(cur, kSolution).state(), v1::CLOCK_STATE_MET);
  // Waiting on the customer from SOLUTION_PROPOSED returns there.
  cur = step(Respond(cur, "方案可以吗？", true),
             v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  cur = step(Contact(cur, v1::CONTACT_OUTCOME_REPLIED, "可以"),
             v1::COMPLAINT_STATUS_SOLUTION_PROPOSED);
  cur = step(Resolve(cur, "优惠券已发放"), v1::COMPLAINT_STATUS_RESOLVED);
  cur = step(Close(cur, v1::CONFIRMATION_SATISFIED, 4, "谢谢"),
             v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(cur.satisfaction_score(), 4);
  EXPECT_EQ(cur.confirmation(), v1::CONFIRMATION_SATISFIED);
  EXPECT_EQ(ClockOf(cur, kClosure).state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(cur.reopen_count(), 0);

  EXPECT_THAT(Events(id),
              ElementsAre("CREATED", "ACKNOWLEDGED", "REASSIGNED", "NOTE_ADDED",
                          "RESPONDED", "WAITING_ON_CUSTOMER", "CONTACT_FAILED",
                          "RESUMED", "SOLUTION_PROPOSED", "WAITING_ON_CUSTOMER",
                          "RESUMED", "RESOLVED", "CLOSED"));
  using S = v1::ComplaintStatus;
  struct Want {
    v1::HistoryKind kind;
    S from, to;
  };
  const S kNone = v1::COMPLAINT_STATUS_UNSPECIFIED;
  const S kNew = v1::COMPLAINT_STATUS_NEW;
  const S kAck = v1::COMPLAINT_STATUS_ACKNOWLEDGED;
  const S kIn = v1::COMPLAINT_STATUS_IN_PROGRESS;
  const S kWait = v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER;
  const S kSp = v1::COMPLAINT_STATUS_SOLUTION_PROPOSED;
  const S kRes = v1::COMPLAINT_STATUS_RESOLVED;
  const S kClosed = v1::COMPLAINT_STATUS_CLOSED;
  const std::vector<Want> want = {
      {v1::HISTORY_KIND_CREATED, kNone, kNew},
      {v1::HISTORY_KIND_ASSIGNED, kNew, kAck},
      {v1::HISTORY_KIND_ASSIGNED, kAck, kAck},
      {v1::HISTORY_KIND_NOTE, kAck, kAck},
      {v1::HISTORY_KIND_RESPONDED, kAck, kIn},
      {v1::HISTORY_KIND_CLOCK_STOPPED, kIn, kIn},
      {v1::HISTORY_KIND_RESPONDED, kIn, kIn},
      {v1::HISTORY_KIND_PAUSED, kIn, kWait},
      {v1::HISTORY_KIND_CONTACT_FAILED, kWait, kWait},
      {v1::HISTORY_KIND_CUSTOMER_REPLIED, kWait, kWait},
      {v1::HISTORY_KIND_RESUMED, kWait, kIn},
      {v1::HISTORY_KIND_SOLUTION_PROPOSED, kIn, kSp},
      {v1::HISTORY_KIND_CLOCK_STOPPED, kSp, kSp},
      {v1::HISTORY_KIND_RESPONDED, kSp, kSp},
      {v1::HISTORY_KIND_PAUSED, kSp, kWait},
      {v1::HISTORY_KIND_CUSTOMER_REPLIED, kWait, kWait},
      {v1::HISTORY_KIND_RESUMED, kWait, kSp},
      {v1::HISTORY_KIND_RESOLVED, kSp, kRes},
      {v1::HISTORY_KIND_CLOSED, kRes, kClosed},
      {v1::HISTORY_KIND_CLOCK_STOPPED, kClosed, kClosed},
  };
  const std::vector<v1::HistoryEntry> h = History(id);
  ASSERT_EQ(h.size(), want.size())
      << absl::StrJoin(Kinds(h), ",", [](std::string* out, v1::HistoryKind k) {
           out->append(v1::HistoryKind_Name(k));
         });
  std::set<std::string> entry_ids;
  for (size_t i = 0; i < h.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("entry ", i, ": ", h[i].ShortDebugString()));
    EXPECT_EQ(h[i].kind(), want[i].kind);
    EXPECT_EQ(h[i].from_status(), want[i].from);
    EXPECT_EQ(h[i].to_status(), want[i].to);
    EXPECT_THAT(h[i].entry_id(), ::testing::StartsWith("hst_"));
    EXPECT_TRUE(entry_ids.insert(h[i].entry_id()).second);
    if (i > 0) EXPECT_GE(Us(h[i].time()), Us(h[i - 1].time()));
    EXPECT_EQ(h[i].actor(), "agent");
  }
  EXPECT_EQ(h[1].staff_id(), "S1001");
  EXPECT_EQ(h[1].owner_id(), "agent-7");
  EXPECT_EQ(h[1].team(), "售后一组");
  EXPECT_EQ(h[2].owner_id(), "agent-9");
  EXPECT_EQ(h[2].text(), "交接给二组");
  EXPECT_EQ(h[3].text(), "内部备注：先查物流");
  EXPECT_EQ(h[5].clock(), kFirst);
  EXPECT_EQ(h[12].clock(), kSolution);
  EXPECT_EQ(h[19].clock(), kClosure);
  EXPECT_EQ(h[8].text(), "电话未接");
  // The same entries page by page.
  const std::vector<v1::HistoryEntry> paged = History(id, kAuditor, 3);
  ASSERT_EQ(paged.size(), h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(paged[i].entry_id(), h[i].entry_id());
  }
}

TEST_F(ComplaintsTest, IllegalTransitionsNameTheCurrentAndRequestedState) {
  using S = v1::ComplaintStatus;
  const S kNew = v1::COMPLAINT_STATUS_NEW;
  const S kAck = v1::COMPLAINT_STATUS_ACKNOWLEDGED;
  const S kIn = v1::COMPLAINT_STATUS_IN_PROGRESS;
  const S kWait = v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER;
  const S kSp = v1::COMPLAINT_STATUS_SOLUTION_PROPOSED;
  const S kRes = v1::COMPLAINT_STATUS_RESOLVED;
  const S kClosed = v1::COMPLAINT_STATUS_CLOSED;
  const S kReopened = v1::COMPLAINT_STATUS_REOPENED;

  // One complaint in each state.
  v1::Complaint fresh = CreateOk();
  v1::Complaint ack = Assign(CreateOk()).complaint;
  v1::Complaint in = Respond(Assign(CreateOk()).complaint, "您好").complaint;
  v1::Complaint wait =
      Respond(Assign(CreateOk()).complaint, "请回电", true).complaint;
  v1::Complaint proposed =
      Propose(Respond(Assign(CreateOk()).complaint, "您好").complaint)
          .complaint;
  v1::Complaint resolved = ToResolved(CreateOk());
  v1::Complaint closed =
      Close(ToResolved(CreateOk()), v1::CONFIRMATION_SATISFIED, 5).complaint;
  v1::Complaint reopened =
      Reopen(Close(ToResolved(CreateOk()), v1::CONFIRMATION_UNSATISFIED, 1)
                 .complaint)
          .complaint;
  ASSERT_EQ(fresh.status(), kNew);
  ASSERT_EQ(ack.status(), kAck);
  ASSERT_EQ(in.status(), kIn);
  ASSERT_EQ(wait.status(), kWait);
  ASSERT_EQ(proposed.status(), kSp);
  ASSERT_EQ(resolved.status(), kRes);
  ASSERT_EQ(closed.status(), kClosed);
  ASSERT_EQ(reopened.status(), kReopened);

  struct Case {
    std::string name;
    const v1::Complaint* c;
    std::function<Result(const v1::Complaint&)> call;
    S requested;
  };
  auto respond = [&](const v1::Complaint& c) { return Respond(c, "您好"); };
  auto propose = [&](const v1::Complaint& c) { return Propose(c); };
  auto resolve = [&](const v1::Complaint& c) { return Resolve(c); };
  auto close = [&](const v1::Complaint& c) {
    return Close(c, v1::CONFIRMATION_SATISFIED, 5);
  };
  auto reopen = [&](const v1::Complaint& c) { return Reopen(c); };
  const std::vector<Case> cases = {
      {"respond to a NEW one", &fresh, respond, kIn},
      {"propose on NEW", &fresh, propose, kSp},
      {"resolve NEW", &fresh, resolve, kRes},
      {"close NEW", &fresh, close, kClosed},
      {"reopen NEW", &fresh, reopen, kReopened},
      {"propose on ACKNOWLEDGED", &ack, propose, kSp},
      {"resolve ACKNOWLEDGED", &ack, resolve, kRes},
      {"resolve IN_PROGRESS", &in, resolve, kRes},
      {"close IN_PROGRESS", &in, close, kClosed},
      {"propose while WAITING", &wait, propose, kSp},
      {"close while WAITING", &wait, close, kClosed},
      {"propose twice", &proposed, propose, kSp},
      {"close SOLUTION_PROPOSED", &proposed, close, kClosed},
      {"reopen RESOLVED", &resolved, reopen, kReopened},
      {"propose on RESOLVED", &resolved, propose, kSp},
      {"reopen a satisfied close", &closed, reopen, kReopened},
      {"respond to CLOSED", &closed, respond, kIn},
      {"close CLOSED", &closed, close, kClosed},
      {"resolve REOPENED", &reopened, resolve, kRes},
      {"propose on REOPENED before answering", &reopened, propose, kSp},
      {"reopen REOPENED", &reopened, reopen, kReopened},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const v1::Complaint before = GetOk(k.c->complaint_id());
    const size_t entries = History(k.c->complaint_id()).size();
    Result r = k.call(before);
    ExpectIllegal(r.status, before.status(), k.requested);
    // Nothing changed.
    const v1::Complaint after = GetOk(k.c->complaint_id());
    EXPECT_EQ(after.etag(), before.etag());
    EXPECT_EQ(after.status(), before.status());
    EXPECT_EQ(History(k.c->complaint_id()).size(), entries);
  }
  // Changes that keep the status are refused on a closed complaint too.
  for (const auto& [name, call] : std::vector<
           std::pair<std::string, std::function<Result(const v1::Complaint&)>>>{
           {"assign", [&](const v1::Complaint& c) { return Assign(c); }},
           {"note", [&](const v1::Complaint& c) { return Note(c, "x"); }},
           {"contact",
            [&](const v1::Complaint& c) {
              return Contact(c, v1::CONTACT_OUTCOME_FAILED);
            }},
           {"escalate", [&](const v1::Complaint& c) { return Escalate(c); }},
       }) {
    SCOPED_TRACE(name);
    Result r = call(GetOk(closed.complaint_id()));
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    ErrorDetails d = DetailsOf(r.status);
    EXPECT_EQ(d.reason, "ILLEGAL_TRANSITION");
    EXPECT_EQ(d.metadata["current_status"], "COMPLAINT_STATUS_CLOSED");
    EXPECT_THAT(r.status.error_message(), HasSubstr("CLOSED"));
  }
}

TEST_F(ComplaintsTest, StaleEtagIsRefusedByEveryChange) {
  const v1::Complaint stale = CreateOk();
  Result r = Assign(stale);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  const v1::Complaint current = r.complaint;
  ASSERT_NE(current.etag(), stale.etag());
  const size_t entries = History(stale.complaint_id()).size();
  const std::vector<std::pair<std::string, Result>> answers = {
      {"assign", Assign(stale, "agent-9")},
      {"respond", Respond(stale, "您好")},
      {"note", Note(stale, "备注")},
      {"contact", Contact(stale, v1::CONTACT_OUTCOME_FAILED)},
      {"propose", Propose(stale)},
      {"resolve", Resolve(stale)},
      {"close", Close(stale, v1::CONFIRMATION_SATISFIED)},
      {"reopen", Reopen(stale)},
      {"escalate", Escalate(stale)},
  };
  for (const auto& [name, answer] : answers) {
    SCOPED_TRACE(name);
    EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << Describe(answer.status);
    ErrorDetails d = DetailsOf(answer.status);
    EXPECT_EQ(d.reason, "ETAG_MISMATCH");
    EXPECT_EQ(d.metadata["current_etag"], current.etag());
    EXPECT_THAT(answer.status.error_message(), HasSubstr("etag"));
  }
  const v1::Complaint after = GetOk(stale.complaint_id());
  EXPECT_EQ(after.etag(), current.etag());
  EXPECT_EQ(after.owner_id(), current.owner_id());
  EXPECT_EQ(after.escalation_level(), 0);
  EXPECT_EQ(History(stale.complaint_id()).size(), entries);
  // The current etag works.
  EXPECT_TRUE(Respond(after, "您好").ok());

  // The SLA policy has an etag too.
  const v1::SlaPolicy v1_policy = GetPolicy();
  EXPECT_EQ(v1_policy.etag(), "v1");
  ASSERT_TRUE(UpdatePolicy(v1_policy).ok());
  v1::SlaPolicy out;
  grpc::Status s = UpdatePolicy(v1_policy, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "ETAG_MISMATCH");
  EXPECT_EQ(DetailsOf(s).metadata["current_etag"], "v2");
}

// ---- Reopen and close
// ----------------------------------------------------------

TEST_F(ComplaintsTest, ReopenAfterAnUnsatisfiedCloseRestartsTheClocks) {
  const v1::Complaint c = CreateOk();
  const std::string id = c.complaint_id();
  AdvanceTo(t0_ + 30 * kHour);  // first response breached
  const v1::Complaint resolved = ToResolved(GetOk(id));
  AdvanceTo(t0_ + 40 * kHour);
  Result r = Close(resolved, v1::CONFIRMATION_UNSATISFIED, 2, "仍未收到货");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.confirmation(), v1::CONFIRMATION_UNSATISFIED);
  AdvanceTo(t0_ + 50 * kHour);
  r = Reopen(r.complaint, "客户仍未收到货");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  const v1::Complaint& re = r.complaint;
  EXPECT_EQ(re.status(), v1::COMPLAINT_STATUS_REOPENED);
  EXPECT_EQ(re.reopen_count(), 1);
  EXPECT_EQ(re.sla_policy_version(), 1);
  const int64_t targets[] = {24 * kHour, 72 * kHour, 168 * kHour};
  for (int i = 0; i < 3; ++i) {
    const v1::SlaClock& k = re.clocks(i);
    SCOPED_TRACE(k.ShortDebugString());
    EXPECT_EQ(k.state(), v1::CLOCK_STATE_RUNNING);
    EXPECT_EQ(Us(k.due_time()), t0_ + 50 * kHour + targets[i]);
    EXPECT_EQ(Us(k.remaining()), targets[i]);
    EXPECT_EQ(Us(k.paused()), 0);
    EXPECT_FALSE(k.has_stop_time());
    EXPECT_FALSE(k.near_breach());
  }
  EXPECT_EQ(Us(re.next_due_time()), t0_ + 74 * kHour);
  {
    const v1::HistoryEntry e = History(id).back();
    EXPECT_EQ(e.kind(), v1::HISTORY_KIND_REOPENED);
    EXPECT_EQ(e.from_status(), v1::COMPLAINT_STATUS_CLOSED);
    EXPECT_EQ(e.to_status(), v1::COMPLAINT_STATUS_REOPENED);
    EXPECT_EQ(e.text(), "客户仍未收到货");
  }
  EXPECT_EQ(Events(id).back(), "REOPENED");
  // The restarted clocks escalate again.
  AdvanceTo(t0_ + 50 * kHour + 20 * kHour);
  Sweep();
  EXPECT_TRUE(ClockOf(GetOk(id), kFirst).near_breach());

  // The second round: answered, solved, closed satisfied.
  r = Respond(GetOk(id), "重新为您安排发货");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
  EXPECT_EQ(ClockOf(r.complaint, kFirst).state(), v1::CLOCK_STATE_MET);
  const v1::Complaint again = ToResolved(r.complaint);
  r = Close(again, v1::CONFIRMATION_SATISFIED, 5);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.reopen_count(), 1);
  EXPECT_EQ(r.complaint.satisfaction_score(), 5);
  // A satisfied close is final.
  Result refused = Reopen(r.complaint);
  ExpectIllegal(refused.status, v1::COMPLAINT_STATUS_CLOSED,
                v1::COMPLAINT_STATUS_REOPENED);
  EXPECT_EQ(GetOk(id).reopen_count(), 1);
}

TEST_F(ComplaintsTest, UnreachableCloseNeedsThePolicysFailedAttempts) {
  v1::Complaint c = ToResolved(CreateOk());
  for (int i = 0; i < 2; ++i) {
    Result r = Contact(c, v1::CONTACT_OUTCOME_FAILED, "无人接听");
    ASSERT_TRUE(r.ok()) << Describe(r.status);
    c = r.complaint;
  }
  EXPECT_EQ(c.failed_contact_attempts(), 2);
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RESOLVED);
  Result r = Close(c, v1::CONFIRMATION_UNREACHABLE);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(r.status);
  ErrorDetails d = DetailsOf(r.status);
  EXPECT_EQ(d.reason, "CONTACT_ATTEMPTS_NEEDED");
  EXPECT_EQ(d.metadata["failed_contact_attempts"], "2");
  EXPECT_EQ(d.metadata["required"], "3");
  EXPECT_EQ(GetOk(c.complaint_id()).etag(), c.etag());
  // No score from a customer nobody reached.
  r = Close(c, v1::CONFIRMATION_UNREACHABLE, 3);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(r.status).fields,
              ::testing::Contains("satisfaction_score"));
  // The third failed attempt allows it.
  r = Contact(c, v1::CONTACT_OUTCOME_FAILED, "关机");
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  r = Close(r.complaint, v1::CONFIRMATION_UNREACHABLE);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(r.complaint.confirmation(), v1::CONFIRMATION_UNREACHABLE);
  EXPECT_EQ(r.complaint.satisfaction_score(), 0);
  EXPECT_EQ(r.complaint.failed_contact_attempts(), 3);
  // Not reopened: the customer did not say they were unsatisfied.
  ExpectIllegal(Reopen(r.complaint).status, v1::COMPLAINT_STATUS_CLOSED,
                v1::COMPLAINT_STATUS_REOPENED);
  // A close needs the customer's answer, and a score of 1 to 5.
  v1::Complaint other = ToResolved(CreateOk());
  r = Close(other, v1::CONFIRMATION_UNSPECIFIED);
  EXPECT_THAT(DetailsOf(r.status).fields, ::testing::Contains("confirmation"));
  r = Close(other, v1::CONFIRMATION_SATISFIED, 6);
  EXPECT_THAT(DetailsOf(r.status).fields,
              ::testing::Contains("satisfaction_score"));
}

// ---- Branch isolation
// ------------------------------------------------------------

TEST_F(ComplaintsTest, ABranchSeesAndChangesOnlyItsOwnComplaints) {
  // A B002 member complains in both branches.
  const std::string customer = CreateCustomer("B002");
  Result r2 = Create(NewComplaint(customer, ""), kBranch2);
  ASSERT_TRUE(r2.ok()) << Describe(r2.status);
  EXPECT_EQ(r2.complaint.branch_id(), "B002");
  Result r1 = Create(NewComplaint(customer, ""), kBranch1);
  ASSERT_TRUE(r1.ok()) << Describe(r1.status);
  EXPECT_EQ(r1.complaint.branch_id(), "B001");
  const v1::Complaint theirs = r2.complaint;
  const v1::Complaint mine = r1.complaint;
  const size_t their_entries = History(theirs.complaint_id()).size();

  // Another branch's complaint is NOT_FOUND, exactly like a missing one.
  const std::string missing = "cmp_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  Result got = Get(theirs.complaint_id(), kBranch1);
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::NOT_FOUND);
  Result none = Get(missing, kBranch1);
  EXPECT_EQ(none.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(got.status).reason, DetailsOf(none.status).reason);
  EXPECT_EQ(got.status.error_message(),
            absl::StrReplaceAll(none.status.error_message(),
                                {{missing, theirs.complaint_id()}}));
  EXPECT_EQ(
      Get(theirs.complaint_id(), kBranch1, /*reveal=*/true).status.error_code(),
      grpc::StatusCode::NOT_FOUND);
  {
    v1::ListComplaintHistoryRequest req;
    req.set_complaint_id(theirs.complaint_id());
    v1::ListComplaintHistoryResponse resp;
    EXPECT_EQ(
        Rpc(&Stub::ListComplaintHistory, kBranch1, req, &resp).error_code(),
        grpc::StatusCode::NOT_FOUND);
  }
  // Every change, with the right etag, a stale one, or one that would be an
  // illegal transition: NOT_FOUND, never a hint that it exists.
  v1::Complaint stale = theirs;
  stale.set_etag("r999");
  for (const v1::Complaint* c :
       std::vector<const v1::Complaint*>{&theirs, &stale}) {
    const std::vector<std::pair<std::string, Result>> answers = {
        {"assign", Assign(*c, "agent-7", "t", "", kBranch1)},
        {"respond", Respond(*c, "您好", false, kBranch1)},
        {"respond and wait", Respond(*c, "您好", true, kBranch1)},
        {"note", Note(*c, "备注", kBranch1)},
        {"contact", Contact(*c, v1::CONTACT_OUTCOME_FAILED, "", kBranch1)},
        {"propose", Propose(*c, "致歉", v1::REMEDY_APOLOGY, "", kBranch1)},
        {"resolve", Resolve(*c, "", kBranch1)},
        {"close", Close(*c, v1::CONFIRMATION_SATISFIED, 5, "", kBranch1)},
        {"reopen", Reopen(*c, "再开", kBranch1)},
        {"escalate", Escalate(*c, "升级", kBranch1)},
    };
    for (const auto& [name, answer] : answers) {
      SCOPED_TRACE(absl::StrCat(name, " with etag ", c->etag()));
      EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::NOT_FOUND)
          << Describe(answer.status);
      EXPECT_THAT(answer.status.error_message(),
                  ::testing::Not(HasSubstr("etag")));
    }
  }
  const v1::Complaint after = GetOk(theirs.complaint_id());
  EXPECT_EQ(after.etag(), theirs.etag());
  EXPECT_EQ(after.status(), v1::COMPLAINT_STATUS_NEW);
  EXPECT_EQ(History(theirs.complaint_id()).size(), their_entries);

  // Lists are scoped, whatever the filter asks.
  v1::ListComplaintsRequest all;
  EXPECT_THAT(Ids(List(all, kBranch1)), ElementsAre(mine.complaint_id()));
  EXPECT_THAT(Ids(List(all, kBranch2)), ElementsAre(theirs.complaint_id()));
  EXPECT_EQ(List(all, kAgent).size(), 2u);
  EXPECT_EQ(List(all, kAuditor).size(), 2u);
  v1::ListComplaintsRequest other_branch;
  other_branch.set_branch_id("B002");
  EXPECT_THAT(Ids(List(other_branch, kBranch1)), IsEmpty());
  v1::ListComplaintsRequest by_due;
  by_due.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
  EXPECT_THAT(Ids(List(by_due, kBranch1)), ElementsAre(mine.complaint_id()));

  // Statistics are scoped; naming another branch is refused.
  v1::GetComplaintStatsRequest stats;
  *stats.mutable_start_time() = Ts(t0_ - kDay);
  *stats.mutable_end_time() = Ts(t0_ + kDay);
  v1::GetComplaintStatsResponse st;
  ASSERT_TRUE(Rpc(&Stub::GetComplaintStats, kBranch1, stats, &st).ok());
  EXPECT_EQ(st.stats().total(), 1);
  EXPECT_EQ(st.stats().branch_id(), "B001");
  ASSERT_TRUE(Rpc(&Stub::GetComplaintStats, kAgent, stats, &st).ok());
  EXPECT_EQ(st.stats().total(), 2);
  stats.set_branch_id("B002");
  EXPECT_EQ(Rpc(&Stub::GetComplaintStats, kBranch1, stats, &st).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  stats.set_branch_id("B001");
  ASSERT_TRUE(Rpc(&Stub::GetComplaintStats, kBranch1, stats, &st).ok());
  EXPECT_EQ(st.stats().total(), 1);

  // A branch records complaints for itself only, and sets only its own
  // calendar; the policy is the admin's.
  Result wrong = Create(NewComplaint(customer, "B002"), kBranch1);
  EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SetCalendar(OfficeHours("B002"), kBranch1).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(SetCalendar(OfficeHours("B001"), kBranch1).ok());
  EXPECT_EQ(UpdatePolicy(GetPolicy(kBranch1), nullptr, kBranch1).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(UpdatePolicy(GetPolicy(), nullptr, kAgent).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The auditor reads everything and changes nothing.
  EXPECT_TRUE(Get(theirs.complaint_id(), kAuditor).ok());
  EXPECT_EQ(
      Create(NewComplaint(customer, "B001"), kAuditor).status.error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Assign(theirs, "a", "t", "", kAuditor).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Escalate(theirs, "x", kAuditor).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SetCalendar(OfficeHours("B001"), kAuditor).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A service token may call only what it lists.
  EXPECT_EQ(Get(theirs.complaint_id(), kCrm).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The agent works both branches.
  EXPECT_TRUE(Assign(theirs).ok());
  EXPECT_TRUE(Assign(mine).ok());
}

// ---- Personal data
// ---------------------------------------------------------------

TEST_F(ComplaintsTest, NameAndPhoneAreMaskedAsInTheCustomerService) {
  const std::string customer = CreateCustomer("B001", "王小明", "13912345678");
  Result created = Create(NewComplaint(customer, "B001"), kAdmin);
  ASSERT_TRUE(created.ok()) << Describe(created.status);
  const std::string id = created.complaint.complaint_id();
  // Admin and the customer's own branch see them.
  EXPECT_EQ(created.complaint.customer_name(), "王小明");
  EXPECT_EQ(created.complaint.customer_phone(), "13912345678");
  v1::Complaint b = Get(id, kBranch1).complaint;
  EXPECT_EQ(b.customer_name(), "王小明");
  EXPECT_EQ(b.customer_phone(), "13912345678");

  // Agent and auditor: as the customer service shows them the customer.
  for (const char* token : {kAgent, kAuditor}) {
    SCOPED_TRACE(token);
    const cv1::Customer as_customer = GetCustomer(customer, token);
    const v1::Complaint c = GetOk(id, token);
    EXPECT_EQ(c.customer_phone(), as_customer.phone());
    EXPECT_EQ(c.customer_name(), as_customer.display_name());
    EXPECT_NE(c.customer_phone(), "13912345678");
    v1::ListComplaintsRequest list;
    const std::vector<v1::Complaint> listed = List(list, token);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].customer_phone(), as_customer.phone());
    EXPECT_EQ(listed[0].customer_name(), as_customer.display_name());
  }
  // The agent's answers to changes are masked the same way.
  Result assigned = Assign(GetOk(id));
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(assigned.complaint.customer_phone(),
            GetCustomer(customer, kAgent).phone());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'"),
            0);

  // An agent may ask to see them; each such answer is audited first.
  Result revealed = Get(id, kAgent, /*reveal=*/true);
  ASSERT_TRUE(revealed.ok()) << Describe(revealed.status);
  EXPECT_EQ(revealed.complaint.customer_name(), "王小明");
  EXPECT_EQ(revealed.complaint.customer_phone(), "13912345678");
  EXPECT_EQ(server_->QueryScalar(
                "SELECT principal_id || ' ' || resource FROM audit_log WHERE "
                "outcome = 'REVEAL' ORDER BY audit_id DESC LIMIT 1"),
            absl::StrCat("agent complaints/", id));
  v1::ListComplaintsRequest list;
  list.set_reveal_pii(true);
  const std::vector<v1::Complaint> listed = List(list, kAgent);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].customer_phone(), "13912345678");
  EXPECT_EQ(server_->QueryScalar(
                "SELECT detail FROM audit_log WHERE outcome = 'REVEAL' ORDER "
                "BY audit_id DESC LIMIT 1"),
            absl::StrCat("shown: complaints/", id));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'"),
            2);
  // The auditor may not.
  EXPECT_EQ(Get(id, kAuditor, true).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListComplaintsResponse resp;
  EXPECT_EQ(Rpc(&Stub::ListComplaints, kAuditor, list, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// The customer service shows a branch in full only its own customers; a
// complaint made at B002 by a B001 member must not show B002 more.
TEST_F(ComplaintsTest, ABranchSeesAnotherBranchsMemberMaskedInAComplaint) {
  const std::string customer = CreateCustomer("B001", "王小明", "13912345678");
  Result created = Create(NewComplaint(customer, ""), kBranch2);
  ASSERT_TRUE(created.ok()) << Describe(created.status);
  EXPECT_EQ(created.complaint.branch_id(), "B002");
  const v1::Complaint c =
      Get(created.complaint.complaint_id(), kBranch2).complaint;
  EXPECT_NE(c.customer_phone(), "13912345678")
      << "B002 sees the phone of B001's member in full";
  EXPECT_NE(created.complaint.customer_phone(), "13912345678");
}

// ---- SLA policy
// ----------------------------------------------------------------

TEST_F(ComplaintsTest, PolicyUpdateAppliesToNewComplaintsOnly) {
  const v1::Complaint before = CreateOk("B001", v1::COMPLAINT_SEVERITY_SEVERE);
  v1::SlaPolicy policy = GetPolicy(kAuditor);
  EXPECT_EQ(policy.version(), 1);
  EXPECT_EQ(policy.near_breach_percent(), 80);
  EXPECT_EQ(policy.unreachable_attempts(), 3);
  ASSERT_EQ(policy.targets_size(), 3);
  for (v1::SeverityTargets& t : *policy.mutable_targets()) {
    EXPECT_EQ(Us(t.first_response().duration()), 24 * kHour);
    EXPECT_EQ(Us(t.solution().duration()), 72 * kHour);
    EXPECT_EQ(Us(t.closure().duration()), 168 * kHour);
    if (t.severity() == v1::COMPLAINT_SEVERITY_SEVERE) {
      SetTarget(t.mutable_first_response(), 2 * kHour, false);
    }
  }
  policy.set_near_breach_percent(50);
  policy.set_unreachable_attempts(1);
  v1::SlaPolicy updated;
  grpc::Status s = UpdatePolicy(policy, &updated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(updated.version(), 2);
  EXPECT_EQ(updated.etag(), "v2");
  EXPECT_EQ(GetPolicy().version(), 2);

  Advance(kMinute);
  const v1::Complaint after = CreateOk("B001", v1::COMPLAINT_SEVERITY_SEVERE);
  const v1::Complaint moderate = CreateOk("B001");
  EXPECT_EQ(after.sla_policy_version(), 2);
  EXPECT_EQ(Us(ClockOf(after, kFirst).target()), 2 * kHour);
  EXPECT_EQ(Us(ClockOf(after, kFirst).due_time()), t0_ + kMinute + 2 * kHour);
  EXPECT_EQ(Us(ClockOf(moderate, kFirst).target()), 24 * kHour);
  // The open one keeps its version and due times, even across a restart.
  server_->Restart();
  ConnectStubs();
  const v1::Complaint kept = GetOk(before.complaint_id());
  EXPECT_EQ(kept.sla_policy_version(), 1);
  EXPECT_EQ(Us(ClockOf(kept, kFirst).target()), 24 * kHour);
  EXPECT_EQ(Us(ClockOf(kept, kFirst).due_time()), t0_ + 24 * kHour);

  // Near breach at 50% for the new one only.
  AdvanceTo(t0_ + kMinute + kHour);
  Sweep();
  EXPECT_EQ(GetOk(after.complaint_id()).escalation_level(), 1);
  EXPECT_EQ(GetOk(before.complaint_id()).escalation_level(), 0);
  // ... and by 80% of 24 h for the old one.
  AdvanceTo(t0_ + 13 * kHour);
  Sweep();
  EXPECT_EQ(GetOk(before.complaint_id()).escalation_level(), 0);
  AdvanceTo(t0_ + 20 * kHour);
  Sweep();
  EXPECT_EQ(GetOk(before.complaint_id()).escalation_level(), 1);

  // One failed attempt is enough for the new one, not for the old one.
  v1::Complaint old_resolved = ToResolved(GetOk(before.complaint_id()));
  v1::Complaint new_resolved = ToResolved(GetOk(after.complaint_id()));
  old_resolved = Contact(old_resolved, v1::CONTACT_OUTCOME_FAILED).complaint;
  new_resolved = Contact(new_resolved, v1::CONTACT_OUTCOME_FAILED).complaint;
  EXPECT_EQ(DetailsOf(Close(old_resolved, v1::CONFIRMATION_UNREACHABLE).status)
                .reason,
            "CONTACT_ATTEMPTS_NEEDED");
  EXPECT_TRUE(Close(new_resolved, v1::CONFIRMATION_UNREACHABLE).ok());

  // A policy must name every severity once.
  v1::SlaPolicy partial = GetPolicy();
  partial.mutable_targets()->RemoveLast();
  s = UpdatePolicy(partial);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ::testing::Contains("policy.targets"));
  EXPECT_EQ(GetPolicy().version(), 2);
}

// ---- Orders and returns
// -----------------------------------------------------------

class ComplaintsOrdersTest : public ComplaintsTest {
 protected:
  std::string CreateOrder(const std::string& customer,
                          const std::string& branch = "B001") {
    ov1::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    ov1::Order* o = req.mutable_order();
    o->set_customer_id(customer);
    o->set_branch_id(branch);
    o->set_channel(ov1::ORDER_CHANNEL_STORE);
    ov1::OrderItem* item = o->add_items();
    item->set_sku("SHIRT-M");
    item->set_name("衬衫");
    item->set_quantity(2);
    item->mutable_unit_price()->set_minor_units(12'900);
    ov1::CreateOrderResponse resp;
    grpc::Status s = testing::Call(*orders_, &OrderService::Stub::CreateOrder,
                                   kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.order().order_id();
  }

  // A paid and completed order of `customer` and a requested return of one
  // of its shirts.
  std::pair<std::string, std::string> OrderWithReturn(
      const std::string& customer) {
    const std::string order = CreateOrder(customer);
    ov1::PayOrderRequest pay;
    pay.set_request_id(NewRequestId());
    pay.set_order_id(order);
    pay.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
    pay.mutable_payment()->mutable_amount()->set_minor_units(25'800);
    pay.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
    ov1::PayOrderResponse paid;
    grpc::Status s = testing::Call(*orders_, &OrderService::Stub::PayOrder,
                                   kAdmin, pay, &paid);
    EXPECT_TRUE(s.ok()) << Describe(s);
    ov1::CompleteOrderRequest complete;
    complete.set_request_id(NewRequestId());
    complete.set_order_id(order);
    ov1::CompleteOrderResponse completed;
    s = testing::Call(*orders_, &OrderService::Stub::CompleteOrder, kAdmin,
                      complete, &completed);
    EXPECT_TRUE(s.ok()) << Describe(s);
    ov1::RequestReturnRequest ask;
    ask.set_request_id(NewRequestId());
    ask.set_order_id(order);
    ask.set_type(ov1::RETURN_TYPE_RETURN);
    ov1::ReturnLine* l = ask.add_lines();
    l->set_sku("SHIRT-M");
    l->set_quantity(1);
    l->set_reason(ov1::RETURN_REASON_QUALITY_DEFECT);
    ov1::RequestReturnResponse asked;
    s = testing::Call(*orders_, &OrderService::Stub::RequestReturn, kAdmin, ask,
                      &asked);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {order, asked.order_return().return_id()};
  }
};

TEST_F(ComplaintsOrdersTest, TheOrderMustBeTheCustomers) {
  const std::string alice = CreateCustomer("B001");
  const std::string bob = CreateCustomer("B001");
  const std::string order = CreateOrder(alice);
  const std::string walk_in = CreateOrder("");
  const std::string elsewhere = CreateOrder(alice, "B002");

  v1::CreateComplaintRequest req = NewComplaint(alice, "B001");
  req.mutable_complaint()->set_order_id(order);
  Result r = Create(req);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.order_id(), order);
  // An order bought in another branch may be complained about here.
  req.mutable_complaint()->set_order_id(elsewhere);
  EXPECT_TRUE(Create(req).ok());

  req = NewComplaint(bob, "B001");
  req.mutable_complaint()->set_order_id(order);
  r = Create(req);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(r.status);
  EXPECT_EQ(DetailsOf(r.status).reason, "ORDER_OF_ANOTHER_CUSTOMER");
  EXPECT_THAT(r.status.error_message(), HasSubstr("complaint.order_id"));

  req.mutable_complaint()->set_order_id(walk_in);
  r = Create(req);
  EXPECT_EQ(DetailsOf(r.status).reason, "ORDER_OF_ANOTHER_CUSTOMER")
      << Describe(r.status);

  req.mutable_complaint()->set_order_id("ord_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  r = Create(req);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(r.status);

  r = Create(NewComplaint("cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", "B001"));
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(r.status);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 2);
}

TEST_F(ComplaintsOrdersTest, ASolutionMayLinkAReturnOfTheComplaintsOrder) {
  const std::string alice = CreateCustomer("B001");
  const auto [order, return_id] = OrderWithReturn(alice);
  const auto [other_order, other_return] = OrderWithReturn(alice);
  v1::CreateComplaintRequest req =
      NewComplaint(alice, "B001", v1::COMPLAINT_SEVERITY_MODERATE,
                   v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY);
  req.mutable_complaint()->set_order_id(order);
  Result r = Create(req);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  v1::Complaint c = Respond(Assign(r.complaint).complaint, "您好").complaint;
  ASSERT_EQ(c.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);

  // A return of another order (the customer's own) is not this one's.
  r = Propose(c, "退货退款", v1::REMEDY_RETURN, other_return);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(r.status);
  EXPECT_THAT(r.status.error_message(), HasSubstr("solution.return_id"));
  r = Propose(c, "退货退款", v1::REMEDY_RETURN,
              "ret_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetOk(c.complaint_id()).etag(), c.etag());

  r = Propose(c, "退货退款", v1::REMEDY_RETURN, return_id);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.solution().return_id(), return_id);
  EXPECT_EQ(r.complaint.solution().remedy(), v1::REMEDY_RETURN);
  EXPECT_EQ(r.complaint.status(), v1::COMPLAINT_STATUS_SOLUTION_PROPOSED);

  // A complaint about no order cannot link a return.
  v1::Complaint no_order =
      Respond(Assign(Create(NewComplaint(alice, "B001")).complaint).complaint,
              "您好")
          .complaint;
  r = Propose(no_order, "退货退款", v1::REMEDY_RETURN, return_id);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(r.status).reason, "NO_ORDER");
}

// ---- Erasure and export
// ------------------------------------------------------------

TEST_F(ComplaintsTest, ErasureEmptiesTheFreeTextAndKeepsTheFacts) {
  // Markers in every piece of free text, to look for afterwards.
  const std::vector<std::string> markers = {
      "SUBJMARK", "DESCMARK", "RESPMARK", "NOTEMARK", "CONTMARK", "SOLUMARK",
      "RESOMARK", "CLOSMARK", "REOPMARK", "ESCAMARK", "ASSIMARK"};
  const std::string customer = CreateCustomer("B001", "赵六", "13811112222");
  const std::string bystander = CreateCustomer("B001", "钱七", "13811113333");
  v1::CreateComplaintRequest req = NewComplaint(customer, "B001");
  req.set_request_id("erase-create-0001");
  req.mutable_complaint()->set_subject("物流太慢 SUBJMARK");
  req.mutable_complaint()->set_description("快递太慢了，客服态度差 DESCMARK");
  Result r = Create(req);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  const v1::Complaint created = r.complaint;
  const std::string id = created.complaint_id();
  v1::Complaint c = created;
  c = Assign(c, "agent-7", "售后", "ASSIMARK").complaint;
  c = Respond(c, "您好 RESPMARK").complaint;
  c = Note(c, "内部 NOTEMARK").complaint;
  c = Contact(c, v1::CONTACT_OUTCOME_FAILED, "CONTMARK").complaint;
  c = Propose(c, "补偿 SOLUMARK").complaint;
  c = Resolve(c, "RESOMARK").complaint;
  c = Close(c, v1::CONFIRMATION_UNSATISFIED, 2, "CLOSMARK").complaint;
  c = Reopen(c, "REOPMARK").complaint;
  c = Escalate(c, "ESCAMARK").complaint;
  ASSERT_EQ(c.escalation_level(), 1);
  v1::CreateComplaintRequest other_req = NewComplaint(bystander, "B001");
  other_req.mutable_complaint()->set_subject("别人的投诉 KEEPMARK");
  const v1::Complaint other = Create(other_req).complaint;

  const bool pg = server_->on_postgres();
  auto stored_with = [&](const std::string& marker) {
    return Count(
        absl::StrCat("SELECT (SELECT COUNT(*) FROM complaints WHERE ",
                     HoldsText(pg, "subject", marker), " OR ",
                     HoldsText(pg, "description", marker), " OR ",
                     HoldsBytes(pg, "solution", marker),
                     ") + (SELECT COUNT(*) FROM complaint_history WHERE ",
                     HoldsText(pg, "text", marker),
                     ") + (SELECT COUNT(*) FROM idempotency_keys WHERE ",
                     HoldsBytes(pg, "response", marker), " OR ",
                     HoldsBytes(pg, "status", marker),
                     ") + (SELECT COUNT(*) FROM audit_log WHERE ",
                     HoldsText(pg, "detail", marker), ")"));
  };
  EXPECT_GT(stored_with("SUBJMARK"), 0);
  EXPECT_GT(stored_with("SOLUMARK"), 0);

  // The export holds the complaint and its history, text and all.
  cv1::ExportCustomerDataRequest ex;
  ex.set_customer_id(customer);
  cv1::ExportCustomerDataResponse exported;
  grpc::Status s =
      testing::Call(*customers_, &CustomerService::Stub::ExportCustomerData,
                    kAdmin, ex, &exported);
  ASSERT_TRUE(s.ok()) << Describe(s);
  int complaints = 0, entries = 0;
  for (const google::protobuf::Any& any : exported.records()) {
    v1::Complaint ec;
    v1::HistoryEntry eh;
    if (any.UnpackTo(&ec)) {
      ++complaints;
      EXPECT_EQ(ec.complaint_id(), id);
      EXPECT_EQ(ec.subject(), "物流太慢 SUBJMARK");
      EXPECT_EQ(ec.customer_phone(), "13811112222");
    } else if (any.UnpackTo(&eh)) {
      ++entries;
    }
  }
  EXPECT_EQ(complaints, 1);
  EXPECT_EQ(static_cast<size_t>(entries), History(id).size());

  const v1::Complaint before = GetOk(id);
  Advance(kHour);
  cv1::EraseCustomerRequest erase;
  erase.set_request_id(NewRequestId());
  erase.set_customer_id(customer);
  erase.set_reason("客户申请删除 ticket-9");
  cv1::EraseCustomerResponse erased;
  s = testing::Call(*customers_, &CustomerService::Stub::EraseCustomer, kAdmin,
                    erase, &erased);
  ASSERT_TRUE(s.ok()) << Describe(s);

  const v1::Complaint after = GetOk(id);
  EXPECT_TRUE(after.text_erased());
  EXPECT_EQ(after.subject(), "");
  EXPECT_EQ(after.description(), "");
  EXPECT_EQ(after.solution().description(), "");
  EXPECT_EQ(after.solution().remedy(), before.solution().remedy());
  // The facts stay, so the statistics stay true.
  EXPECT_EQ(after.category(), before.category());
  EXPECT_EQ(after.severity(), before.severity());
  EXPECT_EQ(after.channel(), before.channel());
  EXPECT_EQ(after.status(), before.status());
  EXPECT_EQ(after.escalation_level(), before.escalation_level());
  EXPECT_EQ(after.reopen_count(), 1);
  EXPECT_EQ(after.satisfaction_score(), before.satisfaction_score());
  EXPECT_EQ(absl::StrJoin(after.topics(), ","),
            absl::StrJoin(created.topics(), ","));
  EXPECT_EQ(absl::StrJoin(after.keywords(), ","),
            absl::StrJoin(created.keywords(), ","));
  EXPECT_FALSE(after.keywords().empty());
  ASSERT_EQ(after.clocks_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(after.clocks(i).state(), before.clocks(i).state());
    EXPECT_EQ(Us(after.clocks(i).due_time()), Us(before.clocks(i).due_time()));
    EXPECT_EQ(Us(after.clocks(i).target()), Us(before.clocks(i).target()));
  }
  EXPECT_EQ(Us(after.create_time()), Us(before.create_time()));
  EXPECT_EQ(Us(after.close_time()), Us(before.close_time()));
  EXPECT_NE(after.customer_phone(), "13811112222");

  const std::vector<v1::HistoryEntry> h = History(id);
  for (const v1::HistoryEntry& e : h) {
    EXPECT_EQ(e.text(), "") << e.ShortDebugString();
  }
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.back().kind(), v1::HISTORY_KIND_TEXT_ERASED);
  EXPECT_EQ(h.size(), History(id).size());
  EXPECT_EQ(Events(id).back(), "TEXT_ERASED");

  // No trace anywhere: rows, history, stored replies (and failures), audit.
  for (const std::string& marker : markers) {
    EXPECT_EQ(stored_with(marker), 0) << marker;
  }
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM idempotency_keys WHERE ",
                               HoldsBytes(pg, "response", "13811112222"))),
            0);
  // A retry of the create replays the scrubbed answer.
  r = Create(req);
  ASSERT_TRUE(r.ok()) << Describe(r.status);
  EXPECT_EQ(r.complaint.complaint_id(), id);
  EXPECT_EQ(r.complaint.subject(), "");
  EXPECT_EQ(r.complaint.description(), "");
  EXPECT_TRUE(r.complaint.text_erased());
  // The bystander's complaint is untouched.
  EXPECT_EQ(GetOk(other.complaint_id()).subject(), "别人的投诉 KEEPMARK");
  EXPECT_GT(stored_with("KEEPMARK"), 0);

  // The export still lists the complaint, without its text.
  s = testing::Call(*customers_, &CustomerService::Stub::ExportCustomerData,
                    kAdmin, ex, &exported);
  ASSERT_TRUE(s.ok()) << Describe(s);
  complaints = 0;
  for (const google::protobuf::Any& any : exported.records()) {
    for (const std::string& marker : markers) {
      EXPECT_FALSE(absl::StrContains(any.value(), marker)) << marker;
    }
    v1::Complaint ec;
    if (any.UnpackTo(&ec)) {
      ++complaints;
      EXPECT_TRUE(ec.text_erased());
    }
  }
  EXPECT_EQ(complaints, 1);

  // Still counted.
  v1::GetComplaintStatsRequest stats;
  *stats.mutable_start_time() = Ts(t0_);
  *stats.mutable_end_time() = Ts(Now() + 1);
  v1::GetComplaintStatsResponse st;
  ASSERT_TRUE(Rpc(&Stub::GetComplaintStats, kAdmin, stats, &st).ok());
  EXPECT_EQ(st.stats().total(), 2);
  EXPECT_EQ(st.stats().reopen_rate(), 1.0);
  // No new complaint for an erased customer.
  r = Create(NewComplaint(customer, "B001"));
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(r.status);
}

// ---- Retries
// ---------------------------------------------------------------------

TEST_F(ComplaintsTest, RetriesReplayTheFirstAnswer) {
  const std::string customer = CreateCustomer("B001");
  v1::CreateComplaintRequest req = NewComplaint(customer, "B001");
  req.set_request_id("retry-create-0001");
  Result first = Create(req);
  ASSERT_TRUE(first.ok()) << Describe(first.status);
  Advance(kMinute);
  Result again = Create(req);
  ASSERT_TRUE(again.ok()) << Describe(again.status);
  EXPECT_EQ(again.complaint.complaint_id(), first.complaint.complaint_id());
  EXPECT_EQ(again.complaint.etag(), first.complaint.etag());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'REPLAYED'"),
            1);
  // Another principal's request_id is its own.
  Result theirs = Create(req, kAdmin);
  ASSERT_TRUE(theirs.ok());
  EXPECT_NE(theirs.complaint.complaint_id(), first.complaint.complaint_id());
  // The same request_id for another request is refused.
  req.mutable_complaint()->set_subject("另一件事");
  Result reused = Create(req);
  EXPECT_EQ(reused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(reused.status).fields,
              ::testing::Contains("request_id"));

  // A change retried after later changes replays its own answer and does
  // nothing again.
  v1::AssignComplaintRequest assign;
  assign.set_request_id("retry-assign-0001");
  assign.set_complaint_id(first.complaint.complaint_id());
  assign.set_etag(first.complaint.etag());
  assign.set_owner_id("agent-7");
  assign.set_team("售后");
  v1::AssignComplaintResponse assigned, replayed;
  ASSERT_TRUE(Rpc(&Stub::AssignComplaint, kAgent, assign, &assigned).ok());
  Result responded = Respond(assigned.complaint(), "您好");
  ASSERT_TRUE(responded.ok());
  grpc::Status s = Rpc(&Stub::AssignComplaint, kAgent, assign, &replayed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(replayed.complaint().etag(), assigned.complaint().etag());
  EXPECT_EQ(replayed.complaint().status(), v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  EXPECT_EQ(GetOk(first.complaint.complaint_id()).status(),
            v1::COMPLAINT_STATUS_IN_PROGRESS);
  int assignments = 0;
  for (const v1::HistoryEntry& e : History(first.complaint.complaint_id())) {
    if (e.kind() == v1::HISTORY_KIND_ASSIGNED) ++assignments;
  }
  EXPECT_EQ(assignments, 1);

  // A business refusal is the request's answer too.
  v1::ResolveComplaintRequest resolve;
  resolve.set_request_id("retry-resolve-0001");
  resolve.set_complaint_id(first.complaint.complaint_id());
  resolve.set_etag(responded.complaint.etag());
  v1::ResolveComplaintResponse resolved;
  s = Rpc(&Stub::ResolveComplaint, kAgent, resolve, &resolved);
  EXPECT_EQ(DetailsOf(s).reason, "ILLEGAL_TRANSITION");
  s = Rpc(&Stub::ResolveComplaint, kAgent, resolve, &resolved);
  EXPECT_EQ(DetailsOf(s).reason, "ILLEGAL_TRANSITION");
}

// ---- Lists and the archive
// -----------------------------------------------------------

TEST_F(ComplaintsTest, ListFiltersOnEveryField) {
  const std::string customer = CreateCustomer("B001");
  Result a =
      Create(NewComplaint(customer, "B001", v1::COMPLAINT_SEVERITY_SEVERE,
                          v1::COMPLAINT_CATEGORY_PAYMENT));
  Advance(kMinute);
  Result b = Create(NewComplaint(customer, "B002", v1::COMPLAINT_SEVERITY_MINOR,
                                 v1::COMPLAINT_CATEGORY_PRICING));
  Advance(kMinute);
  Result c = Create(NewComplaint(customer, "B001"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const std::string ida = a.complaint.complaint_id();
  const std::string idb = b.complaint.complaint_id();
  const std::string idc = c.complaint.complaint_id();
  ASSERT_TRUE(Assign(b.complaint, "agent-9", "二组").ok());
  ASSERT_TRUE(
      Respond(Assign(c.complaint, "agent-7", "一组").complaint, "您好").ok());

  v1::ListComplaintsRequest q;
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida, idb, idc));  // oldest first
  q.set_branch_id("B001");
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida, idc));
  q.Clear();
  q.set_status(v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  EXPECT_THAT(Ids(List(q)), ElementsAre(idb));
  q.Clear();
  q.set_owner_id("agent-7");
  EXPECT_THAT(Ids(List(q)), ElementsAre(idc));
  q.Clear();
  q.set_category(v1::COMPLAINT_CATEGORY_PAYMENT);
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida));
  q.Clear();
  q.set_severity(v1::COMPLAINT_SEVERITY_MINOR);
  EXPECT_THAT(Ids(List(q)), ElementsAre(idb));
  // Due before: a's and b's first responses (t0 + 24 h, + 1 min) run; c's
  // next due is its solution (t0 + 2 min + 72 h).
  q.Clear();
  *q.mutable_due_before() = Ts(t0_ + 25 * kHour);
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida, idb));
  q.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
  *q.mutable_due_before() = Ts(t0_ + 100 * kHour);
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida, idb, idc));
  q.Clear();
  q.set_page_size(1);
  EXPECT_THAT(Ids(List(q)), ElementsAre(ida, idb, idc));
  // A page token is for the filters it came with.
  v1::ListComplaintsResponse page;
  ASSERT_TRUE(Rpc(&Stub::ListComplaints, kAgent, q, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  q.set_page_token(page.next_page_token());
  q.set_branch_id("B001");
  grpc::Status s = Rpc(&Stub::ListComplaints, kAgent, q, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ::testing::Contains("page_token"));
}

TEST_F(ComplaintsTest, ClosedComplaintsStayReadableForThreeYears) {
  const v1::Complaint c = ToResolved(CreateOk());
  ASSERT_TRUE(Close(c, v1::CONFIRMATION_SATISFIED, 5).ok());
  const int64_t closed_at = Now();
  for (int i = 0; i < 4; ++i) {
    Advance(275 * kDay);  // 1100 days in all
    Sweep();
  }
  ASSERT_GT(Now() - closed_at, 3 * 366 * kDay);
  const v1::Complaint got = GetOk(c.complaint_id());
  EXPECT_EQ(got.status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(got.subject(), c.subject());
  EXPECT_GT(History(c.complaint_id()).size(), 5u);
  v1::ListComplaintsRequest q;
  q.set_status(v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_THAT(Ids(List(q)), ElementsAre(c.complaint_id()));
  v1::GetComplaintStatsRequest stats;
  *stats.mutable_start_time() = Ts(t0_ - kDay);
  *stats.mutable_end_time() = Ts(t0_ + kDay);
  v1::GetComplaintStatsResponse st;
  ASSERT_TRUE(Rpc(&Stub::GetComplaintStats, kAuditor, stats, &st).ok());
  EXPECT_EQ(st.stats().total(), 1);
}

}  // namespace
}  // namespace retail::testing
