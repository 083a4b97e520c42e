// Metrics through the real server (issue 15, "Metrics"): a TestServer with
// --metrics_listen on 127.0.0.1:0, calls of every kind (reads, writes, an
// unauthenticated call, a rate-limited one, a WatchEvents stream), and
// scrapes of GET /metrics over a plain socket, checking that each family the
// issue names is there and moved. Functional, not timed: the rate limit runs
// on a FakeClock only the test moves; the waits below poll for the
// asynchronous ends (a stream's OnDone, the event hub's read) with a bound.
// On both engines (RETAIL_TEST_ENGINE): each exports only its own families
// (SQLite's WAL; PostgreSQL's writer pool, retries, reconnects and events
// sequenced, issue 16), the reader pool counts reads that queued, and
// concurrent AdjustPoints on one customer move PostgreSQL's retry counter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/server/v1/server_info.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/metrics_sample.h"

namespace retail::testing {
namespace {

namespace cv1 = ::retail::customers::v1;
namespace ev1 = ::retail::events::v1;
namespace sv1 = ::retail::server::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using Labels = ::retail::testing::MetricLabels;

constexpr char kLimited[] = "limited-token";
constexpr char kGetCustomer[] =
    "retail.customers.v1.CustomerService/GetCustomer";
constexpr char kCreateCustomer[] =
    "retail.customers.v1.CustomerService/CreateCustomer";
constexpr char kGetServerInfo[] =
    "retail.server.v1.ServerInfoService/GetServerInfo";
constexpr char kWatchEvents[] = "retail.events.v1.EventService/WatchEvents";

// GET http://127.0.0.1:<port><path> (HTTP/1.0: the server closes after the
// answer). Returns the status line's code and the body.
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {-1, "socket"};
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {-1, "connect"};
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (send(fd, request.data(), request.size(), 0) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return {-1, "send"};
  }
  std::string response;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  int code = -1;
  // "HTTP/1.1 200 OK"
  const size_t space = response.find(' ');
  if (space != std::string::npos) {
    (void)absl::SimpleAtoi(response.substr(space + 1, 3), &code);
  }
  const size_t body = response.find("\r\n\r\n");
  return {code, body == std::string::npos ? "" : response.substr(body + 4)};
}

using ::retail::testing::Sample;

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest()
      : server_([this] {
          TestServerOptions o;
          o.principals = DefaultPrincipals();
          // Two calls, then refused until the FakeClock moves.
          o.principals.push_back(
              {kLimited, "limited branch branch=B001 rate=1/s burst=2"});
          o.configure = [this](ServerOptions& options) {
            options.metrics_listen = "127.0.0.1:0";
            options.rate_limit_clock = &rate_clock_;
          };
          return o;
        }()),
        channel_(server_.Channel()),
        customers_(cv1::CustomerService::NewStub(channel_)),
        events_(ev1::EventService::NewStub(channel_)),
        info_(sv1::ServerInfoService::NewStub(channel_)) {}

  void SetUp() override { ASSERT_GT(server_.server().metrics_port(), 0); }

  std::string Scrape() {
    auto [code, body] = HttpGet(server_.server().metrics_port(), "/metrics");
    EXPECT_EQ(code, 200) << body;
    return body;
  }

