#ifndef RETAIL_CLIENT_CUSTOMERS_COMMANDS_H_
#define RETAIL_CLIENT_CUSTOMERS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "customers" and its subcommands (create, get, update, list, search,
// points adjust|list, export, erase), which call retail.customers.v1.
// CustomerService. `options` must outlive app.parse(): the commands read it
// when they run, after all flags are parsed.
void AddCustomersCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_CUSTOMERS_COMMANDS_H_
