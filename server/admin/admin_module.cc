#include "server/admin/admin_module.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/mutation.h"
#include "common/db/sqlite_connection.h"
#include "common/db/writer.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/method.h"
#include "common/status.h"
#include "common/stream.h"
#include "retail/admin/v1/admin.pb.h"
#include "server/admin/backup.h"
#include "server/unary_service.h"

ABSL_FLAG(std::string, backup_dir, "",
          "Where scheduled backups go (owner-only; default: <directory of "
          "--db>/backups)");
ABSL_FLAG(int32_t, backup_interval_hours, 24,
          "Take a scheduled backup when the newest one is this old (0: no "
          "scheduled backups)");
ABSL_FLAG(int32_t, backup_retention_days, 7,
          "Delete scheduled backups older than this many days (0: keep "
          "all). Erased personal data lives on in a backup until it is "
          "deleted");

namespace retail::admin {
namespace {

using Response = v1::BackupDatabaseResponse;

// Pages copied per step: 1,024 pages of 4 KiB, 4 MiB, a few ms of I/O.
constexpr int kPagesPerStep = 1024;
// Bytes per streamed message (under a client's default 4 MiB limit).
constexpr size_t kChunkBytes = 1 << 20;
// A snapshot that takes longer than this is abandoned (bounds the thread,
// and how long checkpoints wait behind the snapshot's read transaction).
constexpr absl::Duration kMaxSnapshotTime = absl::Hours(2);
// How often the scheduled task looks at whether a backup is due; a backup
// is due when the newest one is --backup_interval_hours old, so a restart
// neither skips one nor takes an extra one.
constexpr absl::Duration kScheduleCheck = absl::Hours(1);

struct AdminOptions {
  // On PostgreSQL the server takes no backups: pg_dump and pg_basebackup
  // do, consistently and without holding a server thread (README,
  // "PostgreSQL"). BackupDatabase says so and no backup is scheduled.
  bool postgres = false;
  std::string db_path;
  std::string state_dir;  // the directory of db_path
  std::string backup_dir;
  absl::Duration backup_interval;  // zero: no scheduled backups
  absl::Duration retention;        // zero: keep all
};

class BackupStream;

// One backup at a time, whoever asks: a BackupDatabase stream and the
// scheduled backup never run together, nor two of either (each snapshot
// holds a read transaction that checkpoints cannot pass, and copies the
// whole file). A stream holds the gate from the call until the stream is
// gone; the scheduled backup from its first slice to its last. A call that
// finds it taken is FAILED_PRECONDITION (BACKUP_IN_PROGRESS); the scheduled
// task finding it taken skips that check and tries again at the next one.
struct BackupGate {
  std::mutex mu;
  BackupStream* stream = nullptr;  // a BackupDatabase stream holds it
  bool scheduled = false;          // the scheduled backup holds it
  bool stopped = false;            // the server is shutting down
  bool taken() const { return stream != nullptr || scheduled; }
};

// Asks the writer to checkpoint and truncate the WAL once a snapshot has
// ended. While a snapshot's read transaction is open, no checkpoint can
// pass it: the WAL grows, and an erasure committed meanwhile cannot
// truncate the WAL as it asks (its TRUNCATE waits the writer's busy
// timeout, then gives up; common/db/writer.cc). The person's old page
// images then stay in the WAL until this truncate, which runs as soon as
// the snapshot ends. (The snapshot itself began before the erasure, so it
// holds the person's data anyway: erased data lives on in backups until
// they are deleted, --backup_retention_days.) An empty write transaction
// that requests the checkpoint after its commit, so the writer runs it on
// its own connection between batches, as it does for an erasure.
void TruncateWalAfterSnapshot(db::Writer& writer) {
  db::WriteOp op;
  op.apply = [](db::Connection& conn) {
    conn.RequestCheckpointAfterCommit();
    return absl::OkStatus();
  };
  op.done = [](absl::Status s) {
    if (!s.ok()) {
      RETAIL_LOG(WARNING) << "backup: WAL truncate after the snapshot: " << s;
    }
  };
  op.wait = WaitLimit::None();
  writer.Submit(std::move(op));
}

google::protobuf::Timestamp ToTimestamp(int64_t micros) {
  google::protobuf::Timestamp t;
  t.set_seconds(micros / 1'000'000);
  t.set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
  return t;
}

// BackupDatabase's stream: a thread takes the snapshot into a temporary
// file in the state directory; the host then pulls it 1 MiB at a time,
// hashing as it goes. The file is deleted when the stream ends, however it
// ends (the destructor runs when gRPC is done with the call).
class BackupStream final : public StreamSource<Response> {
 public:
  BackupStream(std::shared_ptr<BackupGate> gate, const Clock& clock,
               db::Writer& writer, std::string db_path, std::string temp_path)
      : gate_(std::move(gate)),
        clock_(clock),
        writer_(writer),
        db_path_(std::move(db_path)),
        temp_path_(std::move(temp_path)) {}

