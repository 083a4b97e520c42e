#include "server/complaints/complaint_manager.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/customers/contact_view.h"

namespace retail::complaints {
namespace {

using ::google::protobuf::util::TimeUtil;
using PrincipalPtr = std::shared_ptr<const Principal>;

constexpr size_t kMaxEtagBytes = 64;
constexpr int kMaxStatsDays = 366;

std::string ResourceName(absl::string_view id) {
  return absl::StrCat("complaints/", id);
}
std::string EtagOf(int64_t revision) { return absl::StrCat("r", revision); }

std::string StatusName(v1::ComplaintStatus s) {
  absl::string_view name = v1::ComplaintStatus_Name(s);
  absl::ConsumePrefix(&name, "COMPLAINT_STATUS_");
  return std::string(name);
}

google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

absl::Status IllegalTransition(const StoredComplaint& sc,
                               v1::ComplaintStatus requested,
                               absl::string_view why) {
  return ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION",
      absl::StrCat("complaint '", sc.c.complaint_id(), "' is ",
                   StatusName(sc.c.status()), "; it cannot become ",
                   StatusName(requested), ": ", why),
      {{"complaint_id", sc.c.complaint_id()},
       {"current_status", v1::ComplaintStatus_Name(sc.c.status())},
       {"requested_status", v1::ComplaintStatus_Name(requested)}});
}

// A transition that keeps the status (a note, a hand-over) on a complaint
// that no longer takes it.
// `action` names the request ("assign", "escalate", ...): it would keep
// the status, so the requested state is the open status it needs.
absl::Status NotOnClosed(const StoredComplaint& sc, absl::string_view action,
                         absl::string_view what) {
  return ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION",
      absl::StrCat("complaint '", sc.c.complaint_id(),
                   "' is CLOSED; it cannot ", action, ": ", what,
                   " only while it is open (reopen it first)"),
      {{"complaint_id", sc.c.complaint_id()},
       {"current_status", v1::ComplaintStatus_Name(sc.c.status())},
       {"requested_action", std::string(action)},
       {"requested_status", "an open status"}});
}

void CheckEtag(ViolationCollector& v, const std::string& etag,
               absl::string_view field = "etag",
               absl::string_view of = "the complaint") {
  if (etag.empty()) {
    v.Add(field,
          absl::StrCat("is required: send the etag of ", of, " as last read"));
  } else if (etag.size() > kMaxEtagBytes) {
    v.Add(field, absl::StrCat("must be at most ", kMaxEtagBytes,
                              " bytes: send the etag as read"));
  }
}

// What every transition request carries: its request_id, the complaint and
// the etag last read.
template <typename Request>
void CheckTransitionKeys(ViolationCollector& v, const Request& req) {
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "complaint_id", req.complaint_id());
  CheckEtag(v, req.etag());
}

// A trimmed free text, checked: `min`..`max` characters.
std::string Text(ViolationCollector& v, const std::string& field,
                 const std::string& in, size_t min, size_t max) {
  const absl::string_view t = TrimUnicodeSpace(in);
  CheckText(v, field, t, min, max);
  return std::string(t);
}

BusinessCalendar CalendarFrom(const std::optional<v1::BranchCalendar>& stored,
                              absl::TimeZone chain_zone) {
  if (stored) {
    absl::StatusOr<BusinessCalendar> c =
        BusinessCalendar::FromProto(*stored, chain_zone, "calendar");
    if (c.ok()) return *std::move(c);
  }
  return BusinessCalendar::Default(chain_zone);
}

absl::StatusOr<BusinessCalendar> LoadCalendar(db::Connection& conn,
                                              const std::string& branch,
                                              absl::TimeZone zone) {
  ASSIGN_OR_RETURN(std::optional<v1::BranchCalendar> stored,
                   GetCalendar(conn, branch));
  return CalendarFrom(stored, zone);
}

absl::StatusOr<v1::SlaPolicy> LoadPolicy(db::Connection& conn,
                                         int64_t version) {
  absl::StatusOr<v1::SlaPolicy> p = GetPolicy(conn, version);
  // Nothing stored yet: the default is version 1.
  if (absl::IsNotFound(p.status()) && version <= 1) return DefaultSlaPolicy();
  return p;
}

std::array<ClockTarget, 3> TargetsFor(const v1::SlaPolicy& policy,
                                      v1::ComplaintSeverity severity) {
  for (const v1::SeverityTargets& t : policy.targets()) {
    if (t.severity() != severity) continue;
    auto target = [](const v1::SlaTarget& s) {
      return ClockTarget{absl::Seconds(s.duration().seconds()) +
                             absl::Nanoseconds(s.duration().nanos()),
                         s.business_hours()};
    };
    return {target(t.first_response()), target(t.solution()),
            target(t.closure())};
  }
  // A validated policy names every severity; this keeps a clock sane if not.
  return {ClockTarget{absl::Hours(24)}, ClockTarget{absl::Hours(72)},
          ClockTarget{absl::Hours(168)}};
}

void StartClocks(const BusinessCalendar& cal, const v1::SlaPolicy& policy,
                 int64_t now_us, StoredComplaint& sc) {
  const std::array<ClockTarget, 3> targets =
      TargetsFor(policy, sc.c.severity());
  for (int i = 0; i < 3; ++i) {
    sc.clocks[i] =
        StartClock(cal, static_cast<v1::ClockKind>(i + 1), targets[i], now_us);
  }
}

// Recomputes the columns the indexes serve: the earliest due time of a
// running clock, when the sweep must look next, and whether any clock has
// breached (as far as stops and the sweep have recorded).
void Refresh(const BusinessCalendar& cal, int near_percent,
             StoredComplaint& sc) {
  sc.next_due_us.reset();
  sc.next_sweep_us.reset();
  sc.breached = false;
  for (const ClockRow& c : sc.clocks) {
    if (c.running()) {
      sc.next_due_us = std::min(sc.next_due_us.value_or(INT64_MAX), c.due_us);
    }
    if (std::optional<int64_t> at = NextSweepUs(cal, near_percent, c)) {
      sc.next_sweep_us = std::min(sc.next_sweep_us.value_or(INT64_MAX), *at);
    }
    // A stopped or paused clock is final or frozen: if it was late, it has
    // breached, whether or not the sweep saw it run late.
    if (c.breach_marked || (!c.running() && Breached(cal, /*now_us=*/0, c))) {
      sc.breached = true;
    }
  }
}

using customers::ContactView;
using PiiView = ContactView;
using customers::ContactViewFor;
using customers::DefaultContactViewFor;

// The API view of `sc` at `now`: clocks, etag, next due, breached, and the
// customer's name and phone per `pii`.
void FillView(const BusinessCalendar& cal, int64_t now_us,
              const StoredComplaint& sc,
              const customers::CustomerDirectory::Contact& contact, PiiView pii,
              v1::Complaint* out) {
  *out = sc.c;
  out->clear_clocks();
  bool breached = sc.breached;
  for (const ClockRow& c : sc.clocks) {
    *out->add_clocks() = ClockView(cal, now_us, c);
    breached =
        breached || out->clocks().rbegin()->state() == v1::CLOCK_STATE_BREACHED;
  }
  out->set_breached(breached);
  out->set_etag(EtagOf(sc.revision));
  if (sc.next_due_us) *out->mutable_next_due_time() = Ts(*sc.next_due_us);
  customers::ShowContact(pii, contact, sc.c.branch_id(),
                         out->mutable_customer_name(),
                         out->mutable_customer_phone());
}

// Empties the free text of `c` (erasure).
void ClearText(v1::Complaint* c) {
  c->clear_subject();
  c->clear_description();
  c->clear_customer_name();
  c->clear_customer_phone();
  if (c->has_solution()) c->mutable_solution()->clear_description();
  c->set_text_erased(true);
}

