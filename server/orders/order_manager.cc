#include "server/orders/order_manager.h"

#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/orders/order_common.h"
#include "server/orders/order_store.h"
#include "server/orders/return_store.h"

namespace retail::orders {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr int kMaxSettlementDays = 366;

// A calendar date as yyyymmdd; adds a violation unless it is a real date
// in years 1900..9999.
std::optional<int32_t> CheckDateInt(ViolationCollector& v,
                                    absl::string_view field, bool present,
                                    const common::v1::Date& d) {
  if (!retail::CheckDate(v, field, present, d)) return std::nullopt;
  return DateToInt(d);
}

}  // namespace

void PriceOrder(ViolationCollector& v, const v1::Order& in,
                const std::string& currency, v1::Order* out) {
  const int n = in.items_size();
  if (n < 1 || n > kMaxOrderLines) {
    v.Add("order.items", absl::StrCat("must have 1 to ", kMaxOrderLines,
                                      " lines; it has ", n));
    if (n > kMaxOrderLines) return;  // not worth checking each line
  }
  int64_t total = 0;
  bool total_ok = true;
  for (int i = 0; i < n; ++i) {
    const std::string field = absl::StrCat("order.items[", i, "]");
    const std::optional<int64_t> line =
        PriceItem(v, field, in.items(i), in.items(i).quantity(), currency,
                  out->add_items());
    if (!line.has_value()) total_ok = false;
    if (total_ok && __builtin_add_overflow(total, *line, &total)) {
      v.Add(absl::StrCat(field, ".line_total"),
            absl::StrCat("the order total overflows the largest amount (",
                         std::numeric_limits<int64_t>::max(),
                         " minor units) at this line"));
      total_ok = false;
    }
  }
  out->mutable_total()->set_currency_code(currency);
  out->mutable_total()->set_minor_units(total_ok ? total : 0);
}

absl::StatusOr<int64_t> PointsForAmount(int64_t amount_minor,
                                        int64_t points_per_yuan) {
  const __int128 scaled = static_cast<__int128>(amount_minor) * points_per_yuan;
  if (scaled % 100 != 0) {
    return InvalidArgument("payment.amount",
                           absl::StrCat(amount_minor,
                                        " minor units is not a whole number of "
                                        "points at ",
                                        points_per_yuan,
                                        " points per 100 minor "
                                        "units"));
  }
  if (scaled / 100 > std::numeric_limits<int64_t>::max() || scaled < 0) {
    return InvalidArgument("payment.amount", "is too large to pay in points");
  }
  return static_cast<int64_t>(scaled / 100);
}

int64_t PointsEarned(int64_t paid_minor, int64_t points_earned_per_yuan) {
  if (paid_minor <= 0 || points_earned_per_yuan <= 0) return 0;
  const __int128 earned =
      static_cast<__int128>(paid_minor) * points_earned_per_yuan / 100;
  return earned > std::numeric_limits<int64_t>::max()
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(earned);
}

std::pair<int64_t, int64_t> BusinessDayMicros(absl::CivilDay day,
                                              absl::TimeZone zone) {
  return {absl::ToUnixMicros(absl::FromCivil(day, zone)),
          absl::ToUnixMicros(absl::FromCivil(day + 1, zone))};
}

OrderManager::OrderManager(db::Database& db, const Clock& clock,
                           OrderOptions options,
                           customers::CustomerDirectory* customers)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      customers_(customers),
      tokens_(db.secret()) {}

void OrderManager::CheckCurrency(ViolationCollector& v,
                                 const std::string& field,
                                 const common::v1::Money& m) const {
  if (!m.currency_code().empty() &&
      m.currency_code() != options_.currency_code) {
    v.Add(absl::StrCat(field, ".currency_code"),
          absl::StrCat("must be ", options_.currency_code,
                       " (the server's currency) or empty"));
  }
}

template <typename Response>
void OrderManager::FinishRead(const db::CallMeta& meta, bool audited_reveal,
                              absl::Status status, Reply<Response> reply) {
  db::ReplyAfterRevealAudit(
      db_.writer(), clock_, meta, audited_reveal, std::move(status),
      std::move(reply), [](const Response& r) {
        std::string shown;
        if constexpr (requires { r.orders(); }) {
          for (const v1::Order& o : r.orders()) {
            absl::StrAppend(&shown, shown.empty() ? "shown: " : ",",
                            ResourceName(o.order_id()));
          }
        }
        return shown;
      });
}

