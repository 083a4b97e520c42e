// The audit module: retail.audit.v1.AuditService, reading the audit rows
// every other module's calls leave (docs/architecture.md, "Mutations"), and
// their retention (the audit.retention maintenance task,
// --audit_retention_days, three years by default).
#ifndef RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
#define RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/access.h"
#include "server/module.h"

namespace retail::audit {

// Who may call each AuditService RPC, and what kind of act it is.
AccessTable AuditAccess();

// --audit_retention_days as a duration: INVALID_ARGUMENT below one day
// (the server does not start); a warning in the log below three years.
absl::StatusOr<absl::Duration> AuditRetentionFromFlags();

ModuleSpec AuditModuleSpec();

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
