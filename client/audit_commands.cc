#include "client/audit_commands.h"

namespace retail::cli {

void AddAuditCommands(CLI::App& app, const GlobalOptions& options) {}

}  // namespace retail::cli
