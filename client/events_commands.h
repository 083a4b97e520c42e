#ifndef RETAIL_CLIENT_EVENTS_COMMANDS_H_
#define RETAIL_CLIENT_EVENTS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "events" and its subcommands, which call retail.events.v1. `options`
// must outlive app.parse(): the commands read it when they run.
void AddEventsCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_EVENTS_COMMANDS_H_
