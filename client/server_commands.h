#ifndef RETAIL_CLIENT_SERVER_COMMANDS_H_
#define RETAIL_CLIENT_SERVER_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "server" and its subcommand (info), which call retail.server.v1.
// ServerInfoService. `options` must outlive app.parse(): the commands read it
// when they run, after all flags are parsed.
void AddServerCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_SERVER_COMMANDS_H_