// Empties the free text of customer `id`'s complaints, and the text of
// every history entry, in `m` (a stored response of one of them).
void ScrubReply(google::protobuf::Message* m, const std::string& id) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d == v1::Complaint::descriptor()) {
    auto* c = static_cast<v1::Complaint*>(m);
    if (c->customer_id() == id) ClearText(c);
    return;
  }
  if (d == v1::HistoryEntry::descriptor()) {
    static_cast<v1::HistoryEntry*>(m)->clear_text();
    return;
  }
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
      continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j)
        ScrubReply(r->MutableRepeatedMessage(m, f, j), id);
    } else if (r->HasField(*m, f)) {
      ScrubReply(r->MutableMessage(m, f), id);
    }
  }
}

// Reorders `values` (a selection, not a sort: a quarter of a million
// times sorted twice was a tenth of the statistics' time).
int64_t Percentile(std::vector<int64_t>& values, int percent) {
  if (values.empty()) return 0;
  // Nearest rank: the smallest value with at least `percent`% at or below.
  const size_t rank = (values.size() * static_cast<size_t>(percent) + 99) / 100;
  const auto nth = values.begin() + (std::max<size_t>(rank, 1) - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

}  // namespace

v1::SlaPolicy DefaultSlaPolicy() {
  v1::SlaPolicy p;
  p.set_version(1);
  p.set_near_breach_percent(80);
  p.set_unreachable_attempts(3);
  for (v1::ComplaintSeverity s :
       {v1::COMPLAINT_SEVERITY_MINOR, v1::COMPLAINT_SEVERITY_MODERATE,
        v1::COMPLAINT_SEVERITY_SEVERE}) {
    v1::SeverityTargets* t = p.add_targets();
    t->set_severity(s);
    t->mutable_first_response()->mutable_duration()->set_seconds(24 * 3600);
    t->mutable_solution()->mutable_duration()->set_seconds(3 * 24 * 3600);
    t->mutable_closure()->mutable_duration()->set_seconds(7 * 24 * 3600);
  }
  p.set_etag("v1");
  return p;
}

ComplaintManager::ComplaintManager(db::Database& db, const Clock& clock,
                                   ComplaintOptions options,
                                   customers::CustomerDirectory* customers,
                                   orders::OrderDirectory* orders,
                                   const text::Analyzer& analyzer)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      customers_(customers),
      orders_(orders),
      analyzer_(analyzer),
      tokens_(db.secret()) {}

namespace {

// Everything a write needs beside the complaint: its branch's calendar, its
// policy version, and the history entries it adds.
struct Work {
  db::MutationContext& ctx;
  StoredComplaint& sc;
  BusinessCalendar cal;
  v1::SlaPolicy policy;
  std::vector<v1::HistoryEntry> history;

  v1::HistoryEntry& Add(v1::HistoryKind kind, v1::ComplaintStatus from,
                        std::string text = "") {
    v1::HistoryEntry& e = history.emplace_back();
    e.set_entry_id(NewId("hst", ctx.now_micros));
    e.set_kind(kind);
    e.set_from_status(from);
    e.set_to_status(sc.c.status());
    e.set_actor(ctx.meta.principal->id);
    e.set_staff_id(ctx.meta.staff_id);
    *e.mutable_time() = Ts(ctx.now_micros);
    e.set_text(std::move(text));
    e.set_escalation_level(sc.c.escalation_level());
    return e;
  }
  void Pause() {
    for (ClockRow& c : sc.clocks) PauseClock(cal, ctx.now_micros, c);
  }
  void Resume() {
    for (ClockRow& c : sc.clocks) ResumeClock(cal, ctx.now_micros, c);
  }
  // Stops clock `kind` (1..3) and records it; nothing if already stopped.
  void Stop(v1::ClockKind kind) {
    if (StopClock(cal, ctx.now_micros, sc.clocks[kind - 1])) {
      Add(v1::HISTORY_KIND_CLOCK_STOPPED, sc.c.status()).set_clock(kind);
    }
  }
};

// Saves `sc` after a change: revision, update time, the indexed columns,
// the row and its clocks, the history, and the event `event`.
// The event of a complaint's change, carrying the complaint as the API
// shows it at this revision (clocks included) without the customer's name
// and phone, which are the customer's, read live by Get.
absl::Status AppendComplaintEvent(db::MutationContext& ctx,
                                  const BusinessCalendar& cal,
                                  const StoredComplaint& sc,
                                  absl::string_view event) {
  v1::Complaint state;
  FillView(cal, ctx.now_micros, sc, {}, PiiView::kMasked, &state);
  state.clear_customer_name();
  state.clear_customer_phone();
  const std::string name = ResourceName(sc.c.complaint_id());
  return db::AppendEvent(ctx.conn,
                         {.resource_type = "complaint",
                          .resource_id = sc.c.complaint_id(),
                          .resource = name,
                          .event_type = event,
                          .revision = sc.revision,
                          .branch_id = sc.c.branch_id(),
                          .state = &state},
                         ctx.meta, ctx.now_micros);
}

absl::Status Save(Work& w, absl::string_view event) {
  StoredComplaint& sc = w.sc;
  sc.revision += 1;
  *sc.c.mutable_update_time() = Ts(w.ctx.now_micros);
  Refresh(w.cal, w.policy.near_breach_percent(), sc);
  RETURN_IF_ERROR(UpdateComplaint(w.ctx.conn, sc));
  for (const v1::HistoryEntry& e : w.history) {
    RETURN_IF_ERROR(InsertHistory(w.ctx.conn, sc.row, e));
  }
  w.history.clear();
  return AppendComplaintEvent(w.ctx, w.cal, sc, event);
}

}  // namespace

absl::StatusOr<BusinessCalendar> ComplaintManager::InsertNew(
    db::MutationContext& ctx, StoredComplaint& sc,
    const std::vector<KeywordRow>& keyword_rows) {
  v1::Complaint& c = sc.c;
  if (customers_ == nullptr) {
    return absl::NotFoundError(absl::StrCat("complaint.customer_id: customer '",
                                            c.customer_id(), "' not found"));
  }
  // A customer of any branch may complain in any branch.
  RETURN_IF_ERROR(customers_->CheckCustomerActive(ctx.conn, c.customer_id()));
  if (!c.order_id().empty()) {
    if (orders_ == nullptr) {
      return absl::NotFoundError(absl::StrCat("complaint.order_id: order '",
                                              c.order_id(), "' not found"));
    }
    RETURN_IF_ERROR(orders_
                        ->CheckOrderOfCustomer(ctx.conn, c.order_id(),
                                               c.customer_id(),
                                               "complaint.order_id",
                                               BranchScope(*ctx.meta.principal))
                        .status());
  }
  ASSIGN_OR_RETURN(v1::SlaPolicy policy, LoadPolicy(ctx.conn, 0));
  ASSIGN_OR_RETURN(BusinessCalendar cal,
                   LoadCalendar(ctx.conn, c.branch_id(), options_.time_zone));
  c.set_complaint_id(NewId("cmp", ctx.now_micros));
  c.set_status(v1::COMPLAINT_STATUS_NEW);
  c.set_sla_policy_version(policy.version());
  *c.mutable_create_time() = Ts(ctx.now_micros);
  *c.mutable_update_time() = c.create_time();
  sc.revision = 1;
  sc.resume_status = v1::COMPLAINT_STATUS_UNSPECIFIED;
  StartClocks(cal, policy, ctx.now_micros, sc);
  Refresh(cal, policy.near_breach_percent(), sc);
  RETURN_IF_ERROR(InsertComplaint(ctx.conn, sc));
  RETURN_IF_ERROR(InsertKeywords(ctx.conn, sc, keyword_rows));
  Work w{ctx, sc, cal, policy, {}};
  w.Add(v1::HISTORY_KIND_CREATED, v1::COMPLAINT_STATUS_UNSPECIFIED,
        c.feedback_id().empty()
            ? std::string()
            : absl::StrCat("opened by feedback ", c.feedback_id()));
  for (const v1::HistoryEntry& e : w.history) {
    RETURN_IF_ERROR(InsertHistory(ctx.conn, sc.row, e));
  }
  RETURN_IF_ERROR(AppendComplaintEvent(ctx, cal, sc, "CREATED"));
  return cal;
}

absl::StatusOr<std::string> ComplaintManager::OpenComplaint(
    db::MutationContext& ctx, const Opening& o) {
  StoredComplaint sc;
  v1::Complaint& c = sc.c;
  c.set_customer_id(o.customer_id);
  c.set_branch_id(o.branch_id);
  c.set_order_id(o.order_id);
  c.set_channel(o.channel);
  c.set_category(o.category);
  c.set_severity(o.severity);
  c.set_subject(o.subject);
  c.set_description(o.description);
  c.set_feedback_id(o.feedback_id);
  for (const std::string& t : o.topics) c.add_topics(t);
  std::vector<KeywordRow> keywords;
  for (const auto& [keyword, topic] : o.keywords) {
    c.add_keywords(keyword);
    keywords.push_back({keyword, topic});
  }
  RETURN_IF_ERROR(InsertNew(ctx, sc, keywords).status());
  return c.complaint_id();
}

absl::StatusOr<std::string> ComplaintManager::CheckComplaintOfCustomer(
    db::Connection& conn, const std::string& complaint_id,
    const std::string& customer_id, const std::string& field,
    const std::string& branch_scope) {
  absl::StatusOr<StoredComplaint> sc =
      complaints::GetComplaint(conn, complaint_id, branch_scope);
  if (absl::IsNotFound(sc.status())) {
    return absl::NotFoundError(
        absl::StrCat(field, ": complaint '", complaint_id, "' not found"));
  }
  RETURN_IF_ERROR(sc.status());
  if (sc->c.customer_id() != customer_id) {
    return ErrorWithReason(
        absl::StatusCode::kFailedPrecondition, "COMPLAINT_OF_ANOTHER_CUSTOMER",
        absl::StrCat(field, ": complaint '", complaint_id,
                     "' is not customer '", customer_id, "'s"),
        {{"field", field}});
  }
  return sc->c.branch_id();
}

absl::StatusOr<std::vector<ComplaintIntake::Closed>>
ComplaintManager::ListClosed(db::Connection& conn, int64_t from_us,
                             int64_t to_us, int64_t after_close_us,
                             int64_t after_row, int limit) {
  ASSIGN_OR_RETURN(std::vector<ClosedRow> rows,
                   complaints::ListClosed(conn, from_us, to_us, after_close_us,
                                          after_row, limit));
  std::vector<Closed> out;
  for (ClosedRow& r : rows) {
    out.push_back({r.row, std::move(r.complaint_id), std::move(r.customer_id),
                   std::move(r.branch_id), r.close_us});
  }
  return out;
}

void ComplaintManager::CreateComplaint(
    CallMeta call, const v1::CreateComplaintRequest& req,
    Reply<v1::CreateComplaintResponse> reply) {
  const PrincipalPtr& p = call.principal;
  const v1::Complaint& in = req.complaint();
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  StoredComplaint sc;
  v1::Complaint& c = sc.c;
  std::string branch = in.branch_id();
  if (p->role == Role::kBranch) {
    if (!branch.empty() && branch != p->branch_id) {
      return reply(absl::PermissionDeniedError(
          absl::StrCat("complaint.branch_id: branch '", p->branch_id,
                       "' may not record complaints for branch '",
                       TruncateUtf8(branch, 64), "'")));
    }
    branch = p->branch_id;
  } else {
    CheckId(v, "complaint.branch_id", branch);
  }
  c.set_branch_id(branch);
  CheckId(v, "complaint.customer_id", in.customer_id());
  c.set_customer_id(in.customer_id());
  if (!in.order_id().empty()) {
    CheckId(v, "complaint.order_id", in.order_id());
    c.set_order_id(in.order_id());
  }
  if (!v1::ComplaintChannel_IsValid(in.channel()) ||
      in.channel() == v1::COMPLAINT_CHANNEL_UNSPECIFIED) {
    v.Add("complaint.channel",
          "must be one of COMPLAINT_CHANNEL_PHONE, _EMAIL, _ONLINE, _APP, "
          "_WECHAT, _IN_STORE, _SOCIAL_MEDIA");
  }
  c.set_channel(in.channel());
  if (!v1::ComplaintCategory_IsValid(in.category()) ||
      in.category() == v1::COMPLAINT_CATEGORY_UNSPECIFIED) {
    v.Add("complaint.category",
          "must be one of COMPLAINT_CATEGORY_PRODUCT_QUALITY, "
          "_SERVICE_ATTITUDE, _LOGISTICS, _PAYMENT, _RETURN_EXCHANGE, "
          "_PRICING, _OTHER");
  }
  c.set_category(in.category());
  if (!v1::ComplaintSeverity_IsValid(in.severity()) ||
      in.severity() == v1::COMPLAINT_SEVERITY_UNSPECIFIED) {
    v.Add("complaint.severity",
          "must be one of COMPLAINT_SEVERITY_MINOR, _MODERATE, _SEVERE");
  }
  c.set_severity(in.severity());
  const absl::string_view subject = TrimUnicodeSpace(in.subject());
  CheckSingleLineText(v, "complaint.subject", subject, 1, 200);
  c.set_subject(std::string(subject));
  c.set_description(Text(v, "complaint.description", in.description(), 1,
                         text::kMaxTextChars));
  if (!v.empty()) return reply(v.ToStatus());

  // Topics and keywords, on the calling thread: the analysis costs about a
  // millisecond per thousand characters, which the writer must not pay.
  std::vector<KeywordRow> keyword_rows;
  {
    absl::flat_hash_set<std::string> topics, keywords;
    for (const auto& [field, text_in] :
         {std::pair<const char*, const std::string*>{"complaint.subject",
                                                     &c.subject()},
          {"complaint.description", &c.description()}}) {
      absl::StatusOr<text::Analysis> a = analyzer_.Analyze(*text_in, field);
      if (!a.ok()) return reply(a.status());
      for (const text::TopicHit& hit : a->topics) {
        const std::string topic(text::TopicId(hit.topic));
        if (topics.insert(topic).second) c.add_topics(topic);
        for (const std::string& k : hit.keywords) {
          if (keywords.insert(k).second) {
            c.add_keywords(k);
            keyword_rows.push_back({k, topic});
          }
        }
      }
      for (const std::string& k : a->keywords) {
        if (keywords.insert(k).second) {
          c.add_keywords(k);
          keyword_rows.push_back({k, ""});
        }
      }
    }
  }
  const PiiView visible = DefaultContactViewFor(*p);

  db::SubmitMutation<v1::CreateComplaintResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "complaints"), req,
      [this, sc = std::move(sc), keyword_rows = std::move(keyword_rows),
       visible](db::MutationContext& ctx,
                v1::CreateComplaintResponse* out) mutable -> absl::Status {
        ASSIGN_OR_RETURN(BusinessCalendar cal,
                         InsertNew(ctx, sc, keyword_rows));
        const v1::Complaint& c = sc.c;
        // Its answer is stored under its own name, so erasure finds it.
        ctx.meta.resource = ResourceName(c.complaint_id());
        ASSIGN_OR_RETURN(customers::CustomerDirectory::Contact contact,
                         customers_->GetContact(ctx.conn, c.customer_id()));
        FillView(cal, ctx.now_micros, sc, contact, visible,
                 out->mutable_complaint());
        return absl::OkStatus();
      },
      std::move(reply));
}

