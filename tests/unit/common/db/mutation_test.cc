#include "common/db/mutation.h"

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/db/database.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.pb.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::customers::v1::AdjustPointsRequest;
using ::retail::customers::v1::AdjustPointsResponse;
using ::retail::customers::v1::Customer;
using ::retail::testing::FutureReply;
using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kRequestId[] = "req-00000001";
constexpr char kMethod[] = "retail.customers.v1.CustomerService/AdjustPoints";
constexpr int64_t kStart = 1'717'200'000'000'000;  // 2024-06-01

struct AuditRow {
  std::string principal_id, role, method, resource, request_id, outcome, detail;
  int64_t time = 0;
};

class MutationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.path = dir_.File("mutation.db");
    options.reader_connections = 1;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_THAT(db, IsOk());
    db_ = std::move(*db);
  }

  static std::shared_ptr<const Principal> MakePrincipal(std::string id,
                                                        Role role) {
    auto p = std::make_shared<Principal>();
    p->id = std::move(id);
    p->role = role;
    return p;
  }

  static AdjustPointsRequest Request(int64_t delta = 10) {
    AdjustPointsRequest req;
    req.set_customer_id("cus_1");
    req.set_delta(delta);
    req.set_reason("birthday gift");
    req.set_request_id(kRequestId);
    return req;
  }

  // Every call in these tests uses kRequestId; what varies is who calls,
  // which method and with what request.
  CallMeta Meta(std::shared_ptr<const Principal> principal = nullptr) {
    CallMeta meta;
    meta.principal = principal ? principal : admin_;
    meta.method = kMethod;
    meta.request_id = kRequestId;
    meta.resource = "customers/cus_1";
    return meta;
  }

  // An apply that counts its runs and answers with something that differs
  // on every run, so a replay is distinguishable from a re-run.
  std::function<absl::Status(MutationContext&, AdjustPointsResponse*)>
  CountingApply() {
    return [this](MutationContext& ctx, AdjustPointsResponse* out) {
      const int run = ++applied_;
      out->mutable_customer()->set_customer_id("cus_1");
      out->mutable_customer()->set_display_name("张三");
      out->mutable_customer()->set_points_balance(run * 100);
      out->mutable_transaction()->set_transaction_id(absl::StrCat("pts_", run));
      return AppendEvent(ctx.conn,
                         {.resource_type = "customer",
                          .resource_id = "cus_1",
                          .resource = "customers/cus_1",
                          .event_type = "POINTS_ADJUSTED",
                          .revision = run,
                          .state = &out->customer()},
                         ctx.meta, ctx.now_micros);
    };
  }

  std::future<absl::StatusOr<AdjustPointsResponse>> SubmitAsync(
      CallMeta meta, const AdjustPointsRequest& req,
      std::function<absl::Status(MutationContext&, AdjustPointsResponse*)>
          apply) {
    auto [reply, future] = FutureReply<AdjustPointsResponse>();
    SubmitMutation<AdjustPointsResponse>(db_->writer(), clock_, std::move(meta),
                                         req, std::move(apply),
                                         std::move(reply));
    return std::move(future);
  }

  absl::StatusOr<AdjustPointsResponse> Submit(
      CallMeta meta, const AdjustPointsRequest& req,
      std::function<absl::Status(MutationContext&, AdjustPointsResponse*)>
          apply) {
    return SubmitAsync(std::move(meta), req, std::move(apply)).get();
  }
  absl::StatusOr<AdjustPointsResponse> Submit(
      const AdjustPointsRequest& req,
      std::function<absl::Status(MutationContext&, AdjustPointsResponse*)>
          apply) {
    return Submit(Meta(), req, std::move(apply));
  }

  std::vector<AuditRow> Audit() {
    return db_->Read([](Connection& c) {
      std::vector<AuditRow> rows;
      Stmt q = c.Prepare(
          "SELECT principal_id, role, method, resource, request_id, outcome, "
          "detail,"
          " create_time_us FROM audit_log ORDER BY audit_id");
      while (q->Step()) {
        rows.push_back({q->String(0), q->String(1), q->String(2), q->String(3),
                        q->String(4), q->String(5), q->String(6), q->Int64(7)});
      }
      return rows;
    });
  }
  std::vector<std::string> Outcomes() {
    std::vector<std::string> out;
    for (const AuditRow& row : Audit()) out.push_back(row.outcome);
    return out;
  }
  int EventCount() {
    return db_->Read([](Connection& c) {
      return db::AsSqlite(c)
          .raw()
          .execAndGet("SELECT COUNT(*) FROM events")
          .getInt();
    });
  }

  testing::ScopedTempDir dir_;
  FakeClock clock_{kStart};
  std::shared_ptr<const Principal> admin_ =
      MakePrincipal("alice", Role::kAdmin);
  std::atomic<int> applied_{0};
  std::unique_ptr<Database> db_;  // last: its writer uses the members above
};