void OrderManager::CreateOrder(CallMeta call, const v1::CreateOrderRequest& req,
                               Reply<v1::CreateOrderResponse> reply) {
  const PrincipalPtr& p = call.principal;
  const v1::Order& in = req.order();
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  v1::Order order;
  std::string branch = in.branch_id();
  if (p->role == Role::kBranch) {
    // A store takes orders for itself; naming another branch is a
    // permission problem, not a typo to fix silently.
    if (!branch.empty() && branch != p->branch_id) {
      return reply(absl::PermissionDeniedError(
          absl::StrCat("order.branch_id: branch '", p->branch_id,
                       "' may not create orders for branch '",
                       TruncateUtf8(branch, 64), "'")));
    }
    branch = p->branch_id;
  } else {
    CheckId(v, "order.branch_id", branch);
  }
  order.set_branch_id(branch);
  if (!in.customer_id().empty()) {
    CheckId(v, "order.customer_id", in.customer_id());
    order.set_customer_id(in.customer_id());
  }
  if (!v1::OrderChannel_IsValid(in.channel()) ||
      in.channel() == v1::ORDER_CHANNEL_UNSPECIFIED) {
    v.Add("order.channel",
          "must be one of ORDER_CHANNEL_STORE, ORDER_CHANNEL_ONLINE, "
          "ORDER_CHANNEL_APP, ORDER_CHANNEL_PHONE");
  }
  order.set_channel(in.channel());
  PriceOrder(v, in, options_.currency_code, &order);
  if (in.has_delivery()) {
    if (in.channel() == v1::ORDER_CHANNEL_STORE) {
      v.Add("order.delivery",
            "only online, app and phone orders have delivery details; a "
            "store order has none");
    } else {
      const v1::Delivery& d = in.delivery();
      v1::Delivery* out = order.mutable_delivery();
      const absl::string_view name = TrimUnicodeSpace(d.recipient_name());
      CheckSingleLineText(v, "order.delivery.recipient_name", name, 1, 100);
      out->set_recipient_name(std::string(name));
      if (std::optional<std::string> phone = NormalizePhone(d.phone())) {
        out->set_phone(*phone);
      } else {
        v.Add("order.delivery.phone", kPhoneRule);
      }
      const absl::string_view address = TrimUnicodeSpace(d.address());
      CheckText(v, "order.delivery.address", address, 1, 500);
      out->set_address(std::string(address));
    }
  }
  // Nothing to pay means nothing to settle: PayOrder takes only positive
  // amounts, so a free order would wait for payment forever. Gifts and
  // samples are not sales.
  if (v.empty() && order.total().minor_units() == 0) {
    v.Add("order.items",
          "the lines add up to 0: an order must have something to pay");
  }
  if (req.has_expected_total()) {
    CheckCurrency(v, "expected_total", req.expected_total());
    const int64_t expected = req.expected_total().minor_units();
    const int64_t total = order.total().minor_units();
    if (v.empty() && expected != total) {
      v.Add("expected_total",
            absl::StrCat("the confirmed total is ", expected,
                         " but the lines add up to ", total, " (",
                         options_.currency_code, " minor units)"));
    }
  }
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  db::SubmitMutation<v1::CreateOrderResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "orders"), req,
      [this, order = std::move(order), visible](
          db::MutationContext& ctx,
          v1::CreateOrderResponse* out) -> absl::Status {
        if (!order.customer_id().empty()) {
          if (customers_ == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("order.customer_id: customer '",
                             order.customer_id(), "' not found"));
          }
          // Members buy in any branch: no branch scope here.
          RETURN_IF_ERROR(
              customers_->CheckCustomerActive(ctx.conn, order.customer_id()));
        }
        StoredOrder so;
        so.revision = 1;
        so.order = order;
        v1::Order& o = so.order;
        o.set_order_id(NewId("ord", ctx.now_micros));
        o.set_status(v1::ORDER_STATUS_PENDING_PAYMENT);
        o.mutable_paid()->set_currency_code(options_.currency_code);
        o.mutable_paid()->set_minor_units(0);
        *o.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        *o.mutable_update_time() = o.create_time();
        ctx.meta.resource = ResourceName(o.order_id());
        RETURN_IF_ERROR(InsertOrder(ctx.conn, so));
        RETURN_IF_ERROR(AppendOrderEvent(ctx, o, "CREATED", 1));
        *out->mutable_order() = o;
        ApplyPiiPolicy(visible, out->mutable_order());
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::GetOrder(CallMeta call, const v1::GetOrderRequest& req,
                            Reply<v1::GetOrderResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "order_id", req.order_id());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());

  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        v1::Order* o = reply.out()->mutable_order();
        RETURN_IF_ERROR(
            orders::GetOrder(conn, req.order_id(), BranchScope(*p), o));
        ApplyPiiPolicy(*visible, o);
        return absl::OkStatus();
      });
  FinishRead(call.With("", ResourceName(req.order_id())),
             NeedsRevealAudit(*p, req.reveal_pii()), std::move(status),
             std::move(reply));
}

