// libFuzzer target for retail.feedback.v1.FeedbackService.
//
// Each input (layout in harness.h) is up to kMaxCalls calls, each of one RPC
// as one of several callers, against the real in-process server, starting
// from the seeded database (three members, one erased; orders and
// complaints of two branches; a survey with one question of each type and
// a shorter one, with a response; feedback items that are praised, flagged
// for review, escalated to a complaint and erased; follow-ups pending, made
// and closed by an erasure). Bytes that parse as the request go through the
// typed stub, after the harness substitutes known survey, customer, order,
// complaint, feedback and follow-up ids, fresh request_ids and page tokens
// returned to earlier calls of the input where it asks for them
// (feedback_rpc.h); bytes that do not parse go through the generic stub
// unchanged, to exercise the server's malformed-request path.
//
// Beyond the status invariants of CheckStatus, every INVALID_ARGUMENT must
// name the bad field (google.rpc.BadRequest), and every successful answer
// must keep the contract of feedback.proto: a branch caller only ever sees
// its own branch's feedback, follow-ups and report; masked callers never
// see a phone (or, auditor and service, a name) in clear; enums are set and
// known, ratings 1..5, scores 0..10, sentiment scores in [-1, 1] agreeing
// with their labels, topics are lexicon ids; a feedback item is escalated
// exactly when the rule says and then opened a valid complaint or waits for
// review; what a write answers is what it was asked and what a later read
// returns; a survey response answers its survey's questions as their types
// allow; lists match their filters and their order; the report's figures
// add up (sources to the total, weeks and branches to the total, shares
// and NPS from their counts); follow-ups move from PENDING to DONE once.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/text/shared_analyzer.h"
#include "common/text/topics.h"
#include "common/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/fuzz/feedback_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::feedback {
namespace {

namespace v1 = ::retail::feedback::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
namespace cmv1 = ::retail::complaints::v1;
using Stub = v1::FeedbackService::Stub;
using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;

// Checks the liveness of the server every this many inputs, besides after
// every answer that could mean it is stuck or gone.
constexpr uint64_t kAliveCheckEvery = 1000;

// Owners ListFollowUps' id slot names.
constexpr const char* kOwners[] = {"agent-7", "agent-9", "S1001"};

// The server's default escalation rating (--feedback_escalation_max_rating).
constexpr int kEscalationMaxRating = 2;

// Process-wide state: the server and the seeded ids; the ids and page tokens
// of the current input's calls, forgotten before the next input.
struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<Stub> stub = v1::FeedbackService::NewStub(server.channel());
  std::unique_ptr<cv1::CustomerService::Stub> customer_stub =
      cv1::CustomerService::NewStub(server.channel());
  std::unique_ptr<ov1::OrderService::Stub> order_stub =
      ov1::OrderService::NewStub(server.channel());
  std::unique_ptr<cmv1::ComplaintService::Stub> complaint_stub =
      cmv1::ComplaintService::NewStub(server.channel());
  const text::Analyzer* analyzer = nullptr;
  IdPool surveys;
  IdPool customers;
  IdPool orders;
  IdPool complaints;
  IdPool feedback;
  IdPool follow_ups;
  // The branch of each seeded customer (home), order and complaint.
  std::map<std::string, std::string> branch_of;
  std::string page_tokens[kRpcCount][kCallerCount];
  uint64_t inputs = 0;

  // Back to the state right after Seed().
  void StartInput() {
    server.RestoreSnapshot();
    for (IdPool* pool :
         {&surveys, &customers, &orders, &complaints, &feedback, &follow_ups}) {
      pool->ClearRecent();
    }
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
    return absl::StrCat("retail.feedback.v1.FeedbackService/", kRpcNames[rpc]);
  }
};

int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

std::string Trimmed(const std::string& s) {
  return std::string(TrimUnicodeSpace(s));
}

std::unique_ptr<grpc::ClientContext> Admin(State& state) {
  return state.server.Context(Caller::kAdmin);
}

// ---- Invariants on every answer ---------------------------------------------

// INVALID_ARGUMENT names what was wrong: a google.rpc.BadRequest with at
// least one field violation, each naming a field.
void CheckNamesField(const std::string& method, const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) return;
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    Violation(method, absl::StrCat("INVALID_ARGUMENT without details: ",
                                   status.error_message()));
  }
  bool named = false;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::BadRequest bad;
    if (!any.Is<google::rpc::BadRequest>() || !any.UnpackTo(&bad)) continue;
    for (const auto& fv : bad.field_violations()) {
      if (fv.field().empty() || fv.description().empty()) {
        Violation(method, absl::StrCat("a field violation without a field or "
                                       "a description: ",
                                       fv.ShortDebugString()));
      }
      named = true;
    }
  }
  if (!named) {
    Violation(method, absl::StrCat("INVALID_ARGUMENT names no field: ",
                                   status.error_message()));
  }
}

void CheckBranch(const Call& call, absl::string_view what, absl::string_view id,
                 absl::string_view branch_id) {
  const absl::string_view branch = CallerBranch(call.in.caller);
  if (!branch.empty() && branch_id != branch) {
    Violation(call.method(),
              absl::StrCat(CallerName(call.in.caller), " received ", what, " ",
                           id, " of branch '", branch_id, "'"));
  }
}

void CheckSentiment(const Call& call, absl::string_view what,
                    const v1::Sentiment& s) {
  const bool ok =
      v1::SentimentLabel_IsValid(s.label()) &&
      s.label() != v1::SENTIMENT_LABEL_UNSPECIFIED &&
      std::isfinite(s.score()) && s.score() >= -1 && s.score() <= 1 &&
      (s.label() != v1::SENTIMENT_LABEL_POSITIVE || s.score() > 0) &&
      (s.label() != v1::SENTIMENT_LABEL_NEGATIVE || s.score() < 0);
  if (!ok) {
    Violation(call.method(),
              absl::StrCat(what, " has sentiment ", s.ShortDebugString()));
  }
}

// Topics are lexicon ids, each once; keywords are non-empty, each once.
template <typename Topics, typename Keywords>
void CheckTerms(const Call& call, absl::string_view what, const Topics& topics,
                const Keywords& keywords) {
  std::set<std::string> seen;
  for (const std::string& t : topics) {
    if (!text::TopicFromId(t) || !seen.insert(t).second) {
      Violation(call.method(), absl::StrCat(what, " has topic '", t, "'"));
    }
  }
  seen.clear();
  for (const std::string& k : keywords) {
    if (k.empty() || !seen.insert(k).second) {
      Violation(call.method(), absl::StrCat(what, " has keyword '", k, "'"));
    }
  }
}

