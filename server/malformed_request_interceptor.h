// Turns "the request bytes are not a valid message" into INVALID_ARGUMENT.
//
// When a request fails to parse (truncated wire data, invalid UTF-8 in a
// proto3 string, ...), gRPC 1.51's callback API answers UNIMPLEMENTED with an
// empty message before any handler runs, which sends callers looking for a
// missing method. This interceptor notices the failed parse
// (POST_RECV_MESSAGE with no message) and rewrites the status on its way out.
#ifndef RETAIL_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_
#define RETAIL_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

namespace retail {

class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace retail

#endif  // RETAIL_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_
