// Returns and exchanges (退换货): OrderManager's RequestReturn, ReviewReturn,
// ReceiveReturn, CompleteReturn, GetReturn and ListReturns, and the return
// policy. The SQL is in return_store.cc; what orders and returns share is in
// order_common.cc.
//
// Money follows the goods: a returned unit is worth what it cost on the
// order, units of a sku are taken from the order's lines in line order, and
// the refund goes to the original tenders newest first. Points follow the
// money: points tenders refunded are restored, and points earned are taken
// back in proportion to the money refunded, as far as the balance allows.
#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/orders/order_common.h"
#include "server/orders/order_manager.h"
#include "server/orders/order_store.h"
#include "server/orders/return_store.h"

namespace retail::orders {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr int kMaxReturnLines = 500;
constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;

std::string StatusName(v1::ReturnStatus s) {
  absl::string_view name = v1::ReturnStatus_Name(s);
  absl::ConsumePrefix(&name, "RETURN_STATUS_");
  return std::string(name);
}

absl::Status ReturnStateError(const v1::Return& r, v1::ReturnStatus from,
                              v1::ReturnStatus requested) {
  return ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, "RETURN_STATE",
      absl::StrCat("return '", r.return_id(), "' is ", StatusName(r.status()),
                   "; it cannot become ", StatusName(requested),
                   ": only a return that is ", StatusName(from), " can"),
      {{"return_id", r.return_id()},
       {"current_status", v1::ReturnStatus_Name(r.status())},
       {"requested_status", v1::ReturnStatus_Name(requested)}});
}

// Units of each sku on the order.
absl::flat_hash_map<std::string, int64_t> UnitsBought(const v1::Order& o) {
  absl::flat_hash_map<std::string, int64_t> bought;
  for (const v1::OrderItem& item : o.items())
    bought[item.sku()] += item.quantity();
  return bought;
}

// Whether a return holds goods against the order: approved and later.
bool HoldsUnits(v1::ReturnStatus s) {
  return s == v1::RETURN_STATUS_APPROVED || s == v1::RETURN_STATUS_RECEIVED ||
         s == v1::RETURN_STATUS_COMPLETED;
}

// Units of each sku taken by `returns` in the given statuses, except the
// return `except_id`.
absl::flat_hash_map<std::string, int64_t> UnitsTaken(
    const std::vector<v1::Return>& returns, const std::string& except_id,
    bool (*counts)(v1::ReturnStatus)) {
  absl::flat_hash_map<std::string, int64_t> taken;
  for (const v1::Return& r : returns) {
    if (r.return_id() == except_id || !counts(r.status())) continue;
    for (const v1::ReturnLine& l : r.lines()) taken[l.sku()] += l.quantity();
  }
  return taken;
}

// What `quantity` units of `sku` cost on the order after the first `skip`
// units of it, taking units from the lines in line order. Never more than
// the order's total, so it cannot overflow.
int64_t PriceUnits(const v1::Order& o, const std::string& sku, int64_t skip,
                   int64_t quantity) {
  int64_t sum = 0;
  for (const v1::OrderItem& item : o.items()) {
    if (item.sku() != sku || quantity <= 0) continue;
    const int64_t skipped = std::min(skip, item.quantity());
    skip -= skipped;
    const int64_t units = std::min(quantity, item.quantity() - skipped);
    sum += units * item.unit_price().minor_units();
    quantity -= units;
  }
  return sum;
}

// Sets each line's refund amount and the return's refund total: the units
// are the next ones of their sku after those held by the order's other
// returns.
void PriceReturn(const v1::Order& o, const std::vector<v1::Return>& others,
                 v1::Return* r) {
  const absl::flat_hash_map<std::string, int64_t> taken =
      UnitsTaken(others, r->return_id(), &HoldsUnits);
  const std::string& currency = o.total().currency_code();
  int64_t total = 0;
  for (v1::ReturnLine& l : *r->mutable_lines()) {
    const auto it = taken.find(l.sku());
    const int64_t amount = PriceUnits(
        o, l.sku(), it == taken.end() ? 0 : it->second, l.quantity());
    l.mutable_refund_amount()->set_currency_code(currency);
    l.mutable_refund_amount()->set_minor_units(amount);
    total += amount;
  }
  r->mutable_refund_total()->set_currency_code(currency);
  r->mutable_refund_total()->set_minor_units(total);
}

