// Without seeded data, the benchmark first creates a small set of customers
// through the API (the fixture), so reads have real records to hit.
#ifndef RETAIL_TESTS_BENCH_FIXTURE_H_
#define RETAIL_TESTS_BENCH_FIXTURE_H_

#include "absl/status/statusor.h"
#include "tests/bench/dataset.h"
#include "tests/bench/env.h"

namespace retail::bench {

// Creates `count` customers spread evenly over branches B001..B<branches>
// with CreateCustomer, `in_flight` at a time, and returns them. Any failed
// create fails the fixture: the benchmark's premises would not hold.
absl::StatusOr<Dataset> CreateFixture(Env& env, int count, int branches,
                                      int in_flight);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_FIXTURE_H_
