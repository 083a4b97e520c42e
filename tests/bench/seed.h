// Seeding for scale runs: writes realistic customers straight into the
// database file before the server starts.
//
// It goes through the project's own code (Database::Open runs the
// migrations; InsertCustomer is the store's INSERT on the writer
// connection), so the rows, indexes and encodings are exactly what the
// server writes. It skips the API (validation, idempotency keys, audit and
// event rows) because a million RPCs would take longer than the benchmark
// and the measured reads do not look at those tables.
#ifndef RETAIL_TESTS_BENCH_SEED_H_
#define RETAIL_TESTS_BENCH_SEED_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace retail::bench {

struct SeedOptions {
  std::string db_path;
  int64_t customers = 0;
  int branches = 500;  // B001..B500, customers spread uniformly
  int batch = 10'000;  // rows per transaction (one writer RunSync each)
  // Where to write a uniform sample of the seeded customers for the
  // benchmark's reads; empty for none.
  std::string sample_path;
  int64_t sample_size = 100'000;
  uint64_t seed = 20240601;
};

struct SeedResult {
  int64_t rows = 0;  // inserted now
  double seconds = 0;
  int64_t tier_counts[4] = {0, 0, 0, 0};  // by CustomerTier number
  int64_t sampled = 0;
};

absl::StatusOr<SeedResult> SeedCustomers(const SeedOptions& options);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_SEED_H_
