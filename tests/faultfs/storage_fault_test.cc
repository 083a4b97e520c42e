// When the disk fails underneath a running server (issue 9): the real server
// (BuildServer, in-process) on the fault VFS, with writes failing, the disk
// full, or an fsync failing. It must:
//   * answer UNAVAILABLE or RESOURCE_EXHAUSTED, never OK, with no SQL or
//     engine text in the message;
//   * report NOT_SERVING while the database cannot be written;
//   * take writes again by itself once the fault clears, after reopening the
//     database if an I/O error (an fsync's above all) made its cache suspect;
//   * keep everything it acknowledged.
// The writer-level test at the end makes one COMMIT fail under a full batch.
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/db/connection.h"
#include "common/db/database.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/health_service.h"
#include "tests/faultfs/fault_vfs.h"
#include "tests/integration/test_server.h"
#include "tests/metrics_sample.h"

namespace retail::faultfs {
namespace {

using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::CustomerService;
using ::retail::customers::v1::GetCustomerRequest;
using ::retail::customers::v1::GetCustomerResponse;
using ::retail::testing::ExpectNoStorageText;
using ::retail::testing::kAdmin;
using ::retail::testing::TestServer;
using ::retail::testing::TestServerOptions;
using ServingStatus = HealthService::ServingStatus;

class StorageFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal_dir_ =
        std::filesystem::path(::testing::TempDir()) /
        absl::StrCat("faultfs_server_", getpid(), "_", std::random_device{}());
    std::filesystem::create_directories(journal_dir_);
    control_ = MapControl((journal_dir_ / "control").string(), true);
    ASSERT_NE(control_, nullptr);
    TestServerOptions options;
    options.configure = [](ServerOptions& o) {
      o.storage_probe_interval = absl::Milliseconds(50);
      // The fault must show in the metrics too (issue 15).
      o.metrics_listen = "127.0.0.1:0";
    };
    server_ = std::make_unique<TestServer>(options);
    // The shim must be the default VFS before the database is opened; the
    // server is started again on it.
    server_->Stop();
    ASSERT_TRUE(Install(Options{
        std::filesystem::path(server_->db_path()).parent_path().string(),
        (journal_dir_ / "journal").string(), control_}));
    server_->Start();
    stub_ = CustomerService::NewStub(server_->Channel());
  }

  void TearDown() override {
    control_->ClearFaults();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(journal_dir_, ec);
  }

  CreateCustomerRequest NewCustomer() {
    ++counter_;
    CreateCustomerRequest req;
    req.set_request_id(absl::StrFormat("fault-request-%04d", counter_));
    req.mutable_customer()->set_display_name(absl::StrCat("故障 ", counter_));
    req.mutable_customer()->set_phone(absl::StrFormat("137%08d", counter_));
    req.mutable_customer()->set_branch_id("B001");
    return req;
  }

  grpc::Status Create(const CreateCustomerRequest& req,
                      CreateCustomerResponse* resp = nullptr) {
    CreateCustomerResponse ignored;
    return ::retail::testing::Call(*stub_,
                                   &CustomerService::Stub::CreateCustomer,
                                   kAdmin, req, resp ? resp : &ignored);
  }

  ServingStatus Health() { return server_->server().health().StatusOf(""); }

  // The value of an unlabelled metric in a scrape, or -1 if it is missing.
  double Metric(const std::string& name) {
    return ::retail::testing::Sample(server_->server().MetricsExposition(),
                                     name)
        .value_or(-1);
  }

