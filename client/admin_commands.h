#ifndef RETAIL_CLIENT_ADMIN_COMMANDS_H_
#define RETAIL_CLIENT_ADMIN_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "admin" and its subcommands (retail.admin.v1: "admin backup --to
// FILE"). `options` must outlive app.parse().
void AddAdminCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_ADMIN_COMMANDS_H_
