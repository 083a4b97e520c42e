#ifndef RETAIL_CLIENT_SURVEYS_COMMANDS_H_
#define RETAIL_CLIENT_SURVEYS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds "surveys" (create, get, list, respond), which calls the survey
// methods of retail.feedback.v1.FeedbackService. `options` must outlive
// app.parse(), as for AddCustomersCommands().
void AddSurveysCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_SURVEYS_COMMANDS_H_
