#include "server/audit/audit_schema.h"

namespace retail::audit {
namespace {

// ListAuditLog pages newest first by (create_time_us, audit_id); SQLite
// appends the rowid (audit_id) to every index entry, so each index below
// hands out one filter's rows already in that order, with the time range as
// a range on its second column (the core's audit_by_time serves the time
// range alone).
//
// Every mutation writes an audit row in its own transaction, so each index
// is paid on every write, mostly in pages: the writer commits a batch, and
// an index whose keys are scattered dirties one leaf page per row of it.
// Measured on 20,000 audit rows after 200,000, written 32 per commit as the
// writer groups them (WAL pages per commit of audit_log alone; realistic
// keys: 232 principals, ULID resources with 30% repeats, 5% not OK):
//   no extra index      6.6 pages per commit
//   + by outcome        8.4   (kept: only rows that are not OK)
//   + by resource      23.9   (kept)
//   + by principal     46.0   (not built)
// - by outcome, partial: denials, reveals, failures and replays are the
//   rare rows an auditor looks for; the ~95% of rows that are OK never
//   touch it.
// - by resource, partial (rows naming one): "who did what to this
//   customer" has no other bound (a customer's rows are spread over the
//   whole log), and a person's data requests ask it.
// - no index by principal: a batch of 32 rows from many store tokens
//   dirties a leaf per principal, 7x the log's own pages, and a busy
//   token's rows are a large share of the log anyway. A principal (or a
//   method, or a service) is checked on the rows the time index walks,
//   within the time range given, at most the store's scan budget per call.
constexpr char kV1[] = R"sql(
CREATE INDEX audit_by_resource ON audit_log (resource, create_time_us)
  WHERE resource <> '';
CREATE INDEX audit_by_outcome ON audit_log (outcome, create_time_us)
  WHERE outcome <> 'OK';
)sql";

// PostgreSQL (issue 16): the same indexes on the partitioned audit_log
// (common/db/migrations.cc), each made on every month's partition. They
// end in audit_id, which SQLite appends to every index entry by itself.
constexpr char kPgV1[] = R"sql(
CREATE INDEX audit_by_resource ON audit_log (resource, create_time_us, audit_id)
  WHERE resource <> '';
CREATE INDEX audit_by_outcome ON audit_log (outcome, create_time_us, audit_id)
  WHERE outcome <> 'OK';
)sql";

}  // namespace

const db::ModuleSchema& AuditSchema() {
  static const auto* const kSchema =
      new db::ModuleSchema{"audit",
                           {{1, "audit log by resource and outcome", kV1}},
                           {{1, "audit log by resource and outcome", kPgV1}}};
  return *kSchema;
}

}  // namespace retail::audit
