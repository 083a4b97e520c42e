// The audit module's migrations: indexes over the core table audit_log
// (common/db/migrations.cc), which every module's writes fill.
#ifndef RETAIL_SERVER_AUDIT_AUDIT_SCHEMA_H_
#define RETAIL_SERVER_AUDIT_AUDIT_SCHEMA_H_

#include "common/db/migrations.h"

namespace retail::audit {

const db::ModuleSchema& AuditSchema();

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_SCHEMA_H_
