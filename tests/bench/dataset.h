// The customers a benchmark run reads: ids, phones, branches and names of
// records known to exist, so every GetCustomer hits, every phone search finds
// its person and every branch filter has pages to return.
//
// Either the seeder wrote a uniform sample of what it inserted (a TSV file,
// one customer per line), or the benchmark creates a small fixture through
// the API before measuring.
#ifndef RETAIL_TESTS_BENCH_DATASET_H_
#define RETAIL_TESTS_BENCH_DATASET_H_

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail::bench {

struct CustomerRef {
  std::string id;
  std::string phone;  // normalised, as stored
  std::string branch;
  std::string name;
};

// An order known to exist: created by the fixture (CreateOrderFixture) or
// sampled by the order seeder (order_seed.h), for GetOrder and ListOrders.
struct OrderRef {
  std::string id;
  std::string branch;
  int status = 0;         // retail.orders.v1.OrderStatus when known
  int64_t create_us = 0;  // creation time, Unix microseconds
};

// The seeded reconciliation day (order_seed.h): what
// GetDailyReconciliation of `branch` on `date` must report.
struct ReconDay {
  std::string branch;
  int32_t date = 0;  // yyyymmdd, in the chain's time zone
  int64_t slips = 0;
  int64_t sales_count = 0;
  int64_t sales_minor = 0;
  int64_t refund_count = 0;
  int64_t refund_minor = 0;
  int64_t refunded_orders = 0;
};

// The seeded complaints (complaint_seed.h): how many the database holds,
// and what GetComplaintStats over the stats window (all branches) must
// report of them.
struct ComplaintFacts {
  int64_t rows = 0;  // complaints in the database; 0: none seeded
  int64_t stats_start_us = 0;
  int64_t stats_end_us = 0;  // the seeding instant: later creates are outside
  int64_t total = 0;         // created in [start, end)
  int64_t scored = 0;        // of them, closed with a satisfaction score
  int64_t closed_ever = 0;   // of them, closed at least once
  int64_t reopened = 0;      // of them, reopened at least once
  std::array<int64_t, 9> by_status{};  // by ComplaintStatus number
  std::array<int64_t, 8> by_category{};
};

// The seeded feedback (feedback_seed.h): how many items the database
// holds, and what GetSatisfactionReport over the seeded days (all
// branches) must report of them.
struct FeedbackFacts {
  int64_t items = 0;           // feedback items in the database; 0: none seeded
  int32_t start_date = 0;      // first seeded day, yyyymmdd in the chain's zone
  int32_t end_date = 0;        // last seeded day (the day before the seeding)
  int64_t feedback_count = 0;  // items in [start, end]
  int64_t response_count = 0;  // survey responses in [start, end]
  int64_t ratings = 0;         // every 1..5 rating: items and answers
  int64_t satisfied = 0;       // of them, 4 or 5
  int64_t survey_ratings = 0;
  int64_t feedback_ratings = 0;
  int64_t nps_count = 0;
  int64_t nps_promoters = 0;
  int64_t nps_detractors = 0;
  int64_t branches = 0;  // branches with any record in [start, end]
};

struct Dataset {
  std::vector<CustomerRef> customers;
  // Orders created through the API before measuring (fixture.h), or a
  // sample of the seeded ones; empty when no orders workload runs.
  std::vector<OrderRef> orders;
  // Orders in the database when seeded (for the report and the 1M-order
  // target); 0: the fixture's, counted as orders.size().
  int64_t order_rows = 0;
  // True if `orders` is a sample of seeded orders (no API fixture needed).
  bool orders_seeded = false;
  // The seeded reconciliation day, if any (recon.date == 0: none).
  ReconDay recon;
  // The seeded complaints, if any (complaints.rows == 0: none).
  ComplaintFacts complaints;
  // The seeded feedback, if any (feedback.items == 0: none).
  FeedbackFacts feedback;
  std::vector<std::string> branches;  // distinct branches of `customers`
  // Customers in the database (the seeded count; 0 when unknown).
  int64_t rows = 0;
  // True for seeded data, whose spend history gives every tier; the API
  // fixture's customers are all POTENTIAL.
  bool seeded = false;
};

// One sample line: id, phone, branch and name, tab-separated.
void WriteSampleLine(std::ostream& out, const CustomerRef& c);

// Reads a sample file written by the seeder.
absl::StatusOr<Dataset> LoadSample(const std::string& path, int64_t rows);

// Fills `d.branches` from `d.customers`, sorted.
void CollectBranches(Dataset& d);

// The order sample file the order seeder writes: a line "#orders<TAB>N"
// (orders in the database), optionally "#recon<TAB>" and ReconDay's fields
// in declaration order, then one order per line: id, branch, status and
// creation time (Unix microseconds), tab-separated.
void WriteOrderSampleLine(std::ostream& out, const OrderRef& o);
void WriteReconLine(std::ostream& out, const ReconDay& r);
// Reads it into `d.orders`, `d.order_rows` and `d.recon`.
absl::Status LoadOrderSample(const std::string& path, Dataset& d);

// The complaint sample file the complaint seeder writes: one line
// "#complaints" and ComplaintFacts' fields in declaration order (arrays
// element by element), tab-separated.
void WriteComplaintFacts(std::ostream& out, const ComplaintFacts& f);
// Reads it into `d.complaints`.
absl::Status LoadComplaintFacts(const std::string& path, Dataset& d);

// The feedback sample file the feedback seeder writes: one line
// "#feedback" and FeedbackFacts' fields in declaration order,
// tab-separated.
void WriteFeedbackFacts(std::ostream& out, const FeedbackFacts& f);
// Reads it into `d.feedback`.
absl::Status LoadFeedbackFacts(const std::string& path, Dataset& d);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_DATASET_H_
