#ifndef RETAIL_CLIENT_ORDERS_COMMANDS_H_
#define RETAIL_CLIENT_ORDERS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "orders" (create, get, list, pay, cancel, complete) and "settlements"
// (get, list, reconcile), which call retail.orders.v1.OrderService. `options`
// must outlive app.parse(), as for AddCustomersCommands().
void AddOrdersCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_ORDERS_COMMANDS_H_