template <typename Response, typename Step>
void ComplaintManager::Transition(CallMeta call,
                                  const google::protobuf::Message& req,
                                  const std::string& complaint_id,
                                  const std::string& etag,
                                  const std::string& request_id, Step step,
                                  Reply<Response> reply) {
  const PiiView visible = DefaultContactViewFor(*call.principal);
  db::SubmitMutation<Response>(
      db_.writer(), clock_, call.With(request_id, ResourceName(complaint_id)),
      req,
      [this, complaint_id, etag, visible, step = std::move(step)](
          db::MutationContext& ctx, Response* out) mutable -> absl::Status {
        ASSIGN_OR_RETURN(
            StoredComplaint sc,
            complaints::GetComplaint(ctx.conn, complaint_id,
                                     BranchScope(*ctx.meta.principal)));
        if (etag != EtagOf(sc.revision)) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "ETAG_MISMATCH",
              absl::StrCat("etag: complaint '", complaint_id,
                           "' changed since it was read (etag '",
                           EtagOf(sc.revision), "'); read it again and retry"),
              {{"current_etag", EtagOf(sc.revision)}});
        }
        ASSIGN_OR_RETURN(v1::SlaPolicy policy,
                         LoadPolicy(ctx.conn, sc.c.sla_policy_version()));
        ASSIGN_OR_RETURN(
            BusinessCalendar cal,
            LoadCalendar(ctx.conn, sc.c.branch_id(), options_.time_zone));
        Work w{ctx, sc, std::move(cal), std::move(policy), {}};
        ASSIGN_OR_RETURN(std::string event, step(w));
        RETURN_IF_ERROR(Save(w, event));
        customers::CustomerDirectory::Contact contact;
        if (customers_ != nullptr) {
          ASSIGN_OR_RETURN(
              contact, customers_->GetContact(ctx.conn, sc.c.customer_id()));
        }
        FillView(w.cal, ctx.now_micros, sc, contact, visible,
                 out->mutable_complaint());
        return absl::OkStatus();
      },
      std::move(reply));
}

