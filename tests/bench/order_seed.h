// Seeding orders for the benchmark: writes orders, their tender attempts,
// refunds, settlement slips and returns straight into the database before
// the server starts, as seed.h does for customers.
//
// Two parts, both optional:
//  * the reconciliation day: `recon_orders` paid walk-in orders of one
//    branch (kReconBranch) on one past business day in the chain's zone,
//    with single and split tenders, failed attempts, completions, a few
//    returns refunded the same day and a few partly paid orders cancelled
//    (refunded) that day. GetDailyReconciliation of that branch-day must
//    report exactly the figures written to the sample file, and no
//    discrepancy;
//  * the spread: `orders` orders over branches B001..B<branches> and the
//    last `days` days, in creation order, in every status a real history
//    has (pending, cancelled, paid, completed, partly or wholly returned),
//    half of them for members when the database holds customers.
//
// Every row goes through the server's own store functions (InsertOrder,
// InsertPayment, InsertRefund, InsertSettlement, InsertReturn), holding
// what the handlers would have written at the end of each order's story:
// the same ids (NewId at the event's time), blobs, revisions (one per
// change), paid = succeeded tenders - refunds, a slip with the succeeded
// tenders for every paid order, refunds newest tender first. Skipped, as
// in seed.h: idempotency keys, audit and event rows, and the customer side
// of a member's order (points ledger, spend and order count), which the
// measured reads never look at.
#ifndef RETAIL_TESTS_BENCH_ORDER_SEED_H_
#define RETAIL_TESTS_BENCH_ORDER_SEED_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tests/bench/dataset.h"

namespace retail::bench {

// The branch of the reconciliation day: not one of B001..B999, so the
// spread never adds orders to its day.
inline constexpr char kReconBranch[] = "R001";

struct OrderSeedOptions {
  std::string db_path;
  int64_t orders = 0;        // the spread
  int branches = 500;        // B001..B<branches>
  int days = 90;             // the spread's history, up to now
  int64_t recon_orders = 0;  // paid orders on the reconciliation day
  std::string time_zone = "Asia/Shanghai";  // the server's --time_zone
  std::string currency = "CNY";             // the server's --currency
  int batch = 10'000;                       // orders per transaction
  // Where to write what the benchmark needs (see WriteOrderSample in
  // dataset.h): the reconciliation day's figures and a uniform sample of
  // the spread's orders. Empty for none.
  std::string sample_path;
  int64_t sample_size = 100'000;
  uint64_t seed = 20240601;
};

struct OrderSeedResult {
  int64_t orders = 0;  // inserted now, both parts (exchange-free)
  int64_t payments = 0;
  int64_t refunds = 0;
  int64_t slips = 0;
  int64_t returns = 0;
  int64_t status_counts[7] = {};  // by OrderStatus number
  int64_t orders_in_db = 0;       // after seeding
  int64_t sampled = 0;
  ReconDay recon;  // when recon_orders > 0
  double seconds = 0;
};

absl::StatusOr<OrderSeedResult> SeedOrders(const OrderSeedOptions& options);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_ORDER_SEED_H_