  // Waits (generously) for health to become `want`; the probe interval is
  // 50 ms, so this takes a few of them.
  bool WaitForHealth(ServingStatus want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (Health() != want) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // Every fault below: a write refused with `code`, health down, writes
  // refused while the fault lasts, then recovery without a restart and
  // nothing acknowledged lost.
  void RefusedThenRecovered(const std::function<void()>& inject,
                            const std::function<void()>& clear,
                            grpc::StatusCode code) {
    std::vector<CreateCustomerResponse> acked(5);
    for (auto& r : acked) {
      grpc::Status st = Create(NewCustomer(), &r);
      ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
    }
    ASSERT_EQ(Health(), HealthService::ServingStatus(
                            grpc::health::v1::HealthCheckResponse::SERVING));
    EXPECT_EQ(Metric("retail_storage_ok"), 1);
    const double failed_before = Metric("retail_writer_failed_batches_total");
    EXPECT_GE(failed_before, 0);

    inject();
    const CreateCustomerRequest refused = NewCustomer();
    grpc::Status s = Create(refused);
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    ExpectNoStorageText(s);
    EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    // Operators see it in the metrics as health does.
    EXPECT_EQ(Metric("retail_storage_ok"), 0);
    EXPECT_GT(Metric("retail_writer_failed_batches_total"), failed_before);
    // While the fault lasts every write is refused, none acknowledged.
    for (int i = 0; i < 5; ++i) {
      s = Create(NewCustomer());
      EXPECT_EQ(s.error_code(), code) << s.error_message();
      ExpectNoStorageText(s);
    }
    // Reads still work: what is committed is committed.
    GetCustomerRequest get;
    get.set_customer_id(acked[0].customer().customer_id());
    GetCustomerResponse got;
    EXPECT_TRUE(::retail::testing::Call(*stub_,
                                        &CustomerService::Stub::GetCustomer,
                                        kAdmin, get, &got)
                    .ok());

    clear();
    ASSERT_TRUE(WaitForHealth(grpc::health::v1::HealthCheckResponse::SERVING));
    EXPECT_EQ(Metric("retail_storage_ok"), 1);
    // The refused request, retried with its request_id, now runs once.
    CreateCustomerResponse retried;
    ASSERT_TRUE(Create(refused, &retried).ok());
    EXPECT_EQ(retried.customer().display_name(),
              refused.customer().display_name());
    for (const auto& r : acked) {
      get.set_customer_id(r.customer().customer_id());
      EXPECT_TRUE(::retail::testing::Call(*stub_,
                                          &CustomerService::Stub::GetCustomer,
                                          kAdmin, get, &got)
                      .ok())
          << r.customer().customer_id();
    }
    EXPECT_EQ(server_->QueryScalar(
                  "SELECT COUNT(*) FROM customers WHERE display_name = '" +
                  refused.customer().display_name() + "'"),
              "1");
    EXPECT_EQ(server_->QueryScalar("SELECT COUNT(*) FROM customers"), "6");
  }

  std::filesystem::path journal_dir_;
  Control* control_ = nullptr;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<CustomerService::Stub> stub_;
  int counter_ = 0;
};

TEST_F(StorageFaultTest, WriteErrorRefusesWritesUntilItClears) {
  RefusedThenRecovered([this] { control_->write_fault = kWriteEio; },
                       [this] { control_->write_fault = kWriteOk; },
                       grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(server_->server().database().writer().stats().reopens, 1);
}

TEST_F(StorageFaultTest, FullDiskAnswersResourceExhaustedUntilSpaceIsFreed) {
  RefusedThenRecovered([this] { control_->write_fault = kWriteNoSpace; },
                       [this] { control_->write_fault = kWriteOk; },
                       grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A full disk is not a reason to distrust the cache.
  EXPECT_EQ(server_->server().database().writer().stats().reopens, 0);
}

TEST_F(StorageFaultTest, FsyncErrorReopensTheDatabaseBeforeServingAgain) {
  RefusedThenRecovered([this] { control_->sync_fault = 1; },
                       [this] { control_->sync_fault = 0; },
                       grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(server_->server().database().writer().stats().reopens, 1);
}

// A read that fails in the storage layer: UNAVAILABLE, and none of the
// engine's text (which names the SQL and the file) reaches the caller.
TEST_F(StorageFaultTest, ReadErrorIsUnavailableWithoutStorageText) {
  CreateCustomerResponse created;
  ASSERT_TRUE(Create(NewCustomer(), &created).ok());
  // Pages a reader has cached are served without I/O; a restart empties
  // every cache.
  server_->Restart();
  stub_ = CustomerService::NewStub(server_->Channel());
  control_->read_fault = 1;
  GetCustomerRequest get;
  get.set_customer_id(created.customer().customer_id());
  GetCustomerResponse got;
  grpc::Status s = ::retail::testing::Call(
      *stub_, &CustomerService::Stub::GetCustomer, kAdmin, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  ExpectNoStorageText(s);
  EXPECT_GT(control_->faults_injected.load(), 0);
  control_->read_fault = 0;
  s = ::retail::testing::Call(*stub_, &CustomerService::Stub::GetCustomer,
                              kAdmin, get, &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// One failed fsync, as Linux reports a lost writeback: the batch it belonged
// to is refused, the writer reopens the database, and writes go on.
TEST_F(StorageFaultTest, OneFailedFsyncFailsItsBatchOnly) {
  ASSERT_TRUE(Create(NewCustomer()).ok());
  control_->sync_failures_left = 1;
  grpc::Status s = Create(NewCustomer());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  ASSERT_TRUE(WaitForHealth(grpc::health::v1::HealthCheckResponse::SERVING));
  EXPECT_TRUE(Create(NewCustomer()).ok());
  EXPECT_EQ(server_->server().database().writer().stats().reopens, 1);
  EXPECT_EQ(server_->QueryScalar("SELECT COUNT(*) FROM customers"), "2");
}

// A COMMIT that fails: every operation of the batch gets the error and none
// is acknowledged or applied. The writer is held so that the operations are
// certainly in one batch.
TEST_F(StorageFaultTest, FailedCommitFailsEveryOperationOfTheBatch) {
  db::Writer& writer = server_->server().database().writer();
  absl::Notification holding, release;
  std::promise<absl::Status> held;
  db::WriteOp hold;
  hold.apply = [&](db::Connection&) {
    holding.Notify();
    release.WaitForNotification();
    return absl::OkStatus();
  };
  hold.done = [&](absl::Status st) { held.set_value(st); };
  writer.Submit(std::move(hold));
  holding.WaitForNotification();

  constexpr int kOps = 20;
  std::vector<std::promise<absl::Status>> done(kOps);
  for (int i = 0; i < kOps; ++i) {
    db::WriteOp op;
    op.apply = [i](db::Connection& conn) {
      db::Stmt s = conn.Prepare(
          "INSERT INTO server_meta (key, value) VALUES (?, x'00')");
      s->Bind(1, absl::StrCat("batch-op-", i));
      s->Exec();
      return absl::OkStatus();
    };
    op.done = [&done, i](absl::Status st) { done[i].set_value(st); };
    writer.Submit(std::move(op));
  }
  const int64_t batches_before = writer.stats().batches;
  // The held batch changed nothing, so its COMMIT syncs nothing: the one
  // failure hits the COMMIT of the batch holding all 20.
  control_->sync_failures_left = 1;
  release.Notify();
  ASSERT_TRUE(held.get_future().get().ok());
  for (int i = 0; i < kOps; ++i) {
    const absl::Status st = done[i].get_future().get();
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << i << ": " << st;
  }
  EXPECT_EQ(writer.stats().batches, batches_before + 2);
  ASSERT_TRUE(WaitForHealth(grpc::health::v1::HealthCheckResponse::SERVING));
  EXPECT_EQ(server_->QueryScalar(
                "SELECT COUNT(*) FROM server_meta WHERE key LIKE 'batch-op-%'"),
            "0");
}

}  // namespace
}  // namespace retail::faultfs
