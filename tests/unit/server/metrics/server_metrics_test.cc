// The metrics as a scrape shows them, fed by hand: calls by method and code,
// latency, refusals by reason, authentication failures, open streams, the
// writer's batches and checkpoints, reader waits, and the gauges sampled at
// scrape time (queue depth, WAL size, storage health, event-stream lag).
// No HTTP except for the listener's own tests (port 0, a taken port).
#include "server/metrics/server_metrics.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/events/event_stats.h"
#include "server/module_registry.h"
#include "tests/metrics_sample.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using Labels = ::retail::testing::MetricLabels;

constexpr char kGet[] = "retail.customers.v1.CustomerService/GetCustomer";
constexpr char kWatch[] = "retail.events.v1.EventService/WatchEvents";

using ::retail::testing::Sample;

CallRecord Record(absl::string_view method, absl::StatusCode code,
                  absl::Duration latency, const CallTrace& trace,
                  absl::string_view reason = "") {
  CallRecord r;
  r.method = method;
  r.principal = "b001";
  r.code = code;
  r.reason = reason;
  r.request_id = "req-0042";
  r.latency = latency;
  r.trace = &trace;
  return r;
}

class FakeEventStats final : public events::EventStreamStats {
 public:
  Sample SampleStreams() const override { return sample; }
  Sample sample;
};

TEST(ServerMetricsTest, CallsByMethodAndCodeWithLatency) {
  auto m = ServerMetrics::Create(nullptr, nullptr);
  CallTrace trace;
  m->OnCallDone(
      Record(kGet, absl::StatusCode::kOk, absl::Milliseconds(2), trace));
  m->OnCallDone(
      Record(kGet, absl::StatusCode::kOk, absl::Milliseconds(30), trace));
  m->OnCallDone(Record(kGet, absl::StatusCode::kNotFound,
                       absl::Microseconds(300), trace));
  const std::string text = m->Exposition();
  EXPECT_EQ(
      Sample(text, "retail_calls_total", {{"method", kGet}, {"code", "OK"}}),
      2);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kGet}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(
      Sample(text, "retail_call_duration_seconds_count", {{"method", kGet}}),
      3);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_bucket",
                   {{"method", kGet}, {"le", "0.0005"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_bucket",
                   {{"method", kGet}, {"le", "0.0025"}}),
            2);
  EXPECT_EQ(Sample(text, "retail_call_duration_seconds_bucket",
                   {{"method", kGet}, {"le", "10"}}),
            3);
  EXPECT_NEAR(
      *Sample(text, "retail_call_duration_seconds_sum", {{"method", kGet}}),
      0.0323, 1e-9);
  // No principal, no request_id: labels are method, code, reason, mode.
  EXPECT_THAT(text, Not(HasSubstr("b001")));
  EXPECT_THAT(text, Not(HasSubstr("req-0042")));
  EXPECT_THAT(text, HasSubstr("# TYPE retail_calls_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE retail_call_duration_seconds histogram"));
}

TEST(ServerMetricsTest, AuthenticationFailuresAndRefusalsByReason) {
  auto m = ServerMetrics::Create(nullptr, nullptr);
  CallTrace trace;
  // Present (at 0) before any refusal, so rate() works from the start.
  std::string text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_authentication_failures_total"), 0);
  EXPECT_EQ(
      Sample(text, "retail_call_refusals_total", {{"reason", "RATE_LIMITED"}}),
      0);

  m->OnCallDone(Record(kGet, absl::StatusCode::kUnauthenticated,
                       absl::Microseconds(50), trace));
  for (int i = 0; i < 3; ++i) {
    m->OnCallDone(Record(kGet, absl::StatusCode::kResourceExhausted,
                         absl::Microseconds(50), trace, "RATE_LIMITED"));
  }
  m->OnCallDone(Record(kGet, absl::StatusCode::kResourceExhausted,
                       absl::Microseconds(50), trace, "SERVER_OVERLOADED"));
  m->OnCallDone(Record(kGet, absl::StatusCode::kUnavailable,
                       absl::Microseconds(50), trace, "WRITER_QUEUE_FULL"));
  // A business failure's reason is no refusal, and never a label.
  m->OnCallDone(Record(kGet, absl::StatusCode::kFailedPrecondition,
                       absl::Microseconds(50), trace, "ETAG_MISMATCH"));
  text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_authentication_failures_total"), 1);
  EXPECT_EQ(
      Sample(text, "retail_call_refusals_total", {{"reason", "RATE_LIMITED"}}),
      3);
  EXPECT_EQ(Sample(text, "retail_call_refusals_total",
                   {{"reason", "SERVER_OVERLOADED"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_call_refusals_total",
                   {{"reason", "WRITER_QUEUE_FULL"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_call_refusals_total",
                   {{"reason", "TOO_MANY_WATCHERS"}}),
            0);
  EXPECT_THAT(text, Not(HasSubstr("ETAG_MISMATCH")));
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kGet}, {"code", "RESOURCE_EXHAUSTED"}}),
            4);
}