void OrderManager::ListOrders(CallMeta call, const v1::ListOrdersRequest& req,
                              Reply<v1::ListOrdersResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  OrderQuery q;
  q.branch_scope = BranchScope(*p);
  if (!req.customer_id().empty()) CheckId(v, "customer_id", req.customer_id());
  q.customer_id = req.customer_id();
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  q.branch_id = req.branch_id();
  if (!v1::OrderStatus_IsValid(req.status())) {
    v.Add("status", "must be an OrderStatus value");
  }
  q.status = req.status();
  if (req.has_create_time_start()) {
    if (auto t =
            CheckTimestamp(v, "create_time_start", req.create_time_start()))
      q.create_start_micros = *t;
  }
  if (req.has_create_time_end()) {
    if (auto t = CheckTimestamp(v, "create_time_end", req.create_time_end()))
      q.create_end_micros = *t;
  }
  if (req.has_create_time_start() && req.has_create_time_end() &&
      q.create_end_micros <= q.create_start_micros) {
    v.Add("create_time_end", "must be after create_time_start");
  }
  const std::string scope = PageTokenScope(
      call.method, *p,
      absl::StrCat(
          "customer=", q.customer_id, "&branch=", q.branch_id,
          "&status=", static_cast<int>(q.status),
          "&from=", req.has_create_time_start() ? q.create_start_micros : 0,
          "&to=", req.has_create_time_end() ? q.create_end_micros : 0));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());
  q.after_row = *after;
  q.limit = *page_size + 1;  // one extra row tells whether a next page exists

  v1::ListOrdersResponse* out = reply.out();
  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                         orders::ListOrders(conn, q, out->mutable_orders()));
        auto* orders = out->mutable_orders();
        const bool more = static_cast<int>(rows.size()) > *page_size;
        if (more)
          orders->DeleteSubrange(*page_size, orders->size() - *page_size);
        for (v1::Order& o : *orders) ApplyPiiPolicy(*visible, &o);
        if (more)
          out->set_next_page_token(tokens_.Encode(scope, rows[*page_size - 1]));
        return absl::OkStatus();
      });
  FinishRead(call.With("", "orders"), NeedsRevealAudit(*p, req.reveal_pii()),
             std::move(status), std::move(reply));
}

