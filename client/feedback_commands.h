#ifndef RETAIL_CLIENT_FEEDBACK_COMMANDS_H_
#define RETAIL_CLIENT_FEEDBACK_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "feedback" (analyze), which calls retail.feedback.v1.FeedbackService.
// `options` must outlive app.parse(), as for AddCustomersCommands().
void AddFeedbackCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FEEDBACK_COMMANDS_H_
