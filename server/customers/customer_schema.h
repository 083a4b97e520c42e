// The customers module's tables, as numbered migrations
// (common/db/migrations.h).
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_SCHEMA_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_SCHEMA_H_

#include "common/db/migrations.h"

namespace retail::customers {

const db::ModuleSchema& CustomerSchema();

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_SCHEMA_H_