TEST(ServerMetricsTest, OpenStreamsPerMethod) {
  auto m = ServerMetrics::Create(nullptr, nullptr);
  CallTrace trace;
  m->OnStreamOpened(kWatch);
  m->OnStreamOpened(kWatch);
  EXPECT_EQ(
      Sample(m->Exposition(), "retail_open_streams", {{"method", kWatch}}), 2);
  CallRecord end =
      Record(kWatch, absl::StatusCode::kCancelled, absl::Seconds(3), trace);
  end.stream = true;
  m->OnCallDone(end);
  // A stream refused at admission was never opened: not a close.
  m->OnCallDone(Record(kWatch, absl::StatusCode::kResourceExhausted,
                       absl::Microseconds(10), trace, "RATE_LIMITED"));
  const std::string text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_open_streams", {{"method", kWatch}}), 1);
  EXPECT_EQ(Sample(text, "retail_calls_total",
                   {{"method", kWatch}, {"code", "CANCELLED"}}),
            1);
}

TEST(ServerMetricsTest, WriterBatchesCheckpointsAndReaderWaits) {
  auto m = ServerMetrics::Create(nullptr, nullptr);
  db::BatchReport ok;
  ok.ops = 3;
  ok.transaction = absl::Microseconds(400);
  ok.commit = absl::Milliseconds(2);
  ok.committed = true;
  m->OnBatch(ok);
  ok.ops = 100;
  m->OnBatch(ok);
  db::BatchReport failed = ok;
  failed.ops = 1;
  failed.committed = false;
  m->OnBatch(failed);
  m->OnCheckpoint(absl::Milliseconds(7), 1200, /*truncate=*/false, true);
  m->OnCheckpoint(absl::Milliseconds(40), 10, /*truncate=*/true, false);
  m->OnReaderWait(absl::ZeroDuration());
  m->OnReaderWait(absl::Milliseconds(3));

  const std::string text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_writer_batch_operations_count"), 3);
  EXPECT_EQ(Sample(text, "retail_writer_batch_operations_sum"), 104);
  EXPECT_EQ(
      Sample(text, "retail_writer_batch_operations_bucket", {{"le", "4"}}), 2);
  EXPECT_EQ(Sample(text, "retail_writer_transaction_duration_seconds_count"),
            3);
  // Only committed batches have a commit time.
  EXPECT_EQ(Sample(text, "retail_writer_commit_duration_seconds_count"), 2);
  EXPECT_NEAR(*Sample(text, "retail_writer_commit_duration_seconds_sum"), 0.004,
              1e-9);
  EXPECT_EQ(Sample(text, "retail_writer_failed_batches_total"), 1);
  EXPECT_THAT(text, HasSubstr("WAL fsync"));  // the HELP says what it times
  EXPECT_EQ(Sample(text, "retail_wal_checkpoint_duration_seconds_count",
                   {{"mode", "passive"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_wal_checkpoint_duration_seconds_count",
                   {{"mode", "truncate"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_wal_checkpoint_failures_total",
                   {{"mode", "truncate"}}),
            1);
  EXPECT_EQ(Sample(text, "retail_wal_checkpoint_failures_total",
                   {{"mode", "passive"}}),
            0);
  EXPECT_EQ(Sample(text, "retail_reader_wait_duration_seconds_count"), 2);
  EXPECT_EQ(Sample(text, "retail_reader_wait_duration_seconds_bucket",
                   {{"le", "5e-05"}}),
            1);
  // Without a database, nothing of it is sampled.
  EXPECT_EQ(Sample(text, "retail_wal_size_bytes"), 0);
}

TEST(ServerMetricsTest, SamplesTheDatabaseAtScrape) {
  ::retail::testing::ScopedTempDir dir;
  db::DatabaseOptions options;
  options.path = dir.File("metrics.db");
  options.reader_connections = 1;
  auto db = db::Database::Open(options);
  ASSERT_THAT(db, IsOk());
  auto m = ServerMetrics::Create(db->get(), nullptr);
  (*db)->SetObserver(m.get());
  ASSERT_THAT((*db)->writer().RunSync([](db::Connection& c) {
    c.Exec("CREATE TABLE t (x)");
    c.Exec("INSERT INTO t VALUES (1)");
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_THAT((*db)->Read([](db::Connection& c) -> absl::Status {
    c.Exec("SELECT 1");
    return absl::OkStatus();
  }),
              IsOk());
  std::string text = m->Exposition();
  EXPECT_GT(*Sample(text, "retail_wal_size_bytes"), 0);
  EXPECT_EQ(Sample(text, "retail_writer_queue_depth"), 0);
  EXPECT_EQ(Sample(text, "retail_storage_ok"), 1);
  EXPECT_GE(*Sample(text, "retail_writer_batch_operations_count"), 1);
  EXPECT_GE(*Sample(text, "retail_reader_wait_duration_seconds_count"), 1);

  // After Stop() the database may go: nothing samples it any more.
  m->Stop();
  (*db)->SetObserver(nullptr);
  db->reset();
  text = m->Exposition();
  EXPECT_TRUE(Sample(text, "retail_wal_size_bytes").has_value());
}

TEST(ServerMetricsTest, EventStreamLagFromTheEventsModule) {
  ModuleRegistry registry;
  FakeEventStats stats;
  registry.Offer<events::EventStreamStats>(&stats);
  auto m = ServerMetrics::Create(nullptr, &registry);
  stats.sample = {/*head=*/120, /*streams=*/2, /*max_lag=*/20};
  std::string text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_event_head_sequence"), 120);
  EXPECT_EQ(Sample(text, "retail_event_stream_max_lag_events"), 20);
  stats.sample = {/*head=*/130, /*streams=*/0, /*max_lag=*/0};
  text = m->Exposition();
  EXPECT_EQ(Sample(text, "retail_event_head_sequence"), 130);
  EXPECT_EQ(Sample(text, "retail_event_stream_max_lag_events"), 0);

  // Without the events module there is no such family.
  auto none = ServerMetrics::Create(nullptr, nullptr);
  EXPECT_FALSE(Sample(none->Exposition(), "retail_event_head_sequence"));
}

class ServerMetricsListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::DatabaseOptions options;
    options.path = dir_.File("listen.db");
    options.reader_connections = 1;
    auto db = db::Database::Open(options);
    ASSERT_THAT(db, IsOk());
    db_ = std::move(*db);
  }
  ::retail::testing::ScopedTempDir dir_;
  std::unique_ptr<db::Database> db_;
  ModuleRegistry registry_;
};

TEST_F(ServerMetricsListenTest, PortZeroPicksAPortAndTakenPortFails) {
  auto first = ServerMetrics::Start("127.0.0.1:0", *db_, registry_);
  ASSERT_THAT(first, IsOk());
  const int port = (*first)->port();
  EXPECT_GT(port, 0);

  auto second =
      ServerMetrics::Start(absl::StrCat("127.0.0.1:", port), *db_, registry_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("--metrics_listen"));
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("127.0.0.1:", port)));

  // Closed by Stop(): the port can be taken again.
  (*first)->Stop();
  auto again =
      ServerMetrics::Start(absl::StrCat("127.0.0.1:", port), *db_, registry_);
  EXPECT_THAT(again, IsOk());
}

TEST_F(ServerMetricsListenTest, MalformedAddressNamesTheFlag) {
  for (const char* bad : {"9464", "127.0.0.1", "127.0.0.1:x", ":9464",
                          "127.0.0.1:70000", "127.0.0.1:9464s"}) {
    auto m = ServerMetrics::Start(bad, *db_, registry_);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(m.status().message(), HasSubstr("--metrics_listen")) << bad;
  }
}

}  // namespace
}  // namespace retail
