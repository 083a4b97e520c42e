// One gRPC call written by hand on HTTP/2 (libnghttp2), for what the gRPC
// client library will not send: a call whose deadline has already passed
// (grpc-timeout: 1n; the library fails such a call itself without sending
// it), odd or missing headers, a request body sent late.
#ifndef RETAIL_TESTS_INTEGRATION_RAW_H2_CALL_H_
#define RETAIL_TESTS_INTEGRATION_RAW_H2_CALL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace retail::testing {

struct RawH2Request {
  // "/package.Service/Method".
  std::string path;
  // The serialized request message; RawH2Call adds gRPC's 5-byte prefix.
  std::string message;
  // Sent after :method POST, :scheme http, :path, :authority, content-type
  // application/grpc and te trailers, e.g. {"grpc-timeout", "1n"},
  // {"authorization", "Bearer <token>"}.
  std::vector<std::pair<std::string, std::string>> headers;
  // How long the body (the framed message) is held back after the headers.
  absl::Duration body_delay = absl::ZeroDuration();
  // Bound on the whole exchange.
  absl::Duration timeout = absl::Seconds(10);
};

struct RawH2Response {
  // Empty when the stream was closed by the server; otherwise what went
  // wrong (connect failed, connection closed, timed out, ...).
  std::string error;
  // Response headers and trailers by name (trailers win on a clash).
  std::map<std::string, std::string> headers;
  // The DATA bytes (gRPC-framed response messages).
  std::string body;
  // grpc-status, or -1 when the server sent none.
  int grpc_status = -1;
  // grpc-message, percent-decoded.
  std::string grpc_message;
  // The HTTP/2 error code the stream was closed with (0: NO_ERROR; a
  // RST_STREAM from the server gives its code).
  uint32_t stream_error_code = 0;
};

// Opens a new connection to 127.0.0.1:`port`, sends `request` as the only
// stream (the connection preface, SETTINGS, HEADERS and DATA in one write,
// unless `body_delay` holds the DATA back), reads until the server closes
// that stream, and closes the connection.
RawH2Response RawH2Call(int port, const RawH2Request& request);

}  // namespace retail::testing

#endif  // RETAIL_TESTS_INTEGRATION_RAW_H2_CALL_H_
