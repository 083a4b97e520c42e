#include "tests/integration/raw_h2_call.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace retail::testing {
namespace {

// gRPC's length-prefixed message: a 0 "not compressed" byte, then the
// length as 4 big-endian bytes.
std::string Frame(const std::string& message) {
  const uint32_t size = static_cast<uint32_t>(message.size());
  std::string framed(5, '\0');
  framed[1] = static_cast<char>((size >> 24) & 0xff);
  framed[2] = static_cast<char>((size >> 16) & 0xff);
  framed[3] = static_cast<char>((size >> 8) & 0xff);
  framed[4] = static_cast<char>(size & 0xff);
  return framed + message;
}

// grpc-message is percent-encoded (gRPC's HTTP/2 protocol description).
std::string PercentDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    int hex = 0;
    if (in[i] == '%' && i + 2 < in.size() &&
        absl::SimpleHexAtoi(in.substr(i + 1, 2), &hex)) {
      out.push_back(static_cast<char>(hex));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

struct Exchange {
  int32_t stream_id = -1;
  std::string body;  // framed request
  size_t sent = 0;
  absl::Time body_release;
  bool body_deferred = false;
  bool closed = false;
  RawH2Response* response = nullptr;
};

int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
             size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
             void* user_data) {
  auto* ex = static_cast<Exchange*>(user_data);
  if (frame->hd.stream_id != ex->stream_id) return 0;
  ex->response
      ->headers[std::string(reinterpret_cast<const char*>(name), namelen)] =
      std::string(reinterpret_cast<const char*>(value), valuelen);
  return 0;
}

int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
           size_t len, void* user_data) {
  auto* ex = static_cast<Exchange*>(user_data);
  if (stream_id == ex->stream_id) {
    ex->response->body.append(reinterpret_cast<const char*>(data), len);
  }
  return 0;
}

int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                  void* user_data) {
  auto* ex = static_cast<Exchange*>(user_data);
  if (stream_id == ex->stream_id) {
    ex->closed = true;
    ex->response->stream_error_code = error_code;
  }
  return 0;
}

ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                 uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  auto* ex = static_cast<Exchange*>(user_data);
  if (absl::Now() < ex->body_release) {
    ex->body_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(length, ex->body.size() - ex->sent);
  std::memcpy(buf, ex->body.data() + ex->sent, n);
  ex->sent += n;
  if (ex->sent == ex->body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// Sends everything the session has queued in one write, so that the
// connection preface, SETTINGS, HEADERS and DATA reach the server together:
// sent one frame per write, the server may read the HEADERS alone, and
// gRPC core cancels a call whose deadline has passed while it waits for the
// request, before our handler ever sees it. Returns an error or "".
std::string Flush(nghttp2_session* session, int fd) {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n < 0) {
      return absl::StrCat("nghttp2_session_mem_send: ",
                          nghttp2_strerror(static_cast<int>(n)));
    }
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::StrCat("send: ", std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return "";
}

nghttp2_nv Header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Runs the exchange on a connected socket; fills `response`.
void Run(int fd, int port, const RawH2Request& request,
         RawH2Response& response) {
  Exchange ex;
  ex.body = Frame(request.message);
  ex.body_release = absl::Now() + request.body_delay;
  ex.response = &response;

  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                         OnStreamClose);
  nghttp2_session* session;
  nghttp2_session_client_new(&session, callbacks, &ex);
  nghttp2_session_callbacks_del(callbacks);

  const std::string authority = absl::StrCat("127.0.0.1:", port);
  const std::vector<std::pair<std::string, std::string>> fixed = {
      {":method", "POST"},
      {":scheme", "http"},
      {":path", request.path},
      {":authority", authority},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
  };
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : fixed) nva.push_back(Header(name, value));
  for (const auto& [name, value] : request.headers) {
    nva.push_back(Header(name, value));
  }
  nghttp2_data_provider provider{};
  provider.read_callback = ReadBody;

  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  ex.stream_id = nghttp2_submit_request(session, nullptr, nva.data(),
                                        nva.size(), &provider, nullptr);
  if (ex.stream_id < 0) {
    response.error = absl::StrCat("nghttp2_submit_request: ",
                                  nghttp2_strerror(ex.stream_id));
  }

  const absl::Time end = absl::Now() + request.timeout;
  uint8_t buffer[16384];
  while (response.error.empty() && !ex.closed) {
    if (ex.body_deferred && absl::Now() >= ex.body_release) {
      ex.body_deferred = false;
      nghttp2_session_resume_data(session, ex.stream_id);
    }
    if (std::string error = Flush(session, fd); !error.empty()) {
      response.error = error;
      break;
    }
    const absl::Time now = absl::Now();
    if (now >= end) {
      response.error = "timed out waiting for the server";
      break;
    }
    absl::Time wake = end;
    if (ex.body_deferred) wake = std::min(wake, ex.body_release);
    pollfd p{fd, POLLIN, 0};
    const int wait_ms = static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(wake - now) + 1));
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno != EINTR) {
      response.error = absl::StrCat("poll: ", std::strerror(errno));
      break;
    }
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) {
      response.error = "the server closed the connection";
      break;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      response.error = absl::StrCat("recv: ", std::strerror(errno));
      break;
    }
    const ssize_t used =
        nghttp2_session_mem_recv(session, buffer, static_cast<size_t>(n));
    if (used < 0) {
      response.error = absl::StrCat("nghttp2_session_mem_recv: ",
                                    nghttp2_strerror(static_cast<int>(used)));
    }
  }
  nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR);
  Flush(session, fd);
  nghttp2_session_del(session);
}

}  // namespace

RawH2Response RawH2Call(int port, const RawH2Request& request) {
  RawH2Response response;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    response.error = absl::StrCat("socket: ", std::strerror(errno));
    return response;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    response.error = absl::StrCat("connect: ", std::strerror(errno));
  } else {
    Run(fd, port, request, response);
  }
  ::close(fd);
  if (auto it = response.headers.find("grpc-status");
      it != response.headers.end()) {
    if (!absl::SimpleAtoi(it->second, &response.grpc_status)) {
      response.grpc_status = -1;
    }
  }
  if (auto it = response.headers.find("grpc-message");
      it != response.headers.end()) {
    response.grpc_message = PercentDecode(it->second);
  }
  return response;
}

}  // namespace retail::testing