  ~BackupStream() override {
    {
      std::lock_guard<std::mutex> lock(gate_->mu);
      if (gate_->stream == this) gate_->stream = nullptr;
    }
    cancelled_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    ::unlink(temp_path_.c_str());
  }

  void Start(std::function<void()> wake) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake_ = std::move(wake);
    }
    thread_ = std::thread([this] { Run(); });
  }

  Step Next(Response* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && status_.ok()) {
      status_ = absl::UnavailableError(
          "the server is shutting down; take the backup again");
    }
    if (!status_.ok() || sent_all_) return Step::kEnd;
    if (!ready_) return Step::kWait;
    const size_t want = static_cast<size_t>(
        std::min<int64_t>(kChunkBytes, info_.size_bytes - offset_));
    std::string* data = out->mutable_data();
    data->resize(want);
    size_t got = 0;
    for (int tries = 0; got < want && tries < 1000; ++tries) {
      const ssize_t n =
          ::pread(fd_, data->data() + got, want - got, offset_ + got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != want) {
      RETAIL_LOG(ERROR) << "backup: short read of " << temp_path_;
      status_ = absl::UnavailableError("could not read the snapshot");
      return Step::kEnd;
    }
    hash_.Update(*data);
    out->set_offset(offset_);
    offset_ += static_cast<int64_t>(want);
    if (offset_ == info_.size_bytes) {
      v1::BackupSummary* s = out->mutable_summary();
      s->set_size_bytes(info_.size_bytes);
      s->set_sha256(hash_.HexDigest());
      *s->mutable_snapshot_time() = ToTimestamp(snapshot_us_);
      s->set_last_event_sequence(info_.last_event_sequence);
      s->set_last_audit_id(info_.last_audit_id);
      s->set_page_count(info_.page_count);
      sent_all_ = true;
      RETAIL_LOG(INFO) << "backup streamed: " << info_.size_bytes
                       << " bytes, sha256 " << s->sha256() << ", events to "
                       << info_.last_event_sequence;
    }
    return Step::kMessage;
  }

  absl::Status status() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  void Cancel() override {
    cancelled_.store(true);
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = nullptr;
  }

  // Server shutdown: the stream ends UNAVAILABLE at its next pull.
  void Shutdown() {
    cancelled_.store(true);
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      wake = wake_;
    }
    if (wake) wake();
  }

 private:
  void Run() {
    const int64_t snapshot_us = clock_.NowMicros();
    absl::StatusOr<SnapshotInfo> info = TakeSnapshot();
    int fd = -1;
    if (info.ok()) {
      fd = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) info = absl::UnavailableError("could not read the snapshot");
    }
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      snapshot_us_ = snapshot_us;
      if (info.ok()) {
        info_ = *info;
        fd_ = fd;
        ready_ = true;
      } else if (status_.ok()) {
        status_ = info.status();
      }
      wake = wake_;
    }
    if (wake) wake();
  }

  absl::StatusOr<SnapshotInfo> TakeSnapshot() {
    absl::StatusOr<std::unique_ptr<Snapshot>> snap =
        Snapshot::Begin(db_path_, temp_path_);
    if (!snap.ok()) return snap.status();
    absl::StatusOr<SnapshotInfo> info = CopyAll(**snap);
    snap->reset();  // ends the read transaction (and deletes a partial file)
    TruncateWalAfterSnapshot(writer_);
    return info;
  }

  absl::StatusOr<SnapshotInfo> CopyAll(Snapshot& snap) {
    const absl::Time give_up = absl::Now() + kMaxSnapshotTime;
    // Each step copies kPagesPerStep pages or meets a busy lock (rare);
    // bounded by the page count, a step budget and the time limit.
    for (int64_t steps = 0;; ++steps) {
      if (cancelled_.load()) return absl::CancelledError("backup cancelled");
      if (absl::Now() > give_up || steps > 100'000'000) {
        return absl::DeadlineExceededError("the snapshot took too long");
      }
      absl::StatusOr<bool> done = snap.Step(kPagesPerStep);
      if (!done.ok()) return done.status();
      if (*done) break;
    }
    absl::StatusOr<SnapshotInfo> info = snap.Finish();
    RETAIL_LOG(INFO) << "backup snapshot taken: "
                     << (info.ok() ? info->page_count : 0) << " pages";
    return info;
  }

  const std::shared_ptr<BackupGate> gate_;
  const Clock& clock_;
  db::Writer& writer_;
  const std::string db_path_;
  const std::string temp_path_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  std::function<void()> wake_;
  absl::Status status_;
  bool ready_ = false;
  bool stopping_ = false;
  bool sent_all_ = false;
  int fd_ = -1;
  SnapshotInfo info_;
  int64_t snapshot_us_ = 0;
  int64_t offset_ = 0;
  Sha256 hash_;
};

