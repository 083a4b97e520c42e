#include "tests/bench/order_seed.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/ids.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "server/module.h"
#include "server/orders/order_store.h"
#include "server/orders/return_store.h"
#include "tests/bench/fake_people.h"
#include "tests/bench/load_driver.h"
#include "tests/bench/seed_util.h"

namespace retail::bench {
namespace {

namespace ov1 = ::retail::orders::v1;
using ::google::protobuf::util::TimeUtil;
using ::retail::orders::StoredOrder;
using ::retail::orders::StoredReturn;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

struct Product {
  const char* sku;
  const char* name;
  int64_t price;  // minor units
};
constexpr std::array<Product, 16> kProducts = {{
    {"TEE", "纯棉圆领T恤", 7'900},
    {"SHIRT", "免烫衬衫", 12'900},
    {"SOCKS", "棉袜三双装", 1'400},
    {"BELT", "牛皮皮带", 8'800},
    {"JEANS", "直筒牛仔裤", 19'900},
    {"JACKET", "防风夹克", 39'900},
    {"CAP", "棒球帽", 5'900},
    {"SCARF", "羊毛围巾", 9'900},
    {"DRESS", "碎花连衣裙", 29'900},
    {"SHOES", "运动鞋", 49'900},
    {"BAG", "帆布包", 6'900},
    {"GLOVES", "针织手套", 3'900},
    {"DOWN", "轻薄羽绒服", 59'900},
    {"SWEATER", "羊绒衫", 69'900},
    {"SHORTS", "休闲短裤", 9'900},
    {"PYJAMAS", "家居服套装", 15'900},
}};

constexpr std::array kCancelReasons = {"顾客取消", "customer changed mind",
                                       "缺货", "付款超时"};
constexpr std::array kFailures = {"余额不足", "支付超时",
                                  "card declined by issuer", "用户取消支付"};

// What happens to an order after it is created.
enum class Story {
  kPending,    // never paid (maybe a failed attempt)
  kCancelled,  // cancelled unpaid or partly paid (refunded)
  kPaid,       // paid, not (yet) marked completed
  kCompleted,  // paid, then picked up
  kReturned,   // completed, then some or all of it returned
};

// Timing of an order's story, from its creation.
struct Timing {
  int64_t create_us = 0;
  int64_t complete_after_us = 5 * kMinute;  // after payment
  int64_t return_after_us = 2 * kDay;       // after completion
};

// Per-order totals the caller adds up (the reconciliation day's figures).
struct Written {
  bool slip = false;
  int64_t tenders = 0;  // succeeded tenders on the slip
  int64_t tenders_minor = 0;
  std::vector<std::pair<int64_t, int64_t>> refunds;  // (time, amount)
  ov1::OrderStatus status = ov1::ORDER_STATUS_UNSPECIFIED;
  std::string order_id;
};

class OrderWriter {
 public:
  OrderWriter(const OrderSeedOptions& o, absl::TimeZone zone, uint64_t seed)
      : options_(o), zone_(zone), rng_(seed) {
    // Distinct references for every seeding of a file (and never like the
    // benchmark's own, which start with "bench-").
    salt_ = static_cast<uint32_t>(rng_() % 1'000'000'000);
  }

  std::mt19937_64& rng() { return rng_; }
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  absl::StatusOr<Written> Write(db::Connection& conn, const std::string& branch,
                                const std::string& customer, Story story,
                                const Timing& timing, OrderSeedResult& result) {
    Written w;
    int64_t t = timing.create_us;
    StoredOrder so;
    so.revision = 1;
    ov1::Order& o = so.order;
    o.set_order_id(NewId("ord", t));
    o.set_customer_id(customer);
    o.set_branch_id(branch);
    const int64_t channel = Uniform(0, 99);
    o.set_channel(channel < 85   ? ov1::ORDER_CHANNEL_STORE
                  : channel < 95 ? ov1::ORDER_CHANNEL_APP
                                 : ov1::ORDER_CHANNEL_ONLINE);
    int64_t total = 0;
    AddItems(o, &total);
    *o.mutable_total() = Money(total);
    *o.mutable_paid() = Money(0);
    o.set_status(ov1::ORDER_STATUS_PENDING_PAYMENT);
    *o.mutable_create_time() = Time(t);
    const std::string staff =
        absl::StrCat(branch, "-S", absl::Dec(Uniform(1, 12), absl::kZeroPad2));
    auto change = [&](int64_t at) {
      so.revision += 1;
      *o.mutable_update_time() = Time(at);
    };
    *o.mutable_update_time() = o.create_time();

    // Tender attempts: a failed one first now and then, then one tender
    // or a split of two.
    t += Uniform(20, 180) * kSecond;
    const bool failed_first =
        Chance(0.03) || (story == Story::kPending && Chance(0.3));
    if (failed_first) {
      ov1::Payment p = NewPayment(Uniform(0, 1) ? ov1::PAYMENT_METHOD_WECHAT_PAY
                                                : ov1::PAYMENT_METHOD_ALIPAY,
                                  total, t, false, staff);
      *o.add_payments() = std::move(p);
      change(t);
      t += Uniform(10, 60) * kSecond;
    }
    if (story == Story::kPending) {
      return Finish(conn, so, w, result);
    }
    if (story == Story::kCancelled) {
      // Half were partly paid in cash, the rest is never paid.
      if (Chance(0.5) && total >= 200) {
        const int64_t part = std::max<int64_t>(100, total / 200 * 100);
        *o.add_payments() =
            NewPayment(ov1::PAYMENT_METHOD_CASH, part, t, true, staff);
        o.mutable_paid()->set_minor_units(part);
        change(t);
      }
      t += Uniform(5, 30) * kMinute;
      // CancelOrder: succeeded tenders refunded, newest first.
      for (int i = o.payments_size() - 1; i >= 0; --i) {
        const ov1::Payment& pay = o.payments(i);
        if (pay.outcome() != ov1::PAYMENT_OUTCOME_SUCCEEDED) continue;
        ov1::Refund r;
        r.set_refund_id(NewId("ref", t));
        r.set_payment_id(pay.payment_id());
        r.set_method(pay.method());
        *r.mutable_amount() = pay.amount();
        r.set_reason("order cancelled");
        *r.mutable_create_time() = Time(t);
        *o.add_refunds() = std::move(r);
      }
      o.mutable_paid()->set_minor_units(0);
      o.set_status(ov1::ORDER_STATUS_CANCELLED);
      *o.mutable_cancel_time() = Time(t);
      o.set_cancel_reason(
          kCancelReasons[Uniform(0, kCancelReasons.size() - 1)]);
      change(t);
      return Finish(conn, so, w, result);
    }

    // Paid in full.
    std::vector<std::pair<ov1::PaymentMethod, int64_t>> tenders;
    if (Chance(0.10) && total >= 200) {
      const int64_t first = std::clamp<int64_t>(
          total * Uniform(20, 80) / 100 / 100 * 100, 100, total - 100);
      tenders.emplace_back(PickMethod(), first);
      tenders.emplace_back(PickMethod(), total - first);
    } else {
      tenders.emplace_back(PickMethod(), total);
    }
    int64_t money = 0;
    for (size_t i = 0; i < tenders.size(); ++i) {
      if (i > 0) t += Uniform(10, 90) * kSecond;
      *o.add_payments() =
          NewPayment(tenders[i].first, tenders[i].second, t, true, staff);
      money += tenders[i].second;
      o.mutable_paid()->set_minor_units(money);
      change(t);
    }
    // SettleOrder: PAID, points on money tenders, the slip.
    o.set_status(ov1::ORDER_STATUS_PAID);
    *o.mutable_paid_time() = Time(t);
    if (!customer.empty()) o.set_points_earned(money / 100);  // 1 per ¥1
    ov1::Settlement slip;
    for (const ov1::Payment& pay : o.payments()) {
      if (pay.outcome() != ov1::PAYMENT_OUTCOME_SUCCEEDED) continue;
      ov1::SettlementTender* st = slip.add_tenders();
      st->set_method(pay.method());
      *st->mutable_amount() = pay.amount();
      st->set_external_reference(pay.external_reference());
      ++w.tenders;
      w.tenders_minor += pay.amount().minor_units();
    }
    slip.set_settlement_id(NewId("stl", t));
    slip.set_order_id(o.order_id());
    slip.set_branch_id(branch);
    *slip.mutable_total() = o.total();
    *slip.mutable_paid_time() = o.paid_time();
    const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMicros(t), zone_);
    slip.mutable_business_date()->set_year(static_cast<int32_t>(day.year()));
    slip.mutable_business_date()->set_month(day.month());
    slip.mutable_business_date()->set_day(day.day());
    w.slip = true;

    if (story == Story::kCompleted || story == Story::kReturned) {
      t += timing.complete_after_us;
      o.set_status(ov1::ORDER_STATUS_COMPLETED);
      *o.mutable_complete_time() = Time(t);
      change(t);
    }
    std::optional<StoredReturn> ret;
    if (story == Story::kReturned) {
      t += timing.return_after_us;
      // CompleteReturn, 15 minutes after the request: paid goes down by
      // the return's worth; the status says whether every unit came back.
      ret = Return(o, t, staff);
      change(t + 15 * kMinute);
    }
    return Finish(conn, so, w, result, &slip, ret ? &*ret : nullptr);
  }

 private:
  common::v1::Money Money(int64_t minor) const {
    common::v1::Money m;
    m.set_currency_code(options_.currency);
    m.set_minor_units(minor);
    return m;
  }
  static google::protobuf::Timestamp Time(int64_t us) {
    return TimeUtil::MicrosecondsToTimestamp(us);
  }

  // One to four distinct products, one to three of each.
  void AddItems(ov1::Order& o, int64_t* total) {
    const int64_t r = Uniform(0, 99);
    const int lines = r < 45 ? 1 : r < 75 ? 2 : r < 92 ? 3 : 4;
    const size_t first = static_cast<size_t>(Uniform(0, kProducts.size() - 1));
    for (int i = 0; i < lines; ++i) {
      const Product& p = kProducts[(first + 5 * i) % kProducts.size()];
      ov1::OrderItem* item = o.add_items();
      item->set_sku(absl::StrCat(p.sku, "-", Uniform(1, 40)));
      item->set_name(p.name);
      const int64_t quantity = Chance(0.8) ? 1 : Uniform(2, 3);
      item->set_quantity(quantity);
      *item->mutable_unit_price() = Money(p.price);
      *item->mutable_line_total() = Money(quantity * p.price);
      *total += quantity * p.price;
    }
  }

  // The share of tenders in Chinese stores, roughly.
  ov1::PaymentMethod PickMethod() {
    const int64_t r = Uniform(0, 99);
    return r < 45   ? ov1::PAYMENT_METHOD_WECHAT_PAY
           : r < 75 ? ov1::PAYMENT_METHOD_ALIPAY
           : r < 85 ? ov1::PAYMENT_METHOD_CASH
           : r < 91 ? ov1::PAYMENT_METHOD_UNIONPAY
           : r < 99 ? ov1::PAYMENT_METHOD_BANK_CARD
                    : ov1::PAYMENT_METHOD_BANK_TRANSFER;
  }

  std::string Reference(ov1::PaymentMethod m) {
    const char* prefix = m == ov1::PAYMENT_METHOD_WECHAT_PAY  ? "4200"
                         : m == ov1::PAYMENT_METHOD_ALIPAY    ? "2026"
                         : m == ov1::PAYMENT_METHOD_UNIONPAY  ? "UP"
                         : m == ov1::PAYMENT_METHOD_BANK_CARD ? "RRN"
                                                              : "BT";
    return absl::StrFormat("%s%09u%012d", prefix, salt_, ++references_);
  }

  ov1::Payment NewPayment(ov1::PaymentMethod method, int64_t amount, int64_t at,
                          bool succeeded, const std::string& staff) {
    ov1::Payment p;
    p.set_payment_id(NewId("pay", at));
    p.set_method(method);
    *p.mutable_amount() = Money(amount);
    if (method != ov1::PAYMENT_METHOD_CASH) {
      p.set_external_reference(Reference(method));
    }
    p.set_outcome(succeeded ? ov1::PAYMENT_OUTCOME_SUCCEEDED
                            : ov1::PAYMENT_OUTCOME_FAILED);
    if (!succeeded) {
      p.set_failure_reason(kFailures[Uniform(0, kFailures.size() - 1)]);
    }
    p.set_staff_id(staff);
    *p.mutable_create_time() = Time(at);
    return p;
  }

  // A completed return of some units of one line, requested at `at` and
  // completed 15 minutes later; refunds newest tender first (as
  // CompleteReturn's RefundPlan), each non-cash one with the reference the
  // till reported. Updates the order's refunds, paid and status.
  StoredReturn Return(ov1::Order& o, int64_t at, const std::string& staff) {
    StoredReturn sr;
    sr.revision = 4;  // requested, approved, received, completed
    ov1::Return& r = sr.ret;
    const int64_t done = at + 15 * kMinute;
    r.set_return_id(NewId("ret", at));
    r.set_order_id(o.order_id());
    r.set_branch_id(o.branch_id());
    r.set_customer_id(o.customer_id());
    r.set_type(ov1::RETURN_TYPE_RETURN);
    const int line = static_cast<int>(Uniform(0, o.items_size() - 1));
    const ov1::OrderItem& item = o.items(line);
    const int64_t quantity = Uniform(1, item.quantity());
    const int64_t worth = quantity * item.unit_price().minor_units();
    ov1::ReturnLine* l = r.add_lines();
    l->set_sku(item.sku());
    l->set_quantity(quantity);
    const int64_t reason = Uniform(0, 2);
    l->set_reason(reason == 0   ? ov1::RETURN_REASON_SIZE
                  : reason == 1 ? ov1::RETURN_REASON_QUALITY_DEFECT
                                : ov1::RETURN_REASON_CHANGED_MIND);
    *l->mutable_refund_amount() = Money(worth);
    *r.mutable_refund_total() = Money(worth);
    r.set_reviewed_by(staff);
    r.set_condition(ov1::ITEM_CONDITION_RESALABLE);
    *r.mutable_create_time() = Time(at);
    *r.mutable_review_time() = Time(at + 5 * kMinute);
    *r.mutable_receive_time() = Time(at + 10 * kMinute);
    *r.mutable_complete_time() = Time(done);
    *r.mutable_update_time() = Time(done);
    r.set_status(ov1::RETURN_STATUS_COMPLETED);
    int64_t left = worth;
    for (int i = o.payments_size() - 1; i >= 0 && left > 0; --i) {
      const ov1::Payment& pay = o.payments(i);
      if (pay.outcome() != ov1::PAYMENT_OUTCOME_SUCCEEDED) continue;
      const int64_t part = std::min(left, pay.amount().minor_units());
      left -= part;
      ov1::Refund f;
      f.set_refund_id(NewId("ref", done));
      f.set_payment_id(pay.payment_id());
      f.set_method(pay.method());
      *f.mutable_amount() = Money(part);
      if (pay.method() != ov1::PAYMENT_METHOD_CASH) {
        f.set_external_reference(Reference(pay.method()));
      }
      f.set_return_id(r.return_id());
      f.set_reason(absl::StrCat("return ", r.return_id()));
      *f.mutable_create_time() = Time(done);
      *o.add_refunds() = f;
      *r.add_refunds() = std::move(f);
    }
    // Points earned follow the money back (the balance is assumed to
    // allow it: no shortfall).
    if (o.points_earned() > 0) {
      r.set_points_reversed(o.points_earned() * worth /
                            o.total().minor_units());
    }
    int64_t units = 0;
    for (const ov1::OrderItem& i : o.items()) units += i.quantity();
    o.mutable_paid()->set_minor_units(o.paid().minor_units() - worth);
    o.set_status(quantity == units ? ov1::ORDER_STATUS_RETURNED
                                   : ov1::ORDER_STATUS_PARTIALLY_RETURNED);
    return sr;
  }

  absl::StatusOr<Written> Finish(db::Connection& conn, StoredOrder& so,
                                 Written& w, OrderSeedResult& result,
                                 const ov1::Settlement* slip = nullptr,
                                 StoredReturn* ret = nullptr) {
    const ov1::Order& o = so.order;
    RETURN_IF_ERROR(orders::InsertOrder(conn, so));
    for (const ov1::Payment& p : o.payments()) {
      RETURN_IF_ERROR(orders::InsertPayment(conn, so.row, p));
    }
    for (const ov1::Refund& r : o.refunds()) {
      RETURN_IF_ERROR(orders::InsertRefund(conn, so.row, r));
      w.refunds.emplace_back(TimeUtil::TimestampToMicroseconds(r.create_time()),
                             r.amount().minor_units());
    }
    if (slip != nullptr) {
      RETURN_IF_ERROR(orders::InsertSettlement(conn, so.row, *slip));
      ++result.slips;
    }
    if (ret != nullptr) {
      ret->order_row = so.row;
      RETURN_IF_ERROR(orders::InsertReturn(conn, *ret));
      ++result.returns;
    }
    ++result.orders;
    result.payments += o.payments_size();
    result.refunds += o.refunds_size();
    ++result.status_counts[o.status()];
    w.status = o.status();
    w.order_id = o.order_id();
    return w;
  }

  const OrderSeedOptions& options_;
  absl::TimeZone zone_;
  std::mt19937_64 rng_;
  uint32_t salt_ = 0;
  int64_t references_ = 0;
};

// Up to `limit` customer ids of the database, evenly spread (read on the
// writer, which this seeder writes through).
absl::StatusOr<std::vector<std::string>> MemberIds(db::Database& database,
                                                   int64_t limit) {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(
      database.writer().RunSync([&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(ids, ::retail::bench::MemberIds(conn, limit));
        return absl::OkStatus();
      }));
  return ids;
}

}  // namespace

absl::StatusOr<OrderSeedResult> SeedOrders(const OrderSeedOptions& options) {
  const int64_t start_ns = MonotonicNanos();
  const int64_t now_us = SystemClock::Get()->NowMicros();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(options.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", options.time_zone, "'"));
  }
  db::DatabaseOptions db_options;
  db_options.path = options.db_path;
  db_options.reader_connections = 1;
  db_options.now_micros = now_us;
  db_options.schemas = AllSchemas();
  ASSIGN_OR_RETURN(std::unique_ptr<db::Database> database,
                   db::Database::Open(db_options));

  std::ofstream sample;
  if (!options.sample_path.empty()) {
    sample.open(options.sample_path, std::ios::trunc);
    if (!sample) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", options.sample_path));
    }
  }
  OrderSeedResult result;
  OrderWriter writer(options, zone, options.seed);
  const int batch = std::max(1, options.batch);

  // The spread, oldest first, so row ids rise with creation time as in a
  // real table.
  std::vector<std::string> members;
  if (options.orders > 0) {
    ASSIGN_OR_RETURN(members, MemberIds(*database, 200'000));
  }
  const int64_t n = options.orders;
  const int64_t span_us = std::max<int64_t>(1, options.days) * kDay;
  const int64_t first_us = now_us - span_us;
  const int64_t last_us = now_us - kHour;
  const int64_t stride =
      std::max<int64_t>(1, n / std::max<int64_t>(1, options.sample_size));
  std::vector<OrderRef> sampled;
  for (int64_t done = 0; done < n;) {
    const int64_t count = std::min<int64_t>(batch, n - done);
    RETURN_IF_ERROR(database->writer().RunSync([&](db::Connection& conn) {
      for (int64_t i = done; i < done + count; ++i) {
        Timing timing;
        timing.create_us = first_us + (last_us - first_us) * i / n +
                           writer.Uniform(0, (last_us - first_us) / n);
        timing.complete_after_us = writer.Uniform(1, 20) * kMinute;
        timing.return_after_us = writer.Uniform(1, 6 * 24) * kHour;
        // Recent orders cannot have been completed and returned yet.
        const bool settled_past = timing.create_us < now_us - 8 * kDay;
        const int64_t r = writer.Uniform(0, 999);
        Story story;
        if (settled_past) {
          story = r < 40    ? Story::kPending
                  : r < 80  ? Story::kCancelled
                  : r < 340 ? Story::kPaid
                  : r < 940 ? Story::kCompleted
                            : Story::kReturned;
        } else {
          story = r < 80    ? Story::kPending
                  : r < 120 ? Story::kCancelled
                            : Story::kPaid;
        }
        const std::string branch = BranchId(
            1 + static_cast<int>(writer.Uniform(0, options.branches - 1)));
        const std::string customer =
            !members.empty() && writer.Chance(0.5)
                ? members[writer.Uniform(0, members.size() - 1)]
                : std::string();
        ASSIGN_OR_RETURN(Written w, writer.Write(conn, branch, customer, story,
                                                 timing, result));
        if (i % stride == 0) {
          sampled.push_back(OrderRef{w.order_id, branch,
                                     static_cast<int>(w.status),
                                     timing.create_us});
        }
      }
      return absl::OkStatus();
    }));
    done += count;
    if (done % 100'000 < count || done == n) {
      std::cerr << "seed: " << done << " / " << n << " orders, "
                << (MonotonicNanos() - start_ns) / 1e9 << " s\n";
    }
  }

  // The reconciliation day: yesterday in the chain's zone, so every
  // event of it (the last returns end before 23:00) is in the past.
  if (options.recon_orders > 0) {
    const absl::CivilDay today =
        absl::ToCivilDay(absl::FromUnixMicros(now_us), zone);
    const absl::CivilDay day = today - 1;
    const int64_t midnight = absl::ToUnixMicros(absl::FromCivil(day, zone));
    const int64_t next = absl::ToUnixMicros(absl::FromCivil(day + 1, zone));
    ReconDay& recon = result.recon;
    recon.branch = kReconBranch;
    recon.date = static_cast<int32_t>(day.year() * 10000 + day.month() * 100 +
                                      day.day());
    absl::flat_hash_set<std::string> refunded;
    // Opening hours 09:00-21:30; paid orders evenly spread, plus one in a
    // hundred extra orders cancelled the same day (half partly paid and
    // refunded).
    const int64_t open_us = midnight + 9 * kHour;
    const int64_t span = 12 * kHour + 30 * kMinute;
    const int64_t paid_target = options.recon_orders;
    const int64_t cancelled = std::max<int64_t>(1, paid_target / 100);
    const int64_t all = paid_target + cancelled;
    int64_t paid_written = 0;
    for (int64_t done = 0; done < all;) {
      const int64_t count = std::min<int64_t>(batch, all - done);
      RETURN_IF_ERROR(database->writer().RunSync([&](db::Connection& conn) {
        for (int64_t i = done; i < done + count; ++i) {
          Timing timing;
          timing.create_us = open_us + span * i / all;
          timing.complete_after_us = writer.Uniform(1, 10) * kMinute;
          timing.return_after_us = writer.Uniform(10, 90) * kMinute;
          // Cancelled orders are spread evenly among the paid ones.
          const bool cancel = (i + 1) * cancelled / all != i * cancelled / all;
          Story story = Story::kCancelled;
          if (!cancel) {
            const int64_t r = writer.Uniform(0, 999);
            story = r < 30    ? Story::kReturned
                    : r < 600 ? Story::kCompleted
                              : Story::kPaid;
          }
          ASSIGN_OR_RETURN(Written w, writer.Write(conn, kReconBranch, "",
                                                   story, timing, result));
          if (w.slip) {
            ++recon.slips;
            ++paid_written;
            recon.sales_count += w.tenders;
            recon.sales_minor += w.tenders_minor;
          }
          for (const auto& [at, amount] : w.refunds) {
            if (at < midnight || at >= next) {
              return absl::InternalError(
                  "a seeded refund fell outside the reconciliation day");
            }
            ++recon.refund_count;
            recon.refund_minor += amount;
            refunded.insert(w.order_id);
          }
        }
        return absl::OkStatus();
      }));
      done += count;
    }
    recon.refunded_orders = static_cast<int64_t>(refunded.size());
    if (paid_written != paid_target) {
      return absl::InternalError("the reconciliation day's count is off");
    }
  }

  RETURN_IF_ERROR(database->writer().RunSync([&](db::Connection& conn) {
    return db::Guard("count orders", [&] {
      db::Stmt s = conn.Prepare("SELECT COUNT(*) FROM orders");
      s->Step();
      result.orders_in_db = s->Int64(0);
      return absl::OkStatus();
    });
  }));
  RETURN_IF_ERROR(database->Close());
  if (sample.is_open()) {
    sample << "#orders\t" << result.orders_in_db << "\n";
    if (options.recon_orders > 0) WriteReconLine(sample, result.recon);
    for (const OrderRef& o : sampled) WriteOrderSampleLine(sample, o);
    result.sampled = static_cast<int64_t>(sampled.size());
    sample.close();
    if (!sample) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", options.sample_path));
    }
  }
  result.seconds = (MonotonicNanos() - start_ns) / 1e9;
  return result;
}

}  // namespace retail::bench
