// Writes the seed corpus of fuzz_complaints: one valid (or deliberately
// near-valid) request per interesting path of each RPC, encoded as fuzz
// inputs (harness.h), aimed at the seeded complaints by their pool slots
// (complaints_rpc.h). The output is checked in under
// tests/fuzz/corpus/complaints/; regenerate it after changing
// complaints.proto or the input layout:
//
//   build-fuzz/bin/fuzz_complaints_seeds tests/fuzz/corpus/complaints
//
// Changes carry the etag "@" (the complaint's etag as of the call), so a
// seed gets past the etag check and into the transition rules.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "retail/complaints/v1/complaints.pb.h"
#include "tests/fuzz/complaints_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::complaints {
namespace {

namespace v1 = ::retail::complaints::v1;

constexpr int kNoSlot = -1;
constexpr bool kFresh = true;
constexpr bool kFixed = false;

struct Seed {
  std::string name;
  std::string bytes;
};

class Seeds {
 public:
  void Add(std::string name, Rpc rpc, Caller caller, bool fresh, int slot,
           const google::protobuf::Message& request) {
    seeds_.push_back(
        {std::move(name),
         EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString())});
  }
  void AddRaw(std::string name, Rpc rpc, Caller caller, std::string message) {
    seeds_.push_back(
        {std::move(name), EncodeInput(rpc, caller, kFixed, kNoSlot, message)});
  }
  void AddSequence(std::string name, const std::vector<std::string>& calls) {
    seeds_.push_back({std::move(name), JoinCalls(calls)});
  }
  const std::vector<Seed>& all() const { return seeds_; }

 private:
  std::vector<Seed> seeds_;
};

std::string Call(Rpc rpc, Caller caller, bool fresh, int slot,
                 const google::protobuf::Message& request) {
  return EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString());
}

v1::CreateComplaintRequest NewComplaint(const char* branch) {
  v1::CreateComplaintRequest req;
  req.set_request_id("fuzz-seed-complaint");
  v1::Complaint* c = req.mutable_complaint();
  if (*branch != '\0') c->set_branch_id(branch);
  c->set_channel(v1::COMPLAINT_CHANNEL_WECHAT);
  c->set_category(v1::COMPLAINT_CATEGORY_LOGISTICS);
  c->set_severity(v1::COMPLAINT_SEVERITY_SEVERE);
  c->set_subject("快递太慢了");
  c->set_description("下单三天还没到，物流信息不更新，客服态度也差。");
  return req;
}

template <typename Req>
Req Change() {
  Req req;
  req.set_request_id("fuzz-seed-change");
  req.set_etag("@");
  return req;
}

v1::AssignComplaintRequest Assign(const char* owner) {
  auto req = Change<v1::AssignComplaintRequest>();
  req.set_owner_id(owner);
  req.set_team("售后一组");
  req.set_note("交接");
  return req;
}

v1::RespondToComplaintRequest Respond(v1::MessageVisibility visibility,
                                      bool wait) {
  auto req = Change<v1::RespondToComplaintRequest>();
  req.set_message("您好，我们正在处理");
  req.set_visibility(visibility);
  req.set_wait_for_customer(wait);
  return req;
}

v1::RecordCustomerContactRequest Contact(v1::ContactOutcome outcome) {
  auto req = Change<v1::RecordCustomerContactRequest>();
  req.set_outcome(outcome);
  req.set_note("客户回电");
  return req;
}

v1::ProposeSolutionRequest Propose(v1::Remedy remedy,
                                   const char* return_id = "") {
  auto req = Change<v1::ProposeSolutionRequest>();
  req.mutable_solution()->set_remedy(remedy);
  req.mutable_solution()->set_description("退货退款并致歉");
  req.mutable_solution()->set_return_id(return_id);
  return req;
}

v1::ResolveComplaintRequest Resolve() {
  auto req = Change<v1::ResolveComplaintRequest>();
  req.set_note("已处理");
  return req;
}

v1::CloseComplaintRequest Close(v1::Confirmation confirmation, int score) {
  auto req = Change<v1::CloseComplaintRequest>();
  req.set_confirmation(confirmation);
  req.set_satisfaction_score(score);
  return req;
}

v1::ReopenComplaintRequest Reopen() {
  auto req = Change<v1::ReopenComplaintRequest>();
  req.set_reason("客户仍不满意");
  return req;
}

