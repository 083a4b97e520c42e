#include "tests/bench/seed.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/ids.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"
#include "server/customers/customer_store.h"
#include "server/customers/tier_policy.h"
#include "server/module.h"
#include "tests/bench/dataset.h"
#include "tests/bench/fake_people.h"
#include "tests/bench/load_driver.h"

namespace retail::bench {
namespace {

using ::google::protobuf::util::TimeUtil;
namespace v1 = ::retail::customers::v1;

// Seeded phones use their own salt; API-created ones are +44 numbers, so
// the two sets never collide.
constexpr uint64_t kPhoneSalt = 0x5eed;
constexpr int64_t kHistoryDays = 3 * 365;

// Purchase history with a long tail, so all three tiers occur in realistic
// shares: about a third never bought, most bought a few times, some often.
void FillHistory(PeopleGenerator& g, int64_t create_us, int64_t now_us,
                 v1::Customer* c) {
  int64_t orders = 0;
  if (!g.Chance(0.35)) {
    orders = 1 + static_cast<int64_t>(
                     std::exponential_distribution<double>(1.0 / 5)(g.rng()));
    orders = std::min<int64_t>(orders, 300);
  }
  c->mutable_total_spend()->set_currency_code("CNY");
  c->set_order_count(orders);
  if (orders == 0) return;
  const int64_t avg_order_fen = g.Uniform(6'000, 150'000);  // ¥60..¥1,500
  c->mutable_total_spend()->set_minor_units(orders * avg_order_fen);
  c->set_points_balance(orders * g.Uniform(0, 300));
  // Last purchase between creation and now, skewed recent.
  const int64_t age_us = std::max<int64_t>(now_us - create_us, 1);
  const double r = std::pow(g.Uniform(0, 1'000'000) / 1e6, 2.0);
  const int64_t last_us = now_us - static_cast<int64_t>(r * age_us);
  *c->mutable_last_purchase_time() = TimeUtil::MicrosecondsToTimestamp(last_us);
}

}  // namespace

absl::StatusOr<SeedResult> SeedCustomers(const SeedOptions& options) {
  const int64_t start_ns = MonotonicNanos();
  const int64_t now_us = SystemClock::Get()->NowMicros();
  db::DatabaseOptions db_options;
  db_options.path = options.db_path;
  db_options.reader_connections = 1;
  db_options.now_micros = now_us;
  db_options.schemas = AllSchemas();
  ASSIGN_OR_RETURN(std::unique_ptr<db::Database> database,
                   db::Database::Open(db_options));

  // Continue numbering after rows already there, so seeding twice into one
  // file never repeats a phone.
  int64_t first = 0;
  RETURN_IF_ERROR(database->writer().RunSync([&](db::Connection& conn) {
    return db::Guard("count customers", [&] {
      db::Stmt s = conn.Prepare("SELECT COALESCE(MAX(id), 0) FROM customers");
      s->Step();
      first = s->Int64(0);
      return absl::OkStatus();
    });
  }));

  std::ofstream sample;
  if (!options.sample_path.empty()) {
    sample.open(options.sample_path, std::ios::trunc);
    if (!sample) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", options.sample_path));
    }
  }
  const int64_t n = options.customers;
  const int64_t stride =
      std::max<int64_t>(1, n / std::max<int64_t>(1, options.sample_size));
  const customers::TierThresholds tiers;  // the server's defaults
  // Creation times rise with the row number, over three years up to now,
  // as they would in a real table.
  const int64_t history_us = kHistoryDays * kMicrosPerDay;
  PeopleGenerator people(options.seed ^ static_cast<uint64_t>(first));
  SeedResult result;
  const int batch = std::max(1, options.batch);
  for (int64_t done = 0; done < n;) {
    const int64_t count = std::min<int64_t>(batch, n - done);
    // One RunSync is one writer batch: one transaction, one fsync.
    RETURN_IF_ERROR(database->writer().RunSync([&](db::Connection& conn) {
      for (int64_t i = done; i < done + count; ++i) {
        const int64_t k = first + i;  // unique across seedings of this file
        customers::StoredCustomer sc;
        sc.revision = 1;
        v1::Customer& c = sc.customer;
        const int64_t create_us =
            now_us - history_us + (i + 1) * history_us / n;
        c.set_customer_id(NewId("cus", create_us));
        c.set_branch_id(BranchId(
            1 + static_cast<int>(people.Uniform(0, options.branches - 1))));
        c.set_phone(ChineseMobile(static_cast<uint64_t>(k), kPhoneSalt));
        people.FillProfile(static_cast<uint64_t>(k), &c);
        FillHistory(people, create_us, now_us, &c);
        customers::RecomputeTier(tiers, now_us, &c);
        *c.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(create_us);
        *c.mutable_update_time() = c.has_last_purchase_time()
                                       ? c.last_purchase_time()
                                       : c.create_time();
        RETURN_IF_ERROR(customers::InsertCustomer(conn, sc));
        ++result.tier_counts[c.tier()];
        if (sample.is_open() && i % stride == 0) {
          WriteSampleLine(sample, CustomerRef{c.customer_id(), c.phone(),
                                              c.branch_id(), c.display_name()});
          ++result.sampled;
        }
      }
      return absl::OkStatus();
    }));
    done += count;
    if (done % 100'000 < count || done == n) {
      std::cerr << "seed: " << done << " / " << n << " customers, "
                << (MonotonicNanos() - start_ns) / 1e9 << " s\n";
    }
  }
  result.rows = n;
  RETURN_IF_ERROR(database->Close());
  result.seconds = (MonotonicNanos() - start_ns) / 1e9;
  return result;
}

}  // namespace retail::bench