void OrderManager::CancelOrder(CallMeta call, const v1::CancelOrderRequest& req,
                               Reply<v1::CancelOrderResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "order_id", req.order_id());
  const absl::string_view reason = TrimUnicodeSpace(req.reason());
  CheckSingleLineText(v, "reason", reason, 1, 500);
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  const std::string id = req.order_id();
  db::SubmitMutation<v1::CancelOrderResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [this, id, reason = std::string(reason), visible](
          db::MutationContext& ctx,
          v1::CancelOrderResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(
            StoredOrder so,
            orders::GetOrder(ctx.conn, id, BranchScope(*ctx.meta.principal)));
        v1::Order& o = so.order;
        if (o.status() == v1::ORDER_STATUS_CANCELLED) {
          return OrderCancelledError(id);
        }
        if (o.status() != v1::ORDER_STATUS_PENDING_PAYMENT) {
          return OrderPaidError(id, "a paid order is taken back by a return");
        }
        // Succeeded tenders are refunded newest first.
        for (int i = o.payments_size() - 1; i >= 0; --i) {
          const v1::Payment& pay = o.payments(i);
          if (pay.outcome() != v1::PAYMENT_OUTCOME_SUCCEEDED) continue;
          v1::Refund r;
          r.set_refund_id(NewId("ref", ctx.now_micros));
          r.set_payment_id(pay.payment_id());
          r.set_method(RefundMethodFor(pay.method()));
          *r.mutable_amount() = pay.amount();
          r.set_reason(pay.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT
                           ? "order cancelled; exchange credit paid out in cash"
                           : "order cancelled");
          *r.mutable_create_time() =
              TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
          if (pay.method() == v1::PAYMENT_METHOD_POINTS &&
              pay.points_debited() > 0) {
            if (customers_ == nullptr || o.customer_id().empty()) {
              return absl::InternalError(
                  "a points tender without a customer to restore them to");
            }
            RETURN_IF_ERROR(
                customers_
                    ->ChangePoints(
                        ctx, o.customer_id(), pay.points_debited(),
                        absl::StrCat("order ", id, " cancelled: points tender ",
                                     pay.payment_id(), " refunded"))
                    .status());
            r.set_points_restored(pay.points_debited());
          }
          RETURN_IF_ERROR(InsertRefund(ctx.conn, so.row, r));
          if (pay.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT) {
            // Paid out in cash: the points that value earned on the
            // original order go back (what the balance cannot cover is in
            // the ledger's reason only: there is no return to record it on).
            RETURN_IF_ERROR(TakeBackCreditPoints(ctx, customers_, o,
                                                 pay.amount().minor_units())
                                .status());
          }
        }
        o.mutable_paid()->set_minor_units(0);
        o.set_status(v1::ORDER_STATUS_CANCELLED);
        *o.mutable_cancel_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        o.set_cancel_reason(reason);
        RETURN_IF_ERROR(SaveOrder(ctx, so, "CANCELLED"));
        v1::Order* shown = out->mutable_order();
        RETURN_IF_ERROR(orders::GetOrder(ctx.conn, id, "", shown));
        ApplyPiiPolicy(visible, shown);
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::CompleteOrder(CallMeta call,
                                 const v1::CompleteOrderRequest& req,
                                 Reply<v1::CompleteOrderResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "order_id", req.order_id());
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  const std::string id = req.order_id();
  db::SubmitMutation<v1::CompleteOrderResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [id, visible](db::MutationContext& ctx,
                    v1::CompleteOrderResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(
            StoredOrder so,
            orders::GetOrder(ctx.conn, id, BranchScope(*ctx.meta.principal)));
        v1::Order& o = so.order;
        if (o.status() != v1::ORDER_STATUS_PAID) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "ORDER_NOT_PAID",
              absl::StrCat("order '", id, "' is ",
                           v1::OrderStatus_Name(o.status()),
                           "; only a paid order can be completed"),
              {{"order_id", id}, {"status", v1::OrderStatus_Name(o.status())}});
        }
        o.set_status(v1::ORDER_STATUS_COMPLETED);
        *o.mutable_complete_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        RETURN_IF_ERROR(SaveOrder(ctx, so, "COMPLETED"));
        *out->mutable_order() = std::move(o);
        ApplyPiiPolicy(visible, out->mutable_order());
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::PayOrder(CallMeta call, const v1::PayOrderRequest& req,
                            Reply<v1::PayOrderResponse> reply) {
  const PrincipalPtr& p = call.principal;
  const v1::Payment& in = req.payment();
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "order_id", req.order_id());
  // Exchange credit is applied by CompleteReturn only: a caller could
  // otherwise pay an order with money that never existed.
  const bool method_ok = v1::PaymentMethod_IsValid(in.method()) &&
                         in.method() != v1::PAYMENT_METHOD_UNSPECIFIED &&
                         in.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT;
  if (!method_ok) {
    v.Add("payment.method",
          "must be one of PAYMENT_METHOD_CASH, PAYMENT_METHOD_WECHAT_PAY, "
          "PAYMENT_METHOD_ALIPAY, PAYMENT_METHOD_UNIONPAY, "
          "PAYMENT_METHOD_BANK_CARD, PAYMENT_METHOD_BANK_TRANSFER, "
          "PAYMENT_METHOD_POINTS (exchange credit is applied by returns "
          "only)");
  }
  const bool succeeded = in.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED;
  if (in.outcome() != v1::PAYMENT_OUTCOME_SUCCEEDED &&
      in.outcome() != v1::PAYMENT_OUTCOME_FAILED) {
    v.Add("payment.outcome",
          "must be PAYMENT_OUTCOME_SUCCEEDED or PAYMENT_OUTCOME_FAILED");
  }
  CheckCurrency(v, "payment.amount", in.amount());
  const int64_t amount = in.amount().minor_units();
  if (amount <= 0) {
    v.Add("payment.amount",
          absl::StrCat("must be more than zero; it is ", amount));
  }
  CheckText(v, "payment.external_reference", in.external_reference(), 0, 128);
  if (succeeded && method_ok && in.method() != v1::PAYMENT_METHOD_CASH &&
      in.method() != v1::PAYMENT_METHOD_POINTS &&
      in.external_reference().empty()) {
    v.Add("payment.external_reference",
          "is required for a succeeded non-cash tender: the till's or "
          "gateway's transaction id");
  }
  const absl::string_view failure = TrimUnicodeSpace(in.failure_reason());
  if (in.outcome() == v1::PAYMENT_OUTCOME_FAILED) {
    CheckText(v, "payment.failure_reason", failure, 1, 500);
  } else if (succeeded && !in.failure_reason().empty()) {
    v.Add("payment.failure_reason", "must be empty for a succeeded tender");
  }
  int64_t points = 0;
  if (succeeded && in.method() == v1::PAYMENT_METHOD_POINTS && amount > 0) {
    absl::StatusOr<int64_t> converted =
        PointsForAmount(amount, options_.points_per_yuan);
    v.Merge(converted.status());
    if (converted.ok()) points = *converted;
  }
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  v1::Payment record;
  record.set_method(in.method());
  record.mutable_amount()->set_currency_code(options_.currency_code);
  record.mutable_amount()->set_minor_units(amount);
  record.set_external_reference(in.external_reference());
  record.set_outcome(in.outcome());
  if (!succeeded) record.set_failure_reason(std::string(failure));
  record.set_staff_id(call.staff_id);

  const std::string id = req.order_id();
  db::SubmitMutation<v1::PayOrderResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [this, id, record = std::move(record), points, visible](
          db::MutationContext& ctx,
          v1::PayOrderResponse* out) mutable -> absl::Status {
        const std::string& scope = BranchScope(*ctx.meta.principal);
        ASSIGN_OR_RETURN(StoredOrder so, orders::GetOrder(ctx.conn, id, scope));
        v1::Order& o = so.order;
        if (o.status() == v1::ORDER_STATUS_CANCELLED) {
          return OrderCancelledError(id);
        }
        if (IsPaidOrLater(o.status())) {
          return OrderPaidError(id, "nothing is left to pay");
        }
        record.set_payment_id(NewId("pay", ctx.now_micros));
        *record.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        std::string event = "PAYMENT_FAILED";
        if (record.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED) {
          event = "PAYMENT_RECORDED";
          const int64_t total = o.total().minor_units();
          const int64_t paid = o.paid().minor_units();
          const int64_t amount = record.amount().minor_units();
          if (amount > total - paid) {
            return InvalidArgument(
                "payment.amount",
                absl::StrCat("would overpay: the total is ", total, ", ", paid,
                             " is already paid, so at most ", total - paid,
                             " may be paid; this tender is ", amount));
          }
          if (!record.external_reference().empty()) {
            ASSIGN_OR_RETURN(
                std::optional<ReferenceUse> used,
                FindSucceededReference(ctx.conn, record.method(),
                                       record.external_reference()));
            if (used.has_value()) {
              // Name the other order only to a caller who may read it.
              if (scope.empty() || used->branch_id == scope) {
                return ErrorWithReason(
                    absl::StatusCode::kAlreadyExists, "EXTERNAL_REFERENCE_USED",
                    absl::StrCat("payment.external_reference: this ",
                                 MethodName(record.method()),
                                 " reference already paid order '",
                                 used->order_id, "'"),
                    {{"order_id", used->order_id},
                     {"field", "payment.external_reference"}});
              }
              return ErrorWithReason(
                  absl::StatusCode::kAlreadyExists, "EXTERNAL_REFERENCE_USED",
                  absl::StrCat("payment.external_reference: this ",
                               MethodName(record.method()),
                               " reference already paid an order of another "
                               "branch"),
                  {{"field", "payment.external_reference"}});
            }
          }
          if (record.method() == v1::PAYMENT_METHOD_POINTS) {
            if (o.customer_id().empty() || customers_ == nullptr) {
              return ErrorWithReason(
                  absl::StatusCode::kFailedPrecondition, "NO_CUSTOMER",
                  absl::StrCat("order '", id,
                               "' is a walk-in order (no customer_id): it "
                               "cannot be paid with points"),
                  {{"order_id", id}});
            }
            RETURN_IF_ERROR(
                customers_
                    ->ChangePoints(
                        ctx, o.customer_id(), -points,
                        absl::StrCat("order ", id, ": points tender ",
                                     record.payment_id()))
                    .status());
            record.set_points_debited(points);
          }
          o.mutable_paid()->set_minor_units(paid + amount);
        }
        RETURN_IF_ERROR(InsertPayment(ctx.conn, so.row, record));
        *o.add_payments() = record;
        if (record.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED &&
            o.paid().minor_units() == o.total().minor_units()) {
          event = "PAID";
          ASSIGN_OR_RETURN(*out->mutable_settlement(),
                           SettleOrder(ctx, options_, customers_, so));
        }
        RETURN_IF_ERROR(SaveOrder(ctx, so, event));
        *out->mutable_payment() = record;
        *out->mutable_order() = std::move(o);
        ApplyPiiPolicy(visible, out->mutable_order());
        return absl::OkStatus();
      },
      std::move(reply));
}