void ComplaintManager::AssignComplaint(
    CallMeta call, const v1::AssignComplaintRequest& req,
    Reply<v1::AssignComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  CheckId(v, "owner_id", req.owner_id());
  std::string team = Text(v, "team", req.team(), 1, 64);
  std::string note = Text(v, "note", req.note(), 0, 500);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::AssignComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [owner = req.owner_id(), team = std::move(team),
       note = std::move(note)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (from == v1::COMPLAINT_STATUS_CLOSED) {
          return NotOnClosed(w.sc, "be assigned", "an owner is assigned");
        }
        if (from == v1::COMPLAINT_STATUS_NEW) {
          c.set_status(v1::COMPLAINT_STATUS_ACKNOWLEDGED);
        }
        c.set_owner_id(owner);
        c.set_team(team);
        v1::HistoryEntry& e = w.Add(v1::HISTORY_KIND_ASSIGNED, from, note);
        e.set_owner_id(owner);
        e.set_team(team);
        return std::string(from == v1::COMPLAINT_STATUS_NEW ? "ACKNOWLEDGED"
                                                            : "REASSIGNED");
      },
      std::move(reply));
}

void ComplaintManager::RespondToComplaint(
    CallMeta call, const v1::RespondToComplaintRequest& req,
    Reply<v1::RespondToComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  std::string message = Text(v, "message", req.message(), 1, 5000);
  const bool to_customer = req.visibility() == v1::MESSAGE_VISIBILITY_CUSTOMER;
  if (!to_customer && req.visibility() != v1::MESSAGE_VISIBILITY_INTERNAL) {
    v.Add("visibility",
          "must be MESSAGE_VISIBILITY_CUSTOMER or MESSAGE_VISIBILITY_INTERNAL");
  }
  if (req.wait_for_customer() &&
      req.visibility() == v1::MESSAGE_VISIBILITY_INTERNAL) {
    v.Add("wait_for_customer",
          "only a message to the customer can wait for their answer");
  }
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::RespondToComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [to_customer, wait = req.wait_for_customer(),
       message = std::move(message)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (!to_customer) {
          if (from == v1::COMPLAINT_STATUS_CLOSED) {
            return NotOnClosed(w.sc, "take a note", "notes are added");
          }
          w.Add(v1::HISTORY_KIND_NOTE, from, message);
          return std::string("NOTE_ADDED");
        }
        switch (from) {
          case v1::COMPLAINT_STATUS_NEW:
            return IllegalTransition(
                w.sc, v1::COMPLAINT_STATUS_IN_PROGRESS,
                "assign an owner first: every answer has a named owner");
          case v1::COMPLAINT_STATUS_CLOSED:
            return IllegalTransition(w.sc, v1::COMPLAINT_STATUS_IN_PROGRESS,
                                     "reopen it first");
          default:
            break;
        }
        // The first answer to the customer moves it on; later ones keep
        // where it is.
        if (from == v1::COMPLAINT_STATUS_ACKNOWLEDGED ||
            from == v1::COMPLAINT_STATUS_REOPENED) {
          c.set_status(v1::COMPLAINT_STATUS_IN_PROGRESS);
        }
        w.Add(v1::HISTORY_KIND_RESPONDED, from, message);
        w.Stop(v1::CLOCK_KIND_FIRST_RESPONSE);
        if (!wait) return std::string("RESPONDED");
        if (from != v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER) {
          w.sc.resume_status = c.status();
          const v1::ComplaintStatus before = c.status();
          c.set_status(v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
          w.Pause();
          w.Add(v1::HISTORY_KIND_PAUSED, before);
        }
        return std::string("WAITING_ON_CUSTOMER");
      },
      std::move(reply));
}

void ComplaintManager::RecordCustomerContact(
    CallMeta call, const v1::RecordCustomerContactRequest& req,
    Reply<v1::RecordCustomerContactResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  const bool replied = req.outcome() == v1::CONTACT_OUTCOME_REPLIED;
  if (!replied && req.outcome() != v1::CONTACT_OUTCOME_FAILED) {
    v.Add("outcome",
          "must be CONTACT_OUTCOME_REPLIED or CONTACT_OUTCOME_FAILED");
  }
  std::string note = Text(v, "note", req.note(), 0, 5000);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::RecordCustomerContactResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [replied,
       note = std::move(note)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (from == v1::COMPLAINT_STATUS_CLOSED) {
          return NotOnClosed(w.sc, "record a contact", "contacts are recorded");
        }
        if (!replied) {
          c.set_failed_contact_attempts(c.failed_contact_attempts() + 1);
          w.Add(v1::HISTORY_KIND_CONTACT_FAILED, from, note);
          return std::string("CONTACT_FAILED");
        }
        w.Add(v1::HISTORY_KIND_CUSTOMER_REPLIED, from, note);
        if (from != v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER) {
          return std::string("CUSTOMER_REPLIED");
        }
        c.set_status(w.sc.resume_status == v1::COMPLAINT_STATUS_UNSPECIFIED
                         ? v1::COMPLAINT_STATUS_IN_PROGRESS
                         : w.sc.resume_status);
        w.sc.resume_status = v1::COMPLAINT_STATUS_UNSPECIFIED;
        w.Resume();
        w.Add(v1::HISTORY_KIND_RESUMED, from);
        return std::string("RESUMED");
      },
      std::move(reply));
}

void ComplaintManager::ProposeSolution(
    CallMeta call, const v1::ProposeSolutionRequest& req,
    Reply<v1::ProposeSolutionResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  const v1::Solution& in = req.solution();
  if (!v1::Remedy_IsValid(in.remedy()) ||
      in.remedy() == v1::REMEDY_UNSPECIFIED) {
    v.Add("solution.remedy",
          "must be one of REMEDY_REFUND, _RETURN, _EXCHANGE, _REPAIR, "
          "_COMPENSATION, _COUPON, _APOLOGY");
  }
  v1::Solution solution;
  solution.set_remedy(in.remedy());
  solution.set_description(
      Text(v, "solution.description", in.description(), 1, 2000));
  if (!in.return_id().empty()) {
    CheckId(v, "solution.return_id", in.return_id());
    solution.set_return_id(in.return_id());
  }
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::ProposeSolutionResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [this,
       solution = std::move(solution)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (from != v1::COMPLAINT_STATUS_IN_PROGRESS) {
          return IllegalTransition(
              w.sc, v1::COMPLAINT_STATUS_SOLUTION_PROPOSED,
              "a solution is proposed while the complaint is IN_PROGRESS");
        }
        if (!solution.return_id().empty()) {
          if (c.order_id().empty() || orders_ == nullptr) {
            return ErrorWithReason(
                absl::StatusCode::kFailedPrecondition, "NO_ORDER",
                absl::StrCat("solution.return_id: complaint '",
                             c.complaint_id(),
                             "' names no order, so no return can carry out "
                             "its solution"),
                {{"field", "solution.return_id"}});
          }
          RETURN_IF_ERROR(
              orders_->CheckReturnOfOrder(w.ctx.conn, solution.return_id(),
                                          c.order_id(), "solution.return_id"));
        }
        *c.mutable_solution() = solution;
        c.set_status(v1::COMPLAINT_STATUS_SOLUTION_PROPOSED);
        w.Add(v1::HISTORY_KIND_SOLUTION_PROPOSED, from, solution.description());
        w.Stop(v1::CLOCK_KIND_SOLUTION);
        return std::string("SOLUTION_PROPOSED");
      },
      std::move(reply));
}

