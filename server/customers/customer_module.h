// The customers module: profiles, loyalty points, a person's data requests.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_MODULE_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::customers {

// Who may call each CustomerService RPC, and what kind of act it is.
AccessTable CustomerAccess();

ModuleSpec CustomerModuleSpec();

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_MODULE_H_
