#include "client/server_commands.h"

#include "client/connection.h"
#include "client/output.h"
#include "client/rpc.h"
#include "retail/server/v1/server_info.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::server::v1;
using Stub = v1::ServerInfoService::Stub;

void AddInfo(CLI::App& server, const GlobalOptions& options) {
  CLI::App* cmd = server.add_subcommand(
      "info",
      "Show the server's version, currency, time zone, modules and gRPC "
      "services.");
  cmd->callback([&options] {
    auto stub = v1::ServerInfoService::NewStub(MakeChannel(options));
    const auto response =
        Call(options, *stub, &Stub::GetServerInfo, v1::GetServerInfoRequest());
    // The response is flat, so the generic rows read well: version,
    // currency_code, time_zone, then modules and services joined by ", ".
    Emit(options, response, [&] { PrintResource(options, response); });
  });
}

}  // namespace

void AddServerCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* server = app.add_subcommand(
      "server", "What the server is and how it is configured.");
  server->require_subcommand(1);
  AddInfo(*server, options);
}

}  // namespace retail::cli