void ComplaintManager::ResolveComplaint(
    CallMeta call, const v1::ResolveComplaintRequest& req,
    Reply<v1::ResolveComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  std::string note = Text(v, "note", req.note(), 0, 2000);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::ResolveComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [note = std::move(note)](Work& w) -> absl::StatusOr<std::string> {
        const v1::ComplaintStatus from = w.sc.c.status();
        if (from != v1::COMPLAINT_STATUS_SOLUTION_PROPOSED) {
          return IllegalTransition(w.sc, v1::COMPLAINT_STATUS_RESOLVED,
                                   "only a proposed solution is resolved");
        }
        w.sc.c.set_status(v1::COMPLAINT_STATUS_RESOLVED);
        w.Add(v1::HISTORY_KIND_RESOLVED, from, note);
        return std::string("RESOLVED");
      },
      std::move(reply));
}

void ComplaintManager::CloseComplaint(CallMeta call,
                                      const v1::CloseComplaintRequest& req,
                                      Reply<v1::CloseComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  if (!v1::Confirmation_IsValid(req.confirmation()) ||
      req.confirmation() == v1::CONFIRMATION_UNSPECIFIED) {
    v.Add("confirmation",
          "must be CONFIRMATION_SATISFIED, CONFIRMATION_UNSATISFIED or "
          "CONFIRMATION_UNREACHABLE: close only with the customer's answer");
  }
  if (req.satisfaction_score() < 0 || req.satisfaction_score() > 5) {
    v.Add("satisfaction_score", "must be 1 to 5, or 0 for none given");
  }
  if (req.confirmation() == v1::CONFIRMATION_UNREACHABLE &&
      req.satisfaction_score() != 0) {
    v.Add("satisfaction_score",
          "must be 0 when the customer could not be reached");
  }
  std::string note = Text(v, "note", req.note(), 0, 2000);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::CloseComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [confirmation = req.confirmation(), score = req.satisfaction_score(),
       note = std::move(note)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (from != v1::COMPLAINT_STATUS_RESOLVED) {
          return IllegalTransition(
              w.sc, v1::COMPLAINT_STATUS_CLOSED,
              "a complaint is closed once resolved, with the customer's "
              "confirmation");
        }
        if (confirmation == v1::CONFIRMATION_UNREACHABLE &&
            c.failed_contact_attempts() < w.policy.unreachable_attempts()) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "CONTACT_ATTEMPTS_NEEDED",
              absl::StrCat("confirmation: complaint '", c.complaint_id(),
                           "' has ", c.failed_contact_attempts(),
                           " failed contact attempts; the policy needs ",
                           w.policy.unreachable_attempts(),
                           " before it may be closed as unreachable"),
              {{"failed_contact_attempts",
                absl::StrCat(c.failed_contact_attempts())},
               {"required", absl::StrCat(w.policy.unreachable_attempts())}});
        }
        c.set_status(v1::COMPLAINT_STATUS_CLOSED);
        c.set_confirmation(confirmation);
        c.set_satisfaction_score(score);
        *c.mutable_close_time() = Ts(w.ctx.now_micros);
        w.sc.closed_ever = true;
        w.Add(v1::HISTORY_KIND_CLOSED, from, note);
        for (v1::ClockKind k :
             {v1::CLOCK_KIND_FIRST_RESPONSE, v1::CLOCK_KIND_SOLUTION,
              v1::CLOCK_KIND_CLOSURE}) {
          w.Stop(k);
        }
        return std::string("CLOSED");
      },
      std::move(reply));
}

void ComplaintManager::ReopenComplaint(
    CallMeta call, const v1::ReopenComplaintRequest& req,
    Reply<v1::ReopenComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  std::string reason = Text(v, "reason", req.reason(), 1, 2000);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::ReopenComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [reason = std::move(reason)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        const v1::ComplaintStatus from = c.status();
        if (from != v1::COMPLAINT_STATUS_CLOSED ||
            c.confirmation() != v1::CONFIRMATION_UNSATISFIED) {
          return IllegalTransition(
              w.sc, v1::COMPLAINT_STATUS_REOPENED,
              "only a complaint closed with the customer unsatisfied is "
              "reopened");
        }
        c.set_status(v1::COMPLAINT_STATUS_REOPENED);
        c.set_reopen_count(c.reopen_count() + 1);
        // All three clocks run again from now, under the complaint's own
        // policy version.
        StartClocks(w.cal, w.policy, w.ctx.now_micros, w.sc);
        w.Add(v1::HISTORY_KIND_REOPENED, from, reason);
        return std::string("REOPENED");
      },
      std::move(reply));
}

void ComplaintManager::EscalateComplaint(
    CallMeta call, const v1::EscalateComplaintRequest& req,
    Reply<v1::EscalateComplaintResponse> reply) {
  ViolationCollector v;
  CheckTransitionKeys(v, req);
  std::string reason = Text(v, "reason", req.reason(), 1, 2000);
  if (!v.empty()) return reply(v.ToStatus());
  Transition<v1::EscalateComplaintResponse>(
      std::move(call), req, req.complaint_id(), req.etag(), req.request_id(),
      [reason = std::move(reason)](Work& w) -> absl::StatusOr<std::string> {
        v1::Complaint& c = w.sc.c;
        if (c.status() == v1::COMPLAINT_STATUS_CLOSED) {
          return NotOnClosed(w.sc, "be escalated", "a complaint is escalated");
        }
        c.set_escalation_level(c.escalation_level() + 1);
        w.Add(v1::HISTORY_KIND_ESCALATED, c.status(), reason);
        return std::string("ESCALATED");
      },
      std::move(reply));
}

absl::StatusOr<bool> ComplaintManager::SweepSlice() {
  static const auto* const kSystem =
      new std::shared_ptr<const Principal>(std::make_shared<const Principal>(
          Principal{"system", Role::kAdmin, "", {}}));
  static const std::string kSweepMethod =
      "retail.complaints.v1.ComplaintService/(escalation sweep)";
  const absl::Time deadline = absl::Now() + options_.sweep_budget;
  bool more = true;
  while (more && absl::Now() < deadline) {
    absl::Status status = db_.writer().RunSync([&](db::Connection& conn)
                                                   -> absl::Status {
      CallMeta meta;
      meta.principal = *kSystem;
      meta.method = kSweepMethod;
      meta.resource = "complaints";
      db::MutationContext ctx{conn, clock_.NowMicros(), meta};
      ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       DueForSweep(conn, ctx.now_micros, options_.sweep_batch));
      more = static_cast<int>(ids.size()) == options_.sweep_batch;
      int marked = 0;
      for (const std::string& id : ids) {
        ASSIGN_OR_RETURN(StoredComplaint sc,
                         complaints::GetComplaint(conn, id, ""));
        ASSIGN_OR_RETURN(v1::SlaPolicy policy,
                         LoadPolicy(conn, sc.c.sla_policy_version()));
        ASSIGN_OR_RETURN(
            BusinessCalendar cal,
            LoadCalendar(conn, sc.c.branch_id(), options_.time_zone));
        Work w{ctx, sc, std::move(cal), std::move(policy), {}};
        const int near_percent = w.policy.near_breach_percent();
        std::string event;
        for (ClockRow& c : sc.clocks) {
          if (!c.running()) continue;
          const int64_t used = UsedUs(w.cal, ctx.now_micros, c);
          if (!c.near_breach && used >= NearBreachUsedUs(near_percent, c)) {
            c.near_breach = true;
            sc.c.set_escalation_level(sc.c.escalation_level() + 1);
            w.Add(v1::HISTORY_KIND_NEAR_BREACH, sc.c.status())
                .set_clock(c.kind);
            event = "NEAR_BREACH";
          }
          if (!c.breach_marked && Breached(w.cal, ctx.now_micros, c)) {
            c.breach_marked = true;
            sc.c.set_escalation_level(sc.c.escalation_level() + 1);
            w.Add(v1::HISTORY_KIND_BREACHED, sc.c.status()).set_clock(c.kind);
            event = "BREACHED";
          }
        }
        ctx.meta.resource = ResourceName(id);
        if (event.empty()) {
          // Looked too early (its calendar changed since the instant
          // was stored): store the new instant, never one already past,
          // so the sweep cannot spin on it. Not a change of the
          // complaint: no revision, no event.
          Refresh(w.cal, near_percent, sc);
          if (sc.next_sweep_us && *sc.next_sweep_us <= ctx.now_micros) {
            sc.next_sweep_us = ctx.now_micros + 1'000'000;
          }
          RETURN_IF_ERROR(RescheduleSweep(conn, sc));
          continue;
        }
        RETURN_IF_ERROR(Save(w, event));
        ++marked;
      }
      if (marked == 0) return absl::OkStatus();
      return db::AppendAudit(
          conn,
          db::AuditFor(meta, "OK",
                       absl::StrCat(marked, " complaint(s) escalated")),
          ctx.now_micros);
    });
    if (!status.ok()) return status;
  }
  return more;
}