void OrderManager::GetSettlement(CallMeta call,
                                 const v1::GetSettlementRequest& req,
                                 Reply<v1::GetSettlementResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  switch (req.key_case()) {
    case v1::GetSettlementRequest::kSettlementId:
      CheckId(v, "settlement_id", req.settlement_id());
      break;
    case v1::GetSettlementRequest::kOrderId:
      CheckId(v, "order_id", req.order_id());
      break;
    default:
      v.Add("settlement_id", "one of settlement_id and order_id is required");
  }
  if (!v.empty()) return reply(v.ToStatus());
  v1::Settlement* out = reply.out()->mutable_settlement();
  reply(db_.Read(call.wait, [&](db::Connection& conn) {
    return orders::GetSettlement(conn, req.settlement_id(), req.order_id(),
                                 BranchScope(*p), out);
  }));
}

void OrderManager::ListSettlements(CallMeta call,
                                   const v1::ListSettlementsRequest& req,
                                   Reply<v1::ListSettlementsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "branch_id", req.branch_id());
  const std::optional<int32_t> start =
      CheckDateInt(v, "start_date", req.has_start_date(), req.start_date());
  const std::optional<int32_t> end =
      CheckDateInt(v, "end_date", req.has_end_date(), req.end_date());
  if (start && end) {
    const absl::CivilDay first(req.start_date().year(),
                               req.start_date().month(),
                               req.start_date().day());
    const absl::CivilDay last(req.end_date().year(), req.end_date().month(),
                              req.end_date().day());
    if (last < first) {
      v.Add("end_date", "must not be before start_date");
    } else if (last - first > kMaxSettlementDays) {
      v.Add("end_date", absl::StrCat("must be at most ", kMaxSettlementDays,
                                     " days after start_date"));
    }
  }
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  const std::string scope =
      PageTokenScope(call.method, *p,
                     absl::StrCat(req.branch_id(), "&", start.value_or(0), "&",
                                  end.value_or(0)));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  if (p->role == Role::kBranch && req.branch_id() != p->branch_id) {
    return reply(absl::PermissionDeniedError(
        absl::StrCat("branch_id: branch '", p->branch_id,
                     "' may only list its own settlements")));
  }
  SettlementQuery q;
  q.branch_id = req.branch_id();
  q.start_date = *start;
  q.end_date = *end;
  q.after_row = *after;
  q.limit = *page_size + 1;
  v1::ListSettlementsResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::vector<int64_t> rows,
        orders::ListSettlements(conn, q, out->mutable_settlements()));
    auto* slips = out->mutable_settlements();
    const bool more = static_cast<int>(rows.size()) > *page_size;
    if (more) slips->DeleteSubrange(*page_size, slips->size() - *page_size);
    if (more)
      out->set_next_page_token(tokens_.Encode(scope, rows[*page_size - 1]));
    return absl::OkStatus();
  }));
}

