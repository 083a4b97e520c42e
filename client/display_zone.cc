#include "client/display_zone.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/connection.h"
#include "retail/server/v1/server_info.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::server::v1;

// Asks the server for its zone and loads it. On failure returns nullopt and
// sets `why` to a phrase for the fallback note. Unlike Call(), an error here
// must not end the command: the result it was printing is still good.
std::optional<absl::TimeZone> LookUpChainZone(const GlobalOptions& options,
                                              std::string* why) {
  auto stub = v1::ServerInfoService::NewStub(MakeChannel(options));
  std::unique_ptr<grpc::ClientContext> context = MakeContext(options);
  v1::GetServerInfoResponse response;
  const grpc::Status status =
      stub->GetServerInfo(context.get(), v1::GetServerInfoRequest(), &response);
  if (!status.ok()) {
    // gRPC and Abseil share the canonical code numbers. An older server
    // answers UNIMPLEMENTED with no message at all.
    *why = absl::StrCat("could not get the server's time zone (",
                        absl::StatusCodeToString(
                            static_cast<absl::StatusCode>(status.error_code())),
                        status.error_message().empty() ? "" : ": ",
                        status.error_message(), ")");
    return std::nullopt;
  }
  if (response.time_zone().empty()) {
    *why = "the server reported no time zone";
    return std::nullopt;
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(response.time_zone(), &zone)) {
    *why = absl::StrCat("time zone \"", response.time_zone(),
                        "\" is not installed on this machine (package tzdata)");
    return std::nullopt;
  }
  return zone;
}

}  // namespace

absl::TimeZone DisplayTimeZone(const GlobalOptions& options) {
  // A static, so the lookup and the note happen at most once per process and
  // every timestamp of one command is shown in the same zone.
  static const absl::TimeZone zone = [&options] {
    std::string why;
    if (std::optional<absl::TimeZone> chain = LookUpChainZone(options, &why)) {
      return *chain;
    }
    std::cerr << "note: showing times in UTC: " << why << '\n';
    return absl::UTCTimeZone();
  }();
  return zone;
}

}  // namespace retail::cli