// ---- Reads -----------------------------------------------------------------

namespace {

// Calendars and contacts for the complaints of one answer, each read once.
class ViewCache {
 public:
  ViewCache(db::Connection& conn, absl::TimeZone zone,
            customers::CustomerDirectory* customers)
      : conn_(conn), zone_(zone), customers_(customers) {}

  absl::Status Fill(int64_t now_us, const StoredComplaint& sc, PiiView pii,
                    v1::Complaint* out) {
    auto cal = calendars_.find(sc.c.branch_id());
    if (cal == calendars_.end()) {
      ASSIGN_OR_RETURN(BusinessCalendar c,
                       LoadCalendar(conn_, sc.c.branch_id(), zone_));
      cal = calendars_.emplace(sc.c.branch_id(), std::move(c)).first;
    }
    customers::CustomerDirectory::Contact contact;
    if (customers_ != nullptr) {
      absl::StatusOr<customers::CustomerDirectory::Contact> found =
          customers_->GetContact(conn_, sc.c.customer_id());
      if (found.ok()) contact = *std::move(found);
    }
    FillView(cal->second, now_us, sc, contact, pii, out);
    return absl::OkStatus();
  }

 private:
  db::Connection& conn_;
  absl::TimeZone zone_;
  customers::CustomerDirectory* customers_;
  absl::flat_hash_map<std::string, BusinessCalendar> calendars_;
};

}  // namespace

void ComplaintManager::GetComplaint(CallMeta call,
                                    const v1::GetComplaintRequest& req,
                                    Reply<v1::GetComplaintResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "complaint_id", req.complaint_id());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ContactViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());
  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(StoredComplaint sc,
                         complaints::GetComplaint(conn, req.complaint_id(),
                                                  BranchScope(*p)));
        ViewCache cache(conn, options_.time_zone, customers_);
        return cache.Fill(clock_.NowMicros(), sc, *visible,
                          reply.out()->mutable_complaint());
      });
  db::ReplyAfterRevealAudit(
      db_.writer(), clock_, call.With("", ResourceName(req.complaint_id())),
      NeedsRevealAudit(*p, req.reveal_pii()), std::move(status),
      std::move(reply),
      [](const v1::GetComplaintResponse&) { return std::string(); });
}

void ComplaintManager::ListComplaints(CallMeta call,
                                      const v1::ListComplaintsRequest& req,
                                      Reply<v1::ListComplaintsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  ComplaintQuery q;
  q.branch_scope = BranchScope(*p);
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  q.branch_id = req.branch_id();
  if (!req.owner_id().empty()) CheckId(v, "owner_id", req.owner_id());
  q.owner_id = req.owner_id();
  if (!v1::ComplaintStatus_IsValid(req.status()))
    v.Add("status", "must be a ComplaintStatus value");
  q.status = req.status();
  if (!v1::ComplaintCategory_IsValid(req.category()))
    v.Add("category", "must be a ComplaintCategory value");
  q.category = req.category();
  if (!v1::ComplaintSeverity_IsValid(req.severity()))
    v.Add("severity", "must be a ComplaintSeverity value");
  q.severity = req.severity();
  if (req.has_breached()) q.breached = req.breached();
  if (req.min_escalation_level() < 0)
    v.Add("min_escalation_level", "must not be negative");
  q.min_escalation_level = req.min_escalation_level();
  if (req.has_due_before())
    q.due_before_us = CheckTimestamp(v, "due_before", req.due_before());
  if (!v1::ComplaintOrder_IsValid(req.order_by()))
    v.Add("order_by", "must be a ComplaintOrder value");
  q.by_due = req.order_by() == v1::COMPLAINT_ORDER_NEXT_DUE;
  q.now_us = clock_.NowMicros();
  const std::string scope = PageTokenScope(
      call.method, *p,
      absl::StrCat("branch=", q.branch_id, "&owner=", q.owner_id,
                   "&status=", static_cast<int>(q.status),
                   "&category=", static_cast<int>(q.category),
                   "&severity=", static_cast<int>(q.severity),
                   "&breached=", q.breached ? (*q.breached ? "1" : "0") : "-",
                   "&level=", q.min_escalation_level, "&due_before=",
                   q.due_before_us.value_or(0), "&by_due=", q.by_due));
  if (q.by_due) {
    absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> after =
        tokens_.DecodePair(req.page_token(), scope);
    v.Merge(after.status());
    if (after.ok() && after->has_value()) {
      q.after_due_us = (*after)->first;
      q.after_id = (*after)->second;
    }
  } else {
    absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
    v.Merge(after.status());
    if (after.ok()) q.after_id = *after;
  }
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ContactViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());
  q.limit = *page_size + 1;  // one extra row tells whether a next page exists

  v1::ListComplaintsResponse* out = reply.out();
  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<StoredComplaint> rows,
                         complaints::ListComplaints(conn, q));
        const bool more = static_cast<int>(rows.size()) > *page_size;
        if (more) rows.resize(*page_size);
        ViewCache cache(conn, options_.time_zone, customers_);
        const int64_t now = clock_.NowMicros();
        for (const StoredComplaint& sc : rows) {
          RETURN_IF_ERROR(cache.Fill(now, sc, *visible, out->add_complaints()));
        }
        if (more) {
          const StoredComplaint& last = rows.back();
          out->set_next_page_token(
              q.by_due ? tokens_.EncodePair(
                             scope, {last.next_due_us.value_or(0), last.row})
                       : tokens_.Encode(scope, last.row));
        }
        return absl::OkStatus();
      });
  db::ReplyAfterRevealAudit(
      db_.writer(), clock_, call.With("", "complaints"),
      NeedsRevealAudit(*p, req.reveal_pii()), std::move(status),
      std::move(reply), [](const v1::ListComplaintsResponse& r) {
        std::string shown;
        for (const v1::Complaint& c : r.complaints()) {
          absl::StrAppend(&shown, shown.empty() ? "shown: " : ",",
                          ResourceName(c.complaint_id()));
        }
        return shown;
      });
}

void ComplaintManager::ListComplaintHistory(
    CallMeta call, const v1::ListComplaintHistoryRequest& req,
    Reply<v1::ListComplaintHistoryResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "complaint_id", req.complaint_id());
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  const std::string scope = PageTokenScope(call.method, *p, req.complaint_id());
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  v1::ListComplaintHistoryResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        StoredComplaint sc,
        complaints::GetComplaint(conn, req.complaint_id(), BranchScope(*p)));
    ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                     ListHistory(conn, sc.row, *after, *page_size + 1,
                                 out->mutable_entries()));
    if (static_cast<int>(rows.size()) > *page_size) {
      out->mutable_entries()->DeleteSubrange(*page_size,
                                             out->entries_size() - *page_size);
      out->set_next_page_token(tokens_.Encode(scope, rows[*page_size - 1]));
    }
    return absl::OkStatus();
  }));
}

