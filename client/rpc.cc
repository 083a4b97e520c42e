#include "client/rpc.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "client/output.h"

namespace retail::cli {

void FailRpc(const GlobalOptions& options, const grpc::Status& status) {
  PrintRpcError(status);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
      ResolveToken(options).empty()) {
    std::string where = TokenFilePath();
    if (where.empty()) where = "$XDG_CONFIG_HOME/retailctl/token";
    std::cerr << "  hint: no token found; set RETAIL_TOKEN, pass --token, or "
                 "write it to "
              << where << '\n';
  }
  // A plaintext client meeting a TLS listener sees only a dropped
  // connection.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      options.ca_file.empty() && options.cert_file.empty()) {
    std::cerr << "  hint: if the server uses TLS, pass --ca-file (and "
                 "--cert-file/--key-file for mTLS) or set RETAIL_CA_FILE\n";
  }
  throw CLI::RuntimeError(kExitFailure);
}

}  // namespace retail::cli
