// retailctl: the command-line client of retail_server for support agents.
//
//   retailctl [--addr H:P] [--token T] [--staff ID] [--output table|json]
//             [--timeout S] <area> <command> [args]
//
// Exit status: 0 on success, 1 when the server answered with an error (or a
// confirmation was declined), 2 for a malformed command line.

#include <CLI/CLI.hpp>
#include <string>

#include "client/admin_commands.h"
#include "client/audit_commands.h"
#include "client/complaints_commands.h"
#include "client/customers_commands.h"
#include "client/events_commands.h"
#include "client/feedback_commands.h"
#include "client/flags.h"
#include "client/followups_commands.h"
#include "client/global_options.h"
#include "client/orders_commands.h"
#include "client/returns_commands.h"
#include "client/satisfaction_commands.h"
#include "client/server_commands.h"
#include "client/surveys_commands.h"

namespace retail::cli {
namespace {

void AddGlobalOptions(CLI::App& app, GlobalOptions* options) {
  app.add_option("--addr", options->addr, "Server address, host:port")
      ->envname("RETAIL_ADDR")
      ->capture_default_str();
  app.add_option("--token", options->token,
                 "Bearer token. Prefer RETAIL_TOKEN or the token file: "
                 "arguments are visible to other users in `ps`. Default: "
                 "first line of ${XDG_CONFIG_HOME:-$HOME/.config}/retailctl/"
                 "token")
      ->envname("RETAIL_TOKEN");
  // Checked here rather than left to the server so that a typo is a usage
  // error naming the flag, before any call is made.
  app.add_option("--staff", options->staff_id,
                 "Staff id of the person acting, sent with every call; for "
                 "shared store tokens. 1..64 of [A-Za-z0-9_-]. Default: none")
      ->envname("RETAIL_STAFF")
      ->check(IdValidator());
  // Checked at parse time, so a wrong path is a usage error naming the flag
  // rather than a failed handshake.
  app.add_option("--ca-file", options->ca_file,
                 "PEM CA bundle to verify the server with; turns on TLS. "
                 "Default: none (plaintext), or the system's CAs when "
                 "--cert-file is given")
      ->envname("RETAIL_CA_FILE")
      ->check(CLI::ExistingFile);
  CLI::Option* cert =
      app.add_option("--cert-file", options->cert_file,
                     "PEM client certificate for mTLS (with --key-file)")
          ->envname("RETAIL_CERT_FILE")
          ->check(CLI::ExistingFile);
  CLI::Option* key = app.add_option("--key-file", options->key_file,
                                    "PEM private key of --cert-file")
                         ->envname("RETAIL_KEY_FILE")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option_function<std::string>(
         "--output,-o",
         [options](const std::string& name) {
           options->output =
               name == "json" ? OutputFormat::kJson : OutputFormat::kTable;
         },
         "table for people, json for scripts")
      ->check(CLI::IsMember({"table", "json"}))
      ->default_str("table");
  app.add_option("--timeout", options->timeout_seconds,
                 "Deadline of each call in seconds")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
}

int Run(int argc, char** argv) {
  GlobalOptions options;
  CLI::App app("Command-line client of the retail service.", "retailctl");
  // Let global options follow the subcommand too ("customers get X -o json"),
  // which is how people actually type them.
  app.fallthrough();
  app.footer(
      "Exit status: 0 success, 1 the server returned an error, 2 bad "
      "command line.\nErrors print as \"error: CODE: message\" on stderr, "
      "followed by the offending fields or the reason.");
  app.require_subcommand(1);
  AddGlobalOptions(app, &options);
  // One call per area; complaints and feedback go beside these.
  AddCustomersCommands(app, options);
  AddOrdersCommands(app, options);
  AddReturnsCommands(app, options);
  AddComplaintsCommands(app, options);
  AddFeedbackCommands(app, options);
  AddSurveysCommands(app, options);
  AddSatisfactionCommands(app, options);
  AddFollowUpsCommands(app, options);
  AddServerCommands(app, options);
  AddEventsCommands(app, options);
  AddAuditCommands(app, options);
  AddAdminCommands(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Commands throw CLI::RuntimeError carrying their own exit status after
    // printing their error; app.exit() prints nothing for those.
    const int code = app.exit(e);
    if (e.get_name() == "RuntimeError" || code == 0) return code;
    // CLI11 uses a distinct code per parse error (105, 106, ...); scripts
    // only need to know it was a usage error.
    return kExitUsage;
  }
  return 0;
}

}  // namespace
}  // namespace retail::cli

int main(int argc, char** argv) { return retail::cli::Run(argc, argv); }
