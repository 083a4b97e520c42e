// ListAuditLog's rules: checks the filters (naming each bad field), binds
// page tokens to them, and reads a page through the store. No gRPC here.
//
// The audit log holds no personal data by design (details are never PII,
// resources are ids), so nothing is masked and nothing is revealed: an
// auditor and an admin see the same rows.
#ifndef RETAIL_SERVER_AUDIT_AUDIT_MANAGER_H_
#define RETAIL_SERVER_AUDIT_AUDIT_MANAGER_H_

#include "absl/time/time.h"
#include "common/call.h"
#include "common/db/database.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "retail/audit/v1/audit.pb.h"

namespace retail::audit {

struct AuditOptions {
  // Rows read per call at most, matching or not (see AuditQuery).
  int scan_budget = 10'000;
  absl::Duration time_budget = absl::Milliseconds(200);
  // Rows older than this are deleted by the audit.retention maintenance
  // task (--audit_retention_days; at least one day).
  absl::Duration retention = absl::Hours(24 * 1096);
};

class AuditManager {
 public:
  explicit AuditManager(db::Database& db, AuditOptions options = {});

  void ListAuditLog(CallMeta call, const v1::ListAuditLogRequest& req,
                    Reply<v1::ListAuditLogResponse> reply);

  // One slice of retention: deletes up to `limit` rows created before
  // `now_micros` minus the retention, in one write transaction; true while
  // more may remain.
  absl::StatusOr<bool> PruneSlice(int64_t now_micros, int limit);

  static constexpr int kDefaultPageSize = 100;

 private:
  db::Database& db_;
  const AuditOptions options_;
  const PageTokenCodec tokens_;
};

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_MANAGER_H_