// The scheduled backup, one slice per call: begin (or skip: the newest
// backup is younger than the interval, or another backup holds the gate),
// copy kPagesPerStep pages per slice, then one slice that checks integrity,
// renames the file into place and deletes backups past retention.
//
// Slices are serialised by `slice_mu_`: the maintenance thread and a
// test's RetailServer::RunMaintenance() may call it at once (the scheduler
// does not exclude two RunDue() calls), and a Snapshot is driven by one
// thread at a time (its SQLite connections are NOMUTEX: two threads in
// sqlite3_backup_step on one backup crashed). A second caller waits for
// the slice in progress, then carries on with the same backup.
class ScheduledBackup {
 public:
  ScheduledBackup(const Clock& clock, db::Writer& writer,
                  const AdminOptions& options, std::shared_ptr<BackupGate> gate)
      : clock_(clock),
        writer_(writer),
        options_(options),
        gate_(std::move(gate)) {}

  absl::StatusOr<bool> Slice() {
    std::lock_guard<std::mutex> lock(slice_mu_);
    absl::StatusOr<bool> more = SliceOrFail();
    if (!more.ok()) Reset();
    return more;
  }

  // Shutdown: abandons a backup in progress (its temporary file is
  // deleted; the next start-up takes it again), so no snapshot holds a
  // read transaction while the database closes and checkpoints.
  void Abandon() {
    std::lock_guard<std::mutex> lock(slice_mu_);
    if (phase_ != Phase::kIdle) {
      RETAIL_LOG(INFO) << "scheduled backup " << final_path_
                       << " abandoned: the server is shutting down";
    }
    Reset();
  }

 private:
  enum class Phase { kIdle, kCopy, kCheck };

  void Reset() {
    if (snap_ != nullptr) {
      snap_.reset();  // ends the read transaction, deletes the partial file
      TruncateWalAfterSnapshot(writer_);
    }
    if (phase_ == Phase::kCheck) ::unlink(temp_path_.c_str());
    if (phase_ != Phase::kIdle) Release();
    phase_ = Phase::kIdle;
  }

  void Release() {
    std::lock_guard<std::mutex> lock(gate_->mu);
    gate_->scheduled = false;
  }

  absl::StatusOr<bool> SliceOrFail() {
    switch (phase_) {
      case Phase::kIdle:
        return Begin();
      case Phase::kCopy: {
        absl::StatusOr<bool> done = snap_->Step(kPagesPerStep);
        if (!done.ok()) return done.status();
        if (!*done) {
          if (absl::Now() > give_up_) {
            return absl::DeadlineExceededError("the snapshot took too long");
          }
          return true;
        }
        absl::StatusOr<SnapshotInfo> info = snap_->Finish();
        if (!info.ok()) return info.status();
        info_ = *info;
        snap_.reset();
        TruncateWalAfterSnapshot(writer_);
        phase_ = Phase::kCheck;
        return true;
      }
      case Phase::kCheck:
        return Check();
    }
    return false;
  }

