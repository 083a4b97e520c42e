#ifndef RETAIL_CLIENT_AUDIT_COMMANDS_H_
#define RETAIL_CLIENT_AUDIT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "audit" and its subcommands, which call retail.audit.v1. `options` must
// outlive app.parse(): the commands read it when they run.
void AddAuditCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_AUDIT_COMMANDS_H_
