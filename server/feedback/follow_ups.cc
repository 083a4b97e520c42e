// Follow-up visits (回访): ScheduleFollowUp, ListFollowUps,
// CompleteFollowUp, and the scheduler that makes them by itself after a
// complaint closes, after a VIP's purchase and on a VIP's birthday.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/db/mutation.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/customers/contact_view.h"
#include "server/feedback/feedback_manager.h"
#include "server/feedback/feedback_store.h"
#include "server/feedback/feedback_views.h"

namespace retail::feedback {
namespace {

using customers::ContactView;
using ::google::protobuf::util::TimeUtil;

constexpr char kDoneReason[] = "FOLLOW_UP_DONE";

// The scheduler's scans (follow_up_scans.name).
constexpr char kComplaintScan[] = "after_complaint";
constexpr char kPurchaseScan[] = "after_vip_purchase";
constexpr char kBirthdayScan[] = "vip_birthday";
// On its first run a scan starts this far back, so what closed or was
// bought just before the module was installed is still followed up, and a
// chain's whole history is not.
constexpr absl::Duration kFirstLookBack = absl::Hours(7 * 24);

}  // namespace

void FeedbackManager::ScheduleFollowUp(
    CallMeta call, const v1::ScheduleFollowUpRequest& req,
    Reply<v1::ScheduleFollowUpResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  const v1::FollowUp& in = req.follow_up();
  StoredFollowUp sf;
  v1::FollowUp& f = sf.f;
  CheckId(v, "follow_up.customer_id", in.customer_id());
  f.set_customer_id(in.customer_id());
  if (!v1::FollowUpReason_IsValid(in.reason()) ||
      in.reason() == v1::FOLLOW_UP_REASON_UNSPECIFIED) {
    v.Add("follow_up.reason",
          "must be one of FOLLOW_UP_REASON_AFTER_PURCHASE, _AFTER_COMPLAINT, "
          "_VIP_CARE, _BIRTHDAY");
  }
  f.set_reason(in.reason());
  if (!in.has_due_time()) {
    v.Add("follow_up.due_time", "is required");
  } else if (CheckTimestamp(v, "follow_up.due_time", in.due_time())) {
    *f.mutable_due_time() = in.due_time();
  }
  if (!in.order_id().empty()) CheckId(v, "follow_up.order_id", in.order_id());
  f.set_order_id(in.order_id());
  if (!in.complaint_id().empty()) {
    CheckId(v, "follow_up.complaint_id", in.complaint_id());
    if (!in.order_id().empty()) {
      v.Add("follow_up.complaint_id",
            "must be empty when order_id is set: a follow-up follows one "
            "order or one complaint");
    }
  }
  f.set_complaint_id(in.complaint_id());
  if (!in.owner_id().empty()) CheckId(v, "follow_up.owner_id", in.owner_id());
  f.set_owner_id(in.owner_id());
  if (!v.empty()) return reply(v.ToStatus());
  const ContactView view = customers::DefaultContactViewFor(*call.principal);

  db::SubmitMutation<v1::ScheduleFollowUpResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "follow-ups"), req,
      [this, sf = std::move(sf), view](
          db::MutationContext& ctx,
          v1::ScheduleFollowUpResponse* out) mutable -> absl::Status {
        v1::FollowUp& f = sf.f;
        const std::string& scope = BranchScope(*ctx.meta.principal);
        if (customers_ == nullptr) {
          return absl::NotFoundError(
              absl::StrCat("follow_up.customer_id: customer '", f.customer_id(),
                           "' not found"));
        }
        // Where the visit belongs: the store that sold or took the
        // complaint, else the customer's own. A branch schedules only its
        // own, and learns nothing of another branch's records.
        std::string branch, field;
        if (!f.order_id().empty()) {
          field = "follow_up.order_id";
          if (orders_ == nullptr) {
            return absl::NotFoundError(
                absl::StrCat(field, ": order '", f.order_id(), "' not found"));
          }
          ASSIGN_OR_RETURN(branch, orders_->CheckOrderOfCustomer(
                                       ctx.conn, f.order_id(), f.customer_id(),
                                       field, scope));
        } else if (!f.complaint_id().empty()) {
          field = "follow_up.complaint_id";
          if (complaints_ == nullptr) {
            return absl::NotFoundError(absl::StrCat(
                field, ": complaint '", f.complaint_id(), "' not found"));
          }
          ASSIGN_OR_RETURN(branch, complaints_->CheckComplaintOfCustomer(
                                       ctx.conn, f.complaint_id(),
                                       f.customer_id(), field, scope));
        } else {
          field = "follow_up.customer_id";
          ASSIGN_OR_RETURN(customers::CustomerDirectory::Contact contact,
                           customers_->GetContact(ctx.conn, f.customer_id()));
          branch = contact.branch_id;
        }
        if (!scope.empty() && branch != scope) {
          return absl::NotFoundError(
              absl::StrCat(field, ": not found in branch '", scope, "'"));
        }
        // Only now: a branch must not learn that another branch's customer
        // was erased.
        RETURN_IF_ERROR(
            customers_->CheckCustomerActive(ctx.conn, f.customer_id()));
        f.set_branch_id(branch);
        f.set_follow_up_id(NewId("fup", ctx.now_micros));
        f.set_status(v1::FOLLOW_UP_STATUS_PENDING);
        *f.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        sf.revision = 1;
        ctx.meta.resource = FollowUpName(f.follow_up_id());
        RETURN_IF_ERROR(InsertFollowUp(ctx.conn, sf));
        RETURN_IF_ERROR(AppendFeedbackEvent(
            ctx.conn, ctx.meta, ctx.now_micros, "follow_up", f.follow_up_id(),
            ctx.meta.resource, "SCHEDULED", 1, f));
        *out->mutable_follow_up() = f;
        return FillContact(ctx.conn, customers_, view,
                           out->mutable_follow_up());
      },
      std::move(reply));
}

