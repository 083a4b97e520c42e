#include "tests/pg/pg_test_db.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/db/pg_connection.h"

namespace retail::testing {

namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (const char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) {
      return false;
    }
  }
  return true;
}

// `url` with its path (the database) replaced by `name`, the query kept.
absl::StatusOr<std::string> WithDatabase(const std::string& url,
                                         absl::string_view name) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return absl::InvalidArgumentError("not a URL: " + url);
  }
  const size_t query = std::min(url.find('?', scheme + 3), url.size());
  const size_t path = std::min(url.find('/', scheme + 3), query);
  return absl::StrCat(url.substr(0, path), "/", name, url.substr(query));
}

// The fixture cluster's URL, from $RETAIL_TEST_PG_DIR/url.
absl::StatusOr<std::string> ClusterUrl() {
  const char* dir = std::getenv("RETAIL_TEST_PG_DIR");
  // The suites run on both engines name the cluster with the engine.
  const char* engine = std::getenv("RETAIL_TEST_ENGINE");
  if ((dir == nullptr || *dir == '\0') && engine != nullptr &&
      absl::StartsWith(engine, "postgres:")) {
    dir = engine + std::strlen("postgres:");
  }
  if (dir == nullptr || *dir == '\0') {
    return absl::FailedPreconditionError(
        "RETAIL_TEST_PG_DIR is not set: this test needs the PostgreSQL "
        "fixture. Run it through ctest (ctest --test-dir BUILD -L pg), which "
        "starts the cluster, or by hand: scripts/pg start /tmp/pg1 && "
        "RETAIL_TEST_PG_DIR=/tmp/pg1 ./test-binary");
  }
  std::ifstream in(absl::StrCat(dir, "/url"));
  std::stringstream text;
  text << in.rdbuf();
  std::string url(absl::StripAsciiWhitespace(text.str()));
  if (!in || url.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no URL in ", dir, "/url: is the cluster running (scripts/pg status ",
        dir, ")?"));
  }
  return url;
}

}  // namespace

bool TestEngineIsPostgres() {
  const char* engine = std::getenv("RETAIL_TEST_ENGINE");
  return engine != nullptr && absl::StartsWith(engine, "postgres:");
}

absl::Status DropPgDatabase(absl::string_view name) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name '", name, "' is not [a-z0-9_]{1,63}"));
  }
  absl::StatusOr<std::string> url = ClusterUrl();
  if (!url.ok()) return url.status();
  auto admin = db::PgConnection::Open(*url);
  if (!admin.ok()) return admin.status();
  try {
    (*admin)->Exec(
        absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)")
            .c_str());
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("dropping database ", name, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FreshPgDatabase(absl::string_view name) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name '", name, "' is not [a-z0-9_]{1,63}"));
  }
  absl::StatusOr<std::string> cluster = ClusterUrl();
  if (!cluster.ok()) return cluster.status();
  const std::string& url = *cluster;
  auto admin = db::PgConnection::Open(url);
  if (!admin.ok()) return admin.status();
  try {
    // Two commands, not one string: PQexec runs several statements in one
    // transaction, and neither of these may run inside one.
    (*admin)->Exec(
        absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)")
            .c_str());
    (*admin)->Exec(absl::StrCat("CREATE DATABASE ", name).c_str());
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("creating database ", name, ": ", e.what()));
  }
  return WithDatabase(url, name);
}

absl::StatusOr<std::string> FreshPgDatabaseFrom(
    absl::string_view name, absl::string_view template_name,
    const std::function<absl::Status(const std::string& url)>& build) {
  if (!ValidName(name) || !ValidName(template_name) ||
      template_name.size() > 60) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database names '", name, "', '", template_name, "' are not valid"));
  }
  absl::StatusOr<std::string> cluster = ClusterUrl();
  if (!cluster.ok()) return cluster.status();
  const std::string& url = *cluster;
  auto admin = db::PgConnection::Open(url);
  if (!admin.ok()) return admin.status();
  const std::string building = absl::StrCat(template_name, "_b");
  try {
    // "rtpl" in ASCII: held by one test process at a time, per cluster.
    (*admin)->Exec("SELECT pg_advisory_lock(1920233580)");
    db::Stmt exists =
        (*admin)->Prepare("SELECT 1 FROM pg_database WHERE datname = ?1");
    exists->Bind(1, std::string(template_name));
    if (!exists->Step()) {
      (*admin)->Exec(
          absl::StrCat("DROP DATABASE IF EXISTS ", building, " WITH (FORCE)")
              .c_str());
      (*admin)->Exec(absl::StrCat("CREATE DATABASE ", building).c_str());
      absl::StatusOr<std::string> building_url = WithDatabase(url, building);
      if (!building_url.ok()) return building_url.status();
      absl::Status built = build(*building_url);
      if (!built.ok()) {
        (*admin)->Exec("SELECT pg_advisory_unlock(1920233580)");
        return built;
      }
      (*admin)->Exec(absl::StrCat("ALTER DATABASE ", building, " RENAME TO ",
                                  template_name)
                         .c_str());
    }
    (*admin)->Exec("SELECT pg_advisory_unlock(1920233580)");
    (*admin)->Exec(
        absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)")
            .c_str());
    (*admin)->Exec(
        absl::StrCat("CREATE DATABASE ", name, " TEMPLATE ", template_name)
            .c_str());
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "creating database ", name, " from ", template_name, ": ", e.what()));
  }
  return WithDatabase(url, name);
}

}  // namespace retail::testing
