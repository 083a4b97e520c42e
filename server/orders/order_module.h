// The orders module: orders, tender attempts, settlement slips.
#ifndef RETAIL_SERVER_ORDERS_ORDER_MODULE_H_
#define RETAIL_SERVER_ORDERS_ORDER_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::orders {

// Who may call each OrderService RPC, and what kind of act it is.
AccessTable OrderAccess();

ModuleSpec OrderModuleSpec();

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_MODULE_H_
