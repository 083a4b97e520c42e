// Overload protection through the real server (issue 15, "Overload"):
// per-principal rate limits from auth.conf, enforced in the call gate for
// unary calls and streams, refused RESOURCE_EXHAUSTED with RetryInfo while a
// well-behaved principal on the same server is served; a reload changes a
// limit without a restart; refusals are audited, folded per minute. And the
// bounded writer queue: a full queue answers UNAVAILABLE with RetryInfo at
// once, applies nothing and stores no request_id result, so the same
// request succeeds when retried.
//
// Functional, not timed: the buckets run on an injected FakeClock that only
// the test moves, and the writer queue is filled while the writer thread is
// held inside an op the test releases.
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/server/v1/server_info.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

namespace cv1 = ::retail::customers::v1;
namespace ev1 = ::retail::events::v1;
namespace sv1 = ::retail::server::v1;

constexpr char kAbuser[] = "abuser-token";
constexpr char kGood[] = "good-token";
constexpr int64_t kSecond = 1'000'000;

std::vector<TestPrincipal> Principals(const std::string& abuser_options) {
  std::vector<TestPrincipal> p = DefaultPrincipals();
  p.push_back(
      {kAbuser, absl::StrCat("abuser branch branch=B001 ", abuser_options)});
  // Takes its role's default (the `limit` line below).
  p.push_back({kGood, "good branch branch=B002"});
  return p;
}