TEST_F(MutationTest, AppliesOnceAndAuditsSuccess) {
  absl::StatusOr<AdjustPointsResponse> r = Submit(Request(), CountingApply());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->customer().points_balance(), 100);
  EXPECT_EQ(applied_.load(), 1);
  EXPECT_EQ(EventCount(), 1);

  std::vector<AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].principal_id, "alice");
  EXPECT_EQ(audit[0].role, "admin");
  EXPECT_EQ(audit[0].method, kMethod);
  EXPECT_EQ(audit[0].resource, "customers/cus_1");
  EXPECT_EQ(audit[0].request_id, kRequestId);
  EXPECT_EQ(audit[0].outcome, "OK");
  EXPECT_EQ(audit[0].time, kStart);  // the injected clock, not the wall clock
}

TEST_F(MutationTest, RetryReturnsTheFirstResponseByteForByte) {
  absl::StatusOr<AdjustPointsResponse> first =
      Submit(Request(), CountingApply());
  clock_.Advance(kMicrosPerSecond);
  absl::StatusOr<AdjustPointsResponse> retry =
      Submit(Request(), CountingApply());
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(applied_.load(), 1);
  EXPECT_EQ(EventCount(), 1);
  EXPECT_THAT(Outcomes(), ElementsAre("OK", "REPLAYED"));
}

TEST_F(MutationTest, DuplicatesInOneBatchApplyOnce) {
  // A client that retries before the first attempt was answered: every
  // attempt lands in the same write transaction, where the later ones must
  // see the first one's not yet committed request_id. To be sure they share
  // a batch, the writer is held on an op of its own while they queue.
  absl::Notification writer_busy;
  absl::Notification release;
  std::promise<absl::Status> blocker_done;
  WriteOp blocker;
  blocker.apply = [&](Connection&) {
    writer_busy.Notify();
    release.WaitForNotification();
    return absl::OkStatus();
  };
  blocker.done = [&](absl::Status s) { blocker_done.set_value(s); };
  db_->writer().Submit(std::move(blocker));
  writer_busy.WaitForNotification();
  const WriterStats before = db_->writer().stats();

  constexpr int kAttempts = 5;
  std::vector<std::future<absl::StatusOr<AdjustPointsResponse>>> calls;
  for (int i = 0; i < kAttempts; ++i) {
    calls.push_back(SubmitAsync(Meta(), Request(), CountingApply()));
  }
  release.Notify();
  ASSERT_THAT(blocker_done.get_future().get(), IsOk());
  std::vector<std::string> responses;
  for (auto& call : calls) {
    absl::StatusOr<AdjustPointsResponse> r = call.get();
    ASSERT_THAT(r, IsOk());
    responses.push_back(r->SerializeAsString());
  }
  // The blocker's batch, then one batch of all the attempts.
  const WriterStats after = db_->writer().stats();
  EXPECT_EQ(after.batches - before.batches, 2);
  EXPECT_EQ(after.ops - before.ops, 1 + kAttempts);

  EXPECT_EQ(applied_.load(), 1);
  EXPECT_EQ(EventCount(), 1);
  for (const std::string& r : responses) EXPECT_EQ(r, responses[0]);
  EXPECT_THAT(Outcomes(), ElementsAre("OK", "REPLAYED", "REPLAYED", "REPLAYED",
                                      "REPLAYED"));
}

TEST_F(MutationTest, SameRequestIdForDifferentRequestIsRejected) {
  ASSERT_THAT(Submit(Request(10), CountingApply()), IsOk());
  absl::StatusOr<AdjustPointsResponse> reused =
      Submit(Request(20), CountingApply());
  EXPECT_THAT(reused, IsInvalidField("request_id"));
  EXPECT_EQ(applied_.load(), 1);
  EXPECT_THAT(Outcomes(), ElementsAre("OK", "INVALID_ARGUMENT"));
}