  absl::StatusOr<bool> Begin() {
    const absl::Time now = absl::FromUnixMicros(clock_.NowMicros());
    std::error_code ec;
    std::filesystem::create_directories(options_.backup_dir, ec);
    if (ec) {
      RETAIL_LOG(WARNING) << "backup: cannot create " << options_.backup_dir
                          << ": " << ec.message();
      return absl::UnavailableError("could not create the backup directory");
    }
    ::chmod(options_.backup_dir.c_str(), 0700);
    // Leftovers of a run cut short (crash, shutdown) first.
    PruneBackups(options_.backup_dir, absl::InfinitePast()).IgnoreError();
    std::optional<absl::Time> newest = NewestBackup(options_.backup_dir);
    if (newest.has_value() && now - *newest < options_.backup_interval) {
      Prune(now);
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(gate_->mu);
      if (gate_->stopped) return false;
      if (gate_->taken()) {
        // A BackupDatabase stream is running: this check is skipped, the
        // next one (at most kScheduleCheck later) takes the backup.
        RETAIL_LOG(INFO) << "scheduled backup deferred: another backup is "
                            "running";
        return false;
      }
      gate_->scheduled = true;
    }
    final_path_ = absl::StrCat(options_.backup_dir, "/", BackupFileName(now));
    temp_path_ = final_path_ + ".tmp";
    give_up_ = absl::Now() + kMaxSnapshotTime;
    absl::StatusOr<std::unique_ptr<Snapshot>> snap =
        Snapshot::Begin(options_.db_path, temp_path_);
    if (!snap.ok()) {
      Release();
      return snap.status();
    }
    snap_ = std::move(*snap);
    phase_ = Phase::kCopy;
    return true;
  }

  absl::StatusOr<bool> Check() {
    if (absl::Status s = IntegrityCheck(temp_path_); !s.ok()) return s;
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      return absl::UnavailableError("could not rename the backup into place");
    }
    phase_ = Phase::kIdle;
    Release();
    SyncDirectory(options_.backup_dir).IgnoreError();
    RETAIL_LOG(INFO) << "scheduled backup " << final_path_ << ": "
                     << info_.size_bytes << " bytes, " << info_.page_count
                     << " pages, events to " << info_.last_event_sequence
                     << ", integrity_check ok";
    Prune(absl::FromUnixMicros(clock_.NowMicros()));
    return false;
  }

  void Prune(absl::Time now) {
    if (options_.retention <= absl::ZeroDuration()) return;
    absl::StatusOr<int> n =
        PruneBackups(options_.backup_dir, now - options_.retention);
    if (!n.ok()) RETAIL_LOG(WARNING) << "backup pruning: " << n.status();
  }

  const Clock& clock_;
  db::Writer& writer_;
  const AdminOptions& options_;
  const std::shared_ptr<BackupGate> gate_;
  std::mutex slice_mu_;
  // Touched only under slice_mu_.
  Phase phase_ = Phase::kIdle;
  std::unique_ptr<Snapshot> snap_;
  std::string temp_path_;
  std::string final_path_;
  absl::Time give_up_;
  SnapshotInfo info_;
};

class AdminManager {
 public:
  AdminManager(const Clock& clock, AdminOptions options, db::Writer& writer)
      : clock_(clock),
        writer_(writer),
        options_(std::move(options)),
        gate_(std::make_shared<BackupGate>()),
        scheduled_(clock_, writer_, options_, gate_) {}

  absl::StatusOr<std::unique_ptr<StreamSource<Response>>> BackupDatabase(
      CallMeta call, const v1::BackupDatabaseRequest& req) {
    if (options_.postgres) {
      return ErrorWithReason(
          absl::StatusCode::kFailedPrecondition, "BACKUP_BY_PG_DUMP",
          "this server keeps its data in PostgreSQL: back it up with "
          "pg_dump or pg_basebackup (README, \"PostgreSQL\")");
    }
    std::lock_guard<std::mutex> lock(gate_->mu);
    if (gate_->stopped) {
      return absl::UnavailableError("the server is shutting down");
    }
    if (gate_->taken()) {
      return ErrorWithReason(
          absl::StatusCode::kFailedPrecondition, "BACKUP_IN_PROGRESS",
          "another backup is running; one runs at a time: try again when "
          "it has finished");
    }
    const std::string temp_path =
        absl::StrCat(options_.state_dir, "/.retail-backup-",
                     absl::BytesToHexString(RandomBytes(8)), ".tmp");
    auto stream = std::make_unique<BackupStream>(gate_, clock_, writer_,
                                                 options_.db_path, temp_path);
    gate_->stream = stream.get();
    RETAIL_LOG(INFO) << "backup requested by "
                     << (call.principal ? call.principal->id : "");
    // A backup hands out everyone's data: it is audited like a reveal. The
    // row commits while the snapshot is being taken (milliseconds against
    // seconds); a failure to write it is logged.
    db::SubmitAudit(
        writer_, clock_,
        db::AuditFor(call.With("", "database"), "REVEAL", "database backup"),
        [](absl::Status s) {
          if (!s.ok()) {
            RETAIL_LOG(WARNING) << "backup audit row lost: " << s;
          }
        });
    return stream;
  }

