// The orders module's tables: orders, tender attempts, refunds and
// settlement slips.
#ifndef RETAIL_SERVER_ORDERS_ORDER_SCHEMA_H_
#define RETAIL_SERVER_ORDERS_ORDER_SCHEMA_H_

#include "common/db/migrations.h"

namespace retail::orders {

const db::ModuleSchema& OrderSchema();

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_SCHEMA_H_
