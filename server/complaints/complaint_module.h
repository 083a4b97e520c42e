// The complaints module: retail.complaints.v1.ComplaintService, its tables,
// its access table and the escalation sweep.
#ifndef RETAIL_SERVER_COMPLAINTS_COMPLAINT_MODULE_H_
#define RETAIL_SERVER_COMPLAINTS_COMPLAINT_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::complaints {

AccessTable ComplaintAccess();
ModuleSpec ComplaintModuleSpec();

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_COMPLAINT_MODULE_H_