class OverloadTest : public ::testing::Test {
 protected:
  explicit OverloadTest(std::string abuser_options = "rate=5/s burst=5",
                        int max_write_queue = 10'000)
      : server_([&] {
          TestServerOptions o;
          o.principals = Principals(abuser_options);
          o.raw_auth_lines = {"limit role=branch rate=100/s burst=100"};
          o.configure = [this, max_write_queue](ServerOptions& options) {
            options.rate_limit_clock = &rate_clock_;
            options.max_write_queue = max_write_queue;
            // PostgreSQL's writer runs one op per connection: with one,
            // holding an op holds the writer, as SQLite's single writer.
            options.write_connections = 1;
          };
          return o;
        }()),
        channel_(server_.Channel()),
        info_(sv1::ServerInfoService::NewStub(channel_)),
        events_(ev1::EventService::NewStub(channel_)),
        customers_(cv1::CustomerService::NewStub(channel_)) {}

  grpc::Status Info(const std::string& token) {
    sv1::GetServerInfoResponse resp;
    return Call(*info_, &sv1::ServerInfoService::Stub::GetServerInfo, token,
                sv1::GetServerInfoRequest(), &resp);
  }

  // Opens WatchEvents and returns how the stream ended, or OK if it is
  // open (then cancelled).
  grpc::Status Watch(const std::string& token) {
    auto ctx = ContextFor(token);
    ev1::WatchEventsRequest req;
    auto reader = events_->WatchEvents(ctx.get(), req);
    // A refused stream ends at once; an admitted one waits for events, so
    // cancel it after its first (empty) wait.
    std::thread cancel([&ctx] {
      absl::SleepFor(absl::Milliseconds(300));
      ctx->TryCancel();
    });
    ev1::WatchEventsResponse resp;
    for (int i = 0; i < 1000 && reader->Read(&resp); ++i) {
    }
    grpc::Status s = reader->Finish();
    cancel.join();
    return s.error_code() == grpc::StatusCode::CANCELLED ? grpc::Status::OK : s;
  }

  // Rewrites auth.conf and makes the server see it on its next call.
  void RewriteAuth(const std::vector<TestPrincipal>& principals,
                   const std::vector<std::string>& raw) {
    {
      std::ofstream out(server_.auth_path(), std::ios::trunc);
      for (const TestPrincipal& p : principals) {
        out << "sha256:" << Sha256Hex(p.token) << " " << p.line << "\n";
      }
      for (const std::string& line : raw) out << line << "\n";
    }
    ASSERT_EQ(chmod(server_.auth_path().c_str(), 0600), 0);
    struct stat st;
    ASSERT_EQ(stat(server_.auth_path().c_str(), &st), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += 10;  // seen even with coarse timestamps
    ASSERT_EQ(utimensat(AT_FDCWD, server_.auth_path().c_str(), times, 0), 0);
    server_.clock().Advance(2 * kSecond);  // the next re-check of the file
  }

  // Waits (bounded) until `sql` answers `want`; returns the last answer.
  std::string AwaitScalar(const std::string& sql, const std::string& want) {
    std::string got;
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    for (int i = 0; i < 1000 && absl::Now() < give_up; ++i) {
      got = server_.QueryScalar(sql);
      if (got == want) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return got;
  }

  FakeClock rate_clock_{1'000 * kSecond};
  TestServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<sv1::ServerInfoService::Stub> info_;
  std::unique_ptr<ev1::EventService::Stub> events_;
  std::unique_ptr<cv1::CustomerService::Stub> customers_;
};

// An abusive principal calling at far more than its limit (5/s, burst 5:
// 100 calls from 4 threads with no pause, the clock frozen) gets exactly
// its burst and is refused the rest with RetryInfo; a well-behaved
// principal on the same server, calling meanwhile under its own limit, is
// served every time.
TEST_F(OverloadTest, AnAbuserIsRefusedWithRetryInfoWhileOthersAreServed) {
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::atomic<int> bad_details{0};
  std::vector<std::thread> abusers;
  for (int t = 0; t < 4; ++t) {
    abusers.emplace_back([&] {
      auto stub = sv1::ServerInfoService::NewStub(server_.Channel());
      for (int i = 0; i < 25; ++i) {
        sv1::GetServerInfoResponse resp;
        grpc::Status s =
            Call(*stub, &sv1::ServerInfoService::Stub::GetServerInfo, kAbuser,
                 sv1::GetServerInfoRequest(), &resp);
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++limited;
          const ErrorDetails d = DetailsOf(s);
          // The next token comes 1/5 s after the bucket ran dry.
          if (d.reason != "RATE_LIMITED" || d.retry_delay_us != 200'000 ||
              s.error_message().find("'abuser'") == std::string::npos ||
              s.error_message().find("5/s burst 5") == std::string::npos) {
            ++bad_details;
          }
        } else {
          ++other;
        }
      }
    });
  }
  int good_ok = 0;
  for (int i = 0; i < 30; ++i) {
    grpc::Status s = Info(kGood);
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
    if (s.ok()) ++good_ok;
  }
  for (std::thread& t : abusers) t.join();
  EXPECT_EQ(good_ok, 30);
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(limited.load(), 95);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(bad_details.load(), 0);

  // Streams take the same gate: refused too, and the admin (no limit) is
  // never refused.
  EXPECT_EQ(Watch(kAbuser).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Info(kAdmin).ok()) << i;

  // The bucket refills at its rate: one token 200 ms later, not two.
  rate_clock_.Advance(200'000);
  EXPECT_TRUE(Info(kAbuser).ok());
  grpc::Status again = Info(kAbuser);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(DetailsOf(again).retry_delay_us, 200'000);
  // Health is never limited (the grpc.health.v1 service is not behind the
  // gate at all).
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext hctx;
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  EXPECT_TRUE(health->Check(&hctx, hreq, &hresp).ok());
}

// A reload of auth.conf applies a new limit to the next call, no restart:
// the tokens already used stay used, and the new rate refills them.
TEST_F(OverloadTest, AReloadAppliesNewLimits) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Info(kAbuser).ok()) << i;
  ASSERT_EQ(Info(kAbuser).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  RewriteAuth(Principals("rate=1000/s burst=1000"),
              {"limit role=branch rate=100/s burst=100"});
  // The next call sees the new limit; the tokens already used stay used (a
  // reload hands out no fresh burst), so it is refused, and now the next
  // token comes 1 ms later, at the new rate, not 200 ms.
  grpc::Status refused = Info(kAbuser);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(DetailsOf(refused).retry_delay_us, 1000);
  EXPECT_NE(refused.error_message().find("1000/s burst 1000"),
            std::string::npos)
      << refused.error_message();
  rate_clock_.Advance(10'000);  // 10 ms: 10 tokens at 1000/s, none at 5/s
  for (int i = 0; i < 10; ++i) {
    grpc::Status s = Info(kAbuser);
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  EXPECT_EQ(Info(kAbuser).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // rate=none lifts the limit altogether.
  RewriteAuth(Principals("rate=none"),
              {"limit role=branch rate=100/s burst=100"});
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Info(kAbuser).ok()) << i;
}

// Refusals are audited like every refusal before the writer, and a flood
// folds into one row a minute with a count (server/failure_audit.*).
TEST_F(OverloadTest, RefusalsAreAuditedAndFolded) {
  for (int i = 0; i < 30; ++i) (void)Info(kAbuser);
  server_.Restart();  // shutdown writes the counts still in memory
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) || '/' || SUM(count) FROM audit_log WHERE "
                "principal_id = 'abuser' AND outcome = 'RESOURCE_EXHAUSTED' "
                "AND method = 'retail.server.v1.ServerInfoService/"
                "GetServerInfo'"),
            "2/25");
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM audit_log WHERE principal_id = 'good'"),
            "0");
}

class WriterQueueFullTest : public OverloadTest {
 protected:
  static constexpr int kMaxQueue = 3;
  WriterQueueFullTest() : OverloadTest("rate=5/s burst=5", kMaxQueue) {}

  // Holds the writer thread inside an op until the returned promise is set.
  std::promise<void> HoldWriter() {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    auto started = std::make_shared<std::promise<void>>();
    std::future<void> is_started = started->get_future();
    db::WriteOp op;
    op.apply = [started, released](db::Connection&) {
      started->set_value();
      // Bounded: a test that failed before releasing must not hang.
      released.wait_for(std::chrono::seconds(30));
      return absl::OkStatus();
    };
    op.done = [](absl::Status) {};
    server_.server().database().writer().Submit(std::move(op));
    EXPECT_EQ(is_started.wait_for(std::chrono::seconds(10)),
              std::future_status::ready);
    return release;
  }

  // A write that counts as a call's (a finite wait) and does nothing.
  std::future<absl::Status> SubmitFiller() {
    auto done = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> future = done->get_future();
    db::WriteOp op;
    op.apply = [](db::Connection&) { return absl::OkStatus(); };
    op.done = [done](absl::Status s) { done->set_value(std::move(s)); };
    op.wait = WaitLimit{absl::Now() + absl::Seconds(60), true, nullptr};
    server_.server().database().writer().Submit(std::move(op));
    return future;
  }

  grpc::Status Create(const std::string& request_id,
                      cv1::CreateCustomerResponse* resp) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(request_id);
    req.mutable_customer()->set_display_name("排队");
    req.mutable_customer()->set_phone("13900001501");
    req.mutable_customer()->set_branch_id("B001");
    return Call(*customers_, &cv1::CustomerService::Stub::CreateCustomer,
                kAdmin, req, resp);
  }
};

// A full writer queue answers a write UNAVAILABLE with RetryInfo at once
// (while the writer is still held: the call did not wait for it), applies
// nothing and stores nothing under the request_id, so retrying the same
// request succeeds once there is room.
TEST_F(WriterQueueFullTest, AFullQueueAnswersUnavailableAtOnce) {
  std::promise<void> release = HoldWriter();
  std::vector<std::future<absl::Status>> fillers;
  for (int i = 0; i < kMaxQueue; ++i) fillers.push_back(SubmitFiller());
  ASSERT_EQ(server_.server().database().writer().queue_depth(),
            static_cast<size_t>(kMaxQueue));

  cv1::CreateCustomerResponse created;
  grpc::Status refused = Create("rq-overload-1", &created);
  // Answered while the writer is still held.
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  const ErrorDetails d = DetailsOf(refused);
  EXPECT_EQ(d.reason, "WRITER_QUEUE_FULL");
  EXPECT_EQ(d.retry_delay_us, 100'000);
  EXPECT_EQ(d.metadata.at("max_write_queue"), absl::StrCat(kMaxQueue));
  ExpectNoStorageText(refused);
  // Reads do not use the writer queue and are still served.
  EXPECT_TRUE(Info(kAdmin).ok());
  EXPECT_EQ(server_.server().database().writer().stats().queue_full, 1);

  release.set_value();
  for (auto& f : fillers) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(f.get().ok());
  }
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM idempotency_keys WHERE "
                                "request_id = 'rq-overload-1'"),
            "0");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "0");

  // The same request_id, retried: applied once, now.
  grpc::Status retried = Create("rq-overload-1", &created);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_FALSE(created.customer().customer_id().empty());
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "1");

  // The refusal is audited (its row is the server's own work, which a full
  // queue still takes).
  EXPECT_EQ(AwaitScalar("SELECT COUNT(*) FROM audit_log WHERE principal_id = "
                        "'admin' AND outcome = 'UNAVAILABLE'",
                        "1"),
            "1");
}

}  // namespace
}  // namespace retail::testing