v1::EscalateComplaintRequest Escalate() {
  auto req = Change<v1::EscalateComplaintRequest>();
  req.set_reason("客户要求主管处理");
  return req;
}

v1::ListComplaintsRequest List() {
  v1::ListComplaintsRequest req;
  req.set_page_size(3);
  return req;
}

// 2026-01-01 to 2026-07-01: the target's clock starts on 2026-01-15.
v1::GetComplaintStatsRequest Stats(const char* branch) {
  v1::GetComplaintStatsRequest req;
  req.set_branch_id(branch);
  req.mutable_start_time()->set_seconds(1767225600);
  req.mutable_end_time()->set_seconds(1782864000);
  req.set_top_problems(5);
  return req;
}

// The default policy, version 1, sent back changed: business-hours first
// responses of 2 h for severe complaints, near breach at 50%.
v1::UpdateSlaPolicyRequest Policy(int64_t first_response_seconds,
                                  bool business) {
  v1::UpdateSlaPolicyRequest req;
  req.set_request_id("fuzz-seed-policy");
  v1::SlaPolicy* p = req.mutable_policy();
  p->set_etag("@");
  p->set_near_breach_percent(50);
  p->set_unreachable_attempts(1);
  for (v1::ComplaintSeverity s :
       {v1::COMPLAINT_SEVERITY_MINOR, v1::COMPLAINT_SEVERITY_MODERATE,
        v1::COMPLAINT_SEVERITY_SEVERE}) {
    v1::SeverityTargets* t = p->add_targets();
    t->set_severity(s);
    t->mutable_first_response()->mutable_duration()->set_seconds(
        s == v1::COMPLAINT_SEVERITY_SEVERE ? first_response_seconds : 86400);
    t->mutable_first_response()->set_business_hours(business);
    t->mutable_solution()->mutable_duration()->set_seconds(3 * 86400);
    t->mutable_closure()->mutable_duration()->set_seconds(7 * 86400);
    t->mutable_closure()->set_business_hours(business);
  }
  return req;
}

v1::UpdateBranchCalendarRequest Calendar(const char* branch, const char* zone) {
  v1::UpdateBranchCalendarRequest req;
  req.set_request_id("fuzz-seed-calendar");
  v1::BranchCalendar* c = req.mutable_calendar();
  c->set_branch_id(branch);
  c->set_time_zone(zone);
  for (int day = 1; day <= 6; ++day) {
    v1::OpeningHours* h = c->add_weekly_hours();
    h->set_day_of_week(day);
    h->set_open_minute(day == 6 ? 600 : 540);
    h->set_close_minute(day == 6 ? 960 : 1080);
  }
  common::v1::Date* d = c->add_closed_dates();
  d->set_year(2026);
  d->set_month(1);
  d->set_day(16);
  return req;
}

