// A real retail server for integration tests: BuildServer on 127.0.0.1:0
// against a temp-file database, with one token per role and a fake clock.
// Restart() stops and starts it on the same database, as an operator would.
#ifndef RETAIL_TESTS_INTEGRATION_TEST_SERVER_H_
#define RETAIL_TESTS_INTEGRATION_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/db/connection.h"
#include "google/rpc/error_details.pb.h"
#include "server/server.h"

namespace retail::testing {

// Tokens the fixture registers (principal id = token without "-token").
inline constexpr char kAdmin[] = "admin-token";
inline constexpr char kAgent[] = "agent-token";
inline constexpr char kBranch1[] = "b001-token";  // branch B001
inline constexpr char kBranch2[] = "b002-token";  // branch B002
inline constexpr char kAuditor[] = "auditor-token";
inline constexpr char kCrm[] = "crm-token";  // service: GetCustomer only

// One line of the test's auth.conf: the token and the rest of the line
// ("<principal_id> <role> [branch=...] [methods=...]").
struct TestPrincipal {
  std::string token;
  std::string line;
};

// The principals above, for tests that need nothing else.
std::vector<TestPrincipal> DefaultPrincipals();

struct TestServerOptions {
  std::vector<TestPrincipal> principals = DefaultPrincipals();
  // Lines written to auth.conf as they are, after the principals' (e.g.
  // "san:dns:store-b001 store-b001 branch branch=B001").
  std::vector<std::string> raw_auth_lines;
  // Adjusts the server's options before each Start().
  std::function<void(ServerOptions&)> configure;
  // Start on this database file (e.g. a restored backup) instead of a fresh
  // one in the server's temp directory. The file is the caller's: it is not
  // deleted with the server.
  std::string db_path;
  // Scheduled backups (the admin module's task, --backup_interval_hours)
  // are off in test servers unless a test asks for them: every other test
  // that runs maintenance would otherwise copy its whole database at the
  // first RunMaintenance() or at start-up of the maintenance thread. On:
  // the flag's value applies.
  bool scheduled_backups = false;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  void Start();
  void Stop();
  void Restart() {
    Stop();
    Start();
  }

  std::string address() const;
  const std::string& db_path() const { return db_path_; }
  // Whether the server runs on PostgreSQL (the suites run on both engines):
  // for the few checks whose SQL must differ.
  bool on_postgres() const { return !pg_database_.empty(); }
  // The auth config the server reads (and re-reads when it changes).
  const std::string& auth_path() const { return auth_path_; }
  FakeClock& clock() { return clock_; }
  RetailServer& server() { return *server_; }

  // A fresh channel over TCP loopback (a distinct connection).
  std::shared_ptr<grpc::Channel> Channel() const;

  // Runs one SQL query on a separate connection and returns the first
  // column of the first row as text ("" if no row or NULL), on either
  // engine.
  std::string QueryScalar(const std::string& sql) const;

  // A read-write connection to the server's database on either engine, for
  // tests that seed rows the API cannot make (backlogs, old dates) or damage
  // them on purpose. Write SQL both engines accept (no INSERT OR IGNORE, no
  // total(), aliases on subqueries), or branch on on_postgres().
  std::unique_ptr<db::Connection> OpenDatabase() const;
  // Runs `sql` (one or more statements) on OpenDatabase(); fails the test
  // on an error.
  void ExecSql(const std::string& sql) const;

 private:
  std::string dir_;
  std::string db_path_;      // a SQLite file, or a PostgreSQL URL
  std::string pg_database_;  // the PostgreSQL database this server made
  std::string auth_path_;
  TestServerOptions options_;
  FakeClock clock_;
  std::unique_ptr<RetailServer> server_;
};

// SQL true where `column` holds `text`, for checks that erased personal
// data is gone from what is stored: HoldsText for a TEXT column,
// HoldsBytes for a SQLite BLOB / PostgreSQL bytea holding text's UTF-8
// bytes (PostgreSQL has neither instr() nor CAST(... AS BLOB)). `text` is
// the test's own literal, never a caller's.
std::string HoldsText(bool on_postgres, const std::string& column,
                      const std::string& text);
std::string HoldsBytes(bool on_postgres, const std::string& column,
                       const std::string& text);

// A query joining `expr` (text) of the rows of `from` with `separator`, in
// `order`: SQLite's group_concat over an ordered subquery, PostgreSQL's
// string_agg, which takes the order itself (and has no group_concat).
std::string JoinedSql(bool on_postgres, const std::string& expr,
                      const std::string& separator, const std::string& from,
                      const std::string& order);

// A ClientContext carrying `token` and a 10 s deadline.
std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& token);

// Calls a typed stub method as `token` with a 10 s deadline.
template <typename Stub, typename Req, typename Resp>
grpc::Status Call(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                               Resp*),
                  const std::string& token, const Req& req, Resp* resp) {
  auto ctx = ContextFor(token);
  return (stub.*method)(ctx.get(), req, resp);
}

// Sends raw request bytes to `method` ("/pkg.Service/Method") as `token`
// ("" for none), bypassing the typed stubs, e.g. to send invalid UTF-8.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& token, std::string* response);

// Decoded google.rpc details of a failed call.
struct ErrorDetails {
  std::vector<std::string> fields;  // BadRequest field violations
  std::string reason;               // ErrorInfo reason
  std::map<std::string, std::string> metadata;
  // google.rpc.RetryInfo's retry_delay in microseconds; -1 without one.
  int64_t retry_delay_us = -1;
};
ErrorDetails DetailsOf(const grpc::Status& status);

// Fails the test if `status` carries storage-engine or SQL text (in its
// message or its details): table and column names, SQL keywords, SQLite's
// own error strings. Callers see rules and fields, never the engine.
void ExpectNoStorageText(const grpc::Status& status);

}  // namespace retail::testing

#endif  // RETAIL_TESTS_INTEGRATION_TEST_SERVER_H_
