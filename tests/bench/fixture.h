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

// Creates `count` orders through the API, `in_flight` at a time, in the
// branches of `d.branches` (round robin): every other one for a member of
// `d.customers`, the rest walk-in, and pays every other one in cash (so
// GetOrder and ListOrders see pending and paid orders, with payments and a
// settlement). Appends them to `d.orders`. Any failed call fails the
// fixture.
absl::Status CreateOrderFixture(Env& env, int count, int in_flight, Dataset& d);

// Creates `count` unpaid store orders (NewOrderRequest: three lines, total
// kOrderTotal) for members of `env.data().customers` in branches of
// `env.data().branches`, both picked at random, `in_flight` at a time, and
// returns their ids: what PayOrder alone is measured on. Any failed call
// fails it.
absl::StatusOr<std::vector<std::string>> CreateUnpaidMemberOrders(
    Env& env, int64_t count, int in_flight);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_FIXTURE_H_