// The return policy, checked on request and again on approval: the order
// is paid; the window (from completion) is open; no sku comes back more
// often than it was bought, counting the order's other returns that hold
// units.
absl::Status CheckPolicy(const OrderOptions& options, const v1::Order& o,
                         const v1::Return& r,
                         const std::vector<v1::Return>& others,
                         int64_t now_micros) {
  if (!IsPaidOrLater(o.status())) {
    return ErrorWithReason(
        absl::StatusCode::kFailedPrecondition, "ORDER_NOT_PAID",
        absl::StrCat("order '", o.order_id(), "' is ",
                     v1::OrderStatus_Name(o.status()),
                     "; only a paid order's items can be returned"),
        {{"order_id", o.order_id()},
         {"status", v1::OrderStatus_Name(o.status())}});
  }
  if (o.has_complete_time()) {
    const int64_t completed =
        TimeUtil::TimestampToMicroseconds(o.complete_time());
    const int64_t closes =
        completed + options.return_window_days * kMicrosPerDay;
    if (now_micros > closes) {
      const std::string deadline = absl::FormatTime(
          "%Y-%m-%d %H:%M %Z", absl::FromUnixMicros(closes), options.time_zone);
      return ErrorWithReason(
          absl::StatusCode::kFailedPrecondition, "RETURN_WINDOW_CLOSED",
          absl::StrCat("the return window of order '", o.order_id(),
                       "' closed at ", deadline, " (",
                       options.return_window_days, " days after completion)"),
          {{"order_id", o.order_id()},
           {"window_days", absl::StrCat(options.return_window_days)}});
    }
  }
  const absl::flat_hash_map<std::string, int64_t> bought = UnitsBought(o);
  const absl::flat_hash_map<std::string, int64_t> taken =
      UnitsTaken(others, r.return_id(), &HoldsUnits);
  for (int i = 0; i < r.lines_size(); ++i) {
    const v1::ReturnLine& l = r.lines(i);
    const auto b = bought.find(l.sku());
    const int64_t had = b == bought.end() ? 0 : b->second;
    const auto t = taken.find(l.sku());
    const int64_t gone = t == taken.end() ? 0 : t->second;
    if (l.quantity() > had - gone) {
      return ErrorWithReason(
          absl::StatusCode::kFailedPrecondition, "RETURN_QUANTITY_EXCEEDED",
          absl::StrCat("lines[", i, "].quantity: ", l.quantity(), " of sku '",
                       l.sku(), "' cannot come back: order '", o.order_id(),
                       "' bought ", had, " and ", gone,
                       " are already returned or approved for return, so at "
                       "most ",
                       had - gone, " can"),
          {{"field", absl::StrCat("lines[", i, "].quantity")},
           {"sku", l.sku()},
           {"bought", absl::StrCat(had)},
           {"already_returned", absl::StrCat(gone)}});
    }
  }
  return absl::OkStatus();
}

// Whether the completed returns (with `r`) bring back every unit bought.
bool EverythingBack(const v1::Order& o, const std::vector<v1::Return>& others,
                    const v1::Return& r) {
  absl::flat_hash_map<std::string, int64_t> back = UnitsTaken(
      others, r.return_id(),
      [](v1::ReturnStatus s) { return s == v1::RETURN_STATUS_COMPLETED; });
  for (const v1::ReturnLine& l : r.lines()) back[l.sku()] += l.quantity();
  for (const auto& [sku, units] : UnitsBought(o)) {
    const auto it = back.find(sku);
    if (it == back.end() || it->second < units) return false;
  }
  return true;
}

bool EarnsPoints(v1::PaymentMethod m) {
  return m != v1::PAYMENT_METHOD_POINTS &&
         m != v1::PAYMENT_METHOD_EXCHANGE_CREDIT;
}

// floor(a × b / c) without overflow; 0 when c is 0.
int64_t MulDiv(int64_t a, int64_t b, int64_t c) {
  if (c <= 0) return 0;
  return static_cast<int64_t>(static_cast<__int128>(a) * b / c);
}

// Where the refund of a return goes: the order's succeeded tenders, newest
// first, each up to what is still unrefunded of it.
class RefundPlan {
 public:
  RefundPlan(const v1::Order& o, const v1::Return& r, int64_t now_micros)
      : order_(o), return_id_(r.return_id()), now_micros_(now_micros) {
    for (const v1::Refund& f : o.refunds()) {
      refunded_[f.payment_id()] += f.amount().minor_units();
      if (f.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT)
        money_[f.payment_id()] += f.amount().minor_units();
      restored_[f.payment_id()] += f.points_restored();
    }
  }