void FeedbackManager::ListFollowUps(CallMeta call,
                                    const v1::ListFollowUpsRequest& req,
                                    Reply<v1::ListFollowUpsResponse> reply) {
  const Principal& p = *call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  FollowUpQuery q;
  q.branch_scope = BranchScope(p);
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  q.branch_id = req.branch_id();
  if (!req.owner_id().empty()) CheckId(v, "owner_id", req.owner_id());
  q.owner_id = req.owner_id();
  if (!v1::FollowUpStatus_IsValid(req.status()))
    v.Add("status", "must be a FollowUpStatus value");
  q.status = req.status();
  if (req.has_due_start())
    q.due_from_us = CheckTimestamp(v, "due_start", req.due_start());
  if (req.has_due_end())
    q.due_to_us = CheckTimestamp(v, "due_end", req.due_end());
  const std::string scope =
      PageTokenScope(call.method, p,
                     absl::StrCat("branch=", q.branch_id, "&owner=", q.owner_id,
                                  "&status=", static_cast<int>(q.status),
                                  "&from=", q.due_from_us.value_or(0),
                                  "&to=", q.due_to_us.value_or(0)));
  absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> after =
      tokens_.DecodePair(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  if (after->has_value()) {
    q.after_due_us = (*after)->first;
    q.after_row = (*after)->second;
  }
  const absl::StatusOr<ContactView> view =
      customers::ContactViewFor(p, req.reveal_pii());
  if (!view.ok()) return reply(view.status());
  q.limit = *page_size + 1;
  v1::ListFollowUpsResponse* out = reply.out();
  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<StoredFollowUp> rows,
                         feedback::ListFollowUps(conn, q));
        const bool more = static_cast<int>(rows.size()) > *page_size;
        if (more) rows.resize(*page_size);
        for (StoredFollowUp& sf : rows) {
          v1::FollowUp* f = out->add_follow_ups();
          *f = std::move(sf.f);
          RETURN_IF_ERROR(FillContact(conn, customers_, *view, f));
        }
        if (more) {
          const StoredFollowUp& last = rows.back();
          out->set_next_page_token(tokens_.EncodePair(
              scope, {TimeUtil::TimestampToMicroseconds(
                          out->follow_ups().rbegin()->due_time()),
                      last.row}));
        }
        return absl::OkStatus();
      });
  db::ReplyAfterRevealAudit(
      db_.writer(), clock_, call.With("", "follow-ups"),
      NeedsRevealAudit(p, req.reveal_pii()), std::move(status),
      std::move(reply), [](const v1::ListFollowUpsResponse& r) {
        std::string shown;
        for (const v1::FollowUp& f : r.follow_ups()) {
          absl::StrAppend(&shown, shown.empty() ? "shown: " : ",",
                          FollowUpName(f.follow_up_id()));
        }
        return shown;
      });
}