  // Scrapes until `done(text)` holds (at most ~10 s); returns the last text.
  std::string ScrapeUntil(const std::function<bool(const std::string&)>& done) {
    std::string text;
    for (int i = 0; i < 500; ++i) {
      text = Scrape();
      if (done(text)) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return text;
  }

  grpc::Status Info(const std::string& token) {
    sv1::GetServerInfoResponse resp;
    return Call(*info_, &sv1::ServerInfoService::Stub::GetServerInfo, token,
                sv1::GetServerInfoRequest(), &resp);
  }

  std::string CreateCustomer(int n) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(absl::StrCat("metrics-create-", n));
    req.mutable_customer()->set_display_name(absl::StrCat("Metrics ", n));
    req.mutable_customer()->set_phone(absl::StrCat("139000", 10000 + n));
    req.mutable_customer()->set_branch_id("B001");
    cv1::CreateCustomerResponse resp;
    grpc::Status s =
        Call(*customers_, &cv1::CustomerService::Stub::CreateCustomer, kAdmin,
             req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer().customer_id();
  }

  grpc::Status GetCustomer(const std::string& id) {
    cv1::GetCustomerRequest req;
    req.set_customer_id(id);
    cv1::GetCustomerResponse resp;
    return Call(*customers_, &cv1::CustomerService::Stub::GetCustomer, kAdmin,
                req, &resp);
  }

  FakeClock rate_clock_{1'000'000'000};  // before server_, which uses it
  TestServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cv1::CustomerService::Stub> customers_;
  std::unique_ptr<ev1::EventService::Stub> events_;
  std::unique_ptr<sv1::ServerInfoService::Stub> info_;
};

TEST_F(MetricsTest, ServesTheExpositionOnItsOwnListener) {
  auto [code, body] = HttpGet(server_.server().metrics_port(), "/metrics");
  EXPECT_EQ(code, 200);
  // Families without a series yet (calls by method) are left out.
  EXPECT_THAT(body,
              HasSubstr("# TYPE retail_authentication_failures_total counter"));
  EXPECT_THAT(body, HasSubstr("# TYPE retail_reader_connections gauge"));
  EXPECT_THAT(body, HasSubstr("# TYPE retail_reader_waits_total counter"));
  // Each engine's own families, and only those.
  if (server_.on_postgres()) {
    EXPECT_THAT(body, HasSubstr("# TYPE retail_writer_connections gauge"));
    EXPECT_THAT(
        body,
        HasSubstr("# TYPE retail_writer_transaction_retries_total counter"));
    EXPECT_THAT(body, Not(HasSubstr("retail_wal_")));
  } else {
    EXPECT_THAT(body, HasSubstr("# TYPE retail_wal_size_bytes gauge"));
    EXPECT_THAT(body, Not(HasSubstr("retail_writer_connections")));
    EXPECT_THAT(body, Not(HasSubstr("retail_writer_transaction_retries")));
    EXPECT_THAT(body, Not(HasSubstr("retail_events_sequenced")));
    EXPECT_THAT(body, Not(HasSubstr("retail_reader_reconnects")));
  }
  // Only /metrics is served.
  EXPECT_EQ(HttpGet(server_.server().metrics_port(), "/").first, 404);
}

TEST_F(MetricsTest, EveryFamilyMovesWithCallsWritesRefusalsAndStreams) {
  // Writes (the writer's batches, commits) and reads (the reader pool).
  std::string id;
  for (int i = 0; i < 3; ++i) id = CreateCustomer(i);
  ASSERT_TRUE(GetCustomer(id).ok());
  ASSERT_TRUE(GetCustomer(id).ok());
  EXPECT_EQ(GetCustomer("cus_DOESNOTEXIST").error_code(),
            grpc::StatusCode::NOT_FOUND);
  // An unknown token; a principal over its rate limit.
  EXPECT_EQ(Info("no-such-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Info(kLimited).ok());
  ASSERT_TRUE(Info(kLimited).ok());
  EXPECT_EQ(Info(kLimited).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  std::string text = Scrape();
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kCreateCustomer}, {"code", "OK"}}),
            3);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kGetCustomer}, {"code", "OK"}}),
            2);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kGetCustomer}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kGetServerInfo}, {"code", "UNAUTHENTICATED"}}),
            1);
  EXPECT_EQ(
      Sample(text, "retail_calls_total",
             {{"method", kGetServerInfo}, {"code", "RESOURCE_EXHAUSTED"}}),
      1);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_count",
                   {{"method", kGetCustomer}}),
            3);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_bucket",
                   {{"method", kGetCustomer}, {"le", "+Inf"}}),
            3);
  EXPECT_EQ(Sample(text, "retail_authentication_failures_total"), 1);
  EXPECT_EQ(
      Sample(text, "retail_call_refusals_total", {{"reason", "RATE_LIMITED"}}),
      1);
  EXPECT_EQ(Sample(text, "retail_call_refusals_total",
                   {{"reason", "WRITER_QUEUE_FULL"}}),
            0);
  // The writer: at least one batch per acknowledged create (each waited for
  // its own commit), each committed.
  EXPECT_GE(Sample(text, "retail_writer_batch_operations_count").value_or(0),
            3);
  EXPECT_GE(
      Sample(text, "retail_writer_commit_duration_seconds_count").value_or(0),
      3);
  EXPECT_GE(Sample(text, "retail_writer_transaction_duration_seconds_count")
                .value_or(0),
            3);
  EXPECT_EQ(Sample(text, "retail_writer_failed_batches_total"), 0);
  EXPECT_EQ(Sample(text, "retail_writer_queue_depth"), 0);
  if (server_.on_postgres()) {
    // PostgreSQL's WAL is the database server's: none of ours to measure.
    EXPECT_FALSE(Sample(text, "retail_wal_checkpoint_duration_seconds_count",
                        {{"mode", "passive"}}));
    EXPECT_FALSE(Sample(text, "retail_wal_size_bytes"));
    // The writer's pool: its size, and between calls none busy; each
    // create's event numbered by the sequencer; sequential writes never
    // conflict, and no connection was lost.
    EXPECT_EQ(Sample(text, "retail_writer_connections"), 4);
    EXPECT_LE(Sample(text, "retail_writer_connections_in_use").value_or(-1), 4);
    // The refusals' audit rows are the server's own writes, made after the
    // answers: the pool goes idle once they are in.
    EXPECT_EQ(Sample(ScrapeUntil([](const std::string& t) {
                       return Sample(t, "retail_writer_connections_in_use") ==
                              0;
                     }),
                     "retail_writer_connections_in_use"),
              0);
    EXPECT_GE(Sample(text, "retail_events_sequenced_total").value_or(0), 3);
    EXPECT_EQ(Sample(text, "retail_writer_transaction_retries_total"), 0);
    EXPECT_EQ(Sample(text, "retail_writer_retries_exhausted_total"), 0);
    EXPECT_EQ(Sample(text, "retail_writer_reconnects_total"), 0);
    EXPECT_EQ(Sample(text, "retail_reader_reconnects_total"), 0);
    // On PostgreSQL the commit histogram times COMMIT itself.
    EXPECT_GT(
        Sample(text, "retail_writer_commit_duration_seconds_sum").value_or(0),
        0);
  } else {
    EXPECT_TRUE(Sample(text, "retail_wal_checkpoint_duration_seconds_count",
                       {{"mode", "passive"}}));
    EXPECT_GT(Sample(text, "retail_wal_size_bytes").value_or(0), 0);
  }
  EXPECT_EQ(Sample(text, "retail_storage_ok"), 1);
  // Every read took a reader connection (each GetCustomer at least one).
  EXPECT_GE(
      Sample(text, "retail_reader_wait_duration_seconds_count").value_or(0), 3);
  // The reader pool: its size (--reader_connections, 4 by default); one
  // call at a time never waited. The event stream's hub may hold one
  // connection now.
  EXPECT_EQ(Sample(text, "retail_reader_connections"), 4);
  EXPECT_LE(Sample(text, "retail_reader_connections_in_use").value_or(-1), 1);
  EXPECT_EQ(Sample(text, "retail_reader_waits_total"), 0);
  // Nothing personal: no principal id, token, phone or request_id.
  for (const char* secret :
       {"limited", "no-such-token", "13900010000", "metrics-create-"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret))) << secret;
  }

  // A WatchEvents stream: open while it is, closed when it ends.
  EXPECT_FALSE(Sample(text, "retail_open_streams", {{"method", kWatchEvents}})
                   .value_or(0));
  {
    auto ctx = ContextFor(kAdmin);
    ev1::WatchEventsRequest req;
    req.set_start(ev1::START_POSITION_NOW);
    auto reader = events_->WatchEvents(ctx.get(), req);
    ev1::WatchEventsResponse first;
    ASSERT_TRUE(reader->Read(&first));  // admitted and serving
    // The hub reads new events on its own schedule (--event_coalesce_ms), so
    // the head reaches the three creates shortly after they commit, not
    // necessarily before the stream's first message.
    text = ScrapeUntil([](const std::string& t) {
      return Sample(t, "retail_event_head_sequence").value_or(0) >= 3;
    });
    EXPECT_EQ(Sample(text, "retail_open_streams", {{"method", kWatchEvents}}),
              1);
    EXPECT_GE(Sample(text, "retail_event_head_sequence").value_or(0), 3);
    // A stream that started NOW is handed the head as its progress, so it is
    // never behind once the hub has caught up.
    EXPECT_EQ(Sample(text, "retail_event_stream_max_lag_events"), 0);

    // A new event reaches the stream; the head moves past it.
    CreateCustomer(3);
    ev1::WatchEventsResponse next;
    while (next.events_size() == 0) ASSERT_TRUE(reader->Read(&next));
    text = ScrapeUntil([&](const std::string& t) {
      return Sample(t, "retail_event_head_sequence").value_or(0) >=
             static_cast<double>(next.events(0).sequence());
    });
    EXPECT_GE(Sample(text, "retail_event_head_sequence").value_or(0),
              static_cast<double>(next.events(0).sequence()));
    ctx->TryCancel();
    while (reader->Read(&next)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server learns of the cancellation on its own schedule.
  text = ScrapeUntil([](const std::string& t) {
    return Sample(t, "retail_open_streams", {{"method", kWatchEvents}}) == 0;
  });
  EXPECT_EQ(Sample(text, "retail_open_streams", {{"method", kWatchEvents}}), 0);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kWatchEvents}, {"code", "CANCELLED"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_count",
                   {{"method", kWatchEvents}}),
            1);
}

