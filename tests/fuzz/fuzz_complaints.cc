// libFuzzer target for retail.complaints.v1.ComplaintService.
//
// Each input (layout in harness.h) is up to kMaxCalls calls, each of one RPC
// as one of several callers, against the real in-process server, starting
// from the seeded database (three members, orders with returns, and one
// complaint in every state). Bytes that parse as the request go through the
// typed stub, after the harness substitutes known complaint, customer,
// order and return ids, the current etag, fresh request_ids and page tokens
// returned to earlier calls of the input where it asks for them
// (complaints_rpc.h); bytes that do not parse go through the generic stub
// unchanged, to exercise the server's malformed-request path.
//
// Beyond the status invariants of CheckStatus, every successful answer must
// keep the contract of complaints.proto: a branch caller only ever sees its
// own branch's complaints (and statistics); masked callers never see a
// phone in clear; every complaint has its three clocks, in order, whose
// states agree with their remaining time and with the complaint's status
// (NEW has no owner and everything past it has one; a waiting complaint
// has no running clock; a closed one has every clock stopped and a
// confirmation; an erased one has no free text); topics are lexicon ids;
// each change answers the state it promises; a list matches its filter
// and its order; history entries are in order; statistics add up (every
// grouping sums to the total, each clock's met + breached + running is
// the total, shares and rates are shares); the SLA policy stays valid.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/text/topics.h"
#include "google/protobuf/util/time_util.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/fuzz/complaints_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::complaints {
namespace {

namespace v1 = ::retail::complaints::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
using Stub = v1::ComplaintService::Stub;
using ::google::protobuf::util::TimeUtil;

// Checks the liveness of the server every this many inputs, besides after
// every answer that could mean it is stuck or gone.
constexpr uint64_t kAliveCheckEvery = 1000;

// Owners ListComplaints' id slot names.
constexpr const char* kOwners[] = {"agent-7", "agent-9", "S1001"};

// Process-wide state: the server and the seeded ids; the ids and page tokens
// of the current input's calls, forgotten before the next input.
struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<Stub> stub = v1::ComplaintService::NewStub(server.channel());
  std::unique_ptr<cv1::CustomerService::Stub> customer_stub =
      cv1::CustomerService::NewStub(server.channel());
  std::unique_ptr<ov1::OrderService::Stub> order_stub =
      ov1::OrderService::NewStub(server.channel());
  IdPool complaints;
  IdPool customers;
  IdPool orders;
  IdPool returns;
  std::string page_tokens[kRpcCount][kCallerCount];
  uint64_t inputs = 0;

  // Back to the state right after Seed().
  void StartInput() {
    server.RestoreSnapshot();
    complaints.ClearRecent();
    customers.ClearRecent();
    orders.ClearRecent();
    returns.ClearRecent();
    for (auto& per_rpc : page_tokens) {
      for (std::string& token : per_rpc) token.clear();
    }
  }
};

State* g_state = nullptr;

// Per-call context handed to the Prepare/Inspect overloads below.
struct Call {
  Rpc rpc;
  const FuzzInput& in;
  State& state;
  std::string method() const {
    return absl::StrCat("retail.complaints.v1.ComplaintService/",
                        kRpcNames[rpc]);
  }
};

int64_t Us(const google::protobuf::Duration& d) {
  return TimeUtil::DurationToMicroseconds(d);
}
int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// ---- Invariants on answers -------------------------------------------------

void CheckBranch(const Call& call, absl::string_view what, absl::string_view id,
                 absl::string_view branch_id) {
  const absl::string_view branch = CallerBranch(call.in.caller);
  if (!branch.empty() && branch_id != branch) {
    Violation(call.method(),
              absl::StrCat(CallerName(call.in.caller), " received ", what, " ",
                           id, " of branch '", branch_id, "'"));
  }
}

bool Stopped(const v1::SlaClock& k) { return k.has_stop_time(); }

