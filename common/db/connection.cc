#include "common/db/connection.h"

#include <sqlite3.h>

#include <utility>

#include "SQLiteCpp/Exception.h"
#include "common/logging.h"

namespace retail::db {

Stmt Connection::Prepare(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(sql), NewStatement(std::string(sql))).first;
  }
  return Stmt(it->second.get());
}

StorageErrorKind KindOf(const std::exception& e) {
  if (const auto* se = dynamic_cast<const StorageError*>(&e)) {
    return se->kind();
  }
  const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e);
  if (sqlite == nullptr) return StorageErrorKind::kInternal;
  switch (sqlite->getErrorCode()) {
    case SQLITE_CONSTRAINT: {
      const int extended = sqlite->getExtendedErrorCode();
      return extended == SQLITE_CONSTRAINT_UNIQUE ||
                     extended == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? StorageErrorKind::kUniqueViolation
                 : StorageErrorKind::kConstraint;
    }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StorageErrorKind::kBusy;
    case SQLITE_FULL:
      return StorageErrorKind::kFull;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return StorageErrorKind::kUnavailable;
    default:
      return StorageErrorKind::kInternal;
  }
}

namespace {
// The first error since the last take: on PostgreSQL an error aborts the
// transaction, so any later statement fails with 25P02 (kInternal); the
// first error is the one that says whether running the op again can help.
thread_local std::optional<StorageErrorKind> first_error_kind;
}  // namespace

std::optional<StorageErrorKind> TakeFirstStorageErrorKind() {
  return std::exchange(first_error_kind, std::nullopt);
}

absl::Status StatusFromStorageException(const std::exception& e,
                                        absl::string_view what) {
  const StorageErrorKind kind = KindOf(e);
  if (!first_error_kind) first_error_kind = kind;
  if (const auto* se = dynamic_cast<const StorageError*>(&e);
      se != nullptr && kind == StorageErrorKind::kSerialization) {
    // PostgreSQL's writer runs the transaction again (counted in
    // retail_writer_transaction_retries_total): expected under contention,
    // not an error; exhausted retries are logged where they are answered.
    RETAIL_LOG(INFO) << what << ": serialization conflict " << se->engine_code()
                     << ", the transaction runs again";
  } else if (se != nullptr) {
    RETAIL_LOG(ERROR) << what << ": storage error " << se->engine_code() << ": "
                      << e.what();
  } else if (const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e)) {
    RETAIL_LOG(ERROR) << what << ": sqlite error "
                      << sqlite->getExtendedErrorCode() << ": " << e.what();
  } else {
    RETAIL_LOG(ERROR) << what << ": " << e.what();
  }
  switch (kind) {
    case StorageErrorKind::kUniqueViolation:
      return absl::AlreadyExistsError("the record already exists");
    case StorageErrorKind::kConstraint:
      return absl::FailedPreconditionError(
          "the change breaks a data integrity rule");
    case StorageErrorKind::kBusy:
    case StorageErrorKind::kSerialization:
      return absl::UnavailableError("the database is busy; retry");
    case StorageErrorKind::kFull:
      return absl::ResourceExhaustedError("the database disk is full");
    case StorageErrorKind::kUnavailable:
      return absl::UnavailableError("the database is unavailable; retry");
    case StorageErrorKind::kInternal:
      break;
  }
  return absl::InternalError("internal storage error");
}

}  // namespace retail::db
