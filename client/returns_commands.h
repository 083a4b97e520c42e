#ifndef RETAIL_CLIENT_RETURNS_COMMANDS_H_
#define RETAIL_CLIENT_RETURNS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "returns" (request, review, receive, complete, get, list): returns
// and exchanges (退换货) of paid orders through
// retail.orders.v1.OrderService. `options` must outlive app.parse(), as for
// AddCustomersCommands().
void AddReturnsCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_RETURNS_COMMANDS_H_