TEST_F(MutationTest, RequestIdsAreScopedToPrincipalAndMethod) {
  auto bob = MakePrincipal("bob", Role::kAgent);
  ASSERT_THAT(Submit(Request(), CountingApply()), IsOk());
  ASSERT_THAT(Submit(Meta(bob), Request(), CountingApply()), IsOk());
  CallMeta other_method = Meta();
  other_method.method = "retail.customers.v1.CustomerService/EraseCustomer";
  ASSERT_THAT(Submit(other_method, Request(), CountingApply()), IsOk());
  EXPECT_EQ(applied_.load(), 3);
}

TEST_F(MutationTest, BusinessFailureIsRolledBackAuditedAndReplayed) {
  auto failing = [this](MutationContext& ctx,
                        AdjustPointsResponse*) -> absl::Status {
    ++applied_;
    RETURN_IF_ERROR(AppendEvent(ctx.conn,
                                {.resource_type = "customer",
                                 .resource_id = "cus_1",
                                 .resource = "customers/cus_1",
                                 .event_type = "POINTS_ADJUSTED",
                                 .revision = 1},
                                ctx.meta, ctx.now_micros));
    return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                           "INSUFFICIENT_POINTS", "the balance is 0 points");
  };
  absl::StatusOr<AdjustPointsResponse> r = Submit(Request(-10), failing);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ErrorReason(r.status()), "INSUFFICIENT_POINTS");
  EXPECT_EQ(EventCount(), 0);  // the change was rolled back

  std::vector<AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].outcome, "FAILED_PRECONDITION");
  EXPECT_EQ(audit[0].detail, "the balance is 0 points");
  EXPECT_EQ(audit[0].request_id, kRequestId);

  // Issue 8 #17 (Stripe's rule): the request began executing, so its
  // business failure is its result. A retry gets it again, details and
  // all, without running again (even if it could now succeed)...
  absl::StatusOr<AdjustPointsResponse> retry =
      Submit(Request(-10), CountingApply());
  EXPECT_THAT(retry, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ErrorReason(retry.status()), "INSUFFICIENT_POINTS");
  EXPECT_EQ(retry.status().message(), "the balance is 0 points");
  EXPECT_EQ(applied_.load(), 1);
  EXPECT_THAT(Outcomes(), ElementsAre("FAILED_PRECONDITION", "REPLAYED"));
  // ...and the same id with another body is refused; a new request needs a
  // new request_id.
  EXPECT_THAT(Submit(Request(-20), CountingApply()),
              IsInvalidField("request_id"));
}

