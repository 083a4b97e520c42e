// SQL over the core table audit_log (common/db/migrations.cc) with the audit
// module's indexes (audit_schema.cc). The rows are written by the write path
// (common/db/mutation.cc) and the call path (server/failure_audit.cc); this
// module reads them and, past retention, deletes them (PruneAuditLog; on
// PostgreSQL whole months, PruneAuditMonths).
#ifndef RETAIL_SERVER_AUDIT_AUDIT_STORE_H_
#define RETAIL_SERVER_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "retail/audit/v1/audit.pb.h"

namespace retail::audit {

// A row's place in the list's order, newest first: (create_time_us,
// audit_id), both descending.
using AuditKey = std::pair<int64_t, int64_t>;

// Checked filters; every one given must match.
struct AuditQuery {
  std::string principal;  // exact; "" = any
  // Either a full method name (exact) or a service's "pkg.Service/" (a
  // prefix); "" = any.
  std::string method;
  bool method_is_prefix = false;
  std::string resource;               // exact; "" = any
  std::vector<std::string> outcomes;  // distinct known words; empty = any
  std::optional<int64_t> start_us;    // create_time_us >= start
  std::optional<int64_t> end_us;      // create_time_us < end
  std::optional<AuditKey> after;      // resume below this key
  int page_size = 100;
  // At most this many rows are read per call, matching or not, and for at
  // most `time_budget` (real time): a filter without an index of its own
  // then answers a short page (maybe empty) with a next key rather than
  // reading the whole table in one call.
  int scan_budget = 10'000;
  absl::Duration time_budget = absl::Milliseconds(200);
};

struct AuditPage {
  // Where the next page starts: the last row returned of a full page, or
  // the last row read when the budget ran out first; nullopt at the end.
  std::optional<AuditKey> next;
  int rows_read = 0;  // for tests of the bound
};

// Appends the page's entries to `out`.
absl::StatusOr<AuditPage> ListAuditLog(
    db::Connection& conn, const AuditQuery& q,
    google::protobuf::RepeatedPtrField<v1::AuditEntry>* out);

// Retention (--audit_retention_days): deletes up to `limit` rows created
// before `cutoff_micros`, oldest first by the core's audit_by_time index;
// returns how many. The newest row of the log is never deleted, even when
// it is past retention: audit_id is the rowid (no AUTOINCREMENT), and
// keeping the highest one means an id is never handed out twice.
// Writer connection only. SQLite's retention; on PostgreSQL see below.
absl::StatusOr<int> PruneAuditLog(db::Connection& conn, int64_t cutoff_micros,
                                  int limit);

// Retention on PostgreSQL (issue 16, "Volume"): whole months, not row by
// row. Drops every monthly partition of audit_log that ends by the start of
// the cutoff's UTC month (all its rows are past retention), then runs
// PruneAuditLog up to that start, which can only find rows of the DEFAULT
// partition (written while no month covered them); returns how many of
// those it deleted. A month that straddles the cutoff stays until the
// cutoff passes its end: rows are kept up to a month longer than the
// retention, never shorter. Writer connection only.
absl::StatusOr<int> PruneAuditMonths(db::Connection& conn,
                                     int64_t cutoff_micros, int limit);

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_STORE_H_