// What every complaint in every answer must keep.
void CheckComplaint(const Call& call, const v1::Complaint& c, bool reveal) {
  const std::string method = call.method();
  const std::string& id = c.complaint_id();
  auto fail = [&](absl::string_view what) {
    Violation(method, absl::StrCat("complaint ", id, " ", what, ": ",
                                   c.ShortDebugString()));
  };
  if (!absl::StartsWith(id, "cmp_")) fail("has no proper id");
  CheckBranch(call, "complaint", id, c.branch_id());
  if (c.etag().empty()) fail("has no etag");
  if (CallerSeesMaskedPii(call.in.caller, reveal) &&
      !c.customer_phone().empty() &&
      !absl::StrContains(c.customer_phone(), "*")) {
    fail(absl::StrCat("shows ", CallerName(call.in.caller),
                      " the customer's phone in clear"));
  }
  if ((call.in.caller == Caller::kAuditor ||
       call.in.caller == Caller::kService) &&
      !c.customer_name().empty() &&
      !absl::StrContains(c.customer_name(), "*")) {
    fail("shows the auditor the customer's name in clear");
  }
  if (!v1::ComplaintStatus_IsValid(c.status()) ||
      c.status() == v1::COMPLAINT_STATUS_UNSPECIFIED ||
      !v1::ComplaintChannel_IsValid(c.channel()) ||
      c.channel() == v1::COMPLAINT_CHANNEL_UNSPECIFIED ||
      !v1::ComplaintCategory_IsValid(c.category()) ||
      c.category() == v1::COMPLAINT_CATEGORY_UNSPECIFIED ||
      !v1::ComplaintSeverity_IsValid(c.severity()) ||
      c.severity() == v1::COMPLAINT_SEVERITY_UNSPECIFIED) {
    fail("has an unset or unknown status, channel, category or severity");
  }
  if (c.escalation_level() < 0 || c.reopen_count() < 0 ||
      c.failed_contact_attempts() < 0 || c.satisfaction_score() < 0 ||
      c.satisfaction_score() > 5 || c.sla_policy_version() < 1) {
    fail("has a counter out of range");
  }
  if (c.confirmation() == v1::CONFIRMATION_UNREACHABLE &&
      c.satisfaction_score() != 0) {
    fail("has a score from a customer nobody reached");
  }
  // Topics are lexicon ids, never free text.
  for (const std::string& t : c.topics()) {
    if (!text::TopicFromId(t)) fail(absl::StrCat("has topic '", t, "'"));
  }
  // Erasure empties the text written until then; later steps may add their
  // own (a solution proposed afterwards), but subject and description are
  // never written again.
  if (c.text_erased() && (!c.subject().empty() || !c.description().empty())) {
    fail("is erased but still holds its subject or description");
  }
  if (c.clocks_size() != 3) {
    fail("does not have three clocks");
    return;
  }
  bool any_running = false, any_breached = false, all_stopped = true;
  for (int i = 0; i < 3; ++i) {
    const v1::SlaClock& k = c.clocks(i);
    if (k.kind() != static_cast<v1::ClockKind>(i + 1)) {
      fail("has its clocks out of order");
    }
    if (!v1::ClockState_IsValid(k.state()) ||
        k.state() == v1::CLOCK_STATE_UNSPECIFIED || Us(k.target()) <= 0 ||
        Us(k.paused()) < 0) {
      fail(absl::StrCat("has a clock ", k.ShortDebugString()));
    }
    const int64_t remaining = Us(k.remaining());
    if ((remaining < 0 && k.state() != v1::CLOCK_STATE_BREACHED) ||
        (k.state() == v1::CLOCK_STATE_MET && !Stopped(k)) ||
        (Stopped(k) && k.state() != v1::CLOCK_STATE_MET &&
         k.state() != v1::CLOCK_STATE_BREACHED) ||
        remaining > Us(k.target())) {
      fail(absl::StrCat("has a clock whose state and time disagree: ",
                        k.ShortDebugString()));
    }
    any_running = any_running || k.state() == v1::CLOCK_STATE_RUNNING;
    any_breached = any_breached || k.state() == v1::CLOCK_STATE_BREACHED;
    all_stopped = all_stopped && Stopped(k);
  }
  if (any_breached && !c.breached()) fail("has a breached clock");
  if (any_running && !c.has_next_due_time()) fail("has no next due time");
  const v1::ComplaintStatus s = c.status();
  if ((s == v1::COMPLAINT_STATUS_NEW) != c.owner_id().empty()) {
    fail("has an owner while NEW, or none past NEW");
  }
  if (s == v1::COMPLAINT_STATUS_NEW && Stopped(c.clocks(0))) {
    fail("is NEW with its first response given");
  }
  if ((s == v1::COMPLAINT_STATUS_IN_PROGRESS ||
       s == v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER ||
       s == v1::COMPLAINT_STATUS_SOLUTION_PROPOSED ||
       s == v1::COMPLAINT_STATUS_RESOLVED) &&
      !Stopped(c.clocks(0))) {
    fail("was answered but its first-response clock runs");
  }
  if ((s == v1::COMPLAINT_STATUS_SOLUTION_PROPOSED ||
       s == v1::COMPLAINT_STATUS_RESOLVED) &&
      (!Stopped(c.clocks(1)) ||
       c.solution().remedy() == v1::REMEDY_UNSPECIFIED)) {
    fail("has a solution but its solution clock runs, or no remedy");
  }
  if (s == v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER && any_running) {
    fail("waits on the customer with a clock running");
  }
  if (s == v1::COMPLAINT_STATUS_CLOSED &&
      (!all_stopped || !c.has_close_time() ||
       c.confirmation() == v1::CONFIRMATION_UNSPECIFIED ||
       c.has_next_due_time())) {
    fail("is closed with a clock running or no confirmation");
  }
  if (s == v1::COMPLAINT_STATUS_REOPENED && c.reopen_count() < 1) {
    fail("is reopened but not counted");
  }
}

void KeepPageToken(const Call& call, const std::string& token) {
  if (!token.empty()) {
    call.state.page_tokens[call.rpc][static_cast<int>(call.in.caller)] = token;
  }
}

void SubstitutePageToken(const Call& call, std::string* token) {
  if (*token == kLastPageToken) {
    *token = call.state.page_tokens[call.rpc][static_cast<int>(call.in.caller)];
  }
}