std::vector<Seed> ComplaintSeeds() {
  Seeds s;
  // CreateComplaint.
  s.Add("create_admin", kCreateComplaint, Caller::kAdmin, kFresh, kMemberB001,
        NewComplaint("B001"));
  s.Add("create_agent_b002", kCreateComplaint, Caller::kAgent, kFresh,
        kMemberB002, NewComplaint("B002"));
  s.Add("create_branch_own", kCreateComplaint, Caller::kBranchB001, kFresh,
        kMemberB002, NewComplaint(""));
  s.Add("create_branch_other", kCreateComplaint, Caller::kBranchB002, kFresh,
        kMemberB001, NewComplaint("B001"));
  s.Add("create_erased_member", kCreateComplaint, Caller::kAdmin, kFresh,
        kErasedMember, NewComplaint("B001"));
  s.Add("create_auditor", kCreateComplaint, Caller::kAuditor, kFresh,
        kMemberB001, NewComplaint("B001"));
  {
    v1::CreateComplaintRequest with_order = NewComplaint("B001");
    with_order.mutable_complaint()->set_order_id("@0");
    s.Add("create_with_order", kCreateComplaint, Caller::kAgent, kFresh,
          kMemberB001, with_order);
    with_order.mutable_complaint()->set_order_id("@1");
    s.Add("create_with_walk_in_order", kCreateComplaint, Caller::kAgent, kFresh,
          kMemberB001, with_order);
    with_order.mutable_complaint()->set_order_id("@0");
    s.Add("create_with_others_order", kCreateComplaint, Caller::kAgent, kFresh,
          kMemberB002, with_order);
  }
  {
    v1::CreateComplaintRequest bad = NewComplaint("B001");
    bad.mutable_complaint()->set_channel(v1::COMPLAINT_CHANNEL_UNSPECIFIED);
    bad.mutable_complaint()->set_subject("");
    s.Add("create_invalid_fields", kCreateComplaint, Caller::kAdmin, kFresh,
          kMemberB001, bad);
  }
  // GetComplaint.
  s.Add("get_admin", kGetComplaint, Caller::kAdmin, kFixed, kWaitingB002,
        v1::GetComplaintRequest());
  {
    v1::GetComplaintRequest reveal;
    reveal.set_reveal_pii(true);
    s.Add("get_agent_reveal", kGetComplaint, Caller::kAgent, kFixed,
          kInProgressB001, reveal);
    s.Add("get_auditor_reveal", kGetComplaint, Caller::kAuditor, kFixed,
          kInProgressB001, reveal);
  }
  s.Add("get_branch_other", kGetComplaint, Caller::kBranchB001, kFixed,
        kWaitingB002, v1::GetComplaintRequest());
  s.Add("get_erased", kGetComplaint, Caller::kAuditor, kFixed, kErasedB001,
        v1::GetComplaintRequest());
  s.Add("get_service", kGetComplaint, Caller::kService, kFixed, kNewB001,
        v1::GetComplaintRequest());
  // ListComplaints.
  s.Add("list_admin", kListComplaints, Caller::kAdmin, kFixed, kNoSlot, List());
  {
    v1::ListComplaintsRequest by_due = List();
    by_due.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
    by_due.set_breached(false);
    s.AddSequence(
        "list_by_due_next_page",
        {Call(kListComplaints, Caller::kBranchB001, kFixed, kNoSlot, by_due),
         Call(kListComplaints, Caller::kBranchB001, kFixed, kNoSlot, [&] {
           v1::ListComplaintsRequest next = by_due;
           next.set_page_token("@");
           return next;
         }())});
    v1::ListComplaintsRequest filtered = List();
    filtered.set_status(v1::COMPLAINT_STATUS_CLOSED);
    filtered.set_category(v1::COMPLAINT_CATEGORY_LOGISTICS);
    filtered.set_min_escalation_level(0);
    filtered.mutable_due_before()->set_seconds(1790000000);
    s.Add("list_filtered_owner", kListComplaints, Caller::kAgent, kFixed, 0,
          filtered);
    v1::ListComplaintsRequest reveal = List();
    reveal.set_reveal_pii(true);
    s.Add("list_agent_reveal", kListComplaints, Caller::kAgent, kFixed, kNoSlot,
          reveal);
  }
  // The transitions, on the complaint in the state each needs, and on one
  // in the wrong state.
  s.Add("assign_new", kAssignComplaint, Caller::kAgent, kFresh, kNewB001,
        Assign("agent-9"));
  s.Add("assign_handover_branch", kAssignComplaint, Caller::kBranchB001, kFresh,
        kInProgressB001, Assign("S1001"));
  s.Add("assign_closed", kAssignComplaint, Caller::kAdmin, kFresh,
        kClosedSatisfiedB002, Assign("agent-9"));
  s.Add("respond_ack", kRespondToComplaint, Caller::kAgent, kFresh,
        kAcknowledgedB001, Respond(v1::MESSAGE_VISIBILITY_CUSTOMER, false));
  s.Add("respond_wait", kRespondToComplaint, Caller::kAgent, kFresh,
        kInProgressB001, Respond(v1::MESSAGE_VISIBILITY_CUSTOMER, true));
  s.Add("respond_note_new", kRespondToComplaint, Caller::kBranchB001, kFresh,
        kNewB001, Respond(v1::MESSAGE_VISIBILITY_INTERNAL, false));
  s.Add("respond_new_refused", kRespondToComplaint, Caller::kAgent, kFresh,
        kNewB001, Respond(v1::MESSAGE_VISIBILITY_CUSTOMER, false));
  s.Add("contact_replied_waiting", kRecordCustomerContact, Caller::kBranchB002,
        kFresh, kWaitingB002, Contact(v1::CONTACT_OUTCOME_REPLIED));
  s.Add("contact_failed", kRecordCustomerContact, Caller::kAgent, kFresh,
        kResolvedB001, Contact(v1::CONTACT_OUTCOME_FAILED));
  s.Add("propose_with_return", kProposeSolution, Caller::kAgent, kFresh,
        kInProgressB001, Propose(v1::REMEDY_RETURN, "@0"));
  s.Add("propose_other_return", kProposeSolution, Caller::kAgent, kFresh,
        kInProgressB001, Propose(v1::REMEDY_RETURN, "@1"));
  s.Add("propose_no_order", kProposeSolution, Caller::kAgent, kFresh,
        kErasedB001, Propose(v1::REMEDY_APOLOGY, "@0"));
  s.Add("propose_erased", kProposeSolution, Caller::kAdmin, kFresh, kErasedB001,
        Propose(v1::REMEDY_APOLOGY));
  s.Add("resolve_proposed", kResolveComplaint, Caller::kAgent, kFresh,
        kProposedB001, Resolve());
  s.Add("close_satisfied", kCloseComplaint, Caller::kAgent, kFresh,
        kResolvedB001, Close(v1::CONFIRMATION_SATISFIED, 4));
  s.Add("close_unreachable", kCloseComplaint, Caller::kBranchB001, kFresh,
        kResolvedB001, Close(v1::CONFIRMATION_UNREACHABLE, 0));
  s.Add("close_in_progress", kCloseComplaint, Caller::kAgent, kFresh,
        kInProgressB001, Close(v1::CONFIRMATION_UNSATISFIED, 1));
  s.Add("reopen_unsatisfied", kReopenComplaint, Caller::kAgent, kFresh,
        kClosedUnsatisfied, Reopen());
  s.Add("reopen_satisfied", kReopenComplaint, Caller::kAgent, kFresh,
        kClosedSatisfiedB002, Reopen());
  s.Add("escalate_reopened", kEscalateComplaint, Caller::kAgent, kFresh,
        kReopenedB001, Escalate());
  s.Add("escalate_branch_other", kEscalateComplaint, Caller::kBranchB001,
        kFresh, kWaitingB002, Escalate());
  {
    auto stale = Escalate();
    stale.set_etag("r1");
    s.Add("escalate_stale_etag", kEscalateComplaint, Caller::kAgent, kFresh,
          kAcknowledgedB001, stale);
  }
  // History.
  {
    v1::ListComplaintHistoryRequest h;
    h.set_page_size(2);
    v1::ListComplaintHistoryRequest next = h;
    next.set_page_token("@");
    s.AddSequence("history_pages",
                  {Call(kListComplaintHistory, Caller::kAuditor, kFixed,
                        kReopenedB001, h),
                   Call(kListComplaintHistory, Caller::kAuditor, kFixed,
                        kReopenedB001, next)});
    s.Add("history_branch_other", kListComplaintHistory, Caller::kBranchB002,
          kFixed, kNewB001, h);
  }
  // Statistics.
  s.Add("stats_all", kGetComplaintStats, Caller::kAgent, kFixed, kNoSlot,
        Stats(""));
  s.Add("stats_branch_own", kGetComplaintStats, Caller::kBranchB002, kFixed,
        kNoSlot, Stats(""));
  s.Add("stats_branch_other", kGetComplaintStats, Caller::kBranchB001, kFixed,
        kNoSlot, Stats("B002"));
  // Policy and calendars.
  s.Add("policy_get", kGetSlaPolicy, Caller::kAuditor, kFixed, kNoSlot,
        v1::GetSlaPolicyRequest());
  s.Add("policy_update", kUpdateSlaPolicy, Caller::kAdmin, kFresh, kNoSlot,
        Policy(2 * 3600, true));
  s.Add("policy_update_agent", kUpdateSlaPolicy, Caller::kAgent, kFresh,
        kNoSlot, Policy(2 * 3600, false));
  {
    v1::GetBranchCalendarRequest get;
    get.set_branch_id("B002");
    s.Add("calendar_get", kGetBranchCalendar, Caller::kBranchB001, kFixed,
          kNoSlot, get);
  }
  s.Add("calendar_set_own", kUpdateBranchCalendar, Caller::kBranchB001, kFresh,
        kNoSlot, Calendar("B001", "Asia/Shanghai"));
  s.Add("calendar_set_new_york", kUpdateBranchCalendar, Caller::kAdmin, kFresh,
        kNoSlot, Calendar("B003", "America/New_York"));
  s.Add("calendar_set_other", kUpdateBranchCalendar, Caller::kBranchB002,
        kFresh, kNoSlot, Calendar("B001", ""));

  // Sequences: a new complaint taken through its whole life; business hours
  // from a changed policy and calendar; a tiny target that is breached at
  // once.
  {
    auto create = NewComplaint("B001");
    s.AddSequence(
        "seq_lifecycle",
        {Call(kCreateComplaint, Caller::kAgent, kFresh, kMemberB001, create),
         Call(kAssignComplaint, Caller::kAgent, kFresh, kFirstCreatedComplaint,
              Assign("agent-7")),
         Call(kRespondToComplaint, Caller::kAgent, kFresh,
              kFirstCreatedComplaint,
              Respond(v1::MESSAGE_VISIBILITY_CUSTOMER, true)),
         Call(kRecordCustomerContact, Caller::kAgent, kFresh,
              kFirstCreatedComplaint, Contact(v1::CONTACT_OUTCOME_REPLIED)),
         Call(kProposeSolution, Caller::kAgent, kFresh, kFirstCreatedComplaint,
              Propose(v1::REMEDY_COUPON)),
         Call(kResolveComplaint, Caller::kAgent, kFresh, kFirstCreatedComplaint,
              Resolve()),
         Call(kCloseComplaint, Caller::kAgent, kFresh, kFirstCreatedComplaint,
              Close(v1::CONFIRMATION_UNSATISFIED, 2)),
         Call(kReopenComplaint, Caller::kAgent, kFresh, kFirstCreatedComplaint,
              Reopen())});
    s.AddSequence("seq_business_hours",
                  {Call(kUpdateBranchCalendar, Caller::kAdmin, kFresh, kNoSlot,
                        Calendar("B001", "Asia/Shanghai")),
                   Call(kUpdateSlaPolicy, Caller::kAdmin, kFresh, kNoSlot,
                        Policy(2 * 3600, true)),
                   Call(kCreateComplaint, Caller::kBranchB001, kFresh,
                        kMemberB001, NewComplaint("")),
                   Call(kListComplaints, Caller::kBranchB001, kFixed, kNoSlot,
                        [] {
                          v1::ListComplaintsRequest by_due = List();
                          by_due.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
                          return by_due;
                        }()),
                   Call(kGetComplaintStats, Caller::kBranchB001, kFixed,
                        kNoSlot, Stats(""))});
    v1::UpdateSlaPolicyRequest tiny = Policy(0, false);
    tiny.mutable_policy()
        ->mutable_targets(2)
        ->mutable_first_response()
        ->mutable_duration()
        ->set_nanos(1000);
    s.AddSequence(
        "seq_breached_at_once",
        {Call(kUpdateSlaPolicy, Caller::kAdmin, kFresh, kNoSlot, tiny),
         Call(kCreateComplaint, Caller::kAgent, kFresh, kMemberB001, create),
         Call(kListComplaints, Caller::kAgent, kFixed, kNoSlot,
              [] {
                v1::ListComplaintsRequest breached = List();
                breached.set_breached(false);
                breached.set_page_size(50);
                return breached;
              }()),
         Call(kListComplaints, Caller::kAgent, kFixed, kNoSlot,
              [] {
                v1::ListComplaintsRequest breached = List();
                breached.set_breached(true);
                return breached;
              }()),
         Call(kGetComplaintStats, Caller::kAdmin, kFixed, kNoSlot, Stats(""))});
  }

  // Bytes that are no valid request: a string field holding invalid UTF-8,
  // and a truncated length-delimited field.
  s.AddRaw("malformed_utf8", kGetComplaint, Caller::kAdmin,
           std::string("\x0a\x02\xff\xfe", 4));
  s.AddRaw("malformed_truncated", kCreateComplaint, Caller::kAgent,
           std::string("\x0a\x10\x42\x04", 4));
  return s.all();
}

}  // namespace
}  // namespace retail::fuzz::complaints

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::complaints::ComplaintSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
