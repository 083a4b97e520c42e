#ifndef RETAIL_CLIENT_RPC_H_
#define RETAIL_CLIENT_RPC_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/sync_stream.h>

#include <memory>

#include "client/connection.h"
#include "client/global_options.h"

namespace retail::cli {

// Prints `status` (see PrintRpcError) plus a hint when no token was found,
// then throws CLI::RuntimeError(kExitFailure) so that main() exits with 1
// without CLI11 printing anything further.
[[noreturn]] void FailRpc(const GlobalOptions& options,
                          const grpc::Status& status);

// Runs one unary RPC, e.g.
//   auto response = Call(options, *stub, &CustomerService::Stub::GetCustomer,
//                        request);
// with a fresh context from MakeContext(). Returns the response on success;
// on failure reports the error via FailRpc(). Every command goes through
// here, so auth, deadlines and error output behave the same everywhere.
template <typename Stub, typename Request, typename Response>
Response Call(const GlobalOptions& options, Stub& stub,
              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                           Response*),
              const Request& request) {
  Response response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(options);
  const grpc::Status status = (stub.*method)(context.get(), request, &response);
  if (!status.ok()) FailRpc(options, status);
  return response;
}

// Runs one server-streaming RPC whose messages are parts of one answer
// (e.g. ExportCustomerData, whose parts stay under the 4 MiB message limit)
// and returns them merged back into one, as the server documents.
template <typename Stub, typename Request, typename Response>
Response Call(const GlobalOptions& options, Stub& stub,
              std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
                  grpc::ClientContext*, const Request&),
              const Request& request) {
  Response response;
  Response part;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(options);
  std::unique_ptr<grpc::ClientReader<Response>> reader =
      (stub.*method)(context.get(), request);
  while (reader->Read(&part)) {
    response.MergeFrom(part);
    part.Clear();
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) FailRpc(options, status);
  return response;
}

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_RPC_H_
