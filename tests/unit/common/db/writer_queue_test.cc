// The writer's bounded queue (issue 15, "Overload"): a full queue refuses a
// call's write at once, UNAVAILABLE with RetryInfo, without running it; the
// server's own work still queues. Made full deterministically by holding
// the writer thread inside an op.
#include <atomic>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/sqlite_writer.h"
#include "common/db/write_queue.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::HasSubstr;

class WriterQueueTest : public ::testing::Test {
 protected:
  void Start(int max_queue) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> conn =
        SqliteConnection::Open(dir_.File("queue.db"),
                               SqliteConnection::Mode::kReadWrite);
    ASSERT_THAT(conn, IsOk());
    writer_ = std::make_unique<SqliteWriter>(
        std::move(*conn), /*max_batch=*/1024, StorageRecovery{}, max_queue);
    ASSERT_THAT(writer_->RunSync([](Connection& c) {
      c.Exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
      return absl::OkStatus();
    }),
                IsOk());
  }

  // A call's write (a finite wait) inserting `k`; `answered` is set by done.
  struct Pending {
    std::shared_ptr<std::promise<absl::Status>> promise =
        std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> future = promise->get_future();
  };
  Pending SubmitCall(int64_t k, std::atomic<int>* applied = nullptr,
                     WaitLimit wait = WaitLimit{absl::Now() + absl::Seconds(60),
                                                true, nullptr}) {
    Pending p;
    WriteOp op;
    op.apply = [k, applied](Connection& c) {
      if (applied != nullptr) ++*applied;
      Stmt s = c.Prepare("INSERT INTO t (k) VALUES (?)");
      s->Bind(1, k);
      s->Exec();
      return absl::OkStatus();
    };
    op.on_failure = [applied](Connection&, const absl::Status&) {
      if (applied != nullptr) *applied += 1000;
    };
    op.done = [promise = p.promise](absl::Status s) {
      promise->set_value(std::move(s));
    };
    op.wait = wait;
    writer_->Submit(std::move(op));
    return p;
  }

  // Occupies the writer thread inside an op until Release().
  void Hold() {
    auto started = std::make_shared<std::promise<void>>();
    std::future<void> is_started = started->get_future();
    std::shared_future<void> release = release_.get_future().share();
    writer_->Submit(WriteOp{[started, release](Connection&) {
                              started->set_value();
                              release.wait();
                              return absl::OkStatus();
                            },
                            nullptr, [](absl::Status) {}, WaitLimit::None()});
    is_started.wait();
  }
  void Release() { release_.set_value(); }

  int64_t Rows() {
    int64_t n = -1;
    EXPECT_THAT(writer_->RunSync([&n](Connection& c) {
      Stmt q = c.Prepare("SELECT COUNT(*) FROM t");
      q->Step();
      n = q->Int64(0);
      return absl::OkStatus();
    }),
                IsOk());
    return n;
  }

  ::retail::testing::ScopedTempDir dir_;
  std::promise<void> release_;
  std::unique_ptr<SqliteWriter> writer_;
};

TEST_F(WriterQueueTest, AFullQueueRefusesACallsWriteAtOnceWithRetryInfo) {
  Start(/*max_queue=*/2);
  Hold();  // the writer is busy; the queue is empty
  std::atomic<int> applied{0};
  Pending a = SubmitCall(1, &applied);
  Pending b = SubmitCall(2, &applied);
  EXPECT_EQ(writer_->queue_depth(), 2u);

  // Answered before Submit returns: no waiting behind the queue.
  Pending refused = SubmitCall(3, &applied);
  ASSERT_EQ(refused.future.wait_for(std::chrono::seconds(0)),
            std::future_status::ready);
  absl::Status s = refused.future.get();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(ErrorReason(s), "WRITER_QUEUE_FULL");
  EXPECT_THAT(s.message(), HasSubstr("2 writes waiting"));
  ASSERT_TRUE(RetryDelay(s).has_value());
  EXPECT_EQ(*RetryDelay(s), Writer::kQueueFullRetryDelay);
  EXPECT_EQ(writer_->stats().queue_full, 1);

  // The server's own work (no wait limit) is queued all the same, and not
  // counted against the calls.
  Pending internal = SubmitCall(4, &applied, WaitLimit::None());
  EXPECT_EQ(writer_->queue_depth(), 2u);

  Release();
  EXPECT_THAT(a.future.get(), IsOk());
  EXPECT_THAT(b.future.get(), IsOk());
  EXPECT_THAT(internal.future.get(), IsOk());
  // The refused op never ran, neither apply nor on_failure.
  EXPECT_EQ(applied.load(), 3);
  EXPECT_EQ(Rows(), 3);

  // Drained: the same write is taken now.
  Pending again = SubmitCall(3, &applied);
  EXPECT_THAT(again.future.get(), IsOk());
  EXPECT_EQ(Rows(), 4);
}