  absl::StatusOr<bool> ScheduledSlice() { return scheduled_.Slice(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(gate_->mu);
      gate_->stopped = true;
      if (gate_->stream != nullptr) gate_->stream->Shutdown();
    }
    scheduled_.Abandon();
  }

 private:
  const Clock& clock_;
  db::Writer& writer_;
  const AdminOptions options_;
  std::shared_ptr<BackupGate> gate_;
  ScheduledBackup scheduled_;
};

class AdminModule final : public Module {
 public:
  AdminModule(ModuleEnv& env, AdminOptions options)
      : interval_(options.backup_interval),
        manager_(env.clock, std::move(options), env.db.writer()),
        service_(*MethodOf<v1::BackupDatabaseRequest>().service(), manager_,
                 env.gate) {
    service_.HandleStream(&AdminManager::BackupDatabase);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    if (interval_ <= absl::ZeroDuration()) return {};
    return {{"admin.scheduled_backup", std::min(interval_, kScheduleCheck),
             [this] { return manager_.ScheduledSlice(); }}};
  }

  void Stop() override { manager_.Stop(); }

 private:
  absl::Duration interval_;
  AdminManager manager_;
  UnaryService<AdminManager> service_;
};

// The database's file, as SQLite resolved it (absolute).
absl::StatusOr<std::string> DatabaseFile(db::Database& db) {
  return db.Read([](db::Connection& conn) -> absl::StatusOr<std::string> {
    const char* file =
        sqlite3_db_filename(db::AsSqlite(conn).raw().getHandle(), "main");
    if (file == nullptr || *file == '\0') {
      return absl::FailedPreconditionError("the database has no file");
    }
    return std::string(file);
  });
}

}  // namespace

AccessTable AdminAccess() {
  // A backup is every record of every person: for those who run the server.
  AccessTable t;
  t.Allow<v1::BackupDatabaseRequest>(Act::kExport, {Role::kAdmin});
  return t;
}

ModuleSpec AdminModuleSpec() {
  return ModuleSpec{
      "admin", /*schema=*/nullptr, &AdminAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        if (env.db.engine() == db::Engine::kPostgres) {
          AdminOptions options;
          options.postgres = true;
          return std::make_unique<AdminModule>(env, std::move(options));
        }
        absl::StatusOr<std::string> file = DatabaseFile(env.db);
        if (!file.ok()) return file.status();
        AdminOptions options;
        options.db_path = *file;
        options.state_dir = std::filesystem::path(*file).parent_path().string();
        options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
        if (options.backup_dir.empty()) {
          options.backup_dir = options.state_dir + "/backups";
        }
        options.backup_interval =
            absl::Hours(1) *
            std::max<int64_t>(0, absl::GetFlag(FLAGS_backup_interval_hours));
        options.retention =
            absl::Hours(24) *
            std::max<int64_t>(0, absl::GetFlag(FLAGS_backup_retention_days));
        // Temporary snapshots of streams cut short by a crash.
        try {
          std::error_code ec;
          int seen = 0;
          for (const auto& entry :
               std::filesystem::directory_iterator(options.state_dir, ec)) {
            if (++seen > 100'000) break;
            const std::string name = entry.path().filename().string();
            if (name.rfind(".retail-backup-", 0) == 0) {
              std::filesystem::remove(entry.path(), ec);
            }
          }
        } catch (const std::exception& e) {
          RETAIL_LOG(WARNING)
              << "backup: listing the state directory: " << e.what();
        }
        return std::make_unique<AdminModule>(env, std::move(options));
      }};
}

}  // namespace retail::admin
