// The complaints module's tables, as numbered migrations.
#ifndef RETAIL_SERVER_COMPLAINTS_COMPLAINT_SCHEMA_H_
#define RETAIL_SERVER_COMPLAINTS_COMPLAINT_SCHEMA_H_

#include "common/db/migrations.h"

namespace retail::complaints {

const db::ModuleSchema& ComplaintSchema();

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_COMPLAINT_SCHEMA_H_