void ComplaintManager::GetComplaintStats(
    CallMeta call, const v1::GetComplaintStatsRequest& req,
    Reply<v1::GetComplaintStatsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  std::optional<int64_t> start, end;
  if (!req.has_start_time()) {
    v.Add("start_time", "is required");
  } else {
    start = CheckTimestamp(v, "start_time", req.start_time());
  }
  if (!req.has_end_time()) {
    v.Add("end_time", "is required");
  } else {
    end = CheckTimestamp(v, "end_time", req.end_time());
  }
  if (start && end) {
    if (*end <= *start) {
      v.Add("end_time", "must be after start_time");
    } else if (*end - *start > int64_t{kMaxStatsDays} * 86'400'000'000) {
      v.Add("end_time", absl::StrCat("must be at most ", kMaxStatsDays,
                                     " days after start_time"));
    }
  }
  if (req.top_problems() < 0 || req.top_problems() > 50)
    v.Add("top_problems", "must be 1 to 50, or 0 for 10");
  if (!v.empty()) return reply(v.ToStatus());
  std::string branch = req.branch_id();
  if (p->role == Role::kBranch) {
    if (!branch.empty() && branch != p->branch_id) {
      return reply(absl::PermissionDeniedError(
          absl::StrCat("branch_id: branch '", p->branch_id,
                       "' may only read its own complaint statistics")));
    }
    branch = p->branch_id;
  }
  StatsQuery q{branch, *start, *end,
               req.top_problems() == 0 ? 10 : req.top_problems()};
  v1::ComplaintStats* out = reply.out()->mutable_stats();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(StatsRows rows, ReadStats(conn, q));
    out->set_total(rows.total);
    auto counts = [](const std::vector<std::pair<int, int64_t>>& in,
                     const google::protobuf::EnumDescriptor* e,
                     google::protobuf::RepeatedPtrField<v1::LabelCount>* to) {
      for (const auto& [value, n] : in) {
        v1::LabelCount* c = to->Add();
        const google::protobuf::EnumValueDescriptor* d =
            e->FindValueByNumber(value);
        c->set_label(d != nullptr ? d->name() : absl::StrCat(value));
        c->set_count(n);
      }
    };
    counts(rows.by_category, v1::ComplaintCategory_descriptor(),
           out->mutable_by_category());
    counts(rows.by_severity, v1::ComplaintSeverity_descriptor(),
           out->mutable_by_severity());
    counts(rows.by_channel, v1::ComplaintChannel_descriptor(),
           out->mutable_by_channel());
    counts(rows.by_status, v1::ComplaintStatus_descriptor(),
           out->mutable_by_status());
    // Clocks: met, breached, still running within target; times of the
    // stopped ones (pauses excluded).
    std::vector<BusinessCalendar> calendars;
    calendars.reserve(rows.branches.size());
    for (const std::string& branch : rows.branches) {
      ASSIGN_OR_RETURN(BusinessCalendar c,
                       LoadCalendar(conn, branch, options_.time_zone));
      calendars.push_back(std::move(c));
    }
    const int64_t now = clock_.NowMicros();
    struct Tally {
      int64_t met = 0, breached = 0, running = 0;
      std::vector<int64_t> times;
    };
    std::array<Tally, 3> tallies;
    for (const ClockSample& s : rows.clocks) {
      if (s.kind < 1 || s.kind > 3) continue;
      Tally& t = tallies[s.kind - 1];
      const bool late = Breached(calendars[s.branch], now, s.clock);
      if (s.clock.stopped()) {
        t.times.push_back(s.clock.used_us);
        (late ? t.breached : t.met) += 1;
      } else {
        (late ? t.breached : t.running) += 1;
      }
    }
    for (int kind = 1; kind <= 3; ++kind) {
      auto& [met, breached, running, times] = tallies[kind - 1];
      v1::ClockStats* c = out->add_clocks();
      c->set_kind(static_cast<v1::ClockKind>(kind));
      c->set_met(met);
      c->set_breached(breached);
      c->set_running(running);
      c->set_met_share(met + breached == 0
                           ? 0
                           : static_cast<double>(met) /
                                 static_cast<double>(met + breached));
      *c->mutable_median() =
          TimeUtil::MicrosecondsToDuration(Percentile(times, 50));
      *c->mutable_p90() =
          TimeUtil::MicrosecondsToDuration(Percentile(times, 90));
    }
    out->set_reopen_rate(rows.closed_ever == 0
                             ? 0
                             : static_cast<double>(rows.reopened) /
                                   static_cast<double>(rows.closed_ever));
    out->set_satisfaction_count(rows.scored);
    out->set_average_satisfaction(rows.scored == 0
                                      ? 0
                                      : static_cast<double>(rows.score_sum) /
                                            static_cast<double>(rows.scored));
    for (const StatsRows::Problem& pr : rows.problems) {
      v1::RecurringProblem* r = out->add_top_problems();
      r->set_category(static_cast<v1::ComplaintCategory>(pr.category));
      r->set_keyword(pr.keyword);
      r->set_topic(pr.topic);
      r->set_count(pr.count);
    }
    *out->mutable_start_time() = Ts(q.start_us);
    *out->mutable_end_time() = Ts(q.end_us);
    out->set_branch_id(q.branch_id);
    return absl::OkStatus();
  }));
}

// ---- SLA policy and calendars -------------------------------------------

namespace {

// Checks a policy sent by a caller; fills `out` with it normalised.
void CheckPolicy(ViolationCollector& v, const v1::SlaPolicy& in,
                 v1::SlaPolicy* out) {
  std::map<int, const v1::SeverityTargets*> by_severity;
  for (int i = 0; i < in.targets_size(); ++i) {
    const v1::SeverityTargets& t = in.targets(i);
    const std::string f = absl::StrCat("policy.targets[", i, "]");
    if (!v1::ComplaintSeverity_IsValid(t.severity()) ||
        t.severity() == v1::COMPLAINT_SEVERITY_UNSPECIFIED) {
      v.Add(absl::StrCat(f, ".severity"),
            "must be COMPLAINT_SEVERITY_MINOR, _MODERATE or _SEVERE");
      continue;
    }
    if (!by_severity.emplace(t.severity(), &t).second) {
      v.Add(absl::StrCat(f, ".severity"),
            "names a severity an earlier entry already names");
      continue;
    }
    for (const auto& [name, target] :
         {std::pair<const char*, const v1::SlaTarget*>{"first_response",
                                                       &t.first_response()},
          {"solution", &t.solution()},
          {"closure", &t.closure()}}) {
      const google::protobuf::Duration& d = target->duration();
      // Range first: seconds × 10^6 of a hostile value would overflow.
      const bool in_range = d.seconds() >= 0 &&
                            d.seconds() <= absl::ToInt64Seconds(kMaxTarget) &&
                            d.nanos() >= 0 && d.nanos() <= 999'999'999;
      if (!in_range || d.seconds() * 1'000'000 + d.nanos() / 1000 <= 0) {
        v.Add(absl::StrCat(f, ".", name, ".duration"),
              "must be more than 0 and at most 90 days");
      }
    }
  }
  if (by_severity.size() != 3 && v.empty()) {
    v.Add("policy.targets",
          "must name each severity (MINOR, MODERATE, SEVERE) exactly once");
  }
  if (in.near_breach_percent() < 1 || in.near_breach_percent() > 99) {
    v.Add("policy.near_breach_percent", "must be 1 to 99");
  }
  if (in.unreachable_attempts() < 1 || in.unreachable_attempts() > 20) {
    v.Add("policy.unreachable_attempts", "must be 1 to 20");
  }
  for (const auto& [severity, t] : by_severity) *out->add_targets() = *t;
  out->set_near_breach_percent(in.near_breach_percent());
  out->set_unreachable_attempts(in.unreachable_attempts());
}

std::string PolicyEtag(int64_t version) { return absl::StrCat("v", version); }

}  // namespace

