#ifndef RETAIL_CLIENT_ORDERS_COMMANDS_H_
#define RETAIL_CLIENT_ORDERS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"
#include "retail/orders/v1/orders.pb.h"

namespace retail::cli {

// Adds "orders" (create, get, list, pay, cancel, complete) and "settlements"
// (get, list, reconcile), which call retail.orders.v1.OrderService. `options`
// must outlive app.parse(), as for AddCustomersCommands().
void AddOrdersCommands(CLI::App& app, const GlobalOptions& options);

// A tender method as a cashier names it, English then Chinese ("Cash 现金"):
// the reconciliation table and the returns commands' refunds.
std::string MethodLabel(orders::v1::PaymentMethod method);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_ORDERS_COMMANDS_H_