  // Takes `amount` from the tenders, newest first: as money (refunded the
  // way it was paid) or, with `credit`, as exchange credit. Returns what
  // could not be placed (0 unless the records are inconsistent).
  int64_t Take(int64_t amount, bool credit) {
    for (int i = order_.payments_size() - 1; i >= 0 && amount > 0; --i) {
      const v1::Payment& pay = order_.payments(i);
      if (pay.outcome() != v1::PAYMENT_OUTCOME_SUCCEEDED) continue;
      int64_t& refunded = refunded_[pay.payment_id()];
      const int64_t part =
          std::min(amount, pay.amount().minor_units() - refunded);
      if (part <= 0) continue;
      refunded += part;
      amount -= part;
      v1::Refund f;
      f.set_refund_id(NewId("ref", now_micros_));
      f.set_payment_id(pay.payment_id());
      f.set_method(credit ? v1::PAYMENT_METHOD_EXCHANGE_CREDIT
                          : RefundMethodFor(pay.method()));
      f.mutable_amount()->set_currency_code(pay.amount().currency_code());
      f.mutable_amount()->set_minor_units(part);
      f.set_return_id(return_id_);
      f.set_reason(credit ? absl::StrCat("return ", return_id_,
                                         ": exchange credit for the new order")
                   : pay.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT
                       ? absl::StrCat("return ", return_id_,
                                      ": exchange credit paid out in cash")
                       : absl::StrCat("return ", return_id_));
      *f.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(now_micros_);
      // Points tenders refunded as money give their points back, in
      // proportion; the last part gives back whatever is left, so a tender
      // refunded in parts restores exactly what it debited. Credit drawn
      // from a points tender restores nothing: its value moved to the new
      // order.
      if (!credit && pay.method() == v1::PAYMENT_METHOD_POINTS) {
        // Cumulative: the points for all money refunded from this tender so
        // far, less those already restored, so parts add up exactly to what
        // was debited once all of it came back as money, and credit drawn
        // from it never turns into points.
        int64_t& money = money_[pay.payment_id()];
        int64_t& restored = restored_[pay.payment_id()];
        money += part;
        const int64_t due =
            MulDiv(pay.points_debited(), money, pay.amount().minor_units()) -
            restored;
        f.set_points_restored(std::max<int64_t>(0, due));
        restored += f.points_restored();
      }
      refunds_.push_back(std::move(f));
    }
    return amount;
  }

  std::vector<v1::Refund>& refunds() { return refunds_; }

 private:
  const v1::Order& order_;
  const std::string return_id_;
  const int64_t now_micros_;
  absl::flat_hash_map<std::string, int64_t> refunded_;  // all, per tender
  absl::flat_hash_map<std::string, int64_t> money_;     // not as credit
  absl::flat_hash_map<std::string, int64_t> restored_;  // points
  std::vector<v1::Refund> refunds_;
};

// The money refunded from point-earning tenders among `refunds` (credit is
// not money given back).
int64_t EarningMoneyRefunded(const v1::Order& o,
                             const std::vector<const v1::Refund*>& refunds) {
  absl::flat_hash_map<std::string, v1::PaymentMethod> method_of;
  for (const v1::Payment& p : o.payments())
    method_of[p.payment_id()] = p.method();
  int64_t sum = 0;
  for (const v1::Refund* f : refunds) {
    if (f->method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT) continue;
    const auto it = method_of.find(f->payment_id());
    if (it != method_of.end() && EarnsPoints(it->second))
      sum += f->amount().minor_units();
  }
  return sum;
}

// Empties the free-text notes of `r` (erasure: staff and customers write
// anything there).
void ClearNotes(v1::Return* r) {
  for (v1::ReturnLine& l : *r->mutable_lines()) l.clear_note();
  r->clear_review_note();
  r->clear_receive_note();
}

// Empties the notes of customer `id`'s returns, and the delivery details of
// their orders, in `m` (a stored response), wherever they appear.
void ScrubReturnReply(google::protobuf::Message* m, const std::string& id) {
  ScrubDelivery(m, id);
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d == v1::Return::descriptor()) {
    auto* r = static_cast<v1::Return*>(m);
    if (r->customer_id() == id) ClearNotes(r);
    return;
  }
  const google::protobuf::Reflection* refl = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        f->message_type() == v1::Order::descriptor())
      continue;
    if (f->is_repeated()) {
      for (int j = 0; j < refl->FieldSize(*m, f); ++j)
        ScrubReturnReply(refl->MutableRepeatedMessage(m, f, j), id);
    } else if (refl->HasField(*m, f)) {
      ScrubReturnReply(refl->MutableMessage(m, f), id);
    }
  }
}

// A trimmed free-text note, checked: at most 500 characters (at least 1
// when `required`).
std::string Note(ViolationCollector& v, const std::string& field,
                 const std::string& in, bool required) {
  const absl::string_view note = TrimUnicodeSpace(in);
  CheckText(v, field, note, required ? 1 : 0, 500);
  return std::string(note);
}

}  // namespace

