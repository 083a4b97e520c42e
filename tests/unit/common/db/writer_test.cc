#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "common/db/sqlite_writer.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWriter(/*max_batch=*/1024); }

  // Opens a fresh database with a scratch table `t` and its writer.
  void StartWriter(int max_batch) {
    path_ = dir_.File(absl::StrCat("writer", ++databases_, ".db"));
    absl::StatusOr<std::unique_ptr<SqliteConnection>> conn =
        SqliteConnection::Open(path_, SqliteConnection::Mode::kReadWrite);
    ASSERT_THAT(conn, IsOk());
    writer_ = std::make_unique<SqliteWriter>(std::move(*conn), max_batch);
    absl::Status created = writer_->RunSync([](Connection& c) {
      c.Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
      return absl::OkStatus();
    });
    ASSERT_THAT(created, IsOk());
  }

  static absl::Status Insert(Connection& conn, int64_t k,
                             const std::string& v = "x") {
    Stmt s = conn.Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    s->Bind(1, k);
    s->Bind(2, v);
    s->Exec();
    return absl::OkStatus();
  }

  // Queues `apply` (and optionally `on_failure`); the future is fulfilled by
  // `done`.
  std::future<absl::Status> SubmitAsync(
      std::function<absl::Status(Connection&)> apply,
      std::function<void(Connection&, const absl::Status&)> on_failure =
          nullptr) {
    auto promise = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> future = promise->get_future();
    writer_->Submit(WriteOp{
        std::move(apply), std::move(on_failure),
        [promise](absl::Status s) { promise->set_value(std::move(s)); }});
    return future;
  }

  // Occupies the writer thread inside a batch until ReleaseWriter(). Ops
  // submitted meanwhile queue up and are all taken by the next batch, which
  // makes batching deterministic without relying on timing.
  void HoldWriter() {
    auto started = std::make_shared<std::promise<void>>();
    std::future<void> is_started = started->get_future();
    std::shared_future<void> release = release_.get_future().share();
    held_ = SubmitAsync([started, release](Connection&) {
      started->set_value();
      release.wait();
      return absl::OkStatus();
    });
    is_started.wait();
  }
  void ReleaseWriter() {
    release_.set_value();
    EXPECT_THAT(held_.get(), IsOk());
  }

  // Keys in `t`, read through a brand-new connection: what any other
  // process would see on disk.
  std::vector<int64_t> CommittedKeys() {
    SQLite::Database reader(path_, SQLite::OPEN_READONLY);
    SQLite::Statement q(reader, "SELECT k FROM t ORDER BY k");
    std::vector<int64_t> keys;
    while (q.executeStep()) keys.push_back(q.getColumn(0).getInt64());
    return keys;
  }

  static std::vector<absl::Status> WaitAll(
      std::vector<std::future<absl::Status>>& fs) {
    std::vector<absl::Status> out;
    for (auto& f : fs) out.push_back(f.get());
    return out;
  }

  testing::ScopedTempDir dir_;
  int databases_ = 0;
  std::string path_;
  std::unique_ptr<SqliteWriter> writer_;
  std::promise<void> release_;
  std::future<absl::Status> held_;
};

TEST_F(WriterTest, RunSyncIsDurableWhenItReturns) {
  ASSERT_THAT(writer_->RunSync([](Connection& c) { return Insert(c, 7); }),
              IsOk());
  EXPECT_THAT(CommittedKeys(), ElementsAre(7));
}

TEST_F(WriterTest, DoneRunsOnlyAfterTheCommit) {
  // Whatever `done` sees is what a reply would promise: the row must already
  // be visible to an independent connection at that moment.
  std::promise<std::vector<int64_t>> seen;
  std::future<std::vector<int64_t>> seen_keys = seen.get_future();
  writer_->Submit(WriteOp{[](Connection& c) { return Insert(c, 1); }, nullptr,
                          [&](absl::Status s) {
                            EXPECT_THAT(s, IsOk());
                            seen.set_value(CommittedKeys());
                          }});
  EXPECT_THAT(seen_keys.get(), ElementsAre(1));
}

TEST_F(WriterTest, GroupCommitsConcurrentSubmissions) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  const WriterStats before = writer_->stats();

  HoldWriter();
  std::vector<std::future<absl::Status>> results(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int k = t * kPerThread + i;
        results[k] = SubmitAsync([k](Connection& c) { return Insert(c, k); });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ReleaseWriter();

  EXPECT_THAT(WaitAll(results), Each(IsOk()));
  EXPECT_EQ(CommittedKeys().size(), static_cast<size_t>(kThreads * kPerThread));
  const WriterStats after = writer_->stats();
  EXPECT_EQ(after.ops - before.ops, kThreads * kPerThread + 1);
  // One batch for the held op, one for everything queued behind it.
  EXPECT_EQ(after.batches - before.batches, 2);
}