namespace {

// Adds `delta` to `*sum`; false on overflow.
bool AddMinor(int64_t* sum, int64_t delta) {
  return !__builtin_add_overflow(*sum, delta, sum);
}

common::v1::Money MoneyOf(const std::string& currency, int64_t minor) {
  common::v1::Money m;
  m.set_currency_code(currency);
  m.set_minor_units(minor);
  return m;
}

// What does not add up about one order touched during the day, as
// clauses (none when its payments add up). `net` is its succeeded tenders
// minus its refunds. Amounts are minor units.
std::vector<std::string> CheckOrderAddsUp(const DayOrder& o, int64_t net) {
  std::vector<std::string> problems;
  absl::string_view status = v1::OrderStatus_Name(o.status);
  absl::ConsumePrefix(&status, "ORDER_STATUS_");
  if (o.paid_minor != net) {
    problems.push_back(absl::StrCat(
        "its recorded paid amount is ", o.paid_minor,
        " but its succeeded tenders (", o.succeeded_minor,
        ") minus its refunds (", o.refunded_minor, ") come to ", net));
  }
  if (net < 0) {
    problems.push_back(absl::StrCat("its refunds (", o.refunded_minor,
                                    ") exceed its succeeded tenders (",
                                    o.succeeded_minor, ")"));
  }
  if (net > o.total_minor) {
    problems.push_back(absl::StrCat(
        "it is overpaid: ", net, " paid against a total of ", o.total_minor));
  }
  switch (o.status) {
    case v1::ORDER_STATUS_PAID:
    case v1::ORDER_STATUS_COMPLETED:
      if (net != o.total_minor && net <= o.total_minor) {
        problems.push_back(
            absl::StrCat("it is ", status,
                         " but its succeeded tenders minus refunds come to ",
                         net, ", not its total of ", o.total_minor));
      }
      break;
    case v1::ORDER_STATUS_PARTIALLY_RETURNED:
    case v1::ORDER_STATUS_RETURNED:
      if (o.succeeded_minor != o.total_minor) {
        problems.push_back(absl::StrCat(
            "it is ", status, " but its succeeded tenders come to ",
            o.succeeded_minor, ", not its total of ", o.total_minor));
      }
      break;
    case v1::ORDER_STATUS_PENDING_PAYMENT:
      if (net >= o.total_minor) {
        problems.push_back(absl::StrCat("it is still PENDING_PAYMENT although ",
                                        net, " is paid against a total of ",
                                        o.total_minor));
      }
      if (o.slip_total_minor.has_value()) {
        problems.push_back("it is not paid but has a settlement slip");
      }
      break;
    case v1::ORDER_STATUS_CANCELLED:
      if (net != 0) {
        problems.push_back(absl::StrCat("it is CANCELLED but ", net,
                                        " of its tenders is not refunded"));
      }
      if (o.slip_total_minor.has_value()) {
        problems.push_back("it is CANCELLED but has a settlement slip");
      }
      break;
    default:
      break;
  }
  if (IsPaidOrLater(o.status)) {
    if (!o.slip_total_minor.has_value()) {
      problems.push_back(
          absl::StrCat("it is ", status, " but has no settlement slip"));
    } else if (*o.slip_total_minor != o.total_minor) {
      problems.push_back(
          absl::StrCat("its settlement slip's total (", *o.slip_total_minor,
                       ") is not the order's total (", o.total_minor, ")"));
    }
  }
  return problems;
}

// The clauses as one sentence: "It is PAID but ...; it has ... (amounts in
// CNY minor units)."
std::string Sentence(const std::vector<std::string>& problems,
                     absl::string_view currency) {
  std::string out = absl::StrJoin(problems, "; ");
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] -= 'a' - 'A';
  absl::StrAppend(&out, " (amounts in ", currency, " minor units).");
  return out;
}

}  // namespace

