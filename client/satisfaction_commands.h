#ifndef RETAIL_CLIENT_SATISFACTION_COMMANDS_H_
#define RETAIL_CLIENT_SATISFACTION_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "satisfaction" (report), which calls
// retail.feedback.v1.FeedbackService/GetSatisfactionReport. `options` must
// outlive app.parse(), as for AddCustomersCommands().
void AddSatisfactionCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_SATISFACTION_COMMANDS_H_
