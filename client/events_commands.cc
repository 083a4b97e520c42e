#include "client/events_commands.h"

namespace retail::cli {

void AddEventsCommands(CLI::App& app, const GlobalOptions& options) {}

}  // namespace retail::cli