void OrderManager::GetDailyReconciliation(
    CallMeta call, const v1::GetDailyReconciliationRequest& req,
    Reply<v1::GetDailyReconciliationResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "branch_id", req.branch_id());
  const std::optional<int32_t> date =
      CheckDateInt(v, "date", req.has_date(), req.date());
  if (!v.empty()) return reply(v.ToStatus());
  if (p->role == Role::kBranch && req.branch_id() != p->branch_id) {
    return reply(absl::PermissionDeniedError(
        absl::StrCat("branch_id: branch '", p->branch_id,
                     "' may only reconcile its own books")));
  }
  const absl::CivilDay day(req.date().year(), req.date().month(),
                           req.date().day());
  DayQuery q;
  q.branch_id = req.branch_id();
  q.business_date = *date;
  std::tie(q.start_micros, q.end_micros) =
      BusinessDayMicros(day, options_.time_zone);

  v1::Reconciliation* out = reply.out()->mutable_reconciliation();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(DayRecords day_records, ReadDay(conn, q));
    const std::string& currency = options_.currency_code;
    const absl::Status overflow =
        absl::OutOfRangeError("the day's figures overflow the largest amount");
    // Per method: [sales, sales count, refunds, refund count].
    struct Sums {
      int64_t sales = 0, sales_count = 0, refunds = 0, refund_count = 0;
      int64_t tendered = 0, tendered_count = 0;
    };
    std::map<int, Sums> by_method;
    Sums all;
    for (const DaySale& sale : day_records.sales) {
      Sums& m = by_method[sale.method];
      if (!AddMinor(&m.sales, sale.amount_minor) ||
          !AddMinor(&all.sales, sale.amount_minor)) {
        return overflow;
      }
      ++m.sales_count;
      ++all.sales_count;
    }
    for (const DayTender& tender : day_records.tenders) {
      Sums& m = by_method[tender.method];
      if (!AddMinor(&m.tendered, tender.amount_minor) ||
          !AddMinor(&all.tendered, tender.amount_minor)) {
        return overflow;
      }
      ++m.tendered_count;
      ++all.tendered_count;
    }
    absl::flat_hash_set<std::string> refunded_orders;
    for (const DayRefund& refund : day_records.refunds) {
      Sums& m = by_method[refund.method];
      if (!AddMinor(&m.refunds, refund.amount_minor) ||
          !AddMinor(&all.refunds, refund.amount_minor)) {
        return overflow;
      }
      ++m.refund_count;
      ++all.refund_count;
      refunded_orders.insert(refund.order_id);
    }
    out->set_branch_id(q.branch_id);
    *out->mutable_date() = IntToDate(q.business_date);
    out->set_time_zone(std::string(options_.time_zone.name()));
    *out->mutable_start_time() =
        TimeUtil::MicrosecondsToTimestamp(q.start_micros);
    *out->mutable_end_time() = TimeUtil::MicrosecondsToTimestamp(q.end_micros);
    for (const auto& [method, m] : by_method) {
      int64_t net = 0;
      if (__builtin_sub_overflow(m.sales, m.refunds, &net)) return overflow;
      v1::ReconciliationMethodRow* row = out->add_methods();
      row->set_method(static_cast<v1::PaymentMethod>(method));
      *row->mutable_sales() = MoneyOf(currency, m.sales);
      row->set_sales_count(m.sales_count);
      *row->mutable_refunds() = MoneyOf(currency, m.refunds);
      row->set_refund_count(m.refund_count);
      *row->mutable_net() = MoneyOf(currency, net);
      int64_t drawer = 0;
      if (__builtin_sub_overflow(m.tendered, m.refunds, &drawer))
        return overflow;
      *row->mutable_tendered() = MoneyOf(currency, m.tendered);
      row->set_tendered_count(m.tendered_count);
      *row->mutable_drawer() = MoneyOf(currency, drawer);
    }
    int64_t net = 0;
    if (__builtin_sub_overflow(all.sales, all.refunds, &net)) return overflow;
    v1::ReconciliationTotals* totals = out->mutable_totals();
    *totals->mutable_sales() = MoneyOf(currency, all.sales);
    totals->set_sales_count(all.sales_count);
    *totals->mutable_refunds() = MoneyOf(currency, all.refunds);
    totals->set_refund_count(all.refund_count);
    *totals->mutable_net() = MoneyOf(currency, net);
    totals->set_settled_order_count(
        static_cast<int64_t>(day_records.slips.size()));
    totals->set_refunded_order_count(
        static_cast<int64_t>(refunded_orders.size()));
    int64_t drawer = 0;
    if (__builtin_sub_overflow(all.tendered, all.refunds, &drawer))
      return overflow;
    *totals->mutable_tendered() = MoneyOf(currency, all.tendered);
    totals->set_tendered_count(all.tendered_count);
    *totals->mutable_drawer() = MoneyOf(currency, drawer);

    // A slip whose tenders do not add up to its own total.
    absl::flat_hash_map<std::string, std::string> slip_problems;
    for (const DaySlip& slip : day_records.slips) {
      if (slip.tenders_overflow || slip.tenders_minor != slip.total_minor) {
        slip_problems[slip.order_id] =
            slip.tenders_overflow
                ? "its settlement slip's tenders overflow"
                : absl::StrCat("its settlement slip's tenders add up to ",
                               slip.tenders_minor, ", not the slip's total ",
                               slip.total_minor);
      }
    }
    for (const DayOrder& o : day_records.orders) {
      int64_t paid = 0;
      const bool paid_overflow =
          __builtin_sub_overflow(o.succeeded_minor, o.refunded_minor, &paid);
      std::vector<std::string> problems;
      if (paid_overflow) {
        paid = 0;
        problems.push_back("its succeeded tenders minus refunds overflow");
      } else {
        problems = CheckOrderAddsUp(o, paid);
      }
      if (auto it = slip_problems.find(o.order_id); it != slip_problems.end()) {
        problems.push_back(it->second);
      }
      if (problems.empty()) continue;
      v1::ReconciliationDiscrepancy* d = out->add_discrepancies();
      d->set_order_id(o.order_id);
      d->set_status(o.status);
      *d->mutable_total() = MoneyOf(currency, o.total_minor);
      *d->mutable_paid() = MoneyOf(currency, paid);
      d->set_description(Sentence(problems, currency));
    }
    return absl::OkStatus();
  }));
}

