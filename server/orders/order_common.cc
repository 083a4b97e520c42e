#include "server/orders/order_common.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/orders/return_store.h"

namespace retail::orders {

using ::google::protobuf::util::TimeUtil;

std::string ResourceName(absl::string_view order_id) {
  return absl::StrCat("orders/", order_id);
}

std::string ReturnResourceName(absl::string_view return_id) {
  return absl::StrCat("returns/", return_id);
}

std::string MethodName(v1::PaymentMethod m) {
  return v1::PaymentMethod_Name(m);
}

absl::StatusOr<PiiView> ViewFor(const Principal& p, bool reveal) {
  ASSIGN_OR_RETURN(const bool visible, PiiVisible(p, reveal));
  return visible ? PiiView::kFull : PiiView::kMasked;
}
PiiView DefaultViewFor(const Principal& p) {
  return ViewFor(p, false).value_or(PiiView::kMasked);
}

void ApplyPiiPolicy(PiiView view, v1::Order* o) {
  if (view == PiiView::kFull || !o->has_delivery()) return;
  v1::Delivery* d = o->mutable_delivery();
  if (!d->recipient_name().empty())
    d->set_recipient_name(MaskName(d->recipient_name()));
  if (!d->phone().empty()) d->set_phone(MaskPhone(d->phone()));
  if (!d->address().empty()) d->set_address(MaskAddress(d->address()));
}

absl::Status OrderPaidError(absl::string_view order_id,
                            absl::string_view what) {
  return ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, "ORDER_PAID",
      absl::StrCat("order '", order_id, "' is already paid: ", what),
      {{"order_id", std::string(order_id)}});
}

absl::Status OrderCancelledError(absl::string_view order_id) {
  return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                         "ORDER_CANCELLED",
                         absl::StrCat("order '", order_id, "' is cancelled"),
                         {{"order_id", std::string(order_id)}});
}

bool IsPaidOrLater(v1::OrderStatus s) {
  return s == v1::ORDER_STATUS_PAID || s == v1::ORDER_STATUS_COMPLETED ||
         s == v1::ORDER_STATUS_PARTIALLY_RETURNED ||
         s == v1::ORDER_STATUS_RETURNED;
}

absl::Status AppendOrderEvent(db::MutationContext& ctx, const v1::Order& o,
                              absl::string_view event_type, int64_t revision) {
  const std::string name = ResourceName(o.order_id());
  return db::AppendEvent(ctx.conn,
                         {.resource_type = "order",
                          .resource_id = o.order_id(),
                          .resource = name,
                          .event_type = event_type,
                          .revision = revision,
                          .branch_id = o.branch_id(),
                          .state = &o},
                         ctx.meta, ctx.now_micros);
}

absl::Status AppendReturnEvent(db::MutationContext& ctx, const v1::Return& r,
                               absl::string_view event_type, int64_t revision) {
  const std::string name = ReturnResourceName(r.return_id());
  return db::AppendEvent(ctx.conn,
                         {.resource_type = "return",
                          .resource_id = r.return_id(),
                          .resource = name,
                          .event_type = event_type,
                          .revision = revision,
                          .branch_id = r.branch_id(),
                          .state = &r},
                         ctx.meta, ctx.now_micros);
}

absl::Status SaveOrder(db::MutationContext& ctx, StoredOrder& so,
                       absl::string_view event_type) {
  so.revision += 1;
  *so.order.mutable_update_time() =
      TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
  RETURN_IF_ERROR(UpdateOrder(ctx.conn, so));
  return AppendOrderEvent(ctx, so.order, event_type, so.revision);
}

void ScrubDelivery(google::protobuf::Message* m, const std::string& id) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d == v1::Order::descriptor()) {
    auto* o = static_cast<v1::Order*>(m);
    if (o->customer_id() == id && o->has_delivery()) {
      o->mutable_delivery()->Clear();
    }
    return;
  }
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
      continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j)
        ScrubDelivery(r->MutableRepeatedMessage(m, f, j), id);
    } else if (r->HasField(*m, f)) {
      ScrubDelivery(r->MutableMessage(m, f), id);
    }
  }
}

v1::PaymentMethod RefundMethodFor(v1::PaymentMethod method) {
  return method == v1::PAYMENT_METHOD_EXCHANGE_CREDIT ? v1::PAYMENT_METHOD_CASH
                                                      : method;
}

