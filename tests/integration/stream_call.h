// Calls to server-streaming methods whose messages are the parts of one
// answer (e.g. ExportCustomerData), merged back into one, beside
// testing::Call for unary methods (test_server.h).
#ifndef RETAIL_TESTS_INTEGRATION_STREAM_CALL_H_
#define RETAIL_TESTS_INTEGRATION_STREAM_CALL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "tests/integration/test_server.h"

namespace retail::testing {

// Reads every part as `token` with a 10 s deadline and merges them into
// `*resp`, which is cleared first (as a unary call's answer replaces it);
// `*parts` (optional) is how many there were.
template <typename Stub, typename Req, typename Resp>
grpc::Status Call(Stub& stub,
                  std::unique_ptr<grpc::ClientReader<Resp>> (Stub::*method)(
                      grpc::ClientContext*, const Req&),
                  const std::string& token, const Req& req, Resp* resp,
                  int* parts = nullptr) {
  resp->Clear();
  auto ctx = ContextFor(token);
  std::unique_ptr<grpc::ClientReader<Resp>> reader =
      (stub.*method)(ctx.get(), req);
  Resp part;
  int count = 0;
  while (reader->Read(&part)) {
    resp->MergeFrom(part);
    part.Clear();
    ++count;
  }
  if (parts != nullptr) *parts = count;
  return reader->Finish();
}

}  // namespace retail::testing

#endif  // RETAIL_TESTS_INTEGRATION_STREAM_CALL_H_