absl::Status OrderManager::ExportPerson(
    db::Connection& conn, const std::string& customer_id,
    google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   ListCustomerOrderIds(conn, customer_id));
  for (const std::string& id : ids) {
    v1::Order o;
    RETURN_IF_ERROR(orders::GetOrder(conn, id, "", &o));
    out->Add()->PackFrom(o);
  }
  return ExportReturns(conn, customer_id, out);
}

absl::Status OrderManager::ErasePerson(db::MutationContext& ctx,
                                       const std::string& customer_id) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   ListCustomerOrderIds(ctx.conn, customer_id));
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(StoredOrder so, orders::GetOrder(ctx.conn, id, ""));
    if (so.order.has_delivery()) {
      so.order.mutable_delivery()->Clear();
      RETURN_IF_ERROR(SaveOrder(ctx, so, "DELIVERY_ERASED"));
    }
    // Stored replay copies of this order's answers hold the old details.
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, ResourceName(id),
        [&customer_id](google::protobuf::Message* m) {
          ScrubDelivery(m, customer_id);
        }));
  }
  RETURN_IF_ERROR(EraseReturnNotes(ctx, customer_id));
  // Belt and braces: every row of the customer, whatever its state.
  return EraseDeliveries(ctx.conn, customer_id);
}

absl::StatusOr<std::string> OrderManager::CheckOrderOfCustomer(
    db::Connection& conn, const std::string& order_id,
    const std::string& customer_id, const std::string& field,
    const std::string& branch_scope) {
  absl::StatusOr<StoredOrder> so =
      orders::GetOrder(conn, order_id, branch_scope);
  if (absl::IsNotFound(so.status())) {
    return absl::NotFoundError(
        absl::StrCat(field, ": order '", order_id, "' not found"));
  }
  RETURN_IF_ERROR(so.status());
  if (so->order.customer_id() != customer_id) {
    return ErrorWithReason(
        absl::StatusCode::kFailedPrecondition, "ORDER_OF_ANOTHER_CUSTOMER",
        absl::StrCat(field, ": order '", order_id,
                     "' was not bought by customer '", customer_id, "'"),
        {{"field", field}});
  }
  return so->order.branch_id();
}

absl::Status OrderManager::CheckReturnOfOrder(db::Connection& conn,
                                              const std::string& return_id,
                                              const std::string& order_id,
                                              const std::string& field) {
  absl::StatusOr<StoredReturn> sr = orders::GetReturn(conn, return_id, "");
  if (absl::IsNotFound(sr.status()) ||
      (sr.ok() && sr->ret.order_id() != order_id)) {
    return absl::NotFoundError(absl::StrCat(field, ": return '", return_id,
                                            "' of order '", order_id,
                                            "' not found"));
  }
  return sr.status();
}

absl::StatusOr<std::vector<OrderDirectory::PaidOrder>>
OrderManager::ListPaidOrders(db::Connection& conn, int64_t from_us,
                             int64_t to_us, int64_t after_paid_us,
                             int64_t after_row, int limit) {
  ASSIGN_OR_RETURN(std::vector<PaidOrderRow> rows,
                   orders::ListPaidOrders(conn, from_us, to_us, after_paid_us,
                                          after_row, limit));
  std::vector<PaidOrder> out;
  for (PaidOrderRow& r : rows) {
    out.push_back({r.row, std::move(r.order_id), std::move(r.customer_id),
                   std::move(r.branch_id), r.paid_us});
  }
  return out;
}

}  // namespace retail::orders