void SubstituteComplaintId(const Call& call, std::string* id) {
  if (call.in.id_slot >= 0) *id = call.state.complaints.Pick(call.in.id_slot);
}

void SubstituteRequestId(const Call& call, std::string* request_id) {
  if (call.in.fresh_request_id) {
    *request_id = call.state.server.FreshRequestId();
  }
}

// "@<n>" names slot n of `pool`.
void SubstituteSlot(const IdPool& pool, std::string* id) {
  if (id->size() < 2 || (*id)[0] != '@') return;
  int slot = 0;
  if (!absl::SimpleAtoi(id->substr(1), &slot) || slot < 0 || slot > 1000) {
    return;
  }
  *id = pool.Pick(slot);
}

// "@": the complaint's etag now, read as admin.
void SubstituteEtag(const Call& call, const std::string& complaint_id,
                    std::string* etag) {
  if (*etag != kCurrentEtag) return;
  v1::GetComplaintRequest req;
  req.set_complaint_id(complaint_id);
  v1::GetComplaintResponse resp;
  if (call.state.stub
          ->GetComplaint(call.state.server.Context(Caller::kAdmin).get(), req,
                         &resp)
          .ok()) {
    *etag = resp.complaint().etag();
  }
}

// A change: complaint id from the pool, etag, request_id.
template <typename Req>
void PrepareChange(const Call& call, Req& req) {
  SubstituteComplaintId(call, req.mutable_complaint_id());
  SubstituteEtag(call, req.complaint_id(), req.mutable_etag());
  SubstituteRequestId(call, req.mutable_request_id());
}

// The complaint a change answered with is the one it was asked to change.
template <typename Req>
void CheckChanged(const Call& call, const Req& req, const v1::Complaint& c) {
  CheckComplaint(call, c, false);
  if (c.complaint_id() != req.complaint_id() || c.etag() == req.etag()) {
    Violation(call.method(),
              absl::StrCat("changed complaint ", c.complaint_id(), " (etag ",
                           c.etag(), ") when asked for ", req.complaint_id(),
                           " at etag ", req.etag()));
  }
}

void CheckStatusIs(const Call& call, const v1::Complaint& c,
                   v1::ComplaintStatus want) {
  if (c.status() != want) {
    Violation(call.method(),
              absl::StrCat("complaint ", c.complaint_id(), " is ",
                           v1::ComplaintStatus_Name(c.status()), ", not ",
                           v1::ComplaintStatus_Name(want)));
  }
}

// ---- Per-RPC request rewriting (Prepare) and answer checks (Inspect) -------

