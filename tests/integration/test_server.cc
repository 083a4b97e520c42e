#include "tests/integration/test_server.h"

#include <grpcpp/generic/generic_stub.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/db/migrations.h"
#include "common/db/pg_connection.h"
#include "common/db/pg_writer.h"
#include "common/db/sqlite_connection.h"
#include "common/ids.h"
#include "common/reply.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/module.h"
#include "tests/pg/pg_test_db.h"

ABSL_DECLARE_FLAG(int32_t, backup_interval_hours);

namespace retail::testing {
namespace {

// 2026-06-01T00:00:00Z: a fixed "now" so dates and recency are stable.
constexpr int64_t kStartMicros = 1780272000LL * 1'000'000;

std::string TokenLine(const std::string& token, const std::string& rest) {
  return absl::StrCat("sha256:", Sha256Hex(token), " ", rest, "\n");
}

// A database every test server's migration would produce (all modules, at
// the fake clock's start), copied for each server instead of migrated
// again: migrating costs seconds per server on PostgreSQL, a copy a
// fraction of that. Named for the migrations and the clock, so a cluster
// kept between runs never hands out an outdated schema.
std::string MigratedTemplateName() {
  std::string all = absl::StrCat(kStartMicros);
  std::vector<db::ModuleSchema> schemas = {db::CoreSchema()};
  for (const db::ModuleSchema& m : AllSchemas()) schemas.push_back(m);
  for (const db::ModuleSchema& m : schemas) {
    for (const db::Migration& mig : m.pg_migrations) {
      absl::StrAppend(&all, m.module, mig.version, mig.sql);
    }
  }
  return absl::StrCat("rt_", Sha256Hex(all).substr(0, 16));
}

absl::Status MigrateTemplate(const std::string& url) {
  absl::StatusOr<std::unique_ptr<db::PgConnection>> conn =
      db::PgConnection::Open(url);
  if (!conn.ok()) return conn.status();
  return db::Migrate(**conn, AllSchemas(), kStartMicros);
}

}  // namespace

std::vector<TestPrincipal> DefaultPrincipals() {
  return {
      {kAdmin, "admin admin"},
      {kAgent, "agent agent"},
      {kBranch1, "b001 branch branch=B001"},
      {kBranch2, "b002 branch branch=B002"},
      {kAuditor, "auditor auditor"},
      {kCrm,
       "crm service methods=retail.customers.v1.CustomerService/GetCustomer"},
  };
}

TestServer::TestServer(TestServerOptions options)
    : options_(std::move(options)), clock_(kStartMicros) {
  // Every call must be answered exactly once (common/reply.h).
  SetReplyMisuseHookForTesting([](absl::string_view what) {
    ADD_FAILURE() << "reply misuse: " << what;
  });
  std::random_device rd;
  dir_ = absl::StrCat(::testing::TempDir(), "/retail_it_", getpid(), "_", rd());
  std::filesystem::create_directories(dir_);
  db_path_ = options_.db_path.empty() ? dir_ + "/retail.db" : options_.db_path;
  // The suites ctest runs on both engines: a fresh PostgreSQL database per
  // server, dropped with it.
  if (options_.db_path.empty() && TestEngineIsPostgres()) {
    pg_database_ = absl::StrCat("it_", getpid(), "_", rd() % 1'000'000'000);
    absl::StatusOr<std::string> url = FreshPgDatabaseFrom(
        pg_database_, MigratedTemplateName(), MigrateTemplate);
    if (!url.ok()) {
      ADD_FAILURE() << url.status();
    } else {
      db_path_ = *url;
    }
  }
  // On PostgreSQL a write may run twice (a serialization failure runs the
  // whole op again): every suite's first run of every write is rolled back
  // and run again, so an op that is not safe to repeat fails its suite.
  if (db::IsPostgresUrl(db_path_))
    db::PgWriter::RehearseRetriesForTesting(true);
  auth_path_ = dir_ + "/auth.conf";
  {
    std::ofstream auth(auth_path_);
    auth << "# test principals\n";
    for (const TestPrincipal& p : options_.principals) {
      auth << TokenLine(p.token, p.line);
    }
    for (const std::string& line : options_.raw_auth_lines) {
      auth << line << "\n";
    }
  }
  // The server refuses an auth config others could change, whatever the
  // umask this test runs under.
  std::filesystem::permissions(
      auth_path_,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  Start();
}

TestServer::~TestServer() {
  Stop();
  SetReplyMisuseHookForTesting(nullptr);
  if (!pg_database_.empty()) {
    absl::Status dropped = DropPgDatabase(pg_database_);
    if (!dropped.ok()) ADD_FAILURE() << dropped;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void TestServer::Start() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = db_path_;
  options.auth_config = auth_path_;
  options.clock = &clock_;
  if (options_.configure) options_.configure(options);
  // The admin module reads the flag while it is built: off for this build
  // only, unless the test asked for scheduled backups.
  const int32_t backup_interval = absl::GetFlag(FLAGS_backup_interval_hours);
  if (!options_.scheduled_backups) {
    absl::SetFlag(&FLAGS_backup_interval_hours, 0);
  }
  auto server = BuildServer(options);
  absl::SetFlag(&FLAGS_backup_interval_hours, backup_interval);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
}

void TestServer::Stop() {
  if (server_ == nullptr) return;
  // A clean stop checkpoints the WAL; a test that restarts must see that work.
  EXPECT_TRUE(server_->Shutdown(absl::Seconds(5)).ok());
  server_.reset();
}

std::string TestServer::address() const {
  return absl::StrCat("127.0.0.1:", server_->port());
}

std::shared_ptr<grpc::Channel> TestServer::Channel() const {
  grpc::ChannelArguments args;
  // A unique argument forces a separate connection per channel.
  static std::atomic<int> counter{0};
  args.SetInt("retail.test.channel", counter++);
  return grpc::CreateCustomChannel(address(),
                                   grpc::InsecureChannelCredentials(), args);
}

namespace {
std::unique_ptr<db::Connection> OpenEither(const std::string& db_path,
                                           bool read_only) {
  if (db::IsPostgresUrl(db_path)) {
    auto pg = db::PgConnection::Open(db_path);
    if (!pg.ok()) {
      ADD_FAILURE() << pg.status();
      return nullptr;
    }
    return std::move(*pg);
  }
  auto sqlite = db::SqliteConnection::Open(
      db_path, read_only ? db::SqliteConnection::Mode::kReadOnly
                         : db::SqliteConnection::Mode::kReadWrite);
  if (!sqlite.ok()) {
    ADD_FAILURE() << sqlite.status();
    return nullptr;
  }
  return std::move(*sqlite);
}
}  // namespace

std::unique_ptr<db::Connection> TestServer::OpenDatabase() const {
  return OpenEither(db_path_, /*read_only=*/false);
}

void TestServer::ExecSql(const std::string& sql) const {
  std::unique_ptr<db::Connection> conn = OpenDatabase();
  if (conn == nullptr) return;
  try {
    conn->Exec(sql.c_str());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ExecSql failed: " << e.what() << "\n" << sql;
  }
}

std::string TestServer::QueryScalar(const std::string& sql) const {
  std::unique_ptr<db::Connection> conn = OpenEither(db_path_, true);
  if (conn == nullptr) return "";
  // Either engine's value, as text (SQLite's getString converted numbers).
  db::Stmt q = conn->Prepare(sql);
  if (!q->Step() || q->IsNull(0)) return "";
  try {
    return q->String(0);
  } catch (const db::StorageError&) {
    return absl::StrCat(q->Int64(0));  // a PostgreSQL integer column
  }
}

std::string HoldsText(bool on_postgres, const std::string& column,
                      const std::string& text) {
  return absl::StrCat(on_postgres ? "strpos(" : "instr(", column, ", '", text,
                      "') > 0");
}

std::string HoldsBytes(bool on_postgres, const std::string& column,
                       const std::string& text) {
  return on_postgres ? absl::StrCat("position(convert_to('", text,
                                    "', 'UTF8') in ", column, ") > 0")
                     : absl::StrCat("instr(", column, ", CAST('", text,
                                    "' AS BLOB)) > 0");
}

std::string JoinedSql(bool on_postgres, const std::string& expr,
                      const std::string& separator, const std::string& from,
                      const std::string& order) {
  if (on_postgres) {
    return absl::StrCat("SELECT string_agg(", expr, ", '", separator,
                        "' ORDER BY ", order, ") FROM ", from);
  }
  return absl::StrCat("SELECT group_concat(line, '", separator,
                      "') FROM (SELECT ", expr, " AS line FROM ", from,
                      " ORDER BY ", order, ") AS joined");
}

std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  return ctx;
}

grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& method, const std::string& request,
                     const std::string& token, std::string* response) {
  grpc::GenericStub generic(channel);
  auto ctx = ContextFor(token);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> done;
  generic.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request_buffer,
                    &response_buffer,
                    [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  response->clear();
  std::vector<grpc::Slice> slices;
  if (status.ok() && response_buffer.Dump(&slices).ok()) {
    for (const auto& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

void ExpectNoStorageText(const grpc::Status& status) {
  // SQL keywords in capitals (messages are prose, and "update_mask" must
  // not match); the engine's phrases and our table names in any case.
  static constexpr const char* kKeywords[] = {
      "SELECT ",  "INSERT ",   "UPDATE ", "DELETE ", "BEGIN",  "COMMIT",
      "ROLLBACK", "SAVEPOINT", "PRAGMA",  " FROM ",  " WHERE "};
  static constexpr const char* kPhrases[] = {"sqlite",
                                             "sql logic",
                                             "disk i/o",
                                             "database or disk",
                                             "no such table",
                                             "no such column",
                                             "constraint failed",
                                             "syntax error",
                                             "near \"",
                                             "database is locked",
                                             "disk image",
                                             "idempotency_keys",
                                             "audit_log",
                                             "points_transactions",
                                             "server_meta",
                                             "schema_migrations"};
  const std::string text =
      status.error_message() + "\n" + status.error_details();
  const std::string lower = absl::AsciiStrToLower(text);
  for (const char* word : kKeywords) {
    EXPECT_EQ(text.find(word), std::string::npos)
        << "'" << word << "' reached the caller: " << status.error_message();
  }
  for (const char* phrase : kPhrases) {
    EXPECT_EQ(lower.find(phrase), std::string::npos)
        << "'" << phrase << "' reached the caller: " << status.error_message();
  }
}

ErrorDetails DetailsOf(const grpc::Status& status) {
  ErrorDetails out;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return out;
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest bad;
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&retry)) {
      out.retry_delay_us = retry.retry_delay().seconds() * 1'000'000 +
                           retry.retry_delay().nanos() / 1000;
    } else if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations())
        out.fields.push_back(v.field());
    } else if (any.UnpackTo(&info)) {
      out.reason = info.reason();
      out.metadata.insert(info.metadata().begin(), info.metadata().end());
    }
  }
  return out;
}

}  // namespace retail::testing