void FeedbackManager::CompleteFollowUp(
    CallMeta call, const v1::CompleteFollowUpRequest& req,
    Reply<v1::CompleteFollowUpResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "follow_up_id", req.follow_up_id());
  const bool reached = req.outcome() == v1::FOLLOW_UP_OUTCOME_REACHED;
  if (!reached && req.outcome() != v1::FOLLOW_UP_OUTCOME_UNREACHABLE) {
    v.Add("outcome",
          "must be FOLLOW_UP_OUTCOME_REACHED or FOLLOW_UP_OUTCOME_UNREACHABLE");
  }
  if (req.satisfaction() < 0 || req.satisfaction() > 5) {
    v.Add("satisfaction", "must be 1 to 5, or 0 when not given");
  } else if (!reached && req.satisfaction() != 0) {
    v.Add("satisfaction", "must be 0 when the customer was not reached");
  }
  if (!v1::RepurchaseIntent_IsValid(req.repurchase_intent())) {
    v.Add("repurchase_intent", "must be a RepurchaseIntent value");
  } else if (!reached &&
             req.repurchase_intent() != v1::REPURCHASE_INTENT_UNSPECIFIED) {
    v.Add("repurchase_intent",
          "must be unset when the customer was not reached");
  }
  const absl::string_view notes = TrimUnicodeSpace(req.notes());
  CheckText(v, "notes", notes, 0, 2000);
  if (!v.empty()) return reply(v.ToStatus());
  const ContactView view = customers::DefaultContactViewFor(*call.principal);
  db::SubmitMutation<v1::CompleteFollowUpResponse>(
      db_.writer(), clock_,
      call.With(req.request_id(), FollowUpName(req.follow_up_id())), req,
      [this, req, notes = std::string(notes), view](
          db::MutationContext& ctx,
          v1::CompleteFollowUpResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(StoredFollowUp sf,
                         GetFollowUp(ctx.conn, req.follow_up_id(),
                                     BranchScope(*ctx.meta.principal)));
        v1::FollowUp& f = sf.f;
        if (f.status() == v1::FOLLOW_UP_STATUS_DONE) {
          return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                                 kDoneReason,
                                 absl::StrCat("follow-up '", f.follow_up_id(),
                                              "' was already made"),
                                 {{"follow_up_id", f.follow_up_id()}});
        }
        f.set_status(v1::FOLLOW_UP_STATUS_DONE);
        f.set_outcome(req.outcome());
        f.set_satisfaction(req.satisfaction());
        f.set_repurchase_intent(req.repurchase_intent());
        f.set_notes(notes);
        *f.mutable_complete_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        sf.revision += 1;
        RETURN_IF_ERROR(UpdateFollowUp(ctx.conn, sf));
        RETURN_IF_ERROR(AppendFeedbackEvent(
            ctx.conn, ctx.meta, ctx.now_micros, "follow_up", f.follow_up_id(),
            FollowUpName(f.follow_up_id()), "COMPLETED", sf.revision, f));
        *out->mutable_follow_up() = f;
        return FillContact(ctx.conn, customers_, view,
                           out->mutable_follow_up());
      },
      std::move(reply));
}

// ---- The scheduler -------------------------------------------------------