void ComplaintManager::GetSlaPolicy(CallMeta call,
                                    const v1::GetSlaPolicyRequest&,
                                    Reply<v1::GetSlaPolicyResponse> reply) {
  v1::SlaPolicy* out = reply.out()->mutable_policy();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(*out, LoadPolicy(conn, 0));
    out->set_etag(PolicyEtag(out->version()));
    return absl::OkStatus();
  }));
}

void ComplaintManager::UpdateSlaPolicy(
    CallMeta call, const v1::UpdateSlaPolicyRequest& req,
    Reply<v1::UpdateSlaPolicyResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckEtag(v, req.policy().etag(), "policy.etag", "the SLA policy");
  v1::SlaPolicy policy;
  CheckPolicy(v, req.policy(), &policy);
  if (!v.empty()) return reply(v.ToStatus());
  db::SubmitMutation<v1::UpdateSlaPolicyResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "sla-policy"), req,
      [etag = req.policy().etag(), policy = std::move(policy)](
          db::MutationContext& ctx,
          v1::UpdateSlaPolicyResponse* out) mutable -> absl::Status {
        ASSIGN_OR_RETURN(v1::SlaPolicy current, LoadPolicy(ctx.conn, 0));
        if (etag != PolicyEtag(current.version())) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "ETAG_MISMATCH",
              absl::StrCat("policy.etag: the SLA policy changed since it was "
                           "read (now version ",
                           current.version(), "); read it again and retry"),
              {{"current_etag", PolicyEtag(current.version())}});
        }
        // The default was never stored: store it as version 1 first, so
        // complaints started under it keep finding it.
        if (absl::IsNotFound(GetPolicy(ctx.conn, 1).status())) {
          v1::SlaPolicy first = DefaultSlaPolicy();
          first.clear_etag();
          *first.mutable_update_time() = Ts(ctx.now_micros);
          RETURN_IF_ERROR(InsertPolicy(ctx.conn, first, ctx.now_micros));
        }
        policy.set_version(current.version() + 1);
        *policy.mutable_update_time() = Ts(ctx.now_micros);
        RETURN_IF_ERROR(InsertPolicy(ctx.conn, policy, ctx.now_micros));
        RETURN_IF_ERROR(db::AppendEvent(ctx.conn,
                                        {.resource_type = "sla_policy",
                                         .resource_id = "current",
                                         .resource = "sla-policy",
                                         .event_type = "UPDATED",
                                         .revision = policy.version(),
                                         .state = &policy},
                                        ctx.meta, ctx.now_micros));
        *out->mutable_policy() = policy;
        out->mutable_policy()->set_etag(PolicyEtag(policy.version()));
        return absl::OkStatus();
      },
      std::move(reply));
}

void ComplaintManager::GetBranchCalendar(
    CallMeta call, const v1::GetBranchCalendarRequest& req,
    Reply<v1::GetBranchCalendarResponse> reply) {
  ViolationCollector v;
  CheckId(v, "branch_id", req.branch_id());
  if (!v.empty()) return reply(v.ToStatus());
  v1::BranchCalendar* out = reply.out()->mutable_calendar();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::BranchCalendar> stored,
                     GetCalendar(conn, req.branch_id()));
    if (stored) {
      *out = *std::move(stored);
      return absl::OkStatus();
    }
    out->set_branch_id(req.branch_id());
    out->set_time_zone(std::string(options_.time_zone.name()));
    for (int day = 1; day <= 7; ++day) {
      v1::OpeningHours* h = out->add_weekly_hours();
      h->set_day_of_week(day);
      h->set_open_minute(9 * 60);
      h->set_close_minute(21 * 60);
    }
    out->set_is_default(true);
    return absl::OkStatus();
  }));
}

void ComplaintManager::UpdateBranchCalendar(
    CallMeta call, const v1::UpdateBranchCalendarRequest& req,
    Reply<v1::UpdateBranchCalendarResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  const v1::BranchCalendar& in = req.calendar();
  CheckId(v, "calendar.branch_id", in.branch_id());
  v.Merge(
      BusinessCalendar::FromProto(in, options_.time_zone, "calendar").status());
  if (!v.empty()) return reply(v.ToStatus());
  if (p->role == Role::kBranch && in.branch_id() != p->branch_id) {
    return reply(absl::PermissionDeniedError(
        absl::StrCat("calendar.branch_id: branch '", p->branch_id,
                     "' may only set its own calendar")));
  }
  v1::BranchCalendar calendar = in;
  calendar.set_is_default(false);
  db::SubmitMutation<v1::UpdateBranchCalendarResponse>(
      db_.writer(), clock_,
      call.With(req.request_id(), absl::StrCat("calendars/", in.branch_id())),
      req,
      [calendar = std::move(calendar)](
          db::MutationContext& ctx,
          v1::UpdateBranchCalendarResponse* out) mutable -> absl::Status {
        *calendar.mutable_update_time() = Ts(ctx.now_micros);
        ASSIGN_OR_RETURN(const int64_t revision,
                         UpsertCalendar(ctx.conn, calendar, ctx.now_micros));
        const std::string name =
            absl::StrCat("calendars/", calendar.branch_id());
        RETURN_IF_ERROR(db::AppendEvent(ctx.conn,
                                        {.resource_type = "calendar",
                                         .resource_id = calendar.branch_id(),
                                         .resource = name,
                                         .event_type = "UPDATED",
                                         .revision = revision,
                                         .branch_id = calendar.branch_id(),
                                         .state = &calendar},
                                        ctx.meta, ctx.now_micros));
        *out->mutable_calendar() = calendar;  // not moved: the op may run again
        return absl::OkStatus();
      },
      std::move(reply));
}

// ---- A person's data -----------------------------------------------------

absl::Status ComplaintManager::ExportPerson(
    db::Connection& conn, const std::string& customer_id,
    google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   ListCustomerComplaintIds(conn, customer_id));
  ViewCache cache(conn, options_.time_zone, customers_);
  const int64_t now = clock_.NowMicros();
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(StoredComplaint sc,
                     complaints::GetComplaint(conn, id, ""));
    v1::Complaint c;
    RETURN_IF_ERROR(cache.Fill(now, sc, PiiView::kFull, &c));
    out->Add()->PackFrom(c);
    google::protobuf::RepeatedPtrField<v1::HistoryEntry> entries;
    ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                     ListHistory(conn, sc.row, 0, 1'000'000, &entries));
    (void)rows;
    for (const v1::HistoryEntry& e : entries) out->Add()->PackFrom(e);
  }
  return absl::OkStatus();
}

absl::Status ComplaintManager::ErasePerson(db::MutationContext& ctx,
                                           const std::string& customer_id) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   ListCustomerComplaintIds(ctx.conn, customer_id));
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(StoredComplaint sc,
                     complaints::GetComplaint(ctx.conn, id, ""));
    ClearText(&sc.c);
    sc.c.clear_customer_name();
    sc.c.clear_customer_phone();
    RETURN_IF_ERROR(EraseHistoryText(ctx.conn, sc.row));
    ASSIGN_OR_RETURN(v1::SlaPolicy policy,
                     LoadPolicy(ctx.conn, sc.c.sla_policy_version()));
    ASSIGN_OR_RETURN(
        BusinessCalendar cal,
        LoadCalendar(ctx.conn, sc.c.branch_id(), options_.time_zone));
    Work w{ctx, sc, std::move(cal), std::move(policy), {}};
    w.Add(v1::HISTORY_KIND_TEXT_ERASED, sc.c.status());
    RETURN_IF_ERROR(Save(w, "TEXT_ERASED"));
    // Stored replay copies of this complaint's answers hold the old text.
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, ResourceName(id),
        [&customer_id](google::protobuf::Message* m) {
          ScrubReply(m, customer_id);
        }));
  }
  return absl::OkStatus();
}

}  // namespace retail::complaints
