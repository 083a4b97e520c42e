#include "server/admin/backup.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace retail::admin {
namespace {

constexpr char kPrefix[] = "retail-";
constexpr char kSuffix[] = ".db";
constexpr char kTimeFormat[] = "%Y%m%dT%H%M%SZ";

// Engine text stays in the log; callers get a code and a plain sentence.
absl::Status FromSqlite(sqlite3* db, int rc, absl::string_view what) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  RETAIL_LOG(WARNING) << "backup: " << what << ": " << text << " (" << rc
                      << ")";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(
          absl::StrCat("no disk space to ", what));
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(absl::StrCat("could not ", what));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(absl::StrCat("could not ", what));
    default:
      return absl::InternalError(absl::StrCat("could not ", what));
  }
}

// The first column of `sql`'s first row as an integer, 0 if none.
int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int64_t value = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return value;
}

// A path as a SQLite URI path: '%', '?' and '#' escaped.
std::string UriPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      absl::StrAppend(&out, "%", absl::BytesToHexString(std::string(1, c)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Snapshot>> Snapshot::Begin(
    const std::string& db_path, const std::string& dest_path) {
  auto snap = std::unique_ptr<Snapshot>(new Snapshot());
  // Created here, owner-only and exclusively: the snapshot holds personal
  // data, and an existing file is never overwritten.
  const int fd =
      ::open(dest_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    RETAIL_LOG(WARNING) << "backup: cannot create " << dest_path << ": "
                        << std::generic_category().message(err);
    if (err == ENOSPC) {
      return absl::ResourceExhaustedError("no disk space for the snapshot");
    }
    return absl::UnavailableError("could not create the snapshot file");
  }
  ::close(fd);
  snap->dest_path_ = dest_path;

  int rc = sqlite3_open_v2(db_path.c_str(), &snap->src_,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(snap->src_, rc, "open the database");
  sqlite3_busy_timeout(snap->src_, 5000);
  // The read transaction that is the snapshot: it starts with the first
  // read and lasts until Finish() (or the destructor).
  rc = sqlite3_exec(snap->src_, "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(snap->src_, rc, "start the snapshot");
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(snap->src_, "SELECT count(*) FROM sqlite_schema", -1,
                          &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return FromSqlite(snap->src_, rc, "start the snapshot");
  // What the snapshot holds, read in its own transaction.
  snap->info_.last_event_sequence =
      QueryInt(snap->src_, "SELECT max(event_id) FROM events");
  snap->info_.last_audit_id =
      QueryInt(snap->src_, "SELECT max(audit_id) FROM audit_log");

  rc = sqlite3_open_v2(dest_path.c_str(), &snap->dest_,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return FromSqlite(snap->dest_, rc, "open the snapshot file");
  }
  snap->backup_ = sqlite3_backup_init(snap->dest_, "main", snap->src_, "main");
  if (snap->backup_ == nullptr) {
    return FromSqlite(snap->dest_, sqlite3_errcode(snap->dest_),
                      "start the copy");
  }
  return snap;
}

Snapshot::~Snapshot() {
  CloseAll();
  if (!kept_ && !dest_path_.empty()) {
    ::unlink(dest_path_.c_str());
    ::unlink((dest_path_ + "-journal").c_str());
  }
}

void Snapshot::CloseAll() {
  if (backup_ != nullptr) {
    sqlite3_backup_finish(backup_);
    backup_ = nullptr;
  }
  if (dest_ != nullptr) {
    sqlite3_close_v2(dest_);
    dest_ = nullptr;
  }
  if (src_ != nullptr) {
    sqlite3_exec(src_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(src_);
    src_ = nullptr;
  }
}

int64_t Snapshot::pages_total() const {
  return backup_ != nullptr ? sqlite3_backup_pagecount(backup_)
                            : info_.page_count;
}

absl::StatusOr<bool> Snapshot::Step(int pages) {
  if (done_) return true;
  if (backup_ == nullptr) return absl::FailedPreconditionError("no copy");
  const int rc = sqlite3_backup_step(backup_, pages);
  switch (rc) {
    case SQLITE_DONE:
      done_ = true;
      return true;
    case SQLITE_OK:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return false;
    default:
      return FromSqlite(dest_, rc, "copy the database");
  }
}

absl::StatusOr<SnapshotInfo> Snapshot::Finish() {
  if (!done_) return absl::FailedPreconditionError("the copy is not done");
  info_.page_count = sqlite3_backup_pagecount(backup_);
  const int rc = sqlite3_backup_finish(backup_);
  backup_ = nullptr;
  if (rc != SQLITE_OK) return FromSqlite(dest_, rc, "finish the copy");
  CloseAll();
  // SQLite synced the destination at its commit; sync again to be sure of
  // the file as a whole, then take its size.
  const int fd = ::open(dest_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError("could not reopen the snapshot");
  struct stat st {};
  const bool ok = ::fsync(fd) == 0 && ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError("could not sync the snapshot");
  info_.size_bytes = st.st_size;
  kept_ = true;
  return info_;
}

absl::Status IntegrityCheck(const std::string& path) {
  // SQLite takes a file shorter than one page for an empty database, which
  // integrity_check calls "ok": a truncated copy must not pass. A database
  // file starts with this 16-byte header.
  {
    static constexpr char kHeader[] = "SQLite format 3";  // and its NUL
    char head[sizeof(kHeader)] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::UnavailableError("could not open the backup");
    const ssize_t n = ::pread(fd, head, sizeof(head), 0);
    struct stat st {};
    const bool stat_ok = ::fstat(fd, &st) == 0;
    ::close(fd);
    if (n != static_cast<ssize_t>(sizeof(head)) ||
        std::memcmp(head, kHeader, sizeof(kHeader)) != 0 || !stat_ok ||
        st.st_size < 512) {
      RETAIL_LOG(ERROR) << "backup " << path << " is not a database file";
      return absl::DataLossError("the backup is not a database file");
    }
  }
  sqlite3* db = nullptr;
  const std::string uri = absl::StrCat("file:", UriPath(path), "?immutable=1");
  int rc = sqlite3_open_v2(uri.c_str(), &db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = FromSqlite(db, rc, "open the backup");
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::string> problems;
  rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &stmt, nullptr);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) break;
    const char* text =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    problems.push_back(text != nullptr ? text : "");
  }
  sqlite3_finalize(stmt);
  absl::Status status = absl::OkStatus();
  if (rc != SQLITE_DONE) {
    status = FromSqlite(db, rc, "check the backup");
  } else if (problems.size() != 1 || problems[0] != "ok") {
    RETAIL_LOG(ERROR) << "backup " << path << " failed integrity_check: "
                      << (problems.empty() ? "" : problems[0]);
    status = absl::DataLossError("the backup failed integrity_check");
  }
  sqlite3_close_v2(db);
  return status;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(absl::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &len);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError("could not open the directory");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::UnavailableError("could not sync the directory");
  return absl::OkStatus();
}

std::string BackupFileName(absl::Time t) {
  return absl::StrCat(
      kPrefix, absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone()), kSuffix);
}

std::optional<absl::Time> ParseBackupFileName(absl::string_view name) {
  if (!absl::StartsWith(name, kPrefix) || !absl::EndsWith(name, kSuffix)) {
    return std::nullopt;
  }
  name.remove_prefix(sizeof(kPrefix) - 1);
  name.remove_suffix(sizeof(kSuffix) - 1);
  // Exactly YYYYMMDDTHHMMSSZ (absl's %Y would take every digit).
  if (name.size() != 16 || name[8] != 'T' || name[15] != 'Z') {
    return std::nullopt;
  }
  auto number = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (name[i] < '0' || name[i] > '9') return -1;
      v = v * 10 + (name[i] - '0');
    }
    return v;
  };
  const int fields[] = {number(0, 4), number(4, 2),  number(6, 2),
                        number(9, 2), number(11, 2), number(13, 2)};
  for (int f : fields) {
    if (f < 0) return std::nullopt;
  }
  const absl::CivilSecond civil(fields[0], fields[1], fields[2], fields[3],
                                fields[4], fields[5]);
  // Normalised fields (e.g. month 13) are not a name we wrote.
  if (civil.year() != fields[0] || civil.month() != fields[1] ||
      civil.day() != fields[2] || civil.hour() != fields[3] ||
      civil.minute() != fields[4] || civil.second() != fields[5]) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

absl::StatusOr<int> PruneBackups(const std::string& dir, absl::Time cutoff,
                                 const std::string& keep_tmp) try {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return absl::UnavailableError("could not list the backup directory");
  int deleted = 0;
  // Bounded: a directory holds a handful of backups; stop at 100,000 names.
  int seen = 0;
  for (const auto& entry : it) {
    if (++seen > 100'000) break;
    const std::string name = entry.path().filename().string();
    const bool tmp =
        absl::EndsWith(name, ".db.tmp") && absl::StartsWith(name, kPrefix);
    std::optional<absl::Time> when = ParseBackupFileName(name);
    if (tmp && entry.path().string() != keep_tmp) {
      std::filesystem::remove(entry.path(), ec);
      std::filesystem::remove(entry.path().string() + "-journal", ec);
    } else if (when.has_value() && *when < cutoff) {
      if (std::filesystem::remove(entry.path(), ec)) {
        ++deleted;
        RETAIL_LOG(INFO) << "backup " << name << " deleted (past retention)";
      }
    }
  }
  return deleted;
} catch (const std::exception& e) {
  RETAIL_LOG(WARNING) << "backup: pruning " << dir << ": " << e.what();
  return absl::UnavailableError("could not list the backup directory");
}

std::optional<absl::Time> NewestBackup(const std::string& dir) try {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return std::nullopt;
  std::optional<absl::Time> newest;
  int seen = 0;
  for (const auto& entry : it) {
    if (++seen > 100'000) break;
    std::optional<absl::Time> when =
        ParseBackupFileName(entry.path().filename().string());
    if (when.has_value() && (!newest.has_value() || *when > *newest)) {
      newest = when;
    }
  }
  return newest;
} catch (const std::exception& e) {
  RETAIL_LOG(WARNING) << "backup: listing " << dir << ": " << e.what();
  return std::nullopt;
}

}  // namespace retail::admin
