// Test support: a fresh PostgreSQL database on the ctest fixture's cluster.
//
// tests/pg/CMakeLists.txt starts one throwaway cluster for every test that
// needs PostgreSQL (fixture pg_server, scripts/pg) and hands the tests its
// directory in RETAIL_TEST_PG_DIR; DIR/url is the cluster's URL. Each test
// then makes its own database, so tests run in parallel without meeting.
#ifndef RETAIL_TESTS_PG_PG_TEST_DB_H_
#define RETAIL_TESTS_PG_PG_TEST_DB_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail::testing {

// Like FreshPgDatabase, but `name` starts as a copy of the database
// `template_name`, which the first test process to need it makes once per
// cluster by calling `build` with its URL (e.g. to migrate it), under an
// advisory lock so that parallel tests wait for it rather than race; built
// under another name and renamed when done, so a test killed mid-build
// leaves no half-made template. Name the template for what `build` makes (a
// hash of the schema): a cluster kept between runs then never serves a
// stale one. Copying a migrated database is far cheaper than migrating.
absl::StatusOr<std::string> FreshPgDatabaseFrom(
    absl::string_view name, absl::string_view template_name,
    const std::function<absl::Status(const std::string& url)>& build);

// Drops the database `name` if it exists (closing its sessions), creates it
// empty and returns its URL: the cluster's URL with the database replaced,
// passfile kept. `name` is [a-z0-9_], at most 63 characters. Without
// RETAIL_TEST_PG_DIR it fails (FailedPrecondition) saying how to run the
// test: a test that needs PostgreSQL never passes silently without it.
absl::StatusOr<std::string> FreshPgDatabase(absl::string_view name);

// Drops the database `name` (closing its sessions); nothing to drop is
// success. Suites that make a database per server drop it when done, so
// hundreds of them do not fill the disk.
absl::Status DropPgDatabase(absl::string_view name);

// Whether this test process should run its servers on PostgreSQL: ctest
// sets RETAIL_TEST_ENGINE=postgres:<cluster dir> for the suites it runs on
// both engines (tests/CMakeLists.txt, retail_test_on_postgres); the
// cluster dir then stands in for RETAIL_TEST_PG_DIR.
bool TestEngineIsPostgres();

}  // namespace retail::testing

#endif  // RETAIL_TESTS_PG_PG_TEST_DB_H_
