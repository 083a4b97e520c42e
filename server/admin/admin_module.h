// The admin module: retail.admin.v1.AdminService (online backups) and the
// scheduled backup task (issue 15, "Online backup and restore"; the snapshot
// itself is server/admin/backup.h).
#ifndef RETAIL_SERVER_ADMIN_ADMIN_MODULE_H_
#define RETAIL_SERVER_ADMIN_ADMIN_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::admin {

// Who may call each AdminService RPC: admin only.
AccessTable AdminAccess();

ModuleSpec AdminModuleSpec();

}  // namespace retail::admin

#endif  // RETAIL_SERVER_ADMIN_ADMIN_MODULE_H_
