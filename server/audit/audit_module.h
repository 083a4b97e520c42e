// The audit module: retail.audit.v1.AuditService, reading the audit rows
// every other module's calls leave (docs/architecture.md, "Mutations").
#ifndef RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
#define RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::audit {

// Who may call each AuditService RPC, and what kind of act it is.
AccessTable AuditAccess();

ModuleSpec AuditModuleSpec();

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