void Prepare(const Call& call, v1::CreateComplaintRequest& req) {
  v1::Complaint* c = req.mutable_complaint();
  if (call.in.id_slot >= 0) {
    c->set_customer_id(call.state.customers.Pick(call.in.id_slot));
  }
  SubstituteSlot(call.state.orders, c->mutable_order_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CreateComplaintRequest& req,
             const v1::CreateComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckComplaint(call, c, false);
  const v1::Complaint& in = req.complaint();
  CheckStatusIs(call, c, v1::COMPLAINT_STATUS_NEW);
  if (c.customer_id() != in.customer_id() || c.order_id() != in.order_id() ||
      c.category() != in.category() || c.severity() != in.severity() ||
      c.channel() != in.channel() ||
      (!in.branch_id().empty() && c.branch_id() != in.branch_id()) ||
      c.escalation_level() != 0 || c.reopen_count() != 0 ||
      !c.owner_id().empty() || c.text_erased()) {
    Violation(call.method(), absl::StrCat("recorded ", c.ShortDebugString(),
                                          " for ", in.ShortDebugString()));
  }
  for (const v1::SlaClock& k : c.clocks()) {
    if (Stopped(k) || Us(k.remaining()) != Us(k.target())) {
      Violation(call.method(),
                absl::StrCat("a new complaint's clock ", k.ShortDebugString()));
    }
  }
  call.state.complaints.AddRecent(c.complaint_id());
}

void Prepare(const Call& call, v1::GetComplaintRequest& req) {
  SubstituteComplaintId(call, req.mutable_complaint_id());
}
void Inspect(const Call& call, const v1::GetComplaintRequest& req,
             const v1::GetComplaintResponse& resp) {
  CheckComplaint(call, resp.complaint(), req.reveal_pii());
  if (resp.complaint().complaint_id() != req.complaint_id()) {
    Violation(call.method(), "answered a different complaint");
  }
}

void Prepare(const Call& call, v1::ListComplaintsRequest& req) {
  if (call.in.id_slot >= 0) {
    req.set_owner_id(kOwners[call.in.id_slot % std::size(kOwners)]);
  }
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListComplaintsRequest& req,
             const v1::ListComplaintsResponse& resp) {
  const bool by_due = req.order_by() == v1::COMPLAINT_ORDER_NEXT_DUE;
  int64_t last_due = INT64_MIN;
  for (const v1::Complaint& c : resp.complaints()) {
    CheckComplaint(call, c, req.reveal_pii());
    const bool matches =
        (req.status() == v1::COMPLAINT_STATUS_UNSPECIFIED ||
         c.status() == req.status()) &&
        (req.owner_id().empty() || c.owner_id() == req.owner_id()) &&
        (req.branch_id().empty() || c.branch_id() == req.branch_id()) &&
        (req.category() == v1::COMPLAINT_CATEGORY_UNSPECIFIED ||
         c.category() == req.category()) &&
        (req.severity() == v1::COMPLAINT_SEVERITY_UNSPECIFIED ||
         c.severity() == req.severity()) &&
        (!req.has_breached() || c.breached() == req.breached()) &&
        c.escalation_level() >= req.min_escalation_level() &&
        (!req.has_due_before() ||
         (c.has_next_due_time() &&
          Us(c.next_due_time()) < Us(req.due_before())));
    if (!matches) {
      Violation(call.method(), absl::StrCat("complaint ", c.complaint_id(),
                                            " does not match the filter ",
                                            req.ShortDebugString(), ": ",
                                            c.ShortDebugString()));
    }
    if (by_due) {
      if (!c.has_next_due_time() || Us(c.next_due_time()) < last_due) {
        Violation(call.method(), absl::StrCat("complaint ", c.complaint_id(),
                                              " is out of next-due order"));
      }
      last_due = Us(c.next_due_time());
    }
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::AssignComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::AssignComplaintRequest& req,
             const v1::AssignComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  if (c.owner_id() != req.owner_id() ||
      c.status() == v1::COMPLAINT_STATUS_NEW ||
      c.status() == v1::COMPLAINT_STATUS_CLOSED) {
    Violation(call.method(),
              absl::StrCat("assigned into ", c.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::RespondToComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::RespondToComplaintRequest& req,
             const v1::RespondToComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  if (req.visibility() == v1::MESSAGE_VISIBILITY_CUSTOMER &&
      !Stopped(c.clocks(0))) {
    Violation(call.method(),
              "the customer was answered but the "
              "first-response clock runs");
  }
  if (req.wait_for_customer()) {
    CheckStatusIs(call, c, v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  }
}

void Prepare(const Call& call, v1::RecordCustomerContactRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::RecordCustomerContactRequest& req,
             const v1::RecordCustomerContactResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  if ((req.outcome() == v1::CONTACT_OUTCOME_REPLIED &&
       c.status() == v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER) ||
      (req.outcome() == v1::CONTACT_OUTCOME_FAILED &&
       c.failed_contact_attempts() < 1) ||
      c.status() == v1::COMPLAINT_STATUS_CLOSED) {
    Violation(call.method(),
              absl::StrCat("recorded a contact into ", c.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::ProposeSolutionRequest& req) {
  PrepareChange(call, req);
  SubstituteSlot(call.state.returns,
                 req.mutable_solution()->mutable_return_id());
}
void Inspect(const Call& call, const v1::ProposeSolutionRequest& req,
             const v1::ProposeSolutionResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  CheckStatusIs(call, c, v1::COMPLAINT_STATUS_SOLUTION_PROPOSED);
  if (c.solution().remedy() != req.solution().remedy() ||
      c.solution().return_id() != req.solution().return_id() ||
      (!c.solution().return_id().empty() && c.order_id().empty())) {
    Violation(call.method(),
              absl::StrCat("proposed ", c.solution().ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::ResolveComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::ResolveComplaintRequest& req,
             const v1::ResolveComplaintResponse& resp) {
  CheckChanged(call, req, resp.complaint());
  CheckStatusIs(call, resp.complaint(), v1::COMPLAINT_STATUS_RESOLVED);
}

void Prepare(const Call& call, v1::CloseComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::CloseComplaintRequest& req,
             const v1::CloseComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  CheckStatusIs(call, c, v1::COMPLAINT_STATUS_CLOSED);
  if (c.confirmation() != req.confirmation() ||
      c.satisfaction_score() != req.satisfaction_score() ||
      (req.confirmation() == v1::CONFIRMATION_UNREACHABLE &&
       c.failed_contact_attempts() < 1)) {
    Violation(call.method(),
              absl::StrCat("closed into ", c.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::ReopenComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::ReopenComplaintRequest& req,
             const v1::ReopenComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  CheckStatusIs(call, c, v1::COMPLAINT_STATUS_REOPENED);
  for (const v1::SlaClock& k : c.clocks()) {
    if (Stopped(k) || Us(k.paused()) != 0) {
      Violation(call.method(), absl::StrCat("a reopened complaint's clock ",
                                            k.ShortDebugString()));
    }
  }
  if (c.confirmation() != v1::CONFIRMATION_UNSATISFIED) {
    Violation(call.method(), "reopened a complaint not closed unsatisfied");
  }
}

void Prepare(const Call& call, v1::EscalateComplaintRequest& req) {
  PrepareChange(call, req);
}
void Inspect(const Call& call, const v1::EscalateComplaintRequest& req,
             const v1::EscalateComplaintResponse& resp) {
  const v1::Complaint& c = resp.complaint();
  CheckChanged(call, req, c);
  if (c.escalation_level() < 1 || c.status() == v1::COMPLAINT_STATUS_CLOSED) {
    Violation(call.method(),
              absl::StrCat("escalated into ", c.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::ListComplaintHistoryRequest& req) {
  SubstituteComplaintId(call, req.mutable_complaint_id());
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListComplaintHistoryRequest&,
             const v1::ListComplaintHistoryResponse& resp) {
  int64_t last = INT64_MIN;
  for (const v1::HistoryEntry& e : resp.entries()) {
    if (!absl::StartsWith(e.entry_id(), "hst_") ||
        !v1::HistoryKind_IsValid(e.kind()) ||
        e.kind() == v1::HISTORY_KIND_UNSPECIFIED || e.actor().empty() ||
        Us(e.time()) < last) {
      Violation(call.method(),
                absl::StrCat("a history entry ", e.ShortDebugString()));
    }
    last = Us(e.time());
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call&, v1::GetComplaintStatsRequest&) {}
void Inspect(const Call& call, const v1::GetComplaintStatsRequest& req,
             const v1::GetComplaintStatsResponse& resp) {
  const v1::ComplaintStats& s = resp.stats();
  const std::string method = call.method();
  const absl::string_view branch = CallerBranch(call.in.caller);
  if ((!branch.empty() && s.branch_id() != branch) ||
      (branch.empty() && s.branch_id() != req.branch_id())) {
    Violation(method, absl::StrCat("statistics of branch '", s.branch_id(),
                                   "' for ", CallerName(call.in.caller)));
  }
  auto sum = [](const auto& labels) {
    int64_t n = 0;
    for (const v1::LabelCount& l : labels) n += l.count();
    return n;
  };
  if (s.total() < 0 || sum(s.by_category()) != s.total() ||
      sum(s.by_severity()) != s.total() || sum(s.by_channel()) != s.total() ||
      sum(s.by_status()) != s.total()) {
    Violation(method, absl::StrCat("groupings that do not add up to the "
                                   "total: ",
                                   s.ShortDebugString()));
  }
  if (s.clocks_size() != 3) Violation(method, "not three clocks");
  for (const v1::ClockStats& k : s.clocks()) {
    const double share =
        k.met() + k.breached() == 0
            ? 0.0
            : static_cast<double>(k.met()) / (k.met() + k.breached());
    if (k.met() < 0 || k.breached() < 0 || k.running() < 0 ||
        k.met() + k.breached() + k.running() != s.total() ||
        std::abs(k.met_share() - share) > 1e-9 || Us(k.median()) < 0 ||
        Us(k.median()) > Us(k.p90())) {
      Violation(method, absl::StrCat("clock figures ", k.ShortDebugString(),
                                     " of ", s.total(), " complaints"));
    }
  }
  if (s.reopen_rate() < 0 || s.reopen_rate() > 1 ||
      s.satisfaction_count() < 0 || s.satisfaction_count() > s.total() ||
      (s.satisfaction_count() == 0
           ? s.average_satisfaction() != 0
           : (s.average_satisfaction() < 1 || s.average_satisfaction() > 5))) {
    Violation(method,
              absl::StrCat("rates out of range: ", s.ShortDebugString()));
  }
  const int top = req.top_problems() == 0 ? 10 : req.top_problems();
  int64_t last = INT64_MAX;
  if (s.top_problems_size() > top) Violation(method, "too many problems");
  for (const v1::RecurringProblem& p : s.top_problems()) {
    if (p.count() < 1 || p.count() > s.total() || p.count() > last ||
        p.keyword().empty()) {
      Violation(method,
                absl::StrCat("a recurring problem ", p.ShortDebugString()));
    }
    last = p.count();
  }
}

void CheckPolicy(const Call& call, const v1::SlaPolicy& p) {
  bool ok = p.version() >= 1 && p.targets_size() == 3 &&
            p.near_breach_percent() >= 1 && p.near_breach_percent() <= 99 &&
            p.unreachable_attempts() >= 1 && p.unreachable_attempts() <= 20 &&
            p.etag() == absl::StrCat("v", p.version());
  for (const v1::SeverityTargets& t : p.targets()) {
    for (const v1::SlaTarget* target :
         {&t.first_response(), &t.solution(), &t.closure()}) {
      ok = ok && Us(target->duration()) > 0 &&
           Us(target->duration()) <= int64_t{90} * 86'400'000'000;
    }
  }
  if (!ok) {
    Violation(call.method(), absl::StrCat("policy ", p.ShortDebugString()));
  }
}

void Prepare(const Call&, v1::GetSlaPolicyRequest&) {}
void Inspect(const Call& call, const v1::GetSlaPolicyRequest&,
             const v1::GetSlaPolicyResponse& resp) {
  CheckPolicy(call, resp.policy());
}

void Prepare(const Call& call, v1::UpdateSlaPolicyRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
  if (req.policy().etag() == kCurrentEtag) {
    v1::GetSlaPolicyResponse now;
    if (call.state.stub
            ->GetSlaPolicy(call.state.server.Context(Caller::kAdmin).get(),
                           v1::GetSlaPolicyRequest(), &now)
            .ok()) {
      req.mutable_policy()->set_etag(now.policy().etag());
    }
  }
}
void Inspect(const Call& call, const v1::UpdateSlaPolicyRequest& req,
             const v1::UpdateSlaPolicyResponse& resp) {
  CheckPolicy(call, resp.policy());
  if (resp.policy().version() < 2 || resp.policy().near_breach_percent() !=
                                         req.policy().near_breach_percent()) {
    Violation(call.method(),
              absl::StrCat("stored ", resp.policy().ShortDebugString()));
  }
}

void Prepare(const Call&, v1::GetBranchCalendarRequest&) {}
void Inspect(const Call& call, const v1::GetBranchCalendarRequest& req,
             const v1::GetBranchCalendarResponse& resp) {
  if (resp.calendar().branch_id() != req.branch_id()) {
    Violation(call.method(), "answered another branch's calendar");
  }
}

void Prepare(const Call& call, v1::UpdateBranchCalendarRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::UpdateBranchCalendarRequest& req,
             const v1::UpdateBranchCalendarResponse& resp) {
  CheckBranch(call, "calendar", "", resp.calendar().branch_id());
  if (resp.calendar().branch_id() != req.calendar().branch_id() ||
      resp.calendar().is_default()) {
    Violation(call.method(), "stored another calendar than sent");
  }
}

// ---- Dispatch ---------------------------------------------------------------

grpc::Status ProbeRead(State& state) {
  v1::GetComplaintRequest req;
  req.set_complaint_id(state.complaints.seeded().front());
  v1::GetComplaintResponse resp;
  return state.stub->GetComplaint(state.server.Context(Caller::kAdmin).get(),
                                  req, &resp);
}

// Answers after which the server might be stuck or gone.
bool WorthProbing(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED;
}

template <typename Req, typename Resp>
grpc::Status Run(const Call& call,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                              Resp*)) {
  Req req;
  if (!req.ParseFromArray(call.in.message.data(),
                          static_cast<int>(call.in.message.size()))) {
    // The server must answer bytes that are no valid request with
    // INVALID_ARGUMENT, whoever sends them.
    const grpc::Status status = call.state.server.RawCall(
        absl::StrCat("/", call.method()), call.in.message, call.in.caller);
    if (TraceEnabled()) {
      TraceCall(call.method(), call.in.caller, status, "(malformed request)");
    }
    CheckStatus(call.method(), status);
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
        !WorthProbing(status)) {
      Violation(call.method(),
                absl::StrCat("malformed request bytes answered code ",
                             status.error_code(), " (", status.error_message(),
                             "), not INVALID_ARGUMENT"));
    }
    return status;
  }
  Prepare(call, req);
  Resp resp;
  const grpc::Status status = (call.state.stub.get()->*method)(
      call.state.server.Context(call.in.caller).get(), req, &resp);
  if (TraceEnabled()) {
    TraceCall(call.method(), call.in.caller, status, resp.ShortDebugString());
  }
  CheckStatus(call.method(), status);
  if (status.ok()) Inspect(call, req, resp);
  return status;
}

grpc::Status Dispatch(const Call& call) {
  switch (call.rpc) {
    case kCreateComplaint:
      return Run(call, &Stub::CreateComplaint);
    case kGetComplaint:
      return Run(call, &Stub::GetComplaint);
    case kListComplaints:
      return Run(call, &Stub::ListComplaints);
    case kAssignComplaint:
      return Run(call, &Stub::AssignComplaint);
    case kRespondToComplaint:
      return Run(call, &Stub::RespondToComplaint);
    case kRecordCustomerContact:
      return Run(call, &Stub::RecordCustomerContact);
    case kProposeSolution:
      return Run(call, &Stub::ProposeSolution);
    case kResolveComplaint:
      return Run(call, &Stub::ResolveComplaint);
    case kCloseComplaint:
      return Run(call, &Stub::CloseComplaint);
    case kReopenComplaint:
      return Run(call, &Stub::ReopenComplaint);
    case kEscalateComplaint:
      return Run(call, &Stub::EscalateComplaint);
    case kListComplaintHistory:
      return Run(call, &Stub::ListComplaintHistory);
    case kGetComplaintStats:
      return Run(call, &Stub::GetComplaintStats);
    case kGetSlaPolicy:
      return Run(call, &Stub::GetSlaPolicy);
    case kUpdateSlaPolicy:
      return Run(call, &Stub::UpdateSlaPolicy);
    case kGetBranchCalendar:
      return Run(call, &Stub::GetBranchCalendar);
    case kUpdateBranchCalendar:
      return Run(call, &Stub::UpdateBranchCalendar);
    case kRpcCount:
      break;
  }
  std::abort();  // unreachable: rpc is taken mod kRpcCount
}

// ---- Seed data --------------------------------------------------------------

void MustSucceed(const char* what, const grpc::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed at %s: %d %s\n", what,
                 status.error_code(), status.error_message().c_str());
    std::abort();
  }
}

std::unique_ptr<grpc::ClientContext> Admin(State& state) {
  return state.server.Context(Caller::kAdmin);
}

std::string SeedCustomer(State& state, const char* branch, const char* name,
                         const char* phone) {
  cv1::CreateCustomerRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.mutable_customer()->set_branch_id(branch);
  req.mutable_customer()->set_display_name(name);
  req.mutable_customer()->set_phone(phone);
  cv1::CreateCustomerResponse resp;
  MustSucceed("CreateCustomer", state.customer_stub->CreateCustomer(
                                    Admin(state).get(), req, &resp));
  state.customers.AddSeeded(resp.customer().customer_id());
  return resp.customer().customer_id();
}

// An order of `customer` ("" for a walk-in) in B001; paid, completed and
// with a requested return of one shirt when `with_return`.
std::string SeedOrder(State& state, const std::string& customer,
                      bool with_return) {
  ov1::CreateOrderRequest req;
  req.set_request_id(state.server.FreshRequestId());
  ov1::Order* o = req.mutable_order();
  o->set_branch_id("B001");
  o->set_customer_id(customer);
  o->set_channel(ov1::ORDER_CHANNEL_STORE);
  ov1::OrderItem* shirt = o->add_items();
  shirt->set_sku("SHIRT-M");
  shirt->set_name("衬衫 M");
  shirt->set_quantity(2);
  shirt->mutable_unit_price()->set_minor_units(12'900);
  ov1::CreateOrderResponse created;
  MustSucceed("CreateOrder",
              state.order_stub->CreateOrder(Admin(state).get(), req, &created));
  const std::string id = created.order().order_id();
  state.orders.AddSeeded(id);
  if (!with_return) return id;
  ov1::PayOrderRequest pay;
  pay.set_request_id(state.server.FreshRequestId());
  pay.set_order_id(id);
  pay.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
  pay.mutable_payment()->mutable_amount()->set_minor_units(25'800);
  pay.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
  ov1::PayOrderResponse paid;
  MustSucceed("PayOrder",
              state.order_stub->PayOrder(Admin(state).get(), pay, &paid));
  ov1::CompleteOrderRequest complete;
  complete.set_request_id(state.server.FreshRequestId());
  complete.set_order_id(id);
  ov1::CompleteOrderResponse completed;
  MustSucceed("CompleteOrder", state.order_stub->CompleteOrder(
                                   Admin(state).get(), complete, &completed));
  ov1::RequestReturnRequest ask;
  ask.set_request_id(state.server.FreshRequestId());
  ask.set_order_id(id);
  ask.set_type(ov1::RETURN_TYPE_RETURN);
  ov1::ReturnLine* l = ask.add_lines();
  l->set_sku("SHIRT-M");
  l->set_quantity(1);
  l->set_reason(ov1::RETURN_REASON_QUALITY_DEFECT);
  ov1::RequestReturnResponse asked;
  MustSucceed("RequestReturn",
              state.order_stub->RequestReturn(Admin(state).get(), ask, &asked));
  state.returns.AddSeeded(asked.order_return().return_id());
  return id;
}

// The steps a seeded complaint goes through after its creation.
enum Step {
  kAssign,
  kAnswer,
  kAnswerAndWait,
  kFail,
  kPropose,
  kResolve,
  kCloseSatisfied,
  kCloseUnsatisfied,
  kReopen,
};

v1::Complaint SeedComplaint(State& state, const std::string& customer,
                            const char* branch, const std::string& order,
                            v1::ComplaintCategory category, const char* subject,
                            const char* description,
                            std::initializer_list<Step> steps) {
  v1::CreateComplaintRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::Complaint* c = req.mutable_complaint();
  c->set_customer_id(customer);
  c->set_branch_id(branch);
  c->set_order_id(order);
  c->set_channel(v1::COMPLAINT_CHANNEL_PHONE);
  c->set_category(category);
  c->set_severity(v1::COMPLAINT_SEVERITY_MODERATE);
  c->set_subject(subject);
  c->set_description(description);
  v1::CreateComplaintResponse created;
  MustSucceed("CreateComplaint",
              state.stub->CreateComplaint(Admin(state).get(), req, &created));
  v1::Complaint cur = created.complaint();
  for (Step step : steps) {
    const std::string id = cur.complaint_id();
    const std::string etag = cur.etag();
    grpc::Status s;
    switch (step) {
      case kAssign: {
        v1::AssignComplaintRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.set_owner_id("agent-7");
        r.set_team("售后一组");
        v1::AssignComplaintResponse out;
        s = state.stub->AssignComplaint(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kAnswer:
      case kAnswerAndWait: {
        v1::RespondToComplaintRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.set_message("您好，我们正在处理");
        r.set_visibility(v1::MESSAGE_VISIBILITY_CUSTOMER);
        r.set_wait_for_customer(step == kAnswerAndWait);
        v1::RespondToComplaintResponse out;
        s = state.stub->RespondToComplaint(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kFail: {
        v1::RecordCustomerContactRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.set_outcome(v1::CONTACT_OUTCOME_FAILED);
        r.set_note("无人接听");
        v1::RecordCustomerContactResponse out;
        s = state.stub->RecordCustomerContact(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kPropose: {
        v1::ProposeSolutionRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.mutable_solution()->set_remedy(v1::REMEDY_COUPON);
        r.mutable_solution()->set_description("补偿20元优惠券");
        v1::ProposeSolutionResponse out;
        s = state.stub->ProposeSolution(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kResolve: {
        v1::ResolveComplaintRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        v1::ResolveComplaintResponse out;
        s = state.stub->ResolveComplaint(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kCloseSatisfied:
      case kCloseUnsatisfied: {
        v1::CloseComplaintRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.set_confirmation(step == kCloseSatisfied
                               ? v1::CONFIRMATION_SATISFIED
                               : v1::CONFIRMATION_UNSATISFIED);
        r.set_satisfaction_score(step == kCloseSatisfied ? 5 : 2);
        v1::CloseComplaintResponse out;
        s = state.stub->CloseComplaint(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
      case kReopen: {
        v1::ReopenComplaintRequest r;
        r.set_request_id(state.server.FreshRequestId());
        r.set_complaint_id(id);
        r.set_etag(etag);
        r.set_reason("客户仍不满意");
        v1::ReopenComplaintResponse out;
        s = state.stub->ReopenComplaint(Admin(state).get(), r, &out);
        cur = out.complaint();
        break;
      }
    }
    MustSucceed("a seeded complaint's step", s);
  }
  state.complaints.AddSeeded(cur.complaint_id());
  return cur;
}

// The rows behind the seeded slots of the pools (complaints_rpc.h).
void Seed(State& state) {
  const std::string member1 =
      SeedCustomer(state, "B001", "王小明", "13912345678");
  const std::string member2 =
      SeedCustomer(state, "B002", "李雷", "13800138000");
  const std::string erased =
      SeedCustomer(state, "B001", "Erased Person", "13700000001");
  const std::string paid = SeedOrder(state, member1, true);
  SeedOrder(state, "", false);
  SeedOrder(state, member1, true);

  const auto q = v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY;
  const auto l = v1::COMPLAINT_CATEGORY_LOGISTICS;
  const auto a = v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE;
  SeedComplaint(state, member1, "B001", "", l, "快递太慢",
                "三天还没到，物流太慢", {});
  SeedComplaint(state, member1, "B001", "", a, "客服态度差", "客服不理人",
                {kAssign});
  SeedComplaint(state, member1, "B001", paid, q, "衣服质量差", "穿一次就破了",
                {kAssign, kAnswer});
  SeedComplaint(state, member2, "B002", "", l, "物流太慢", "等了很久",
                {kAssign, kAnswerAndWait});
  SeedComplaint(state, member1, "B001", "", q, "尺码偏小", "尺码偏小穿不上",
                {kAssign, kAnswer, kPropose});
  SeedComplaint(state, member1, "B001", "", a, "退款太慢", "退款一周没到",
                {kAssign, kAnswer, kPropose, kResolve, kFail, kFail, kFail});
  SeedComplaint(state, member1, "B001", "", l, "快递丢件", "包裹丢了",
                {kAssign, kAnswer, kPropose, kResolve, kCloseUnsatisfied});
  SeedComplaint(state, member2, "B002", "", q, "价格太贵", "比别家贵",
                {kAssign, kAnswer, kPropose, kResolve, kCloseSatisfied});
  SeedComplaint(
      state, member1, "B001", "", a, "付款失败", "钱被扣了",
      {kAssign, kAnswer, kPropose, kResolve, kCloseUnsatisfied, kReopen});
  SeedComplaint(state, erased, "B001", "", l, "快递太慢", "物流太慢了",
                {kAssign, kAnswer});

  // B002 keeps office hours.
  v1::UpdateBranchCalendarRequest cal;
  cal.set_request_id(state.server.FreshRequestId());
  cal.mutable_calendar()->set_branch_id("B002");
  cal.mutable_calendar()->set_time_zone("Asia/Shanghai");
  for (int day = 1; day <= 5; ++day) {
    v1::OpeningHours* h = cal.mutable_calendar()->add_weekly_hours();
    h->set_day_of_week(day);
    h->set_open_minute(540);
    h->set_close_minute(1080);
  }
  v1::UpdateBranchCalendarResponse cal_resp;
  MustSucceed("UpdateBranchCalendar", state.stub->UpdateBranchCalendar(
                                          Admin(state).get(), cal, &cal_resp));

  cv1::EraseCustomerRequest erase;
  erase.set_request_id(state.server.FreshRequestId());
  erase.set_customer_id(erased);
  erase.set_reason("seed");
  cv1::EraseCustomerResponse erase_resp;
  MustSucceed("EraseCustomer", state.customer_stub->EraseCustomer(
                                   Admin(state).get(), erase, &erase_resp));
}

}  // namespace
}  // namespace retail::fuzz::complaints

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using retail::fuzz::complaints::g_state;
  g_state = new retail::fuzz::complaints::State();
  retail::fuzz::complaints::Seed(*g_state);
  g_state->server.SaveSnapshot();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retail::fuzz;
  using namespace retail::fuzz::complaints;
  State& state = *g_state;
  state.StartInput();
  for (absl::string_view bytes : SplitCalls(data, size)) {
    FuzzInput in;
    if (!DecodeInput(bytes, &in)) continue;
    const Call call{static_cast<Rpc>(in.rpc % kRpcCount), in, state};
    if (WorthProbing(Dispatch(call))) {
      state.server.CheckAlive([&state] { return ProbeRead(state); });
    }
  }
  if (++state.inputs % kAliveCheckEvery == 0) {
    state.server.CheckAlive([&state] { return ProbeRead(state); });
  }
  return 0;
}