TEST_F(WriterTest, BatchesAreCappedAtMaxBatch) {
  StartWriter(/*max_batch=*/10);
  const WriterStats before = writer_->stats();

  HoldWriter();
  std::vector<std::future<absl::Status>> results;
  for (int k = 0; k < 35; ++k) {
    results.push_back(SubmitAsync([k](Connection& c) { return Insert(c, k); }));
  }
  ReleaseWriter();

  EXPECT_THAT(WaitAll(results), Each(IsOk()));
  // 1 held + 35 in batches of at most 10 (10, 10, 10, 5).
  EXPECT_EQ(writer_->stats().batches - before.batches, 1 + 4);
}

TEST_F(WriterTest, FailingOpRollsBackOnlyItself) {
  std::promise<absl::Status> failure_seen;
  std::future<absl::Status> failure = failure_seen.get_future();
  HoldWriter();
  auto a = SubmitAsync([](Connection& c) { return Insert(c, 1); });
  auto b = SubmitAsync(
      [](Connection& c) {
        EXPECT_THAT(Insert(c, 2), IsOk());  // written, then undone
        return absl::FailedPreconditionError("business rule broken");
      },
      [&](Connection& c, const absl::Status& s) {
        // Still inside the batch: e.g. audit the failure durably.
        failure_seen.set_value(s);
        EXPECT_THAT(Insert(c, 100, "failure audited"), IsOk());
      });
  auto c = SubmitAsync([](Connection& conn) { return Insert(conn, 3); });
  ReleaseWriter();

  EXPECT_THAT(a.get(), IsOk());
  absl::Status b_status = b.get();
  EXPECT_THAT(b_status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(b_status.message(), "business rule broken");
  EXPECT_THAT(c.get(), IsOk());
  EXPECT_THAT(failure.get(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CommittedKeys(), ElementsAre(1, 3, 100));
}

TEST_F(WriterTest, ExceptionsBecomeStatusesAndOnlyTheirOpIsLost) {
  ASSERT_THAT(writer_->RunSync([](Connection& c) { return Insert(c, 1); }),
              IsOk());

  HoldWriter();
  auto duplicate = SubmitAsync([](Connection& c) { return Insert(c, 1); });
  auto bad_sql = SubmitAsync([](Connection& c) {
    c.Exec("INSERT INTO no_such_table VALUES (1)");
    return absl::OkStatus();
  });
  auto constraint = SubmitAsync([](Connection& c) {
    Insert(c, 5).IgnoreError();
    c.Exec("INSERT INTO t (k, v) VALUES (6, NULL)");  // NOT NULL
    return absl::OkStatus();
  });
  auto runtime = SubmitAsync([](Connection& c) -> absl::Status {
    Insert(c, 7).IgnoreError();
    throw std::runtime_error("bug in a closure");
  });
  auto fine = SubmitAsync([](Connection& c) { return Insert(c, 2); });
  ReleaseWriter();

  EXPECT_THAT(duplicate.get(), StatusIs(absl::StatusCode::kAlreadyExists));
  absl::Status internal = bad_sql.get();
  EXPECT_THAT(internal, StatusIs(absl::StatusCode::kInternal));
  // No SQL or engine text may reach a client.
  EXPECT_THAT(std::string(internal.message()),
              ::testing::Not(::testing::HasSubstr("no_such_table")));
  EXPECT_THAT(constraint.get(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(runtime.get(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(fine.get(), IsOk());
  EXPECT_THAT(CommittedKeys(), ElementsAre(1, 2));

  // The writer keeps working.
  EXPECT_THAT(writer_->RunSync([](Connection& c) { return Insert(c, 3); }),
              IsOk());
  EXPECT_THAT(CommittedKeys(), ElementsAre(1, 2, 3));
}

TEST_F(WriterTest, StopDrainsQueueThenRefusesNewWork) {
  HoldWriter();
  std::vector<std::future<absl::Status>> queued;
  for (int k = 0; k < 10; ++k) {
    queued.push_back(SubmitAsync([k](Connection& c) { return Insert(c, k); }));
  }
  ReleaseWriter();
  writer_->Stop();
  EXPECT_THAT(WaitAll(queued), Each(IsOk()));
  EXPECT_EQ(CommittedKeys().size(), 10u);

  // After Stop, `done` is called at once with UNAVAILABLE; nothing runs.
  bool applied = false;
  auto late = SubmitAsync([&](Connection& c) {
    applied = true;
    return Insert(c, 99);
  });
  ASSERT_EQ(late.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_THAT(late.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(applied);
  EXPECT_THAT(writer_->RunSync([](Connection&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable));
  writer_->Stop();  // idempotent
}

TEST_F(WriterTest, WithConnectionAfterStopOnlyAfterStop) {
  auto noop = [](Connection&) { return absl::OkStatus(); };
  EXPECT_THAT(writer_->WithConnectionAfterStop(noop),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  writer_->Stop();
  EXPECT_THAT(writer_->WithConnectionAfterStop(noop), IsOk());
}

// A call that gave up (its deadline passed, or the server's bound for calls
// without one) while its op waited behind a long batch is answered at once
// and its write is never applied behind its back.
TEST_F(WriterTest, OpsPastTheirWaitLimitAreAnsweredAndNeverApplied) {
  HoldWriter();
  auto submit = [&](int64_t k, WaitLimit wait) {
    auto promise = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> future = promise->get_future();
    WriteOp op;
    op.apply = [k](Connection& c) { return Insert(c, k); };
    op.done = [promise](absl::Status s) { promise->set_value(std::move(s)); };
    op.wait = wait;
    writer_->Submit(std::move(op));
    return future;
  };
  const absl::Time soon = absl::Now() + absl::Milliseconds(50);
  std::future<absl::Status> client = submit(1, WaitLimit{soon, true, nullptr});
  std::future<absl::Status> bounded =
      submit(2, WaitLimit{soon, false, nullptr});
  std::future<absl::Status> patient =
      submit(3, WaitLimit{absl::Now() + absl::Seconds(60), true, nullptr});
  absl::SleepFor(absl::Milliseconds(100));
  ReleaseWriter();
  EXPECT_THAT(client.get(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(bounded.get(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(patient.get(), IsOk());
  EXPECT_THAT(CommittedKeys(), ElementsAre(3));
}

// Records what the writer reports (storage_observer.h).
class RecordingObserver final : public StorageObserver {
 public:
  void OnBatch(const BatchReport& batch) override {
    std::lock_guard<std::mutex> lock(mu);
    batches.push_back(batch);
  }
  void OnCheckpoint(absl::Duration, int pages, bool truncate,
                    bool ok) override {
    std::lock_guard<std::mutex> lock(mu);
    checkpoints.push_back({pages, truncate, ok});
  }
  void OnReaderWait(absl::Duration) override {}

  struct Checkpoint {
    int pages;
    bool truncate;
    bool ok;
  };
  std::mutex mu;
  std::vector<BatchReport> batches;
  std::vector<Checkpoint> checkpoints;
};

TEST_F(WriterTest, TraceSaysWhereAnOpsTimeWent) {
  // The op waits behind a held batch for at least 30 ms: its trace must
  // put that in the queue, and name its own batch of one.
  HoldWriter();
  auto trace = std::make_shared<CallTrace>();
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> done = promise->get_future();
  WriteOp op;
  op.apply = [](Connection& c) { return Insert(c, 1); };
  op.done = [promise](absl::Status s) { promise->set_value(std::move(s)); };
  op.wait = WaitLimit{absl::Now() + absl::Seconds(60), true, trace};
  writer_->Submit(std::move(op));
  absl::SleepFor(absl::Milliseconds(30));
  ReleaseWriter();
  ASSERT_THAT(done.get(), IsOk());
  EXPECT_GE(trace->queue_us.load(), 30'000);
  EXPECT_GE(trace->transaction_us.load(), 0);
  EXPECT_GE(trace->commit_us.load(), 0);
  EXPECT_EQ(trace->batch_ops.load(), 1);
}

TEST_F(WriterTest, ObserverHearsEveryBatchAndTheCheckpointAfterABigOne) {
  RecordingObserver observer;
  writer_->SetObserver(&observer);
  ASSERT_THAT(writer_->RunSync([](Connection& c) { return Insert(c, 1); }),
              IsOk());
  // One commit of well over kCheckpointPages pages (4 KiB each): the writer
  // checkpoints (PASSIVE) after answering it, instead of SQLite inside it.
  ASSERT_THAT(writer_->RunSync([](Connection& c) {
    const std::string big(4000, 'x');
    for (int k = 2; k < 2 + SqliteWriter::kCheckpointPages + 100; ++k) {
      RETURN_IF_ERROR(Insert(c, k, big));
    }
    return absl::OkStatus();
  }),
              IsOk());
  // RunSync returns when its batch is answered; the checkpoint follows.
  writer_->Stop();
  std::lock_guard<std::mutex> lock(observer.mu);
  ASSERT_GE(observer.batches.size(), 2u);
  EXPECT_EQ(observer.batches.back().ops, 1u);
  EXPECT_TRUE(observer.batches.back().committed);
  ASSERT_EQ(observer.checkpoints.size(), 1u);
  EXPECT_GE(observer.checkpoints[0].pages, SqliteWriter::kCheckpointPages);
  EXPECT_FALSE(observer.checkpoints[0].truncate);
  EXPECT_TRUE(observer.checkpoints[0].ok);
}

}  // namespace
}  // namespace retail::db