TEST_F(MutationTest, TransientFailureIsNotStoredAndMayBeRetried) {
  auto flaky = [this](MutationContext&, AdjustPointsResponse*) {
    ++applied_;
    return absl::UnavailableError("disk busy");
  };
  EXPECT_THAT(Submit(Request(), flaky),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(Submit(Request(), CountingApply()), IsOk());
  EXPECT_EQ(applied_.load(), 2);
  EXPECT_THAT(Outcomes(), ElementsAre("UNAVAILABLE", "OK"));
}

// Issue 8 #9: a detail cut at 200 bytes never splits a UTF-8 character.
TEST_F(MutationTest, AuditDetailIsCutOnACharacterBoundary) {
  std::string etag;
  for (int i = 0; i < 150; ++i) etag += "é";  // 300 bytes
  auto failing = [&](MutationContext&, AdjustPointsResponse*) {
    return absl::FailedPreconditionError(etag);
  };
  EXPECT_THAT(Submit(Request(), failing),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(Audit().size(), 1u);
  const std::string detail = Audit()[0].detail;
  EXPECT_EQ(detail.size(), 200u);
  EXPECT_EQ(detail, etag.substr(0, 200));  // 100 whole characters
}

TEST_F(MutationTest, AuditNamesTheResourceChosenByApply) {
  CallMeta meta = Meta();
  meta.resource = "customers";
  auto apply = [](MutationContext& ctx, AdjustPointsResponse*) {
    ctx.meta.resource = "customers/cus_new";  // e.g. a newly assigned id
    return absl::OkStatus();
  };
  ASSERT_THAT(Submit(meta, Request(), apply), IsOk());
  ASSERT_EQ(Audit().size(), 1u);
  EXPECT_EQ(Audit()[0].resource, "customers/cus_new");
}

TEST_F(MutationTest, RewriteStoredResponsesChangesWhatRetriesReturn) {
  ASSERT_THAT(Submit(Request(), CountingApply()), IsOk());
  // Called on the stored responses and on the states stored with the
  // resource's events.
  int states = 0;
  auto scrub = [&states](google::protobuf::Message* m) {
    if (auto* response = dynamic_cast<AdjustPointsResponse*>(m)) {
      response->mutable_customer()->set_display_name("(erased)");
    } else if (auto* state = dynamic_cast<Customer*>(m)) {
      state->set_display_name("(erased)");
      ++states;
    } else {
      ADD_FAILURE() << "unexpected " << m->GetTypeName();
    }
  };
  absl::Status rewritten = db_->writer().RunSync([&](Connection& c) {
    return RewriteStoredResponses(c, "customers/cus_1", scrub);
  });
  ASSERT_THAT(rewritten, IsOk());
  absl::StatusOr<AdjustPointsResponse> retry =
      Submit(Request(), CountingApply());
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->customer().display_name(), "(erased)");
  EXPECT_EQ(retry->customer().points_balance(), 100);
  EXPECT_EQ(applied_.load(), 1);
  // The event's stored state (what WatchEvents serves) was scrubbed too.
  EXPECT_EQ(states, 1);
  const std::string stored = db_->Read([](Connection& c) {
    return db::AsSqlite(c)
        .raw()
        .execAndGet("SELECT state FROM events")
        .getString();
  });
  google::protobuf::Any any;
  ASSERT_TRUE(any.ParseFromString(stored));
  Customer state;
  ASSERT_TRUE(any.UnpackTo(&state));
  EXPECT_EQ(state.display_name(), "(erased)");
  EXPECT_EQ(state.points_balance(), 100);
}

TEST_F(MutationTest, SubmitAuditWritesOneDurableRow) {
  std::promise<absl::Status> done;
  std::future<absl::Status> result = done.get_future();
  SubmitAudit(db_->writer(), clock_,
              AuditFor(Meta().With("", "customers/cus_1"), "REVEAL"),
              [&done](absl::Status s) { done.set_value(s); });
  ASSERT_THAT(result.get(), IsOk());
  std::vector<AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].outcome, "REVEAL");
  EXPECT_EQ(audit[0].resource, "customers/cus_1");
  EXPECT_EQ(audit[0].request_id, "");
}

TEST(RequestFingerprintTest, IgnoresRequestIdOnly) {
  AdjustPointsRequest a;
  a.set_customer_id("cus_1");
  a.set_delta(5);
  a.set_request_id("req-00000001");
  AdjustPointsRequest b = a;
  b.set_request_id("req-00000002");
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  b.set_delta(6);
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
  // Same bytes, different message type: different requests.
  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id("cus_1");
  AdjustPointsRequest adjust;
  adjust.set_customer_id("cus_1");
  EXPECT_NE(RequestFingerprint(erase), RequestFingerprint(adjust));
}

// After the retention window a request_id is forgotten, so the same id
// runs again instead of replaying; within it, the replay still holds.
TEST_F(MutationTest, PruneForgetsOnlyResponsesOlderThanTheCutoff) {
  ASSERT_THAT(Submit(Request(), CountingApply()), IsOk());
  const int64_t first_time = clock_.NowMicros();
  clock_.Advance(kMicrosPerSecond);
  AdjustPointsRequest other = Request();
  other.set_request_id("req-00000002");
  CallMeta other_meta = Meta();
  other_meta.request_id = other.request_id();
  ASSERT_THAT(Submit(other_meta, other, CountingApply()), IsOk());
  ASSERT_EQ(applied_, 2);

  int pruned = -1;
  ASSERT_THAT(db_->writer().RunSync([&](Connection& c) -> absl::Status {
    ASSIGN_OR_RETURN(pruned, PruneStoredResponses(c, first_time + 1, 100));
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(pruned, 1);
  ASSERT_THAT(Submit(Request(), CountingApply()), IsOk());
  EXPECT_EQ(applied_, 3);  // kRequestId ran again
  ASSERT_THAT(Submit(other_meta, other, CountingApply()), IsOk());
  EXPECT_EQ(applied_, 3);  // req-00000002 was still replayed
}

}  // namespace
}  // namespace retail::db
