#ifndef RETAIL_CLIENT_FOLLOWUPS_COMMANDS_H_
#define RETAIL_CLIENT_FOLLOWUPS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "followups" (schedule, list, complete), which calls the follow-up
// methods of retail.feedback.v1.FeedbackService. `options` must outlive
// app.parse(), as for AddCustomersCommands().
void AddFollowUpsCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FOLLOWUPS_COMMANDS_H_
