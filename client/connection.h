#ifndef RETAIL_CLIENT_CONNECTION_H_
#define RETAIL_CLIENT_CONNECTION_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "client/global_options.h"

namespace retail::cli {

// Path of the token file: "${XDG_CONFIG_HOME:-$HOME/.config}/retailctl/token".
// Empty when neither variable is set.
std::string TokenFilePath();

// The bearer token to send: --token / RETAIL_TOKEN if given, else the first
// line of TokenFilePath(), else empty (the server then answers
// UNAUTHENTICATED, which is a clearer message than any we could invent).
std::string ResolveToken(const GlobalOptions& options);

// A channel to options.addr: TLS (mTLS with a client certificate) when any
// of --ca-file, --cert-file, --key-file is set, plaintext otherwise. A file
// that cannot be read prints an error naming its flag and throws
// CLI::RuntimeError(kExitUsage).
std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& options);

// A context for one call, carrying "authorization: Bearer <token>", and
// "x-staff-id: <id>" when --staff is set, and a deadline of
// options.timeout_seconds from now. Contexts are single-use, so every RPC
// (including each page of a paged listing) needs a fresh one.
std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_CONNECTION_H_