void OrderManager::RequestReturn(CallMeta call,
                                 const v1::RequestReturnRequest& req,
                                 Reply<v1::RequestReturnResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "order_id", req.order_id());
  const bool exchange = req.type() == v1::RETURN_TYPE_EXCHANGE;
  if (req.type() != v1::RETURN_TYPE_RETURN && !exchange) {
    v.Add("type", "must be RETURN_TYPE_RETURN or RETURN_TYPE_EXCHANGE");
  }
  const int n = req.lines_size();
  if (n < 1 || n > kMaxReturnLines) {
    v.Add("lines", absl::StrCat("must have 1 to ", kMaxReturnLines,
                                " lines; it has ", n));
  }
  v1::Return r;
  r.set_order_id(req.order_id());
  r.set_type(req.type());
  absl::flat_hash_set<std::string> skus;
  int64_t replacements_total = 0;
  bool replacements_ok = true;
  // Past the limit, the count is the error: checking each line would only
  // bury it.
  for (int i = 0; i < (n > kMaxReturnLines ? 0 : n); ++i) {
    const v1::ReturnLine& in = req.lines(i);
    const std::string field = absl::StrCat("lines[", i, "]");
    v1::ReturnLine* l = r.add_lines();
    CheckText(v, absl::StrCat(field, ".sku"), in.sku(), 1, 64);
    if (!skus.insert(in.sku()).second) {
      v.Add(absl::StrCat(field, ".sku"),
            absl::StrCat("sku '", TruncateUtf8(in.sku(), 64),
                         "' is on an earlier line; give each sku once"));
    }
    l->set_sku(in.sku());
    if (in.quantity() < 1) {
      v.Add(absl::StrCat(field, ".quantity"),
            absl::StrCat("must be at least 1; it is ", in.quantity()));
    }
    l->set_quantity(in.quantity());
    if (!v1::ReturnReason_IsValid(in.reason()) ||
        in.reason() == v1::RETURN_REASON_UNSPECIFIED) {
      v.Add(absl::StrCat(field, ".reason"),
            "must be one of RETURN_REASON_SIZE, RETURN_REASON_QUALITY_DEFECT, "
            "RETURN_REASON_NOT_AS_DESCRIBED, RETURN_REASON_CHANGED_MIND, "
            "RETURN_REASON_DAMAGED_IN_DELIVERY, RETURN_REASON_OTHER");
    }
    l->set_reason(in.reason());
    l->set_note(Note(v, absl::StrCat(field, ".note"), in.note(),
                     in.reason() == v1::RETURN_REASON_OTHER));
    if (exchange) {
      if (!in.has_replacement()) {
        v.Add(absl::StrCat(field, ".replacement"),
              "is required on an exchange line: what goes out instead");
        replacements_ok = false;
        continue;
      }
      const v1::OrderItem& rep = in.replacement();
      if (rep.quantity() < 0) {
        v.Add(absl::StrCat(field, ".replacement.quantity"),
              "must not be negative (0 means the returned quantity)");
        replacements_ok = false;
        continue;
      }
      const int64_t units =
          rep.quantity() == 0 ? in.quantity() : rep.quantity();
      const std::optional<int64_t> line =
          PriceItem(v, absl::StrCat(field, ".replacement"), rep, units,
                    options_.currency_code, l->mutable_replacement());
      if (!line.has_value() || __builtin_add_overflow(replacements_total, *line,
                                                      &replacements_total)) {
        if (line.has_value()) {
          v.Add(absl::StrCat(field, ".replacement"),
                "the replacements' total overflows the largest amount");
        }
        replacements_ok = false;
      }
    } else if (in.has_replacement()) {
      v.Add(absl::StrCat(field, ".replacement"),
            "only exchange lines name a replacement; this is a return");
    }
  }
  if (exchange && replacements_ok && v.empty() && replacements_total == 0) {
    v.Add("lines",
          "the replacements add up to 0: an exchange must send out something "
          "with a price");
  }
  if (!v.empty()) return reply(v.ToStatus());

  db::SubmitMutation<v1::RequestReturnResponse>(
      db_.writer(), clock_,
      call.With(req.request_id(), ResourceName(req.order_id())), req,
      [this, r = std::move(r)](
          db::MutationContext& ctx,
          v1::RequestReturnResponse* out) mutable -> absl::Status {
        ASSIGN_OR_RETURN(StoredOrder so,
                         orders::GetOrder(ctx.conn, r.order_id(),
                                          BranchScope(*ctx.meta.principal)));
        const v1::Order& o = so.order;
        ViolationCollector on_order;
        const absl::flat_hash_map<std::string, int64_t> bought = UnitsBought(o);
        for (int i = 0; i < r.lines_size(); ++i) {
          if (!bought.contains(r.lines(i).sku())) {
            on_order.Add(
                absl::StrCat("lines[", i, "].sku"),
                absl::StrCat("sku '", r.lines(i).sku(), "' is not on order '",
                             o.order_id(), "'"));
          }
        }
        if (!on_order.empty()) return on_order.ToStatus();
        ASSIGN_OR_RETURN(std::vector<v1::Return> others,
                         ListOrderReturns(ctx.conn, so.row));
        RETURN_IF_ERROR(CheckPolicy(options_, o, r, others, ctx.now_micros));
        StoredReturn sr;
        sr.revision = 1;
        sr.order_row = so.row;
        // A copy: on PostgreSQL this op may run again after a serialization
        // failure, and must find the request as it came.
        sr.ret = r;
        v1::Return& ret = sr.ret;
        ret.set_return_id(NewId("ret", ctx.now_micros));
        ret.set_branch_id(o.branch_id());
        ret.set_customer_id(o.customer_id());
        ret.set_status(v1::RETURN_STATUS_REQUESTED);
        PriceReturn(o, others, &ret);
        *ret.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        *ret.mutable_update_time() = ret.create_time();
        ctx.meta.resource = ReturnResourceName(ret.return_id());
        RETURN_IF_ERROR(InsertReturn(ctx.conn, sr));
        RETURN_IF_ERROR(AppendReturnEvent(ctx, ret, "REQUESTED", 1));
        *out->mutable_order_return() = std::move(ret);
        return absl::OkStatus();
      },
      std::move(reply));
}

