// Test support: a fresh PostgreSQL database on the ctest fixture's cluster.
//
// tests/pg/CMakeLists.txt starts one throwaway cluster for every test that
// needs PostgreSQL (fixture pg_server, scripts/pg) and hands the tests its
// directory in RETAIL_TEST_PG_DIR; DIR/url is the cluster's URL. Each test
// then makes its own database, so tests run in parallel without meeting.
#ifndef RETAIL_TESTS_PG_PG_TEST_DB_H_
#define RETAIL_TESTS_PG_PG_TEST_DB_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail::testing {

// Drops the database `name` if it exists (closing its sessions), creates it
// empty and returns its URL: the cluster's URL with the database replaced,
// passfile kept. `name` is [a-z0-9_], at most 63 characters. Without
// RETAIL_TEST_PG_DIR it fails (FailedPrecondition) saying how to run the
// test: a test that needs PostgreSQL never passes silently without it.
absl::StatusOr<std::string> FreshPgDatabase(absl::string_view name);

}  // namespace retail::testing

#endif  // RETAIL_TESTS_PG_PG_TEST_DB_H_
