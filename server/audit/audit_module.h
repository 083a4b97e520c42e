#ifndef RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
#define RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_

#include "server/module.h"

namespace retail::audit {

ModuleSpec AuditModuleSpec();

}  // namespace retail::audit

#endif  // RETAIL_SERVER_AUDIT_AUDIT_MODULE_H_