template <typename Response, typename Step>
void OrderManager::AdvanceReturn(CallMeta call,
                                 const google::protobuf::Message& req,
                                 const std::string& return_id,
                                 const std::string& request_id,
                                 v1::ReturnStatus from, v1::ReturnStatus to,
                                 Step step, Reply<Response> reply) {
  db::SubmitMutation<Response>(
      db_.writer(), clock_,
      call.With(request_id, ReturnResourceName(return_id)), req,
      [return_id, from, to, step = std::move(step)](
          db::MutationContext& ctx, Response* out) mutable -> absl::Status {
        ASSIGN_OR_RETURN(StoredReturn sr,
                         orders::GetReturn(ctx.conn, return_id,
                                           BranchScope(*ctx.meta.principal)));
        if (sr.ret.status() != from) return ReturnStateError(sr.ret, from, to);
        RETURN_IF_ERROR(step(ctx, sr, out));
        sr.revision += 1;
        *sr.ret.mutable_update_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        RETURN_IF_ERROR(UpdateReturn(ctx.conn, sr));
        RETURN_IF_ERROR(AppendReturnEvent(
            ctx, sr.ret, StatusName(sr.ret.status()), sr.revision));
        *out->mutable_order_return() = std::move(sr.ret);
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::ReviewReturn(CallMeta call,
                                const v1::ReviewReturnRequest& req,
                                Reply<v1::ReviewReturnResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "return_id", req.return_id());
  const bool approve = req.decision() == v1::REVIEW_DECISION_APPROVE;
  if (!approve && req.decision() != v1::REVIEW_DECISION_REJECT) {
    v.Add("decision",
          "must be REVIEW_DECISION_APPROVE or REVIEW_DECISION_REJECT");
  }
  // A rejection is explained to the customer; an approval may say nothing.
  std::string note =
      Note(v, "note", req.note(), req.decision() == v1::REVIEW_DECISION_REJECT);
  if (!v.empty()) return reply(v.ToStatus());
  const v1::ReturnStatus to =
      approve ? v1::RETURN_STATUS_APPROVED : v1::RETURN_STATUS_REJECTED;
  AdvanceReturn<v1::ReviewReturnResponse>(
      std::move(call), req, req.return_id(), req.request_id(),
      v1::RETURN_STATUS_REQUESTED, to,
      [this, approve, to, note = std::move(note)](
          db::MutationContext& ctx, StoredReturn& sr,
          v1::ReviewReturnResponse*) -> absl::Status {
        v1::Return& r = sr.ret;
        if (approve) {
          ASSIGN_OR_RETURN(StoredOrder so,
                           orders::GetOrder(ctx.conn, r.order_id(), ""));
          ASSIGN_OR_RETURN(std::vector<v1::Return> others,
                           ListOrderReturns(ctx.conn, so.row));
          RETURN_IF_ERROR(
              CheckPolicy(options_, so.order, r, others, ctx.now_micros));
          // Priced again: another return may have taken the cheaper units
          // of a sku since this one was requested.
          PriceReturn(so.order, others, &r);
          const Principal& p = *ctx.meta.principal;
          const int64_t worth = r.refund_total().minor_units();
          if (worth > options_.return_approval_limit_minor &&
              p.role != Role::kAdmin && p.role != Role::kAgent) {
            return ErrorWithReason(
                absl::StatusCode::kPermissionDenied, "APPROVAL_LIMIT",
                absl::StrCat("return '", r.return_id(), "' is worth ", worth,
                             " ", options_.currency_code,
                             " minor units, above the approval limit of ",
                             options_.return_approval_limit_minor,
                             ": only admin and agent may approve it"),
                {{"return_id", r.return_id()},
                 {"approval_limit",
                  absl::StrCat(options_.return_approval_limit_minor)}});
          }
        }
        r.set_status(to);
        r.set_review_note(note);
        r.set_reviewed_by(ctx.meta.staff_id);
        *r.mutable_review_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::ReceiveReturn(CallMeta call,
                                 const v1::ReceiveReturnRequest& req,
                                 Reply<v1::ReceiveReturnResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "return_id", req.return_id());
  if (!v1::ItemCondition_IsValid(req.condition()) ||
      req.condition() == v1::ITEM_CONDITION_UNSPECIFIED) {
    v.Add("condition",
          "must be one of ITEM_CONDITION_RESALABLE, ITEM_CONDITION_OPENED, "
          "ITEM_CONDITION_DAMAGED, ITEM_CONDITION_DEFECTIVE");
  }
  std::string note = Note(v, "note", req.note(), false);
  if (!v.empty()) return reply(v.ToStatus());
  AdvanceReturn<v1::ReceiveReturnResponse>(
      std::move(call), req, req.return_id(), req.request_id(),
      v1::RETURN_STATUS_APPROVED, v1::RETURN_STATUS_RECEIVED,
      [condition = req.condition(), note = std::move(note)](
          db::MutationContext& ctx, StoredReturn& sr,
          v1::ReceiveReturnResponse*) -> absl::Status {
        v1::Return& r = sr.ret;
        r.set_status(v1::RETURN_STATUS_RECEIVED);
        r.set_condition(condition);
        r.set_receive_note(note);
        *r.mutable_receive_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::CompleteReturn(CallMeta call,
                                  const v1::CompleteReturnRequest& req,
                                  Reply<v1::CompleteReturnResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "return_id", req.return_id());
  absl::flat_hash_map<std::string, std::string> references;
  // Which request field named each tender, for errors found later.
  absl::flat_hash_map<std::string, int> reference_index;
  if (req.refund_references_size() > 100) {
    v.Add("refund_references", "must have at most 100 entries");
  } else {
    for (int i = 0; i < req.refund_references_size(); ++i) {
      const v1::RefundReference& ref = req.refund_references(i);
      const std::string field = absl::StrCat("refund_references[", i, "]");
      CheckId(v, absl::StrCat(field, ".payment_id"), ref.payment_id());
      CheckText(v, absl::StrCat(field, ".external_reference"),
                ref.external_reference(), 1, 128);
      if (!references.emplace(ref.payment_id(), ref.external_reference())
               .second) {
        v.Add(absl::StrCat(field, ".payment_id"),
              "names a tender an earlier entry already names");
      }
      reference_index.emplace(ref.payment_id(), i);
    }
  }
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*call.principal);
  AdvanceReturn<v1::CompleteReturnResponse>(
      std::move(call), req, req.return_id(), req.request_id(),
      v1::RETURN_STATUS_RECEIVED, v1::RETURN_STATUS_COMPLETED,
      [this, visible, references = std::move(references),
       reference_index = std::move(reference_index)](
          db::MutationContext& ctx, StoredReturn& sr,
          v1::CompleteReturnResponse* out) -> absl::Status {
        v1::Return& r = sr.ret;
        ASSIGN_OR_RETURN(StoredOrder so,
                         orders::GetOrder(ctx.conn, r.order_id(), ""));
        v1::Order& o = so.order;
        ASSIGN_OR_RETURN(std::vector<v1::Return> others,
                         ListOrderReturns(ctx.conn, so.row));
        const bool exchange = r.type() == v1::RETURN_TYPE_EXCHANGE;
        const int64_t worth = r.refund_total().minor_units();

        // The exchange's new order, priced from the replacements.
        int64_t new_total = 0;
        if (exchange) {
          for (const v1::ReturnLine& l : r.lines())
            new_total += l.replacement().line_total().minor_units();
        }
        const int64_t credit = exchange ? std::min(worth, new_total) : 0;
        const int64_t money = worth - credit;

        // Money goes back first, newest tender first; then the credit.
        RefundPlan plan(o, r, ctx.now_micros);
        if (plan.Take(money, false) != 0 || plan.Take(credit, true) != 0) {
          return absl::InternalError(
              absl::StrCat("the tenders of order '", o.order_id(),
                           "' cannot cover return '", r.return_id(), "'"));
        }
        std::vector<v1::Refund>& refunds = plan.refunds();
        absl::flat_hash_set<std::string> money_refunded;
        for (const v1::Refund& f : refunds) {
          if (f.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT)
            money_refunded.insert(f.payment_id());
        }
        for (const auto& [payment_id, index] : reference_index) {
          if (!money_refunded.contains(payment_id)) {
            return InvalidArgument(
                absl::StrCat("refund_references[", index, "].payment_id"),
                absl::StrCat("tender '", payment_id,
                             "' gets no money back from return '",
                             r.return_id(), "'"));
          }
        }
        const std::string& customer = o.customer_id();
        const bool has_customer = !customer.empty() && customers_ != nullptr;
        std::vector<const v1::Refund*> before;
        for (const v1::Refund& f : o.refunds()) before.push_back(&f);
        std::vector<const v1::Refund*> now;
        int64_t points_restored = 0;
        for (v1::Refund& f : refunds) {
          if (f.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT) {
            if (auto it = references.find(f.payment_id());
                it != references.end()) {
              f.set_external_reference(it->second);
            }
          }
          if (f.points_restored() > 0) {
            if (!has_customer) {
              return absl::InternalError(
                  "a points tender without a customer to restore them to");
            }
            RETURN_IF_ERROR(
                customers_
                    ->ChangePoints(ctx, customer, f.points_restored(),
                                   absl::StrCat("return ", r.return_id(),
                                                ": points tender ",
                                                f.payment_id(), " refunded"))
                    .status());
            points_restored += f.points_restored();
          }
          RETURN_IF_ERROR(InsertRefund(ctx.conn, so.row, f));
          now.push_back(&f);
        }

        // Points earned follow the money: the share of the order's earning
        // tenders refunded so far, before and after this return.
        int64_t reversed = 0, shortfall = 0;
        if (has_customer && o.points_earned() > 0) {
          int64_t earning = 0;
          for (const v1::Payment& p : o.payments()) {
            if (p.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED &&
                EarnsPoints(p.method()))
              earning += p.amount().minor_units();
          }
          const int64_t refunded_before = EarningMoneyRefunded(o, before);
          const int64_t refunded_after =
              refunded_before + EarningMoneyRefunded(o, now);
          const int64_t due =
              MulDiv(o.points_earned(), refunded_after, earning) -
              MulDiv(o.points_earned(), refunded_before, earning);
          if (due > 0) {
            ASSIGN_OR_RETURN(reversed,
                             customers_->TakeBackPoints(
                                 ctx, customer, due,
                                 absl::StrCat("return ", r.return_id(),
                                              ": points earned on order ",
                                              o.order_id(), " taken back")));
            shortfall = due - reversed;
          }
        }
        // Credit this order was paid with, now given back in cash: the
        // points it first earned on the original order go back too.
        {
          absl::flat_hash_map<std::string, v1::PaymentMethod> method_of;
          for (const v1::Payment& p : o.payments())
            method_of[p.payment_id()] = p.method();
          int64_t payout = 0;
          for (const v1::Refund& f : refunds) {
            if (f.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT &&
                method_of[f.payment_id()] == v1::PAYMENT_METHOD_EXCHANGE_CREDIT)
              payout += f.amount().minor_units();
          }
          ASSIGN_OR_RETURN(PointsTaken credit_points,
                           TakeBackCreditPoints(ctx, customers_, o, payout));
          reversed += credit_points.taken;
          shortfall += credit_points.shortfall;
        }
        const bool everything = EverythingBack(o, others, r);
        if (has_customer) {
          // The purchase stops counting when its goods all came back for
          // money; an exchange's new order carries it on.
          RETURN_IF_ERROR(customers_->RecordReturn(ctx, customer, worth,
                                                   everything && !exchange));
        }
        for (const v1::Refund& f : refunds) *o.add_refunds() = f;
        o.mutable_paid()->set_minor_units(o.paid().minor_units() - worth);
        o.set_status(everything ? v1::ORDER_STATUS_RETURNED
                                : v1::ORDER_STATUS_PARTIALLY_RETURNED);
        RETURN_IF_ERROR(
            SaveOrder(ctx, so, everything ? "RETURNED" : "PARTIALLY_RETURNED"));

        if (exchange) {
          StoredOrder ns;
          ns.revision = 1;
          v1::Order& n = ns.order;
          n.set_order_id(NewId("ord", ctx.now_micros));
          n.set_customer_id(o.customer_id());
          n.set_branch_id(o.branch_id());
          n.set_channel(o.channel());
          if (o.has_delivery()) *n.mutable_delivery() = o.delivery();
          for (const v1::ReturnLine& l : r.lines())
            *n.add_items() = l.replacement();
          n.mutable_total()->set_currency_code(options_.currency_code);
          n.mutable_total()->set_minor_units(new_total);
          n.mutable_paid()->set_currency_code(options_.currency_code);
          n.mutable_paid()->set_minor_units(credit);
          n.set_status(v1::ORDER_STATUS_PENDING_PAYMENT);
          n.set_exchange_return_id(r.return_id());
          *n.mutable_create_time() =
              TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
          *n.mutable_update_time() = n.create_time();
          RETURN_IF_ERROR(InsertOrder(ctx.conn, ns));
          RETURN_IF_ERROR(AppendOrderEvent(ctx, n, "CREATED", 1));
          if (credit > 0) {
            v1::Payment pay;
            pay.set_payment_id(NewId("pay", ctx.now_micros));
            pay.set_method(v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
            pay.mutable_amount()->set_currency_code(options_.currency_code);
            pay.mutable_amount()->set_minor_units(credit);
            pay.set_external_reference(r.return_id());
            pay.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
            pay.set_staff_id(ctx.meta.staff_id);
            *pay.mutable_create_time() = n.create_time();
            RETURN_IF_ERROR(InsertPayment(ctx.conn, ns.row, pay));
            *n.add_payments() = std::move(pay);
          }
          if (credit == new_total) {
            RETURN_IF_ERROR(
                SettleOrder(ctx, options_, customers_, ns).status());
            RETURN_IF_ERROR(SaveOrder(ctx, ns, "PAID"));
          }
          r.set_exchange_order_id(n.order_id());
          r.mutable_exchange_credit()->set_currency_code(
              options_.currency_code);
          r.mutable_exchange_credit()->set_minor_units(credit);
          *out->mutable_exchange_order() = n;
          ApplyPiiPolicy(visible, out->mutable_exchange_order());
        }

        for (v1::Refund& f : refunds) *r.add_refunds() = std::move(f);
        r.set_points_restored(points_restored);
        r.set_points_reversed(reversed);
        r.set_points_shortfall(shortfall);
        r.set_status(v1::RETURN_STATUS_COMPLETED);
        *r.mutable_complete_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        *out->mutable_order() = std::move(o);
        ApplyPiiPolicy(visible, out->mutable_order());
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::GetReturn(CallMeta call, const v1::GetReturnRequest& req,
                             Reply<v1::GetReturnResponse> reply) {
  ViolationCollector v;
  CheckId(v, "return_id", req.return_id());
  if (!v.empty()) return reply(v.ToStatus());
  v1::Return* out = reply.out()->mutable_order_return();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        StoredReturn sr,
        orders::GetReturn(conn, req.return_id(), BranchScope(*call.principal)));
    *out = std::move(sr.ret);
    return absl::OkStatus();
  }));
}

void OrderManager::ListReturns(CallMeta call, const v1::ListReturnsRequest& req,
                               Reply<v1::ListReturnsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  if (!req.order_id().empty()) CheckId(v, "order_id", req.order_id());
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  if (!v1::ReturnStatus_IsValid(req.status())) {
    v.Add("status", "must be a ReturnStatus value");
  }
  const std::string scope = PageTokenScope(
      call.method, *p,
      absl::StrCat("order=", req.order_id(), "&branch=", req.branch_id(),
                   "&status=", static_cast<int>(req.status())));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  ReturnQuery q;
  q.branch_scope = BranchScope(*p);
  q.branch_id = req.branch_id();
  q.status = req.status();
  q.after_row = *after;
  q.limit = *page_size + 1;  // one extra row tells whether a next page exists
  v1::ListReturnsResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    if (!req.order_id().empty()) {
      // An order outside the caller's scope lists nothing, as a missing
      // one does: a list never tells which ids exist elsewhere.
      absl::StatusOr<StoredOrder> so =
          orders::GetOrder(conn, req.order_id(), q.branch_scope);
      if (absl::IsNotFound(so.status())) return absl::OkStatus();
      RETURN_IF_ERROR(so.status());
      q.order_row = so->row;
    }
    ASSIGN_OR_RETURN(
        std::vector<int64_t> rows,
        orders::ListReturns(conn, q, out->mutable_order_returns()));
    auto* list = out->mutable_order_returns();
    if (static_cast<int>(rows.size()) > *page_size) {
      list->DeleteSubrange(*page_size, list->size() - *page_size);
      out->set_next_page_token(tokens_.Encode(scope, rows[*page_size - 1]));
    }
    return absl::OkStatus();
  }));
}

absl::Status OrderManager::ExportReturns(
    db::Connection& conn, const std::string& customer_id,
    google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) {
  ASSIGN_OR_RETURN(std::vector<StoredReturn> returns,
                   ListCustomerReturns(conn, customer_id));
  for (const StoredReturn& sr : returns) out->Add()->PackFrom(sr.ret);
  return absl::OkStatus();
}

absl::Status OrderManager::EraseReturnNotes(db::MutationContext& ctx,
                                            const std::string& customer_id) {
  ASSIGN_OR_RETURN(std::vector<StoredReturn> returns,
                   ListCustomerReturns(ctx.conn, customer_id));
  for (StoredReturn& sr : returns) {
    ClearNotes(&sr.ret);
    sr.revision += 1;
    *sr.ret.mutable_update_time() =
        TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
    RETURN_IF_ERROR(UpdateReturn(ctx.conn, sr));
    RETURN_IF_ERROR(
        AppendReturnEvent(ctx, sr.ret, "NOTES_ERASED", sr.revision));
    // Stored replay copies of this return's answers hold the old notes and
    // (CompleteReturn) the orders' delivery details.
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, ReturnResourceName(sr.ret.return_id()),
        [&customer_id](google::protobuf::Message* m) {
          ScrubReturnReply(m, customer_id);
        }));
  }
  return absl::OkStatus();
}

}  // namespace retail::orders
