#ifndef RETAIL_CLIENT_COMPLAINTS_COMMANDS_H_
#define RETAIL_CLIENT_COMPLAINTS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "client/global_options.h"

namespace retail::cli {

// Adds the three areas of retail.complaints.v1.ComplaintService (投诉处理):
//   "complaints" (create, get, list, assign, respond, contact, propose,
//                 resolve, close, reopen, escalate, history, stats),
//   "sla"        (get, set): the SLA policy, targets per severity,
//   "calendars"  (get, set): a branch's opening hours and closed dates.
// `options` must outlive app.parse(), as for AddCustomersCommands().
void AddComplaintsCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_COMPLAINTS_COMMANDS_H_
