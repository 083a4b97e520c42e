// The customers a benchmark run reads: ids, phones, branches and names of
// records known to exist, so every GetCustomer hits, every phone search finds
// its person and every branch filter has pages to return.
//
// Either the seeder wrote a uniform sample of what it inserted (a TSV file,
// one customer per line), or the benchmark creates a small fixture through
// the API before measuring.
#ifndef RETAIL_TESTS_BENCH_DATASET_H_
#define RETAIL_TESTS_BENCH_DATASET_H_

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

// An order the fixture created (CreateOrderFixture), for GetOrder.
struct OrderRef {
  std::string id;
  std::string branch;
};

struct Dataset {
  std::vector<CustomerRef> customers;
  // Orders created through the API before measuring (fixture.h); empty
  // when no orders workload runs.
  std::vector<OrderRef> orders;
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

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_DATASET_H_