absl::StatusOr<bool> FeedbackManager::ScheduleSlice() {
  static const auto* const kSystem =
      new std::shared_ptr<const Principal>(std::make_shared<const Principal>(
          Principal{"system", Role::kAdmin, "", {}}));
  static const std::string kMethod =
      "retail.feedback.v1.FeedbackService/(follow-up scheduler)";
  const int batch = options_.schedule_batch;
  const absl::Time deadline = absl::Now() + options_.schedule_budget;
  bool more = true;
  while (more && absl::Now() < deadline) {
    more = false;
    absl::Status status = db_.writer().RunSync([&](db::Connection& conn)
                                                   -> absl::Status {
      CallMeta meta;
      meta.principal = *kSystem;
      meta.method = kMethod;
      meta.resource = "follow-ups";
      db::MutationContext ctx{conn, clock_.NowMicros(), meta};
      const int64_t now = ctx.now_micros;
      int scheduled = 0;
      // Schedules one follow-up for `cause` unless it was made already.
      auto schedule =
          [&](const std::string& cause, const std::string& customer_id,
              const std::string& branch_id, v1::FollowUpReason reason,
              int64_t due_us, const std::string& order_id,
              const std::string& complaint_id) -> absl::Status {
        ASSIGN_OR_RETURN(const bool taken, CauseTaken(conn, cause));
        if (taken) return absl::OkStatus();
        StoredFollowUp sf;
        sf.revision = 1;
        sf.cause = cause;
        v1::FollowUp& f = sf.f;
        f.set_follow_up_id(NewId("fup", now));
        f.set_customer_id(customer_id);
        f.set_branch_id(branch_id);
        f.set_reason(reason);
        *f.mutable_due_time() = TimeUtil::MicrosecondsToTimestamp(due_us);
        f.set_order_id(order_id);
        f.set_complaint_id(complaint_id);
        f.set_status(v1::FOLLOW_UP_STATUS_PENDING);
        f.set_automatic(true);
        *f.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(now);
        RETURN_IF_ERROR(InsertFollowUp(conn, sf));
        ctx.meta.resource = FollowUpName(f.follow_up_id());
        RETURN_IF_ERROR(AppendFeedbackEvent(conn, ctx.meta, now, "follow_up",
                                            f.follow_up_id(), ctx.meta.resource,
                                            "SCHEDULED", 1, f));
        ++scheduled;
        return absl::OkStatus();
      };
      // A customer to follow up: exists, not erased; VIP when `vip`.
      auto contact_of = [&](const std::string& id, bool vip)
          -> absl::StatusOr<
              std::optional<customers::CustomerDirectory::Contact>> {
        if (id.empty()) return std::nullopt;
        absl::StatusOr<customers::CustomerDirectory::Contact> c =
            customers_->GetContact(conn, id);
        if (absl::IsNotFound(c.status())) return std::nullopt;
        RETURN_IF_ERROR(c.status());
        if (c->erased || (vip && !c->vip)) return std::nullopt;
        return *std::move(c);
      };
      auto start_of =
          [&](const char* name) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
        ASSIGN_OR_RETURN(auto at, GetScan(conn, name));
        if (at) return *at;
        return std::pair<int64_t, int64_t>(
            now - absl::ToInt64Microseconds(kFirstLookBack), 0);
      };

      if (customers_ != nullptr && complaints_ != nullptr &&
          options_.after_complaint > absl::ZeroDuration()) {
        ASSIGN_OR_RETURN(auto at, start_of(kComplaintScan));
        ASSIGN_OR_RETURN(auto closed,
                         complaints_->ListClosed(conn, 0, now + 1, at.first,
                                                 at.second, batch));
        for (const auto& c : closed) {
          at = {c.close_us, c.row};
          ASSIGN_OR_RETURN(auto contact, contact_of(c.customer_id, false));
          if (!contact) continue;
          // A person may have scheduled it already.
          ASSIGN_OR_RETURN(const bool exists,
                           ComplaintFollowUpExists(conn, c.complaint_id));
          if (exists) continue;
          RETURN_IF_ERROR(schedule(
              absl::StrCat("complaint:", c.complaint_id), c.customer_id,
              c.branch_id, v1::FOLLOW_UP_REASON_AFTER_COMPLAINT,
              c.close_us + absl::ToInt64Microseconds(options_.after_complaint),
              "", c.complaint_id));
        }
        more = more || static_cast<int>(closed.size()) == batch;
        RETURN_IF_ERROR(PutScan(conn, kComplaintScan, at.first, at.second));
      }

      if (customers_ != nullptr && orders_ != nullptr &&
          options_.after_vip_purchase > absl::ZeroDuration()) {
        ASSIGN_OR_RETURN(auto at, start_of(kPurchaseScan));
        ASSIGN_OR_RETURN(auto paid,
                         orders_->ListPaidOrders(conn, 0, now + 1, at.first,
                                                 at.second, batch));
        for (const auto& o : paid) {
          at = {o.paid_us, o.row};
          ASSIGN_OR_RETURN(auto contact, contact_of(o.customer_id, true));
          if (!contact) continue;
          RETURN_IF_ERROR(schedule(
              absl::StrCat("vip_order:", o.order_id), o.customer_id,
              o.branch_id, v1::FOLLOW_UP_REASON_AFTER_PURCHASE,
              o.paid_us +
                  absl::ToInt64Microseconds(options_.after_vip_purchase),
              o.order_id, ""));
        }
        more = more || static_cast<int>(paid.size()) == batch;
        RETURN_IF_ERROR(PutScan(conn, kPurchaseScan, at.first, at.second));
      }

      if (customers_ != nullptr && options_.vip_birthdays) {
        // (day being scanned, VIP row): each local day once, every VIP.
        const absl::CivilDay today =
            absl::ToCivilDay(absl::FromUnixMicros(now), options_.time_zone);
        const absl::CivilDay epoch(1970, 1, 1);
        ASSIGN_OR_RETURN(auto at, GetScan(conn, kBirthdayScan));
        if (!at) at = std::pair<int64_t, int64_t>(today - epoch, 0);
        const absl::CivilDay day = epoch + at->first;
        if (day <= today) {
          ASSIGN_OR_RETURN(
              auto vips, customers_->ListVipBirthdays(conn, at->second, batch));
          // Born on 29 February: celebrated on the 28th in other years.
          const bool leap = absl::CivilDay(day.year(), 2, 29).month() == 2;
          for (const auto& b : vips) {
            at->second = b.row;
            const bool on_day =
                (b.month == day.month() && b.day == day.day()) ||
                (!leap && b.month == 2 && b.day == 29 && day.month() == 2 &&
                 day.day() == 28);
            if (!on_day) continue;
            ASSIGN_OR_RETURN(auto contact, contact_of(b.customer_id, true));
            if (!contact) continue;
            const int64_t due = absl::ToUnixMicros(
                absl::FromCivil(absl::CivilHour(day) + options_.birthday_hour,
                                options_.time_zone));
            RETURN_IF_ERROR(schedule(
                absl::StrCat("birthday:", b.customer_id, ":", day.year()),
                b.customer_id, contact->branch_id,
                v1::FOLLOW_UP_REASON_BIRTHDAY, due, "", ""));
          }
          if (static_cast<int>(vips.size()) < batch) {
            *at = {at->first + 1, 0};  // this day is done
            more = more || day + 1 <= today;
          } else {
            more = true;
          }
          RETURN_IF_ERROR(PutScan(conn, kBirthdayScan, at->first, at->second));
        }
      }
      if (scheduled == 0) return absl::OkStatus();
      ctx.meta.resource = "follow-ups";
      return db::AppendAudit(
          conn,
          db::AuditFor(meta, "OK",
                       absl::StrCat(scheduled, " follow-up(s) scheduled")),
          now);
    });
    if (!status.ok()) return status;
  }
  return more;
}

}  // namespace retail::feedback