bool Masked(absl::string_view s) {
  return s.empty() || absl::StrContains(s, "*");
}

// ---- Feedback items ---------------------------------------------------------

void CheckItem(const Call& call, const v1::FeedbackItem& f) {
  const std::string& id = f.feedback_id();
  auto fail = [&](absl::string_view what) {
    Violation(call.method(), absl::StrCat("feedback ", id, " ", what, ": ",
                                          f.ShortDebugString()));
  };
  if (!absl::StartsWith(id, "fbk_")) fail("has no proper id");
  CheckBranch(call, "feedback", id, f.branch_id());
  if (!v1::FeedbackKind_IsValid(f.kind()) ||
      f.kind() == v1::FEEDBACK_KIND_UNSPECIFIED ||
      !v1::FeedbackChannel_IsValid(f.channel()) ||
      f.channel() == v1::FEEDBACK_CHANNEL_UNSPECIFIED) {
    fail("has an unset or unknown kind or channel");
  }
  if (f.rating() < 0 || f.rating() > 5) fail("has a rating out of range");
  if (f.branch_id().empty() || !f.has_create_time()) {
    fail("has no branch or no create time");
  }
  CheckSentiment(call, absl::StrCat("feedback ", id), f.sentiment());
  CheckTerms(call, absl::StrCat("feedback ", id), f.topics(), f.keywords());
  if (f.text_erased() != f.text().empty()) {
    fail("has text and is erased, or has none and is not");
  }
  if (f.text_erased() && !f.customer_id().empty()) {
    fail("is erased but still names its customer");
  }
  const bool escalated = !f.escalation_reason().empty();
  if (f.needs_review() &&
      (!escalated || !f.complaint_id().empty() || !f.customer_id().empty())) {
    fail("needs review but was not escalated, or is not anonymous");
  }
  if (!f.complaint_id().empty() &&
      (!escalated || (f.customer_id().empty() && !f.text_erased()))) {
    fail("opened a complaint but was not escalated, or is anonymous");
  }
  if (escalated && f.complaint_id().empty() == !f.needs_review()) {
    fail("was escalated but opened no complaint and waits for no review");
  }
  if (!f.order_id().empty() && f.customer_id().empty() && !f.text_erased()) {
    fail("names an order but no customer");
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

void SubstituteRequestId(const Call& call, std::string* request_id) {
  if (call.in.fresh_request_id) {
    *request_id = call.state.server.FreshRequestId();
  }
}

void SubstituteFromSlot(const Call& call, const IdPool& pool, std::string* id) {
  if (call.in.id_slot >= 0) *id = pool.Pick(call.in.id_slot);
}

// "@<n>" names slot n of `pool`.
void SubstituteMarker(const IdPool& pool, std::string* id) {
  if (id->size() < 2 || (*id)[0] != '@') return;
  int slot = 0;
  if (!absl::SimpleAtoi(id->substr(1), &slot) || slot < 0 || slot > 1000) {
    return;
  }
  *id = pool.Pick(slot);
}

// The branch a write names: the caller's own for a branch, else the
// request's.
std::string WrittenBranch(const Call& call, const std::string& requested) {
  const absl::string_view own = CallerBranch(call.in.caller);
  return own.empty() ? requested : std::string(own);
}

// ---- Per-RPC request rewriting (Prepare) and answer checks (Inspect) -------

void Prepare(const Call&, v1::AnalyzeTextRequest&) {}
void Inspect(const Call& call, const v1::AnalyzeTextRequest&,
             const v1::AnalyzeTextResponse& resp) {
  const v1::TextAnalysis& a = resp.analysis();
  CheckSentiment(call, "the text", a.sentiment());
  std::set<std::string> topics;
  const std::set<std::string> keywords(a.keywords().begin(),
                                       a.keywords().end());
  CheckTerms(call, "the text", std::vector<std::string>(), a.keywords());
  for (const v1::TopicAnalysis& t : a.topics()) {
    if (!text::TopicFromId(t.topic()) || !topics.insert(t.topic()).second ||
        t.keywords().empty()) {
      Violation(call.method(), absl::StrCat("topic ", t.ShortDebugString()));
    }
    for (const std::string& k : t.keywords()) {
      if (keywords.count(k) == 0) {
        Violation(call.method(),
                  absl::StrCat("topic keyword '", k, "' not among keywords"));
      }
    }
    CheckSentiment(call, absl::StrCat("topic ", t.topic()), t.sentiment());
  }
}

bool IsChoice(v1::QuestionType t) {
  return t == v1::QUESTION_TYPE_SINGLE_CHOICE ||
         t == v1::QUESTION_TYPE_MULTIPLE_CHOICE;
}

void CheckSurvey(const Call& call, const v1::Survey& s) {
  auto fail = [&](absl::string_view what) {
    Violation(call.method(), absl::StrCat("survey ", s.survey_id(), " ", what,
                                          ": ", s.ShortDebugString()));
  };
  if (!absl::StartsWith(s.survey_id(), "srv_")) fail("has no proper id");
  const std::optional<size_t> title = Utf8Length(s.title());
  if (!title || *title < 1 || *title > 200 || !s.has_create_time()) {
    fail("has a bad title or no create time");
  }
  if (s.questions_size() < 1 || s.questions_size() > 50) {
    fail("has too few or too many questions");
  }
  for (int i = 0; i < s.questions_size(); ++i) {
    const v1::Question& q = s.questions(i);
    if (q.question_id() != absl::StrCat("q", i + 1) ||
        !v1::QuestionType_IsValid(q.type()) ||
        q.type() == v1::QUESTION_TYPE_UNSPECIFIED || q.text().empty()) {
      fail(absl::StrCat("has question ", q.ShortDebugString()));
    }
    const std::set<std::string> choices(q.choices().begin(), q.choices().end());
    const bool ok =
        IsChoice(q.type())
            ? (q.choices_size() >= 2 && q.choices_size() <= 20 &&
               static_cast<int>(choices.size()) == q.choices_size() &&
               choices.count("") == 0)
            : q.choices_size() == 0;
    if (!ok) fail(absl::StrCat("has the choices of ", q.ShortDebugString()));
  }
}

// The survey as stored now, read as admin.
std::optional<v1::Survey> ReadSurvey(const Call& call, const std::string& id) {
  v1::GetSurveyRequest req;
  req.set_survey_id(id);
  v1::GetSurveyResponse resp;
  const grpc::Status s =
      call.state.stub->GetSurvey(Admin(call.state).get(), req, &resp);
  if (!s.ok()) return std::nullopt;
  return resp.survey();
}

void Prepare(const Call& call, v1::CreateSurveyRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CreateSurveyRequest& req,
             const v1::CreateSurveyResponse& resp) {
  const v1::Survey& s = resp.survey();
  CheckSurvey(call, s);
  const v1::Survey& in = req.survey();
  bool same = s.title() == Trimmed(in.title()) &&
              s.description() == Trimmed(in.description()) &&
              s.questions_size() == in.questions_size();
  for (int i = 0; same && i < s.questions_size(); ++i) {
    const v1::Question& q = s.questions(i);
    const v1::Question& qi = in.questions(i);
    same = q.type() == qi.type() && q.text() == Trimmed(qi.text()) &&
           q.required() == qi.required() &&
           q.choices_size() == qi.choices_size();
    for (int j = 0; same && j < q.choices_size(); ++j) {
      same = q.choices(j) == Trimmed(qi.choices(j));
    }
  }
  if (!same) {
    Violation(call.method(), absl::StrCat("stored ", s.ShortDebugString(),
                                          " for ", in.ShortDebugString()));
  }
  const std::optional<v1::Survey> stored = ReadSurvey(call, s.survey_id());
  if (!stored || !MessageDifferencer::Equals(*stored, s)) {
    Violation(call.method(),
              absl::StrCat("answered ", s.ShortDebugString(), " but reads ",
                           stored ? stored->ShortDebugString() : "nothing"));
  }
  call.state.surveys.AddRecent(s.survey_id());
}

void Prepare(const Call& call, v1::GetSurveyRequest& req) {
  SubstituteFromSlot(call, call.state.surveys, req.mutable_survey_id());
}
void Inspect(const Call& call, const v1::GetSurveyRequest& req,
             const v1::GetSurveyResponse& resp) {
  CheckSurvey(call, resp.survey());
  if (resp.survey().survey_id() != req.survey_id()) {
    Violation(call.method(), "answered a different survey");
  }
}

void Prepare(const Call& call, v1::ListSurveysRequest& req) {
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListSurveysRequest& req,
             const v1::ListSurveysResponse& resp) {
  const int size = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  if (resp.surveys_size() > size) Violation(call.method(), "an oversized page");
  int64_t last = INT64_MIN;
  for (const v1::Survey& s : resp.surveys()) {
    CheckSurvey(call, s);
    if (Us(s.create_time()) < last) {
      Violation(call.method(), "surveys out of order");
    }
    last = Us(s.create_time());
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::SubmitSurveyResponseRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
  v1::SurveyResponse* r = req.mutable_response();
  SubstituteFromSlot(call, call.state.surveys, r->mutable_survey_id());
  SubstituteMarker(call.state.customers, r->mutable_customer_id());
  SubstituteMarker(call.state.orders, r->mutable_order_id());
  SubstituteMarker(call.state.complaints, r->mutable_complaint_id());
}
void Inspect(const Call& call, const v1::SubmitSurveyResponseRequest& req,
             const v1::SubmitSurveyResponseResponse& resp) {
  const v1::SurveyResponse& r = resp.response();
  const v1::SurveyResponse& in = req.response();
  auto fail = [&](absl::string_view what) {
    Violation(call.method(), absl::StrCat("response ", r.response_id(), " ",
                                          what, ": ", r.ShortDebugString(),
                                          " for ", in.ShortDebugString()));
  };
  if (!absl::StartsWith(r.response_id(), "srp_") || !r.has_create_time()) {
    fail("has no proper id or create time");
  }
  CheckBranch(call, "survey response", r.response_id(), r.branch_id());
  if (r.survey_id() != in.survey_id() || r.customer_id() != in.customer_id() ||
      r.order_id() != in.order_id() || r.complaint_id() != in.complaint_id() ||
      r.branch_id() != WrittenBranch(call, in.branch_id()) ||
      (!r.order_id().empty() && !r.complaint_id().empty())) {
    fail("is not what was asked");
  }
  const std::optional<v1::Survey> survey = ReadSurvey(call, r.survey_id());
  if (!survey) fail("answers a survey that cannot be read");
  std::map<std::string, const v1::Question*> questions;
  for (const v1::Question& q : survey->questions()) {
    questions[q.question_id()] = &q;
  }
  std::set<std::string> answered;
  for (const v1::Answer& a : r.answers()) {
    auto q = questions.find(a.question_id());
    if (q == questions.end() || !answered.insert(a.question_id()).second) {
      fail(absl::StrCat("answers question '", a.question_id(), "'"));
    }
    const v1::QuestionType type = q->second->type();
    const auto& offered = q->second->choices();
    std::set<std::string> picked;
    bool choices_ok = true;
    for (const std::string& c : a.choices()) {
      choices_ok =
          choices_ok && picked.insert(c).second &&
          std::find(offered.begin(), offered.end(), c) != offered.end();
    }
    bool ok = choices_ok &&
              (type == v1::QUESTION_TYPE_RATING) == (a.rating() != 0) &&
              (type == v1::QUESTION_TYPE_NPS) == a.has_score() &&
              (type == v1::QUESTION_TYPE_FREE_TEXT) == !a.text().empty() &&
              IsChoice(type) == (a.choices_size() > 0);
    switch (type) {
      case v1::QUESTION_TYPE_RATING:
        ok = ok && a.rating() >= 1 && a.rating() <= 5;
        break;
      case v1::QUESTION_TYPE_NPS:
        ok = ok && a.score() >= 0 && a.score() <= 10;
        break;
      case v1::QUESTION_TYPE_SINGLE_CHOICE:
        ok = ok && a.choices_size() == 1;
        break;
      case v1::QUESTION_TYPE_FREE_TEXT:
        CheckSentiment(call, absl::StrCat("answer ", a.question_id()),
                       a.sentiment());
        CheckTerms(call, absl::StrCat("answer ", a.question_id()), a.topics(),
                   a.keywords());
        break;
      default:
        break;
    }
    if (!ok) {
      fail(absl::StrCat("has answer ", a.ShortDebugString(), " to question ",
                        q->second->ShortDebugString()));
    }
  }
  for (const v1::Question& q : survey->questions()) {
    if (q.required() && answered.count(q.question_id()) == 0) {
      fail(absl::StrCat("leaves required question ", q.question_id()));
    }
  }
}

void Prepare(const Call& call, v1::SubmitFeedbackRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
  v1::FeedbackItem* f = req.mutable_feedback();
  SubstituteFromSlot(call, call.state.customers, f->mutable_customer_id());
  SubstituteMarker(call.state.customers, f->mutable_customer_id());
  SubstituteMarker(call.state.orders, f->mutable_order_id());
}

// The complaint that feedback `f` opened, read as admin, is a valid one
// about it: NEW, the same customer, branch and order, a one-line subject of
// 1..200 characters (CreateComplaint's rule, which ComplaintIntake says its
// callers keep), the text as description, and the feedback's topics and
// keywords.
void CheckOpenedComplaint(const Call& call, const v1::FeedbackItem& f) {
  cmv1::GetComplaintRequest req;
  req.set_complaint_id(f.complaint_id());
  cmv1::GetComplaintResponse resp;
  const grpc::Status s = call.state.complaint_stub->GetComplaint(
      Admin(call.state).get(), req, &resp);
  if (!s.ok()) {
    Violation(call.method(),
              absl::StrCat("feedback ", f.feedback_id(), " opened complaint ",
                           f.complaint_id(), ", which reads as code ",
                           s.error_code(), " ", s.error_message()));
  }
  const cmv1::Complaint& c = resp.complaint();
  const std::optional<size_t> subject = Utf8Length(c.subject());
  if (c.status() != cmv1::COMPLAINT_STATUS_NEW ||
      c.customer_id() != f.customer_id() || c.branch_id() != f.branch_id() ||
      c.order_id() != f.order_id() || c.feedback_id() != f.feedback_id() ||
      c.description() != f.text() || !subject || *subject < 1 ||
      *subject > 200 || absl::StrContains(c.subject(), "\n") ||
      !std::equal(c.topics().begin(), c.topics().end(), f.topics().begin(),
                  f.topics().end()) ||
      !std::equal(c.keywords().begin(), c.keywords().end(),
                  f.keywords().begin(), f.keywords().end())) {
    Violation(call.method(),
              absl::StrCat("feedback ", f.feedback_id(), " opened complaint ",
                           c.ShortDebugString()));
  }
}

void Inspect(const Call& call, const v1::SubmitFeedbackRequest& req,
             const v1::SubmitFeedbackResponse& resp) {
  const v1::FeedbackItem& f = resp.feedback();
  const v1::FeedbackItem& in = req.feedback();
  CheckItem(call, f);
  if (f.kind() != in.kind() || f.channel() != in.channel() ||
      f.customer_id() != in.customer_id() || f.order_id() != in.order_id() ||
      f.rating() != in.rating() || f.sku() != Trimmed(in.sku()) ||
      f.text() != Trimmed(in.text()) ||
      f.branch_id() != WrittenBranch(call, in.branch_id()) || f.text_erased()) {
    Violation(call.method(), absl::StrCat("recorded ", f.ShortDebugString(),
                                          " for ", in.ShortDebugString()));
  }
  // The escalation rule: a low rating with negative sentiment always
  // escalates (a keyword may too).
  if (f.rating() >= 1 && f.rating() <= kEscalationMaxRating &&
      f.sentiment().label() == v1::SENTIMENT_LABEL_NEGATIVE &&
      f.escalation_reason().empty()) {
    Violation(call.method(),
              absl::StrCat("did not escalate ", f.ShortDebugString()));
  }
  if (!f.escalation_reason().empty() &&
      f.customer_id().empty() != f.needs_review()) {
    Violation(call.method(),
              absl::StrCat("escalated ", f.ShortDebugString(),
                           " without a complaint for its customer or a "
                           "review for anonymous feedback"));
  }
  if (!f.complaint_id().empty()) CheckOpenedComplaint(call, f);
  // What it answered is what it stored.
  v1::GetFeedbackRequest get;
  get.set_feedback_id(f.feedback_id());
  v1::GetFeedbackResponse got;
  const grpc::Status s =
      call.state.stub->GetFeedback(Admin(call.state).get(), get, &got);
  if (!s.ok() || !MessageDifferencer::Equals(got.feedback(), f)) {
    Violation(call.method(), absl::StrCat("answered ", f.ShortDebugString(),
                                          " but reads (", s.error_code(), ") ",
                                          got.feedback().ShortDebugString()));
  }
  call.state.feedback.AddRecent(f.feedback_id());
}

void Prepare(const Call& call, v1::GetFeedbackRequest& req) {
  SubstituteFromSlot(call, call.state.feedback, req.mutable_feedback_id());
}
void Inspect(const Call& call, const v1::GetFeedbackRequest& req,
             const v1::GetFeedbackResponse& resp) {
  CheckItem(call, resp.feedback());
  if (resp.feedback().feedback_id() != req.feedback_id()) {
    Violation(call.method(), "answered a different feedback item");
  }
}

void Prepare(const Call& call, v1::ListFeedbackRequest& req) {
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListFeedbackRequest& req,
             const v1::ListFeedbackResponse& resp) {
  const int size = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  if (resp.feedback_size() > size)
    Violation(call.method(), "an oversized page");
  // The keyword filter is normalised like stored keywords.
  std::string keyword;
  if (!req.keyword().empty()) {
    absl::StatusOr<text::Analysis> a =
        call.state.analyzer->Analyze(Trimmed(req.keyword()), "keyword");
    if (a.ok()) keyword = a->normalized;
  }
  const std::string sku = Trimmed(req.sku());
  std::set<std::string> ids;
  int64_t last = INT64_MIN;
  for (const v1::FeedbackItem& f : resp.feedback()) {
    CheckItem(call, f);
    const int64_t created = Us(f.create_time());
    const bool matches =
        (req.branch_id().empty() || f.branch_id() == req.branch_id()) &&
        (req.kind() == v1::FEEDBACK_KIND_UNSPECIFIED ||
         f.kind() == req.kind()) &&
        (sku.empty() || f.sku() == sku) &&
        (req.min_rating() == 0 || f.rating() >= req.min_rating()) &&
        (req.max_rating() == 0 ||
         (f.rating() >= 1 && f.rating() <= req.max_rating())) &&
        (req.sentiment() == v1::SENTIMENT_LABEL_UNSPECIFIED ||
         f.sentiment().label() == req.sentiment()) &&
        (req.topic().empty() || std::find(f.topics().begin(), f.topics().end(),
                                          req.topic()) != f.topics().end()) &&
        (keyword.empty() || std::find(f.keywords().begin(), f.keywords().end(),
                                      keyword) != f.keywords().end()) &&
        (!req.needs_review() || f.needs_review()) &&
        (!req.has_create_time_start() ||
         created >= Us(req.create_time_start())) &&
        (!req.has_create_time_end() || created < Us(req.create_time_end()));
    if (!matches) {
      Violation(call.method(), absl::StrCat("feedback ", f.feedback_id(),
                                            " does not match the filter ",
                                            req.ShortDebugString(), ": ",
                                            f.ShortDebugString()));
    }
    if (!ids.insert(f.feedback_id()).second || created < last) {
      Violation(call.method(), absl::StrCat("feedback ", f.feedback_id(),
                                            " repeated or out of order"));
    }
    last = created;
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call&, v1::GetSatisfactionReportRequest&) {}

void CheckRatings(const Call& call, absl::string_view what,
                  const v1::RatingFigures& r) {
  const double csat =
      r.count() == 0 ? 0 : static_cast<double>(r.satisfied()) / r.count();
  const bool ok =
      r.count() >= 0 && r.satisfied() >= 0 && r.satisfied() <= r.count() &&
      std::abs(r.csat() - csat) < 1e-9 &&
      (r.count() == 0 ? r.average() == 0
                      : (r.average() >= 1 - 1e-9 && r.average() <= 5 + 1e-9));
  if (!ok) {
    Violation(call.method(),
              absl::StrCat(what, " has ratings ", r.ShortDebugString()));
  }
}

void CheckNps(const Call& call, absl::string_view what,
              const v1::NpsFigures& n) {
  const double nps =
      n.count() == 0
          ? 0
          : 100.0 * static_cast<double>(n.promoters() - n.detractors()) /
                n.count();
  if (n.count() < 0 || n.promoters() < 0 || n.detractors() < 0 ||
      n.promoters() + n.detractors() > n.count() ||
      std::abs(n.nps() - nps) > 1e-6 || n.nps() < -100 || n.nps() > 100) {
    Violation(call.method(),
              absl::StrCat(what, " has NPS ", n.ShortDebugString()));
  }
}

absl::CivilDay DayOf(const common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

void Inspect(const Call& call, const v1::GetSatisfactionReportRequest& req,
             const v1::GetSatisfactionReportResponse& resp) {
  const v1::SatisfactionReport& r = resp.report();
  const std::string method = call.method();
  auto fail = [&](absl::string_view what) {
    Violation(method, absl::StrCat("report ", what, ": ", r.ShortDebugString(),
                                   " for ", req.ShortDebugString()));
  };
  const absl::string_view own = CallerBranch(call.in.caller);
  if (r.branch_id() != (own.empty() ? req.branch_id() : std::string(own))) {
    fail("of the wrong branch");
  }
  if (DayOf(r.start_date()) != DayOf(req.start_date()) ||
      DayOf(r.end_date()) != DayOf(req.end_date())) {
    fail("of other dates");
  }
  CheckRatings(call, "the report", r.ratings());
  CheckRatings(call, "the report's surveys", r.survey_ratings());
  CheckRatings(call, "the report's feedback", r.feedback_ratings());
  CheckNps(call, "the report", r.nps());
  if (r.ratings().count() !=
          r.survey_ratings().count() + r.feedback_ratings().count() ||
      r.ratings().satisfied() !=
          r.survey_ratings().satisfied() + r.feedback_ratings().satisfied() ||
      r.response_count() < 0 || r.feedback_count() < 0 ||
      r.feedback_ratings().count() > r.feedback_count() || r.target() != 0.85 ||
      r.target_met() !=
          (r.ratings().count() > 0 && r.ratings().csat() >= 0.85)) {
    fail("whose sources do not add up");
  }
  // Weeks: every Monday from the start's week to the end, each once.
  const absl::CivilDay start = DayOf(req.start_date());
  const absl::CivilDay end = DayOf(req.end_date());
  absl::CivilDay monday = start;
  while (absl::GetWeekday(monday) != absl::Weekday::monday) --monday;
  int64_t week_count = 0, week_satisfied = 0;
  int weeks = 0;
  for (const v1::WeekFigures& w : r.weekly()) {
    if (DayOf(w.week_start()) != monday || monday > end) {
      fail(absl::StrCat("has week ", w.ShortDebugString()));
    }
    CheckRatings(call, "a week", w.ratings());
    week_count += w.ratings().count();
    week_satisfied += w.ratings().satisfied();
    monday += 7;
    ++weeks;
  }
  if (monday <= end || week_count != r.ratings().count() ||
      week_satisfied != r.ratings().satisfied()) {
    fail("whose weeks do not cover the range or add up");
  }
  // Branches: in order, each the caller's to see, adding up.
  int64_t branch_count = 0, branch_nps = 0;
  std::string last;
  for (const v1::BranchFigures& b : r.branches()) {
    CheckBranch(call, "the figures", "", b.branch_id());
    if (!r.branch_id().empty() && b.branch_id() != r.branch_id()) {
      fail(absl::StrCat("has branch ", b.branch_id()));
    }
    if (b.branch_id() <= last) fail("has branches out of order");
    last = b.branch_id();
    CheckRatings(call, "a branch", b.ratings());
    CheckNps(call, "a branch", b.nps());
    if (b.target_met() !=
        (b.ratings().count() > 0 && b.ratings().csat() >= 0.85)) {
      fail("has a branch's target wrong");
    }
    branch_count += b.ratings().count();
    branch_nps += b.nps().count();
  }
  if (branch_count != r.ratings().count() || branch_nps != r.nps().count()) {
    fail("whose branches do not add up");
  }
  const int top = req.top() == 0 ? 10 : req.top();
  for (const auto* terms :
       {&r.top_negative_topics(), &r.top_negative_keywords()}) {
    if (terms->size() > top) fail("has too many top terms");
    int64_t previous = INT64_MAX;
    for (const v1::TermCount& t : *terms) {
      if (t.count() < 1 || t.count() > previous || t.term().empty()) {
        fail(absl::StrCat("has term ", t.ShortDebugString()));
      }
      previous = t.count();
    }
  }
  for (const v1::TermCount& t : r.top_negative_topics()) {
    if (!text::TopicFromId(t.term())) fail("has a topic that is no topic");
  }
}

// ---- Follow-ups
// ---------------------------------------------------------------

void CheckFollowUp(const Call& call, const v1::FollowUp& f, bool reveal) {
  const std::string& id = f.follow_up_id();
  auto fail = [&](absl::string_view what) {
    Violation(call.method(), absl::StrCat("follow-up ", id, " ", what, ": ",
                                          f.ShortDebugString()));
  };
  if (!absl::StartsWith(id, "fup_")) fail("has no proper id");
  CheckBranch(call, "follow-up", id, f.branch_id());
  if (!v1::FollowUpReason_IsValid(f.reason()) ||
      f.reason() == v1::FOLLOW_UP_REASON_UNSPECIFIED ||
      !v1::FollowUpOutcome_IsValid(f.outcome()) ||
      !v1::RepurchaseIntent_IsValid(f.repurchase_intent()) ||
      f.satisfaction() < 0 || f.satisfaction() > 5 || !f.has_due_time() ||
      !f.has_create_time() || f.branch_id().empty()) {
    fail("has a field out of range or unset");
  }
  if (f.status() == v1::FOLLOW_UP_STATUS_PENDING) {
    if (f.has_complete_time() || f.outcome() != 0 || f.satisfaction() != 0 ||
        f.repurchase_intent() != 0 || !f.notes().empty()) {
      fail("is pending with an outcome");
    }
  } else if (f.status() == v1::FOLLOW_UP_STATUS_DONE) {
    if (!f.has_complete_time() ||
        (f.outcome() == v1::FOLLOW_UP_OUTCOME_UNREACHABLE &&
         (f.satisfaction() != 0 || f.repurchase_intent() != 0)) ||
        (f.outcome() == v1::FOLLOW_UP_OUTCOME_UNSPECIFIED &&
         !f.customer_id().empty())) {
      fail("is done without its outcome, or with one it cannot have");
    }
  } else {
    fail("has no status");
  }
  if (!f.order_id().empty() && !f.complaint_id().empty()) {
    fail("follows an order and a complaint");
  }
  if (f.customer_id().empty() &&
      (!f.customer_name().empty() || !f.customer_phone().empty() ||
       !f.notes().empty())) {
    fail("was erased but shows the person");
  }
  const Caller caller = call.in.caller;
  bool phone_masked = CallerSeesMaskedPii(caller, reveal);
  const absl::string_view own = CallerBranch(caller);
  if (!own.empty()) {
    auto home = call.state.branch_of.find(f.customer_id());
    if (home != call.state.branch_of.end() && home->second != own) {
      phone_masked = true;
    }
  }
  if (phone_masked && !Masked(f.customer_phone())) {
    fail(absl::StrCat("shows ", CallerName(caller), " the phone in clear"));
  }
  if ((caller == Caller::kAuditor || caller == Caller::kService) &&
      !Masked(f.customer_name())) {
    fail(absl::StrCat("shows ", CallerName(caller), " the name in clear"));
  }
}

void Prepare(const Call& call, v1::ScheduleFollowUpRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
  v1::FollowUp* f = req.mutable_follow_up();
  SubstituteFromSlot(call, call.state.customers, f->mutable_customer_id());
  SubstituteMarker(call.state.customers, f->mutable_customer_id());
  SubstituteMarker(call.state.orders, f->mutable_order_id());
  SubstituteMarker(call.state.complaints, f->mutable_complaint_id());
}
void Inspect(const Call& call, const v1::ScheduleFollowUpRequest& req,
             const v1::ScheduleFollowUpResponse& resp) {
  const v1::FollowUp& f = resp.follow_up();
  const v1::FollowUp& in = req.follow_up();
  CheckFollowUp(call, f, false);
  // Where it belongs: the order's or complaint's branch, else the
  // customer's home.
  const std::string& by = !in.order_id().empty()       ? in.order_id()
                          : !in.complaint_id().empty() ? in.complaint_id()
                                                       : in.customer_id();
  auto branch = call.state.branch_of.find(by);
  if (f.status() != v1::FOLLOW_UP_STATUS_PENDING ||
      f.customer_id() != in.customer_id() || f.reason() != in.reason() ||
      Us(f.due_time()) != Us(in.due_time()) || f.order_id() != in.order_id() ||
      f.complaint_id() != in.complaint_id() || f.owner_id() != in.owner_id() ||
      f.automatic() ||
      (branch != call.state.branch_of.end() &&
       f.branch_id() != branch->second)) {
    Violation(call.method(), absl::StrCat("scheduled ", f.ShortDebugString(),
                                          " for ", in.ShortDebugString()));
  }
  call.state.follow_ups.AddRecent(f.follow_up_id());
}

void Prepare(const Call& call, v1::ListFollowUpsRequest& req) {
  if (call.in.id_slot >= 0) {
    req.set_owner_id(kOwners[call.in.id_slot % std::size(kOwners)]);
  }
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListFollowUpsRequest& req,
             const v1::ListFollowUpsResponse& resp) {
  const int size = req.page_size() == 0 ? 50 : std::min(req.page_size(), 1000);
  if (resp.follow_ups_size() > size) {
    Violation(call.method(), "an oversized page");
  }
  int64_t last = INT64_MIN;
  std::set<std::string> ids;
  for (const v1::FollowUp& f : resp.follow_ups()) {
    CheckFollowUp(call, f, req.reveal_pii());
    const int64_t due = Us(f.due_time());
    const bool matches =
        (req.status() == v1::FOLLOW_UP_STATUS_UNSPECIFIED ||
         f.status() == req.status()) &&
        (req.branch_id().empty() || f.branch_id() == req.branch_id()) &&
        (req.owner_id().empty() || f.owner_id() == req.owner_id()) &&
        (!req.has_due_start() || due >= Us(req.due_start())) &&
        (!req.has_due_end() || due < Us(req.due_end()));
    if (!matches) {
      Violation(call.method(), absl::StrCat("follow-up ", f.follow_up_id(),
                                            " does not match the filter ",
                                            req.ShortDebugString(), ": ",
                                            f.ShortDebugString()));
    }
    if (due < last || !ids.insert(f.follow_up_id()).second) {
      Violation(call.method(), absl::StrCat("follow-up ", f.follow_up_id(),
                                            " repeated or out of due order"));
    }
    last = due;
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::CompleteFollowUpRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
  SubstituteFromSlot(call, call.state.follow_ups, req.mutable_follow_up_id());
}
void Inspect(const Call& call, const v1::CompleteFollowUpRequest& req,
             const v1::CompleteFollowUpResponse& resp) {
  const v1::FollowUp& f = resp.follow_up();
  CheckFollowUp(call, f, false);
  if (f.follow_up_id() != req.follow_up_id() ||
      f.status() != v1::FOLLOW_UP_STATUS_DONE || f.outcome() != req.outcome() ||
      f.satisfaction() != req.satisfaction() ||
      f.repurchase_intent() != req.repurchase_intent() ||
      f.notes() != Trimmed(req.notes())) {
    Violation(call.method(), absl::StrCat("made ", f.ShortDebugString(),
                                          " for ", req.ShortDebugString()));
  }
}

// ---- Dispatch ---------------------------------------------------------------

grpc::Status ProbeRead(State& state) {
  v1::GetSurveyRequest req;
  req.set_survey_id(state.surveys.seeded().front());
  v1::GetSurveyResponse resp;
  return state.stub->GetSurvey(Admin(state).get(), req, &resp);
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
    CheckNamesField(call.method(), status);
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
  CheckNamesField(call.method(), status);
  if (status.ok()) Inspect(call, req, resp);
  return status;
}

grpc::Status Dispatch(const Call& call) {
  switch (call.rpc) {
    case kAnalyzeText:
      return Run(call, &Stub::AnalyzeText);
    case kCreateSurvey:
      return Run(call, &Stub::CreateSurvey);
    case kGetSurvey:
      return Run(call, &Stub::GetSurvey);
    case kListSurveys:
      return Run(call, &Stub::ListSurveys);
    case kSubmitSurveyResponse:
      return Run(call, &Stub::SubmitSurveyResponse);
    case kSubmitFeedback:
      return Run(call, &Stub::SubmitFeedback);
    case kGetFeedback:
      return Run(call, &Stub::GetFeedback);
    case kListFeedback:
      return Run(call, &Stub::ListFeedback);
    case kGetSatisfactionReport:
      return Run(call, &Stub::GetSatisfactionReport);
    case kScheduleFollowUp:
      return Run(call, &Stub::ScheduleFollowUp);
    case kListFollowUps:
      return Run(call, &Stub::ListFollowUps);
    case kCompleteFollowUp:
      return Run(call, &Stub::CompleteFollowUp);
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

void MustHold(const char* what, bool ok) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: seeding went wrong: %s\n", what);
    std::abort();
  }
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
  const std::string id = resp.customer().customer_id();
  state.customers.AddSeeded(id);
  state.branch_of[id] = branch;
  return id;
}

// An order of `customer` ("" for a walk-in) in `branch`, paid in cash when
// `paid`.
std::string SeedOrder(State& state, const std::string& customer,
                      const char* branch, bool paid) {
  ov1::CreateOrderRequest req;
  req.set_request_id(state.server.FreshRequestId());
  ov1::Order* o = req.mutable_order();
  o->set_branch_id(branch);
  o->set_customer_id(customer);
  o->set_channel(ov1::ORDER_CHANNEL_STORE);
  ov1::OrderItem* shirt = o->add_items();
  shirt->set_sku("SHIRT-M");
  shirt->set_name("衬衫 M");
  shirt->set_quantity(1);
  shirt->mutable_unit_price()->set_minor_units(12'900);
  ov1::CreateOrderResponse created;
  MustSucceed("CreateOrder",
              state.order_stub->CreateOrder(Admin(state).get(), req, &created));
  const std::string id = created.order().order_id();
  state.orders.AddSeeded(id);
  state.branch_of[id] = branch;
  if (!paid) return id;
  ov1::PayOrderRequest pay;
  pay.set_request_id(state.server.FreshRequestId());
  pay.set_order_id(id);
  pay.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
  pay.mutable_payment()->mutable_amount()->set_minor_units(12'900);
  pay.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
  ov1::PayOrderResponse paid_resp;
  MustSucceed("PayOrder",
              state.order_stub->PayOrder(Admin(state).get(), pay, &paid_resp));
  return id;
}

std::string SeedComplaint(State& state, const std::string& customer,
                          const char* branch) {
  cmv1::CreateComplaintRequest req;
  req.set_request_id(state.server.FreshRequestId());
  cmv1::Complaint* c = req.mutable_complaint();
  c->set_customer_id(customer);
  c->set_branch_id(branch);
  c->set_channel(cmv1::COMPLAINT_CHANNEL_PHONE);
  c->set_category(cmv1::COMPLAINT_CATEGORY_LOGISTICS);
  c->set_severity(cmv1::COMPLAINT_SEVERITY_MODERATE);
  c->set_subject("快递太慢");
  c->set_description("三天还没到，物流太慢");
  cmv1::CreateComplaintResponse created;
  MustSucceed("CreateComplaint", state.complaint_stub->CreateComplaint(
                                     Admin(state).get(), req, &created));
  const std::string id = created.complaint().complaint_id();
  state.complaints.AddSeeded(id);
  state.branch_of[id] = branch;
  return id;
}

v1::Question SeedQuestion(v1::QuestionType type, const char* text,
                          std::initializer_list<const char*> choices,
                          bool required) {
  v1::Question q;
  q.set_type(type);
  q.set_text(text);
  for (const char* c : choices) q.add_choices(c);
  q.set_required(required);
  return q;
}

std::string SeedSurvey(State& state, const char* title,
                       std::initializer_list<v1::Question> questions) {
  v1::CreateSurveyRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.mutable_survey()->set_title(title);
  req.mutable_survey()->set_description("感谢您的反馈");
  for (const v1::Question& q : questions) {
    *req.mutable_survey()->add_questions() = q;
  }
  v1::CreateSurveyResponse resp;
  MustSucceed("CreateSurvey",
              state.stub->CreateSurvey(Admin(state).get(), req, &resp));
  state.surveys.AddSeeded(resp.survey().survey_id());
  return resp.survey().survey_id();
}

// `customer`'s answers to every question of the every-type survey, in B001.
void SeedResponse(State& state, const std::string& survey,
                  const std::string& customer, const char* text) {
  v1::SubmitSurveyResponseRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::SurveyResponse* r = req.mutable_response();
  r->set_survey_id(survey);
  r->set_customer_id(customer);
  r->set_branch_id("B001");
  v1::Answer* a = r->add_answers();
  a->set_question_id("q1");
  a->set_rating(4);
  a = r->add_answers();
  a->set_question_id("q2");
  a->set_score(6);
  a->set_has_score(true);
  a = r->add_answers();
  a->set_question_id("q3");
  a->add_choices("门店");
  a = r->add_answers();
  a->set_question_id("q4");
  a->add_choices("价格");
  a->add_choices("服务");
  a = r->add_answers();
  a->set_question_id("q5");
  a->set_text(text);
  v1::SubmitSurveyResponseResponse resp;
  MustSucceed("SubmitSurveyResponse",
              state.stub->SubmitSurveyResponse(Admin(state).get(), req, &resp));
}

v1::FeedbackItem SeedFeedback(State& state, v1::FeedbackKind kind,
                              const char* branch, const std::string& customer,
                              const std::string& order, int rating,
                              const char* text) {
  v1::SubmitFeedbackRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::FeedbackItem* f = req.mutable_feedback();
  f->set_kind(kind);
  f->set_channel(v1::FEEDBACK_CHANNEL_APP);
  f->set_branch_id(branch);
  f->set_customer_id(customer);
  f->set_order_id(order);
  if (kind == v1::FEEDBACK_KIND_PRODUCT_REVIEW) f->set_sku("SHIRT-M");
  f->set_rating(rating);
  f->set_text(text);
  v1::SubmitFeedbackResponse resp;
  MustSucceed("SubmitFeedback",
              state.stub->SubmitFeedback(Admin(state).get(), req, &resp));
  state.feedback.AddSeeded(resp.feedback().feedback_id());
  return resp.feedback();
}

std::string SeedFollowUp(State& state, const std::string& customer,
                         v1::FollowUpReason reason, const std::string& order,
                         const std::string& complaint, int64_t due_seconds,
                         const char* owner) {
  v1::ScheduleFollowUpRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::FollowUp* f = req.mutable_follow_up();
  f->set_customer_id(customer);
  f->set_reason(reason);
  f->mutable_due_time()->set_seconds(due_seconds);
  f->set_order_id(order);
  f->set_complaint_id(complaint);
  f->set_owner_id(owner);
  v1::ScheduleFollowUpResponse resp;
  MustSucceed("ScheduleFollowUp",
              state.stub->ScheduleFollowUp(Admin(state).get(), req, &resp));
  state.follow_ups.AddSeeded(resp.follow_up().follow_up_id());
  return resp.follow_up().follow_up_id();
}

// The rows behind the seeded slots of the pools (feedback_rpc.h).
void Seed(State& state) {
  absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
  MustHold("the shared analyser loads", analyzer.ok());
  state.analyzer = *analyzer;

  const std::string member1 =
      SeedCustomer(state, "B001", "王小明", "13912345678");
  const std::string member2 =
      SeedCustomer(state, "B002", "李雷", "13800138000");
  const std::string erased =
      SeedCustomer(state, "B001", "Erased Person", "13700000001");
  const std::string paid1 = SeedOrder(state, member1, "B001", true);
  SeedOrder(state, "", "B001", false);
  SeedOrder(state, member2, "B002", true);
  SeedComplaint(state, member1, "B001");
  const std::string complaint2 = SeedComplaint(state, member2, "B002");

  const std::string every_type = SeedSurvey(
      state, "门店满意度调查",
      {SeedQuestion(v1::QUESTION_TYPE_RATING, "您对本次购物满意吗？", {}, true),
       SeedQuestion(v1::QUESTION_TYPE_NPS, "您会向朋友推荐我们吗？", {}, false),
       SeedQuestion(v1::QUESTION_TYPE_SINGLE_CHOICE, "您在哪里购物？",
                    {"门店", "网店", "小程序"}, false),
       SeedQuestion(v1::QUESTION_TYPE_MULTIPLE_CHOICE, "您看重什么？",
                    {"价格", "质量", "服务", "物流"}, false),
       SeedQuestion(v1::QUESTION_TYPE_FREE_TEXT, "还有什么想说的？", {},
                    false)});
  SeedSurvey(
      state, "推荐意愿",
      {SeedQuestion(v1::QUESTION_TYPE_NPS, "推荐的可能性有多大？", {}, true),
       SeedQuestion(v1::QUESTION_TYPE_FREE_TEXT, "为什么？", {}, true)});
  SeedResponse(state, every_type, member1, "店员态度很好，就是排队太久");

  SeedFeedback(state, v1::FEEDBACK_KIND_PRODUCT_REVIEW, "B001", member1, paid1,
               5, "衬衫质量很好，很合身");
  const v1::FeedbackItem anonymous =
      SeedFeedback(state, v1::FEEDBACK_KIND_COMMENT, "B002", "", "", 1,
                   "物流太慢了，客服态度也很差");
  MustHold("anonymous negative feedback waits for review",
           anonymous.needs_review());
  const v1::FeedbackItem escalated =
      SeedFeedback(state, v1::FEEDBACK_KIND_COMMENT, "B001", member1, "", 1,
                   "质量太差了，穿一次就破了，很失望");
  MustHold("negative feedback of a member opens a complaint",
           !escalated.complaint_id().empty());
  state.complaints.AddSeeded(escalated.complaint_id());
  state.branch_of[escalated.complaint_id()] = "B001";
  SeedFeedback(state, v1::FEEDBACK_KIND_SUGGESTION, "B001", erased, "", 3,
               "希望多一些尺码");
  SeedResponse(state, every_type, erased, "退货太麻烦了");

  // 2026-01-20 and later: after the clock's start.
  SeedFollowUp(state, member1, v1::FOLLOW_UP_REASON_AFTER_PURCHASE, paid1, "",
               1768900000, "agent-7");
  const std::string done =
      SeedFollowUp(state, member1, v1::FOLLOW_UP_REASON_VIP_CARE, "", "",
                   1768990000, "agent-7");
  SeedFollowUp(state, member2, v1::FOLLOW_UP_REASON_AFTER_COMPLAINT, "",
               complaint2, 1769000000, "agent-7");
  SeedFollowUp(state, erased, v1::FOLLOW_UP_REASON_BIRTHDAY, "", "", 1769100000,
               "agent-9");
  v1::CompleteFollowUpRequest made;
  made.set_request_id(state.server.FreshRequestId());
  made.set_follow_up_id(done);
  made.set_outcome(v1::FOLLOW_UP_OUTCOME_REACHED);
  made.set_satisfaction(5);
  made.set_repurchase_intent(v1::REPURCHASE_INTENT_YES);
  made.set_notes("客户很满意，会再来");
  v1::CompleteFollowUpResponse made_resp;
  MustSucceed("CompleteFollowUp", state.stub->CompleteFollowUp(
                                      Admin(state).get(), made, &made_resp));

  cv1::EraseCustomerRequest erase;
  erase.set_request_id(state.server.FreshRequestId());
  erase.set_customer_id(erased);
  erase.set_reason("seed");
  cv1::EraseCustomerResponse erase_resp;
  MustSucceed("EraseCustomer", state.customer_stub->EraseCustomer(
                                   Admin(state).get(), erase, &erase_resp));
}

}  // namespace
}  // namespace retail::fuzz::feedback

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using retail::fuzz::feedback::g_state;
  g_state = new retail::fuzz::feedback::State();
  retail::fuzz::feedback::Seed(*g_state);
  g_state->server.SaveSnapshot();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retail::fuzz;
  using namespace retail::fuzz::feedback;
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