TEST_F(WriterQueueTest, TheServersOwnWorkDoesNotTakeTheCallsRoom) {
  Start(/*max_queue=*/1);
  Hold();
  std::vector<Pending> internal;
  for (int i = 0; i < 5; ++i) {
    internal.push_back(SubmitCall(100 + i, nullptr, WaitLimit::None()));
  }
  Pending call = SubmitCall(1);
  Pending refused = SubmitCall(2);
  ASSERT_EQ(refused.future.wait_for(std::chrono::seconds(0)),
            std::future_status::ready);
  EXPECT_THAT(refused.future.get(), StatusIs(absl::StatusCode::kUnavailable));
  Release();
  for (Pending& p : internal) EXPECT_THAT(p.future.get(), IsOk());
  EXPECT_THAT(call.future.get(), IsOk());
  EXPECT_EQ(writer_->queue_depth(), 0u);
  EXPECT_EQ(Rows(), 6);
}

TEST_F(WriterQueueTest, ZeroMeansUnbounded) {
  Start(/*max_queue=*/0);
  Hold();
  std::vector<Pending> pending;
  for (int i = 0; i < 50; ++i) pending.push_back(SubmitCall(i));
  EXPECT_EQ(writer_->queue_depth(), 50u);
  Release();
  for (Pending& p : pending) EXPECT_THAT(p.future.get(), IsOk());
  EXPECT_EQ(writer_->stats().queue_full, 0);
  EXPECT_EQ(Rows(), 50);
}

// The queue itself, which both engines' writers take their ops from.
WriteOp OpAnsweringInto(std::vector<absl::Status>* answers, WaitLimit wait) {
  WriteOp op;
  op.apply = [](Connection&) { return absl::OkStatus(); };
  op.done = [answers](absl::Status s) { answers->push_back(std::move(s)); };
  op.wait = wait;
  return op;
}

TEST(WriteQueueTest, StopRefusesNewOpsButStillHandsOutAcceptedOnes) {
  WriteQueue queue(/*max_queue=*/0);
  std::vector<absl::Status> answers;
  queue.Submit(OpAnsweringInto(&answers, WaitLimit::None()));
  queue.Submit(OpAnsweringInto(&answers, WaitLimit::None()));
  queue.Stop();
  queue.Submit(OpAnsweringInto(&answers, WaitLimit::None()));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_THAT(answers[0], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(answers[0].message(), HasSubstr("shutting down"));
  // A writer drains what it accepted: one at a time, as PostgreSQL's
  // workers take them, and only then is told to exit.
  std::deque<WriteOp> out;
  EXPECT_TRUE(queue.Take(out, 1));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_TRUE(queue.Take(out, 1024));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_FALSE(queue.Take(out, 1024));
}

TEST(WriteQueueTest, TakeReturnsEmptyHandedAtItsDeadline) {
  WriteQueue queue(/*max_queue=*/0);
  std::deque<WriteOp> out;
  const absl::Time start = absl::Now();
  EXPECT_TRUE(queue.Take(out, 1024, start + absl::Milliseconds(20)));
  EXPECT_TRUE(out.empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
}

TEST(WriteQueueTest, OnlyCallsOpsCountTowardsTheBound) {
  WriteQueue queue(/*max_queue=*/1);
  std::vector<absl::Status> answers;
  const WaitLimit call{absl::Now() + absl::Seconds(60), true, nullptr};
  queue.Submit(OpAnsweringInto(&answers, WaitLimit::None()));
  queue.Submit(OpAnsweringInto(&answers, call));
  EXPECT_EQ(queue.depth(), 1u);
  queue.Submit(OpAnsweringInto(&answers, call));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_THAT(answers[0], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(queue.refused_full(), 1);
  std::deque<WriteOp> out;
  ASSERT_TRUE(queue.Take(out, 1024));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(queue.depth(), 0u);
}

}  // namespace
}  // namespace retail::db