std::optional<int64_t> PriceItem(ViolationCollector& v,
                                 const std::string& field,
                                 const v1::OrderItem& item, int64_t quantity,
                                 const std::string& currency,
                                 v1::OrderItem* out) {
  CheckText(v, absl::StrCat(field, ".sku"), item.sku(), 1, 64);
  const absl::string_view name = TrimUnicodeSpace(item.name());
  CheckSingleLineText(v, absl::StrCat(field, ".name"), name, 1, 200);
  bool line_ok = true;
  if (quantity < 1) {
    v.Add(absl::StrCat(field, ".quantity"),
          absl::StrCat("must be at least 1; it is ", quantity));
    line_ok = false;
  }
  const std::string& price_currency = item.unit_price().currency_code();
  if (!price_currency.empty() && price_currency != currency) {
    v.Add(absl::StrCat(field, ".unit_price.currency_code"),
          absl::StrCat("must be ", currency,
                       " (the server's currency) or empty"));
    line_ok = false;
  }
  const int64_t price = item.unit_price().minor_units();
  if (price < 0) {
    v.Add(absl::StrCat(field, ".unit_price"),
          absl::StrCat("must not be negative; it is ", price));
    line_ok = false;
  }
  int64_t line = 0;
  if (line_ok && __builtin_mul_overflow(quantity, price, &line)) {
    v.Add(absl::StrCat(field, ".quantity"),
          absl::StrCat("quantity ", quantity, " x unit price ", price,
                       " overflows the largest amount (",
                       std::numeric_limits<int64_t>::max(), " minor units)"));
    line_ok = false;
  }
  out->set_sku(item.sku());
  out->set_name(std::string(name));
  out->set_quantity(quantity);
  out->mutable_unit_price()->set_currency_code(currency);
  out->mutable_unit_price()->set_minor_units(price);
  out->mutable_line_total()->set_currency_code(currency);
  out->mutable_line_total()->set_minor_units(line);
  if (!line_ok) return std::nullopt;
  return line;
}

absl::StatusOr<v1::Settlement> SettleOrder(
    db::MutationContext& ctx, const OrderOptions& options,
    customers::CustomerDirectory* customers, StoredOrder& so) {
  v1::Order& o = so.order;
  const std::string& id = o.order_id();
  o.set_status(v1::ORDER_STATUS_PAID);
  *o.mutable_paid_time() = TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
  v1::Settlement st;
  // Points are earned on money only: not on points, and not on exchange
  // credit (its value earned points on the order it came from).
  int64_t earning = 0;
  for (const v1::Payment& pay : o.payments()) {
    if (pay.outcome() != v1::PAYMENT_OUTCOME_SUCCEEDED) continue;
    if (pay.method() != v1::PAYMENT_METHOD_POINTS &&
        pay.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT)
      earning += pay.amount().minor_units();
    v1::SettlementTender* t = st.add_tenders();
    t->set_method(pay.method());
    *t->mutable_amount() = pay.amount();
    t->set_external_reference(pay.external_reference());
  }
  if (!o.customer_id().empty() && customers != nullptr) {
    const int64_t earned =
        PointsEarned(earning, options.points_earned_per_yuan);
    if (earned > 0) {
      RETURN_IF_ERROR(customers
                          ->ChangePoints(ctx, o.customer_id(), earned,
                                         absl::StrCat("earned on order ", id))
                          .status());
    }
    o.set_points_earned(earned);
    // An exchange's order continues the purchase it came from: its value
    // counts (the original's came off when the goods came back), the
    // purchase does not count twice.
    RETURN_IF_ERROR(customers->RecordPurchase(
        ctx, o.customer_id(), o.total().minor_units(), ctx.now_micros,
        /*new_order=*/o.exchange_return_id().empty()));
  }
  st.set_settlement_id(NewId("stl", ctx.now_micros));
  st.set_order_id(id);
  st.set_branch_id(o.branch_id());
  *st.mutable_total() = o.total();
  *st.mutable_paid_time() = o.paid_time();
  const absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixMicros(ctx.now_micros), options.time_zone);
  common::v1::Date* date = st.mutable_business_date();
  date->set_year(static_cast<int32_t>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
  RETURN_IF_ERROR(InsertSettlement(ctx.conn, so.row, st));
  return st;
}

absl::StatusOr<PointsTaken> TakeBackCreditPoints(
    db::MutationContext& ctx, customers::CustomerDirectory* customers,
    const v1::Order& exchange_order, int64_t payout_minor) {
  if (customers == nullptr || exchange_order.customer_id().empty() ||
      exchange_order.exchange_return_id().empty() || payout_minor <= 0) {
    return PointsTaken{};
  }
  ASSIGN_OR_RETURN(
      StoredReturn ret,
      orders::GetReturn(ctx.conn, exchange_order.exchange_return_id(), ""));
  ASSIGN_OR_RETURN(StoredOrder original,
                   orders::GetOrder(ctx.conn, ret.ret.order_id(), ""));
  const v1::Order& o = original.order;
  if (o.points_earned() <= 0) return PointsTaken{};
  int64_t earning = 0;
  for (const v1::Payment& p : o.payments()) {
    if (p.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED &&
        p.method() != v1::PAYMENT_METHOD_POINTS &&
        p.method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT) {
      earning += p.amount().minor_units();
    }
  }
  if (earning <= 0) return PointsTaken{};
  const int64_t due = static_cast<int64_t>(std::min<__int128>(
      static_cast<__int128>(o.points_earned()) * payout_minor / earning,
      o.points_earned()));
  if (due <= 0) return PointsTaken{};
  PointsTaken out;
  ASSIGN_OR_RETURN(
      out.taken,
      customers->TakeBackPoints(
          ctx, exchange_order.customer_id(), due,
          absl::StrCat("exchange credit of order ", o.order_id(),
                       " paid out in cash on order ", exchange_order.order_id(),
                       ": points earned on it taken back")));
  out.shortfall = due - out.taken;
  return out;
}

}  // namespace retail::orders