// A server with metrics on, for the tests below that load it themselves.
TestServerOptions WithMetrics(int reader_connections = 4) {
  TestServerOptions o;
  o.configure = [reader_connections](ServerOptions& options) {
    options.metrics_listen = "127.0.0.1:0";
    options.reader_connections = reader_connections;
  };
  return o;
}

std::string ScrapeOf(TestServer& server) {
  auto [code, body] = HttpGet(server.server().metrics_port(), "/metrics");
  EXPECT_EQ(code, 200) << body;
  return body;
}

std::string MakeCustomer(cv1::CustomerService::Stub& stub,
                         const std::string& request_id) {
  cv1::CreateCustomerRequest req;
  req.set_request_id(request_id);
  req.mutable_customer()->set_display_name("Pool");
  req.mutable_customer()->set_phone("13900020000");
  req.mutable_customer()->set_branch_id("B001");
  cv1::CreateCustomerResponse resp;
  grpc::Status s = Call(stub, &cv1::CustomerService::Stub::CreateCustomer,
                        kAdmin, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.customer().customer_id();
}

// One reader connection and eight clients reading at once: reads queue for
// it, and the waits are counted (on either engine: the pool is the
// server's).
TEST(MetricsPoolTest, ReadsThatQueueForTheReaderPoolAreCounted) {
  TestServer server(WithMetrics(/*reader_connections=*/1));
  auto stub = cv1::CustomerService::NewStub(server.Channel());
  const std::string id = MakeCustomer(*stub, "pool-create");
  EXPECT_EQ(Sample(ScrapeOf(server), "retail_reader_waits_total"), 0);
  std::string text;
  // Bounded rounds: waiting needs two reads to overlap, which eight
  // clients of 50 reads each make all but certain in the first.
  for (int round = 0; round < 5; ++round) {
    std::vector<std::thread> readers;
    std::atomic<int> failed{0};
    for (int t = 0; t < 8; ++t) {
      readers.emplace_back([&] {
        auto mine = cv1::CustomerService::NewStub(server.Channel());
        for (int i = 0; i < 50; ++i) {
          cv1::GetCustomerRequest req;
          req.set_customer_id(id);
          cv1::GetCustomerResponse resp;
          if (!Call(*mine, &cv1::CustomerService::Stub::GetCustomer, kAdmin,
                    req, &resp)
                   .ok()) {
            ++failed;
          }
        }
      });
    }
    for (auto& t : readers) t.join();
    EXPECT_EQ(failed.load(), 0);
    text = ScrapeOf(server);
    if (Sample(text, "retail_reader_waits_total").value_or(0) > 0) break;
  }
  EXPECT_GT(Sample(text, "retail_reader_waits_total").value_or(0), 0);
  EXPECT_EQ(Sample(text, "retail_reader_connections"), 1);
  // The event stream's hub may be reading now.
  EXPECT_LE(Sample(text, "retail_reader_connections_in_use").value_or(-1), 1);
  // Every wait is one of the reads the wait histogram counts.
  EXPECT_LE(
      Sample(text, "retail_reader_waits_total").value_or(0),
      Sample(text, "retail_reader_wait_duration_seconds_count").value_or(0));
}

// Concurrent AdjustPoints on one customer (issue 16, "Metrics cover the
// connection pool and transaction retries"). On PostgreSQL each runs in its
// own SERIALIZABLE transaction on one of four writer connections, so they
// collide on the customer's row and are run again: the retry counter moves
// and matches the writer's own count, and every acknowledged delta is in
// the balance once. On SQLite the one writer serializes them: no retries,
// and the writer-pool families are not exported at all.
TEST(MetricsPoolTest, ConcurrentWritesToOneRowAreRetriedAndCounted) {
  TestServer server(WithMetrics());
  auto stub = cv1::CustomerService::NewStub(server.Channel());
  const std::string id = MakeCustomer(*stub, "retry-create");
  constexpr int kClients = 8;
  constexpr int kAdjustments = 25;       // per client and round
  std::atomic<int64_t> acknowledged{0};  // the deltas answered OK
  std::atomic<int> ok_calls{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::string text;
  // Bounded rounds: a retry needs two transactions to overlap on the row,
  // which eight clients make all but certain in the first.
  for (int round = 0; round < 4; ++round) {
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c, round] {
        auto mine = cv1::CustomerService::NewStub(server.Channel());
        for (int i = 0; i < kAdjustments; ++i) {
          cv1::AdjustPointsRequest req;
          req.set_customer_id(id);
          req.set_delta(1 + c);
          req.set_reason("metrics retry test");
          req.set_request_id(absl::StrCat("retry-", round, "-", c, "-", i));
          cv1::AdjustPointsResponse resp;
          grpc::Status s =
              Call(*mine, &cv1::CustomerService::Stub::AdjustPoints, kAdmin,
                   req, &resp);
          if (s.ok()) {
            acknowledged += 1 + c;
            ++ok_calls;
          } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++unavailable;  // retries exhausted: nothing was written
          } else {
            ++other;
            ADD_FAILURE() << s.error_code() << " " << s.error_message();
          }
        }
      });
    }
    for (auto& t : clients) t.join();
    text = ScrapeOf(server);
    if (!server.on_postgres() ||
        Sample(text, "retail_writer_transaction_retries_total").value_or(0) >
            0) {
      break;
    }
  }
  EXPECT_EQ(other.load(), 0);
  // Every acknowledged change is in the balance, once; none refused is.
  cv1::GetCustomerRequest get;
  get.set_customer_id(id);
  cv1::GetCustomerResponse got;
  ASSERT_TRUE(
      Call(*stub, &cv1::CustomerService::Stub::GetCustomer, kAdmin, get, &got)
          .ok());
  EXPECT_EQ(got.customer().points_balance(), acknowledged.load());

  if (!server.on_postgres()) {
    EXPECT_EQ(unavailable.load(), 0);
    EXPECT_THAT(text, Not(HasSubstr("retail_writer_transaction_retries")));
    EXPECT_THAT(text, Not(HasSubstr("retail_writer_connections")));
    return;
  }
  const std::optional<db::WriterPoolStats> pool =
      server.server().database().writer().pool_stats();
  ASSERT_TRUE(pool.has_value());
  const double retries =
      Sample(text, "retail_writer_transaction_retries_total").value_or(0);
  std::cout << "[metrics] " << retries << " transaction retries, "
            << unavailable.load() << " adjustments refused after "
            << "exhausting them" << std::endl;
  EXPECT_GT(retries, 0);
  // The scrape shows the writer's own counts (nothing writes now).
  EXPECT_EQ(retries, static_cast<double>(pool->transaction_retries));
  EXPECT_EQ(Sample(text, "retail_writer_retries_exhausted_total"),
            static_cast<double>(pool->retries_exhausted));
  EXPECT_EQ(Sample(text, "retail_writer_retries_exhausted_total"),
            unavailable.load());
  EXPECT_EQ(Sample(text, "retail_writer_connections"), 4);
  EXPECT_EQ(Sample(text, "retail_writer_reconnects_total"), 0);
  // A worker counts as busy until just after it has answered: the pool is
  // idle shortly after the last answer.
  std::optional<double> in_use;
  for (int i = 0; i < 500; ++i) {
    in_use = Sample(ScrapeOf(server), "retail_writer_connections_in_use");
    if (in_use == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(in_use, 0);
  // Each acknowledged adjustment (and the create) appended an event, which
  // the writer numbered before answering; nothing is numbered twice.
  const double sequenced =
      Sample(text, "retail_events_sequenced_total").value_or(0);
  EXPECT_GE(sequenced, ok_calls.load() + 1);
  EXPECT_LE(sequenced,
            std::stod(server.QueryScalar(
                "SELECT COUNT(*) FROM events WHERE event_id IS NOT NULL")));
}

TEST(MetricsOffTest, NoListenerUnlessAsked) {
  TestServer server;  // metrics_listen is empty in test servers
  EXPECT_EQ(server.server().metrics_port(), 0);
}

TEST(MetricsListenTest, ATakenPortFailsStartUpNamingTheFlag) {
  TestServerOptions with_metrics;
  with_metrics.configure = [](ServerOptions& o) {
    o.metrics_listen = "127.0.0.1:0";
  };
  TestServer first(with_metrics);
  const int port = first.server().metrics_port();
  ASSERT_GT(port, 0);
  ServerOptions options;
  // BuildServer is what TestServer::Start asserts on; call it directly so
  // the failure is the test's to look at. On PostgreSQL a second server
  // shares the first's database, as replicas do.
  options.listen = "127.0.0.1:0";
  options.db_path =
      first.on_postgres() ? first.db_path() : first.db_path() + ".second";
  options.auth_config = first.auth_path();
  options.metrics_listen = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::unique_ptr<RetailServer>> second = BuildServer(options);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("--metrics_listen"));
}

}  // namespace
}  // namespace retail::testing
