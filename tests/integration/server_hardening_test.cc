// The server under abuse: health for every service and through drain and
// shutdown, reflection that describes every service it lists, the bounds on
// calls in flight and streams per connection, a flood of calls whose answers
// are never read, running out of file descriptors, and the exit status when
// the database cannot be checkpointed at exit.
//
// The first tests run the server in-process (TestServer). The others start
// the real retail_server binary (RETAIL_SERVER_BINARY, set by CMake) as a
// child process, because they measure or limit the process itself: its RSS,
// its file descriptors, its file size limit and its exit status. Everything
// is on loopback, with bounded counts and deadlines. On PostgreSQL
// (RETAIL_TEST_ENGINE) the child gets a fresh database of its own; the
// checkpoint at exit is SQLite's and skips there.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/pg_connection.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/accept_watchdog.h"
#include "tests/integration/test_server.h"
#include "tests/pg/pg_test_db.h"

namespace retail::testing {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::CustomerService;
using ::retail::customers::v1::ListCustomersRequest;
using ::retail::customers::v1::ListCustomersResponse;

constexpr char kListCustomers[] =
    "/retail.customers.v1.CustomerService/ListCustomers";
constexpr char kCreateCustomer[] =
    "/retail.customers.v1.CustomerService/CreateCustomer";

// How long a test waits for something that should happen at once (or within
// a configured second or two): only a hang takes this long, so a slow or
// loaded machine never fails a test that waits on a condition.
constexpr absl::Duration kPatience = absl::Seconds(60);
constexpr auto kPatienceChrono = std::chrono::seconds(60);

// Polls `done` every 20 ms until it holds or `timeout` passes.
template <typename Predicate>
bool WaitFor(Predicate done, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= end) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

HealthCheckResponse::ServingStatus CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    grpc::Status* status) {
  auto stub = Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  *status = stub->Check(&ctx, request, &response);
  return response.status();
}

std::string ListRequest(int page_size) {
  ListCustomersRequest req;
  req.set_page_size(page_size);
  return req.SerializeAsString();
}

// ---------------------------------------------------------------------------
// A hand-written HTTP/2 client for floods. It announces a stream window of 0,
// so the server cannot send a single byte of any answer: every call it
// starts stays in flight, holding its answer in the server's memory, until
// the connection closes. That is what a client that never reads does, made
// deterministic. It acknowledges the server's SETTINGS, as any HTTP/2 client
// must, and like a gRPC client it opens no more streams than the server's
// MAX_CONCURRENT_STREAMS (unless told to ignore it); the rest it would queue,
// which here means never sends.
class StallingH2Client {
 public:
  static std::unique_ptr<StallingH2Client> Connect(int port) {
    auto client = std::unique_ptr<StallingH2Client>(new StallingH2Client());
    if (!client->Open(port)) return nullptr;
    return client;
  }
  ~StallingH2Client() { Close(); }

  // Starts `count` unary calls of `path` with `request` (serialized) and a
  // bearer `token` ("" for none), or as many as the server's stream limit
  // leaves room for. False if the connection failed.
  bool StartCalls(const std::string& path, const std::string& request,
                  const std::string& token, int count,
                  bool ignore_stream_limit = false) {
    if (!ignore_stream_limit) {
      count = std::min<int64_t>(count, max_streams_ - started_);
    }
    started_ += count;
    std::string frames;
    for (int i = 0; i < count; ++i) {
      const uint32_t stream = next_stream_;
      next_stream_ += 2;
      std::string block;
      AppendHeader(&block, ":method", "POST");
      AppendHeader(&block, ":scheme", "http");
      AppendHeader(&block, ":path", path);
      AppendHeader(&block, ":authority", "127.0.0.1");
      AppendHeader(&block, "content-type", "application/grpc");
      AppendHeader(&block, "te", "trailers");
      if (!token.empty()) {
        AppendHeader(&block, "authorization", "Bearer " + token);
      }
      AppendFrame(&frames, kHeaders, kEndHeaders, stream, block);
      std::string message(5, '\0');
      const uint32_t size = request.size();
      for (int b = 0; b < 4; ++b)
        message[1 + b] = (size >> (24 - 8 * b)) & 0xff;
      message += request;
      AppendFrame(&frames, kData, kEndStream, stream, message);
    }
    return Send(frames);
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr uint8_t kData = 0x0, kHeaders = 0x1, kSettings = 0x4;
  static constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4;
  static constexpr uint32_t kMaxConcurrentStreams = 0x3;

  StallingH2Client() = default;

  bool Open(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    timeval tv{5, 0};  // every blocking call here is bounded
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return false;
    }
    std::string hello = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    // SETTINGS_ENABLE_PUSH = 0, SETTINGS_INITIAL_WINDOW_SIZE = 0.
    const std::string settings(
        "\x00\x02\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00", 12);
    AppendFrame(&hello, kSettings, 0, 0, settings);
    if (!Send(hello)) return false;
    // The server's own SETTINGS come first; acknowledge them.
    for (int frames = 0; frames < 16; ++frames) {
      uint8_t header[9];
      if (!Receive(header, sizeof(header))) return false;
      const uint32_t length = (header[0] << 16) | (header[1] << 8) | header[2];
      std::string payload(length, '\0');
      if (length > 0 && !Receive(payload.data(), length)) return false;
      if (header[3] == kSettings && (header[4] & kAck) == 0) {
        for (size_t at = 0; at + 6 <= payload.size(); at += 6) {
          const auto byte = [&](size_t i) {
            return static_cast<uint32_t>(static_cast<uint8_t>(payload[at + i]));
          };
          const uint32_t id = (byte(0) << 8) | byte(1);
          const uint32_t value =
              (byte(2) << 24) | (byte(3) << 16) | (byte(4) << 8) | byte(5);
          if (id == kMaxConcurrentStreams) max_streams_ = value;
        }
        std::string ack;
        AppendFrame(&ack, kSettings, kAck, 0, "");
        return Send(ack);
      }
    }
    return false;
  }

  // HPACK "literal header field without indexing, new name", no Huffman.
  static void AppendHeader(std::string* block, absl::string_view name,
                           absl::string_view value) {
    block->push_back('\0');
    AppendHpackString(block, name);
    AppendHpackString(block, value);
  }
  static void AppendHpackString(std::string* out, absl::string_view s) {
    // 7-bit prefix integer (RFC 7541 5.1).
    size_t n = s.size();
    if (n < 127) {
      out->push_back(static_cast<char>(n));
    } else {
      out->push_back(static_cast<char>(127));
      n -= 127;
      while (n >= 128) {
        out->push_back(static_cast<char>((n & 0x7f) | 0x80));
        n >>= 7;
      }
      out->push_back(static_cast<char>(n));
    }
    out->append(s.data(), s.size());
  }
  static void AppendFrame(std::string* out, uint8_t type, uint8_t flags,
                          uint32_t stream, absl::string_view payload) {
    const uint32_t length = payload.size();
    const char header[9] = {
        static_cast<char>(length >> 16), static_cast<char>(length >> 8),
        static_cast<char>(length),       static_cast<char>(type),
        static_cast<char>(flags),        static_cast<char>(stream >> 24),
        static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
        static_cast<char>(stream)};
    out->append(header, sizeof(header));
    out->append(payload.data(), payload.size());
  }

  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(n);
    }
    return true;
  }
  bool Receive(void* into, size_t size) {
    auto* p = static_cast<char*>(into);
    while (size > 0) {
      const ssize_t n = recv(fd_, p, size, 0);
      if (n <= 0) return false;
      p += n;
      size -= n;
    }
    return true;
  }

  int fd_ = -1;
  uint32_t next_stream_ = 1;
  int64_t max_streams_ = INT32_MAX;  // until the server says otherwise
  int64_t started_ = 0;
};

// ---------------------------------------------------------------------------
// In-process.

class HardeningTest : public ::testing::Test {
 protected:
  grpc::Status CreateCustomer(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& phone) {
    auto stub = CustomerService::NewStub(channel);
    CreateCustomerRequest req;
    req.set_request_id(absl::StrCat("hardening-", phone));
    req.mutable_customer()->set_display_name("压力测试");
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id("B001");
    CreateCustomerResponse resp;
    return Call(*stub, &CustomerService::Stub::CreateCustomer, kAdmin, req,
                &resp);
  }
};

TEST_F(HardeningTest, HealthHasAStatusForEveryServedService) {
  TestServer server;
  std::vector<std::string> names = {"", "grpc.health.v1.Health",
                                    "grpc.reflection.v1alpha.ServerReflection"};
  for (const ModuleService* s : server.server().services()) {
    names.push_back(s->descriptor().full_name());
  }
  EXPECT_THAT(names,
              ::testing::Contains("retail.customers.v1.CustomerService"));
  for (const std::string& name : names) {
    grpc::Status status;
    EXPECT_EQ(CheckHealth(server.Channel(), name, &status),
              HealthCheckResponse::SERVING)
        << "'" << name << "': " << status.error_code() << " "
        << status.error_message();
  }
  grpc::Status status;
  CheckHealth(server.Channel(), "no.such.Service", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HardeningTest, HealthWatchFollowsDrainAndEndsAtShutdown) {
  TestServer server;
  auto stub = Health::NewStub(server.Channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
  HealthCheckRequest request;
  request.set_service("retail.customers.v1.CustomerService");
  auto watch = stub->Watch(&ctx, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  grpc::ClientContext unknown_ctx;
  unknown_ctx.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
  HealthCheckRequest unknown_request;
  unknown_request.set_service("no.such.Service");
  auto unknown = stub->Watch(&unknown_ctx, unknown_request);
  ASSERT_TRUE(unknown->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVICE_UNKNOWN);

  // Drain: every service NOT_SERVING, calls still served.
  server.server().Drain();
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  grpc::Status status;
  EXPECT_EQ(CheckHealth(server.Channel(), "", &status),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(CreateCustomer(server.Channel(), "13900000001").ok());

  // Shutdown ends the streams instead of waiting out its grace on them: with
  // a grace longer than the streams' own deadline (kPatience), only that
  // ends them if Shutdown does not, and they end DEADLINE_EXCEEDED.
  EXPECT_TRUE(server.server().Shutdown(2 * kPatience).ok());
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(unknown->Read(&update));
  EXPECT_EQ(unknown->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// Watch streams that clients cancel while the status changes under them,
// and the rest ended by shutdown: every stream ends, nothing is left behind.
TEST_F(HardeningTest, HealthWatchersComeAndGoWhileTheStatusChanges) {
  TestServer server;
  constexpr int kWatchers = 40;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> readers;
  std::atomic<int> ended{0};
  auto channel = server.Channel();
  for (int i = 0; i < kWatchers; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() +
                                  kPatienceChrono);
    readers.emplace_back([&, ctx = contexts.back().get()] {
      auto stub = Health::NewStub(channel);
      auto watch = stub->Watch(ctx, HealthCheckRequest());
      HealthCheckResponse update;
      while (watch->Read(&update)) {
      }
      const grpc::StatusCode code = watch->Finish().error_code();
      if (code == grpc::StatusCode::CANCELLED ||
          code == grpc::StatusCode::UNAVAILABLE) {
        ++ended;
      }
    });
  }
  ASSERT_TRUE(
      WaitFor([&] { return server.server().health().watchers() == kWatchers; },
              kPatience));
  for (int round = 0; round < 20; ++round) {
    if (round % 2 == 0) contexts[round]->TryCancel();
    if (round % 4 == 0) {
      server.server().Drain();
    } else {
      server.server().health().SetServing(true);
    }
  }
  server.Stop();
  for (auto& r : readers) r.join();
  EXPECT_EQ(ended.load(), kWatchers);
}

// A reflection client (grpc.reflection.v1alpha, as buf curl and grpcurl
// use it) lists the services and fetches each one's file descriptors.
// Messages are built from the descriptors gRPC's reflection library links
// into this binary.
class ReflectionClient {
 public:
  explicit ReflectionClient(const std::shared_ptr<grpc::Channel>& channel) {
    ctx_.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
    stream_.reset(grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer,
                                                            grpc::ByteBuffer>::
                      Create(channel.get(),
                             grpc::internal::RpcMethod(
                                 "/grpc.reflection.v1alpha.ServerReflection/"
                                 "ServerReflectionInfo",
                                 grpc::internal::RpcMethod::BIDI_STREAMING),
                             &ctx_));
  }
  ~ReflectionClient() {
    stream_->WritesDone();
    stream_->Finish();
  }

  // Sends the request given in text format; returns the response, or null.
  std::unique_ptr<google::protobuf::Message> Ask(const std::string& text) {
    auto request = New("grpc.reflection.v1alpha.ServerReflectionRequest");
    auto response = New("grpc.reflection.v1alpha.ServerReflectionResponse");
    if (request == nullptr || response == nullptr ||
        !google::protobuf::TextFormat::ParseFromString(text, request.get())) {
      ADD_FAILURE() << "cannot build " << text;
      return nullptr;
    }
    grpc::Slice slice(request->SerializeAsString());
    grpc::ByteBuffer out(&slice, 1);
    grpc::ByteBuffer in;
    if (!stream_->Write(out) || !stream_->Read(&in)) return nullptr;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (!in.Dump(&slices).ok()) return nullptr;
    for (const auto& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    if (!response->ParseFromString(bytes)) return nullptr;
    return response;
  }

 private:
  static std::unique_ptr<google::protobuf::Message> New(
      const std::string& type) {
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()
                                 ->FindMessageTypeByName(type);
    if (descriptor == nullptr) return nullptr;
    return std::unique_ptr<google::protobuf::Message>(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(descriptor)
            ->New());
  }

  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream_;
};

// The submessage or repeated values of `m` along `path` ("a.b"), as text.
std::vector<std::string> Values(const google::protobuf::Message& m,
                                const std::string& path) {
  const google::protobuf::Message* at = &m;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto* field = at->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr || !at->GetReflection()->HasField(*at, field)) {
      return {};
    }
    at = &at->GetReflection()->GetMessage(*at, field);
  }
  const auto* field = at->GetDescriptor()->FindFieldByName(parts.back());
  if (field == nullptr) return {};
  const auto* r = at->GetReflection();
  std::vector<std::string> out;
  if (field->is_repeated()) {
    for (int i = 0; i < r->FieldSize(*at, field); ++i) {
      out.push_back(r->GetRepeatedString(*at, field, i));
    }
  } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING ||
             field->type() == google::protobuf::FieldDescriptor::TYPE_BYTES) {
    if (r->HasField(*at, field)) out.push_back(r->GetString(*at, field));
  }
  return out;
}

TEST_F(HardeningTest, ReflectionDescribesEveryServiceItLists) {
  TestServer server;
  ReflectionClient reflection(server.Channel());
  auto listed = reflection.Ask(R"pb(list_services: "")pb");
  ASSERT_TRUE(listed != nullptr);
  std::vector<std::string> services;
  const auto* list_field =
      listed->GetDescriptor()->FindFieldByName("list_services_response");
  ASSERT_TRUE(listed->GetReflection()->HasField(*listed, list_field))
      << listed->DebugString();
  const auto& list = listed->GetReflection()->GetMessage(*listed, list_field);
  const auto* service_field = list.GetDescriptor()->FindFieldByName("service");
  for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field);
       ++i) {
    const auto& entry =
        list.GetReflection()->GetRepeatedMessage(list, service_field, i);
    services.push_back(Values(entry, "name").at(0));
  }
  EXPECT_THAT(services,
              ::testing::IsSupersetOf({"grpc.health.v1.Health",
                                       "retail.customers.v1.CustomerService",
                                       "retail.server.v1.ServerInfoService"}));

  google::protobuf::SimpleDescriptorDatabase files;
  std::set<std::string> added;
  for (const std::string& service : services) {
    auto found = reflection.Ask(
        absl::StrCat("file_containing_symbol: \"", service, "\""));
    ASSERT_TRUE(found != nullptr) << service;
    const std::vector<std::string> error =
        Values(*found, "error_response.error_message");
    EXPECT_TRUE(error.empty()) << service << ": " << error[0];
    for (const std::string& bytes :
         Values(*found, "file_descriptor_response.file_descriptor_proto")) {
      google::protobuf::FileDescriptorProto file;
      ASSERT_TRUE(file.ParseFromString(bytes));
      if (added.insert(file.name()).second) {
        ASSERT_TRUE(files.Add(file));
      }
    }
  }
  google::protobuf::DescriptorPool pool(&files);
  for (const std::string& service : services) {
    const auto* descriptor = pool.FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service << " does not resolve";
    EXPECT_GT(descriptor->method_count(), 0) << service;
  }
}

TEST_F(HardeningTest, CallsInFlightAreBoundedAndGivenBackWhenDone) {
  TestServer server(
      {.configure = [](ServerOptions& o) { o.max_calls_in_flight = 8; }});
  auto flood = StallingH2Client::Connect(server.server().port());
  ASSERT_NE(flood, nullptr);
  ASSERT_TRUE(flood->StartCalls(kListCustomers, ListRequest(10), kAdmin, 20));
  // Eight answers wait for a window that never opens; the other twelve were
  // refused and are gone.
  ASSERT_TRUE(WaitFor([&] { return server.server().calls_in_flight() == 8; },
                      kPatience))
      << server.server().calls_in_flight();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(server.server().calls_in_flight(), 8);

  grpc::Status refused = CreateCustomer(server.Channel(), "13900000002");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(DetailsOf(refused).reason, "SERVER_OVERLOADED");
  // Health is not counted: a full server is busy, not down.
  grpc::Status status;
  EXPECT_EQ(CheckHealth(server.Channel(), "", &status),
            HealthCheckResponse::SERVING);

  flood->Close();
  ASSERT_TRUE(WaitFor([&] { return server.server().calls_in_flight() == 0; },
                      kPatience))
      << server.server().calls_in_flight();
  EXPECT_TRUE(CreateCustomer(server.Channel(), "13900000003").ok());
}

TEST_F(HardeningTest, StreamsPerConnectionAreBounded) {
  TestServer server({.configure = [](ServerOptions& o) {
    o.max_concurrent_streams = 10;
    o.max_calls_in_flight = 1000;
  }});
  auto flood = StallingH2Client::Connect(server.server().port());
  ASSERT_NE(flood, nullptr);
  ASSERT_TRUE(flood->StartCalls(kListCustomers, ListRequest(10), kAdmin, 10));
  ASSERT_TRUE(WaitFor([&] { return server.server().calls_in_flight() == 10; },
                      kPatience))
      << server.server().calls_in_flight();
  // Past the limit gRPC drops the connection (a connection error in 1.51)
  // rather than queue the streams; either way, never more than 10.
  flood->StartCalls(kListCustomers, ListRequest(10), kAdmin, 20,
                    /*ignore_stream_limit=*/true);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LE(server.server().calls_in_flight(), 10);

  // A gRPC client honours the limit: its 40 calls on one connection all
  // complete, at most 10 at a time.
  auto channel = server.Channel();
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 40; ++i) {
    callers.emplace_back([&, i] {
      if (CreateCustomer(channel, absl::StrCat("139000001", 10 + i)).ok()) ++ok;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), 40);
}

// Connections that never start HTTP/2 hold a descriptor each; gRPC's
// default gives them 120 s.
TEST_F(HardeningTest, SilentConnectionsAreClosedAfterTheHandshakeTimeout) {
  TestServer server(
      {.configure = [](ServerOptions& o) { o.handshake_timeout_ms = 500; }});
  constexpr int kConnections = 20;
  std::vector<int> sockets;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(server.server().port());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    sockets.push_back(fd);
  }
  // Wait for the server to hang up on every one (it may send its SETTINGS
  // first); only a server that never does takes kPatience.
  const absl::Time deadline = absl::Now() + kPatience;
  std::vector<bool> hung_up(kConnections, false);
  int closed = 0;
  while (closed < kConnections && absl::Now() < deadline) {
    std::vector<pollfd> waiting;
    for (int i = 0; i < kConnections; ++i) {
      if (!hung_up[i]) waiting.push_back({sockets[i], POLLIN, 0});
    }
    poll(waiting.data(), waiting.size(), 100);
    for (int i = 0; i < kConnections; ++i) {
      if (hung_up[i]) continue;
      char buffer[256];
      ssize_t n;
      while ((n = recv(sockets[i], buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) {
      }
      if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        hung_up[i] = true;
        ++closed;
      }
    }
  }
  for (int fd : sockets) close(fd);
  EXPECT_EQ(closed, kConnections);
}

TEST(AcceptWatchdogTest, ProbesTheListenAddressOverLoopback) {
  EXPECT_EQ(WatchdogTarget("127.0.0.1:0", 4242), "127.0.0.1:4242");
  EXPECT_EQ(WatchdogTarget("0.0.0.0:50051", 50051), "127.0.0.1:50051");
  EXPECT_EQ(WatchdogTarget("[::]:50051", 50051), "127.0.0.1:50051");
  EXPECT_EQ(WatchdogTarget(":50051", 50051), "127.0.0.1:50051");
  EXPECT_EQ(WatchdogTarget("10.1.2.3:50051", 50051), "10.1.2.3:50051");
  EXPECT_EQ(WatchdogTarget("[::1]:50051", 50051), "[::1]:50051");
  EXPECT_EQ(WatchdogTarget("localhost:50051", 50051), "localhost:50051");
}

// The probe a TLS listener gets (no credentials): a listener that accepts
// answers or closes its junk; a socket whose owner never accepts leaves the
// connection in the backlog, unanswered.
TEST(AcceptWatchdogTest, AnyProtocolProbeTellsAcceptingFromStuck) {
  TestServer server;
  EXPECT_TRUE(ProbeAcceptAnyProtocol(server.address(), absl::Seconds(5)).ok());

  const int stuck = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(stuck, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(stuck, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(stuck, 8), 0);  // and never accept()
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(stuck, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const absl::Status probe =
      ProbeAcceptAnyProtocol(absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)),
                             absl::Milliseconds(300));
  EXPECT_EQ(probe.code(), absl::StatusCode::kUnavailable) << probe;
  close(stuck);
}

// ---------------------------------------------------------------------------
// The real binary, as a child process.

#ifndef RETAIL_SERVER_BINARY
#error "CMake passes RETAIL_SERVER_BINARY, the path of retail_server"
#endif

int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kb = 0;
      std::vector<std::string> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.size() >= 2 && absl::SimpleAtoi(words[1], &kb)) return kb;
    }
  }
  return -1;
}

int OpenFds(pid_t pid) {
  std::error_code ignored;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/fd"), ignored);
       it != std::filesystem::directory_iterator(); it.increment(ignored)) {
    ++n;
  }
  return n;
}

// retail_server as a child process, as tests/crash/server_process.h runs it,
// plus what these tests need before exec: a file descriptor limit and
// SIGXFSZ ignored (so a file size limit is a write error, which the server
// must report, instead of a kill). Only the child it started is signalled.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is the binary
    std::string log_path;           // stdout and stderr, appended
    rlimit max_fds{0, 0};           // RLIMIT_NOFILE; {0, 0}: inherit
  };

  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Reap(/*block=*/true);
    }
  }

  bool Start(const Options& options) {
    // Everything the child needs is made before fork(): between fork() and
    // exec() it may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (const std::string& a : options.argv) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const int log_fd = open(options.log_path.c_str(),
                            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return false;
    const rlimit fds = options.max_fds;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      close(log_fd);
      return false;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGXFSZ, SIG_IGN);
      if (fds.rlim_max > 0 && setrlimit(RLIMIT_NOFILE, &fds) != 0) {
        _exit(126);
      }
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    pid_ = pid;
    return true;
  }

  pid_t pid() const { return pid_; }
  bool Running() { return pid_ > 0 && !Reap(/*block=*/false); }
  void Signal(int signal_number) {
    if (pid_ > 0) kill(pid_, signal_number);
  }

  // The wait status once the child has exited, within `timeout`.
  std::optional<int> WaitExit(absl::Duration timeout) {
    if (!WaitFor([&] { return !Running(); }, timeout)) return std::nullopt;
    return wait_status_;
  }

 private:
  bool Reap(bool block) {
    if (pid_ <= 0) return true;
    for (;;) {
      const pid_t r = waitpid(pid_, &wait_status_, block ? 0 : WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return true;
      }
      if (r == 0) return false;
      if (errno == EINTR) continue;
      pid_ = -1;
      return true;
    }
  }

  pid_t pid_ = -1;
  int wait_status_ = 0;
};

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("exit status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return absl::StrCat("signal ", WTERMSIG(wait_status));
  }
  return absl::StrCat("wait status ", wait_status);
}

class ChildServerTest : public HardeningTest {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/retail_hardening_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/auth.conf")
        << "sha256:" << Sha256Hex(kAdmin) << " admin admin\n";
    db_ = dir_ + "/retail.db";
    // The suite on PostgreSQL (RETAIL_TEST_ENGINE): the child gets a fresh
    // database of its own, as TestServer's servers do.
    if (TestEngineIsPostgres()) {
      pg_database_ = absl::StrCat("hard_", getpid(), "_",
                                  std::random_device()() % 1'000'000'000);
      absl::StatusOr<std::string> url = FreshPgDatabase(pg_database_);
      ASSERT_TRUE(url.ok()) << url.status();
      db_ = *url;
    }
  }

  void TearDown() override {
    process_.reset();
    if (!pg_database_.empty()) {
      absl::Status dropped = DropPgDatabase(pg_database_);
      EXPECT_TRUE(dropped.ok()) << dropped;
    }
    if (HasFailure()) {
      std::ifstream log(dir_ + "/server.log");
      std::string line;
      for (int lines = 0; std::getline(log, line) && lines < 200; ++lines) {
        std::cerr << "server: " << line << "\n";
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts retail_server on port 0 with `flags` and waits until it has
  // written the port it bound to --port_file, which it does once serving.
  // (A port chosen here and bound by the server later could be taken in
  // between by another test running in parallel.)
  void StartServer(std::vector<std::string> flags, rlimit max_fds = {0, 0}) {
    const std::string port_file = dir_ + "/port";
    ChildProcess::Options options;
    options.argv = {RETAIL_SERVER_BINARY,
                    "--listen=127.0.0.1:0",
                    "--metrics_listen=127.0.0.1:0",
                    absl::StrCat("--port_file=", port_file),
                    absl::StrCat("--db=", db_),
                    absl::StrCat("--auth_config=", dir_, "/auth.conf"),
                    "--maintenance_interval_seconds=0",
                    "--drain_seconds=0"};
    options.argv.insert(options.argv.end(), flags.begin(), flags.end());
    options.log_path = dir_ + "/server.log";
    options.max_fds = max_fds;
    process_ = std::make_unique<ChildProcess>();
    ASSERT_TRUE(process_->Start(options));
    ASSERT_TRUE(WaitFor(
        [&] {
          return !process_->Running() || std::filesystem::exists(port_file);
        },
        kPatience))
        << "no --port_file after " << kPatience;
    ASSERT_TRUE(process_->Running()) << "the server exited at start-up";
    std::string text;
    std::getline(std::ifstream(port_file), text);
    ASSERT_TRUE(absl::SimpleAtoi(text, &port_) && port_ > 0)
        << "--port_file holds '" << text << "'";
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  // A channel with a connection of its own.
  std::shared_ptr<grpc::Channel> NewChannel() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address(),
                                     grpc::InsecureChannelCredentials(), args);
  }

  std::string dir_;
  std::string db_;           // the child's --db: a SQLite file or a URL
  std::string pg_database_;  // on PostgreSQL, the database SetUp made
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// gRPC 1.51 stops accepting for good after one EMFILE. Whatever happens, the
// process must not stay up accepting nothing: afterwards it either serves
// again or has exited with a non-zero status (for its supervisor).
TEST_F(ChildServerTest, RunningOutOfDescriptorsEndsServingOrExited) {
  // `ulimit -n 128` (soft and hard) before exec: the server cannot raise it.
  constexpr rlim_t kMaxFds = 128;
  StartServer(
      {"--accept_check_interval_ms=500", "--accept_check_timeout_ms=1000",
       "--accept_check_failures=3", "--handshake_timeout_ms=2000"},
      {kMaxFds, kMaxFds});
  const int open_before = OpenFds(process_->pid());

  // Plain TCP connections that never say anything: the kernel completes
  // each handshake, the server accepts until it runs out of descriptors.
  constexpr int kConnections = kMaxFds + 100;
  std::vector<int> sockets;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      break;  // the backlog is full: enough
    }
    sockets.push_back(fd);
  }
  absl::SleepFor(absl::Seconds(1));
  const int open_during = process_->Running() ? OpenFds(process_->pid()) : -1;
  for (int fd : sockets) close(fd);
  std::cerr << "descriptors: limit " << kMaxFds << ", open before "
            << open_before << ", during " << open_during << "; "
            << sockets.size() << " connections opened and closed\n";
  EXPECT_GT(static_cast<int>(sockets.size()), static_cast<int>(kMaxFds));

  bool serving = false;
  WaitFor(
      [&] {
        if (!process_->Running()) return true;
        serving = ProbeAccept(address(), absl::Seconds(1)).ok();
        return serving;
      },
      kPatience);
  if (serving) {
    std::cerr << "the server serves again\n";
    grpc::Status status;
    EXPECT_EQ(CheckHealth(NewChannel(), "", &status),
              HealthCheckResponse::SERVING);
    return;
  }
  const std::optional<int> exit = process_->WaitExit(absl::Seconds(1));
  ASSERT_TRUE(exit.has_value()) << "alive but not accepting connections "
                                << kPatience << " after the flood";
  std::cerr << "the server ended with " << DescribeExit(*exit) << "\n";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) != 0)
      << DescribeExit(*exit);
}

// Fills the database with `count` customers whose notes make a page of 1,000
// about `count` x 600 bytes, using `threads` connections.
void Seed(const std::shared_ptr<grpc::Channel>& channel, int count,
          int threads) {
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto stub = CustomerService::NewStub(channel);
      for (int i = next++; i < count; i = next++) {
        CreateCustomerRequest req;
        req.set_request_id(absl::StrCat("seed-", 1000000 + i));
        req.mutable_customer()->set_display_name(absl::StrCat("顾客", i));
        req.mutable_customer()->set_phone(absl::StrCat("1390", 1000000 + i));
        req.mutable_customer()->set_branch_id("B001");
        req.mutable_customer()->set_notes(std::string(500, 'n'));
        CreateCustomerResponse resp;
        const grpc::Status s = Call(
            *stub, &CustomerService::Stub::CreateCustomer, kAdmin, req, &resp);
        if (!s.ok() && failed++ == 0) {
          ADD_FAILURE() << "seeding customer " << i << ": " << s.error_code()
                        << " " << s.error_message();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_EQ(failed.load(), 0);
}

// Samples the child's RSS every 50 ms while it lives.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            const int64_t kb = RssKb(pid);
            int64_t seen = peak_kb_.load();
            while (kb > seen && !peak_kb_.compare_exchange_weak(seen, kb)) {
            }
            absl::SleepFor(absl::Milliseconds(50));
          }
        }) {}
  ~RssSampler() {
    stop_ = true;
    thread_.join();
  }
  int64_t peak_mb() const { return peak_kb_.load() / 1024; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> peak_kb_{0};
  std::thread thread_;
};

// The review ran the server under `ulimit -n 1024`, a common soft limit with
// a much higher hard one; the server now uses the hard limit.
TEST_F(ChildServerTest, SoftFileLimitIsRaisedToTheHardLimit) {
  StartServer({}, {256, 4096});
  std::ifstream limits(absl::StrCat("/proc/", process_->pid(), "/limits"));
  std::string line;
  std::vector<std::string> words;
  while (std::getline(limits, line)) {
    if (absl::StartsWith(line, "Max open files")) {
      words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    }
  }
  ASSERT_EQ(words.size(), 6u) << line;
  EXPECT_EQ(words[3], "4096");  // soft
  EXPECT_EQ(words[4], "4096");  // hard
}

// The review's flood: connections that open ListCustomers calls (page size
// 1,000) and never read an answer. Before, one connection took 1,000 calls
// and the server 26 MB -> 905 MB, two ~2 GB, and ~1.4 GB stayed after they
// closed. Now each connection gets 100 streams (--max_concurrent_streams),
// all together 256 calls (--max_calls_in_flight), and freed memory goes back
// to the system (jemalloc options in main.cc).
TEST_F(ChildServerTest, FloodOfUnreadAnswersKeepsMemoryBounded) {
  StartServer({});  // the shipped defaults
  const pid_t pid = process_->pid();
  constexpr int kCustomers = 1000;
  Seed(NewChannel(), kCustomers, 8);
  ListCustomersResponse page;
  {
    auto stub = CustomerService::NewStub(NewChannel());
    ListCustomersRequest req;
    req.set_page_size(1000);
    ASSERT_TRUE(
        Call(*stub, &CustomerService::Stub::ListCustomers, kAdmin, req, &page)
            .ok());
    ASSERT_EQ(page.customers_size(), kCustomers);
  }
  absl::SleepFor(absl::Seconds(2));  // let start-up garbage be purged
  const int64_t base_mb = RssKb(pid) / 1024;
  const std::string request = ListRequest(1000);

  // Phase 1, as reviewed: two connections asking for 1,000 calls each. The
  // server holds 200 answers; a well-behaved client is served throughout.
  constexpr int kReviewConnections = 2;
  int64_t phase1_mb = 0;
  {
    RssSampler rss(pid);
    std::vector<std::unique_ptr<StallingH2Client>> flood;
    for (int i = 0; i < kReviewConnections; ++i) {
      flood.push_back(StallingH2Client::Connect(port_));
      ASSERT_NE(flood.back(), nullptr);
      ASSERT_TRUE(
          flood.back()->StartCalls(kListCustomers, request, kAdmin, 1000));
    }
    auto channel = NewChannel();
    auto stub = CustomerService::NewStub(channel);
    int served = 0;
    constexpr int kPoliteCalls = 100;
    for (int i = 0; i < kPoliteCalls; ++i) {
      ListCustomersRequest req;
      req.set_page_size(10);
      ListCustomersResponse resp;
      grpc::Status s;
      // A polite client backs off when told to: on a loaded machine (CI
      // with -j2 beside other builds) the slots of its own finished calls
      // come back a little late, and the 56 spare slots can run out for a
      // moment. Bounded: 10 tries, 1 s in all.
      for (int attempt = 0; attempt < 10; ++attempt) {
        s = Call(*stub, &CustomerService::Stub::ListCustomers, kAdmin, req,
                 &resp);
        if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
        absl::SleepFor(absl::Milliseconds(100));
      }
      EXPECT_TRUE(s.ok()) << i << ": " << s.error_code() << " "
                          << s.error_message();
      served += s.ok() ? 1 : 0;
    }
    EXPECT_EQ(served, kPoliteCalls);
    absl::SleepFor(absl::Seconds(1));
    phase1_mb = rss.peak_mb();
  }

  // Phase 2, a bigger flood: 8 connections x 100 streams. At most 256 are
  // admitted; health still answers.
  constexpr int kFloodConnections = 8;
  int64_t phase2_mb = 0;
  {
    RssSampler rss(pid);
    std::vector<std::unique_ptr<StallingH2Client>> flood;
    for (int i = 0; i < kFloodConnections; ++i) {
      flood.push_back(StallingH2Client::Connect(port_));
      ASSERT_NE(flood.back(), nullptr);
      ASSERT_TRUE(
          flood.back()->StartCalls(kListCustomers, request, kAdmin, 1000));
    }
    absl::SleepFor(absl::Seconds(2));
    grpc::Status status;
    EXPECT_EQ(CheckHealth(NewChannel(), "", &status),
              HealthCheckResponse::SERVING)
        << status.error_message();
    phase2_mb = rss.peak_mb();
  }

  // All closed: the answers are freed and jemalloc hands the pages back.
  int64_t after_mb = 0;
  WaitFor(
      [&] {
        after_mb = RssKb(pid) / 1024;
        return after_mb < base_mb + 64;
      },
      kPatience);
  std::cerr << "page of 1,000: " << page.ByteSizeLong() / 1024
            << " KiB; RSS MiB: before " << base_mb << ", " << kReviewConnections
            << " connections x 1,000 calls " << phase1_mb << ", "
            << kFloodConnections << " connections x 1,000 calls " << phase2_mb
            << ", after " << after_mb << "\n";
  // 256 held answers at ~2 MB each (a 0.6 MB page is held serialized and as
  // messages on its call's arena until gRPC is done with the call), plus the
  // base. Measured: ~420 and ~540 MB. With both limits off the same floods
  // took 3.9 GB and 9.7 GB, and without the jemalloc options ~540 MB stayed
  // after they closed.
  constexpr int64_t kBoundMb = 768;
  EXPECT_LT(phase1_mb, kBoundMb);
  EXPECT_LT(phase2_mb, kBoundMb);
  EXPECT_LT(after_mb, base_mb + 64);
  EXPECT_TRUE(process_->Running());
}

// A Watch stream on "" over `channel`; Next() reads the updates.
struct HealthWatch {
  explicit HealthWatch(const std::shared_ptr<grpc::Channel>& channel)
      : stub(Health::NewStub(channel)) {
    ctx.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
    stream = stub->Watch(&ctx, HealthCheckRequest());
  }
  // The next status, or UNKNOWN once the stream has ended.
  HealthCheckResponse::ServingStatus Next() {
    HealthCheckResponse update;
    if (ended || !stream->Read(&update)) {
      ended = true;
      return HealthCheckResponse::UNKNOWN;
    }
    return update.status();
  }
  // Reads to the end of the stream; its final status.
  grpc::Status Finish() {
    while (Next() != HealthCheckResponse::UNKNOWN) {
    }
    return stream->Finish();
  }

  std::unique_ptr<Health::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> stream;
  bool ended = false;
};

// The drain ends by itself after --drain_seconds: health turns NOT_SERVING
// (pushed to a Watch stream opened before the signal), the stream ends when
// the server stops, and that is not before the drain is over. (That calls
// are still served while draining is shown, without racing the drain's end,
// by SigtermCommitsAndAcknowledgesQueuedWrites.)
TEST_F(ChildServerTest, SigtermDrainsHealthBeforeStopping) {
  StartServer({"--drain_seconds=3"});
  HealthWatch watch(NewChannel());
  ASSERT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  const absl::Time signalled = absl::Now();
  process_->Signal(SIGTERM);
  EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  // A lower bound only: a loaded machine makes this longer, never shorter.
  EXPECT_GE(absl::Now() - signalled, absl::Seconds(2.9));
  const std::optional<int> exit = process_->WaitExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0)
      << DescribeExit(*exit);
}

// A second signal ends a drain that would otherwise last an hour. The second
// is sent once the first has been taken (health is NOT_SERVING): two sent at
// once could merge into one pending signal.
TEST_F(ChildServerTest, SecondSignalEndsTheDrain) {
  StartServer({"--drain_seconds=3600"});
  HealthWatch watch(NewChannel());
  ASSERT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  process_->Signal(SIGTERM);
  ASSERT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  process_->Signal(SIGTERM);
  const std::optional<int> exit = process_->WaitExit(kPatience);
  ASSERT_TRUE(exit.has_value())
      << "still draining " << kPatience << " after the second SIGTERM";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0)
      << DescribeExit(*exit);
  watch.Finish();
}

// SIGTERM with writes queued (issue 9 #5). The first signal turns health
// NOT_SERVING while calls are still served; the second (the drain would last
// an hour) stops the server while 32 clients keep CreateCustomer calls in
// flight, so the writer has a queue when it is told to stop. Every call is
// answered OK or UNAVAILABLE (none may hang: each has a deadline of
// kPatience, which DEADLINE_EXCEEDED would show); every call answered OK is
// in the database and no refused one is (nothing committed unacknowledged);
// the WAL is checkpointed at exit; the exit status is 0.
TEST_F(ChildServerTest, SigtermCommitsAndAcknowledgesQueuedWrites) {
  StartServer({"--drain_seconds=3600"});
  HealthWatch watch(NewChannel());
  ASSERT_EQ(watch.Next(), HealthCheckResponse::SERVING);

  struct Outcome {
    std::string name;
    grpc::StatusCode code;
    std::string message;
    std::string customer_id;
    bool started_before_stop;  // the second SIGTERM
    bool ended_after_stop;
  };
  constexpr int kWriters = 32;
  constexpr int kMaxCalls = 50'000;  // only a runaway loop gets here
  std::atomic<bool> stop_sent{false};
  std::atomic<int> next{0}, ok{0};
  std::vector<std::vector<Outcome>> outcomes(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, mine = &outcomes[w]] {
      auto stub = CustomerService::NewStub(NewChannel());
      for (int n = next++; n < kMaxCalls; n = next++) {
        CreateCustomerRequest req;
        req.set_request_id(absl::StrCat("queued-", n));
        req.mutable_customer()->set_display_name(absl::StrCat("排队-", n));
        req.mutable_customer()->set_phone(absl::StrCat("1391", 1000000 + n));
        req.mutable_customer()->set_branch_id("B001");
        // As store software does, UNAVAILABLE while the server serves
        // (a connection that failed to form on a loaded machine) is retried
        // with the same request_id; only the final answer is recorded.
        bool before = true;
        CreateCustomerResponse resp;
        grpc::Status s;
        for (int attempt = 0;; ++attempt) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + kPatienceChrono);
          ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
          before = !stop_sent.load();
          resp.Clear();
          s = stub->CreateCustomer(&ctx, req, &resp);
          if (s.error_code() != grpc::StatusCode::UNAVAILABLE || !before ||
              stop_sent.load() || attempt >= 20) {
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        mine->push_back({req.customer().display_name(), s.error_code(),
                         s.error_message(), resp.customer().customer_id(),
                         before, stop_sent.load()});
        if (s.ok()) {
          ++ok;
          continue;
        }
        // Refused once the server stops; anything else ends this writer
        // and fails the test below.
        if (s.error_code() != grpc::StatusCode::UNAVAILABLE ||
            stop_sent.load()) {
          return;
        }
      }
    });
  }
  auto join = [&] {
    for (auto& t : writers) {
      if (t.joinable()) t.join();
    }
  };
  auto wait_for_ok = [&](int n) {
    return WaitFor([&] { return ok >= n; }, kPatience);
  };

  bool draining_served = false;
  if (wait_for_ok(200)) {
    process_->Signal(SIGTERM);
    // Health says NOT_SERVING, the server still answers it, and calls are
    // still served: the drain is on and nothing is refused yet.
    EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
    grpc::Status status;
    EXPECT_EQ(CheckHealth(NewChannel(), "", &status),
              HealthCheckResponse::NOT_SERVING);
    EXPECT_TRUE(status.ok()) << status.error_message();
    draining_served = wait_for_ok(ok.load() + 200);
  }
  stop_sent = true;
  process_->Signal(SIGTERM);
  if (!draining_served) process_->Signal(SIGKILL);  // the test failed
  join();
  const std::optional<int> exit = process_->WaitExit(kPatience);
  ASSERT_TRUE(draining_served) << "no 200 writes served while draining";
  ASSERT_TRUE(exit.has_value())
      << "still running " << kPatience << " after the second SIGTERM";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0)
      << DescribeExit(*exit);
  EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  std::map<std::string, std::string> stored;  // display_name -> customer_id
  if (pg_database_.empty()) {
    // Checkpointed: nothing left in the WAL (before anything opens the
    // file). PostgreSQL's WAL is the database server's, not ours.
    std::error_code no_wal;
    const uintmax_t wal_bytes =
        std::filesystem::file_size(db_ + "-wal", no_wal);
    EXPECT_TRUE(no_wal || wal_bytes == 0)
        << "WAL holds " << wal_bytes << " bytes";
    SQLite::Database db(db_, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT display_name, customer_id FROM customers");
    while (q.executeStep()) {
      stored[q.getColumn(0).getString()] = q.getColumn(1).getString();
    }
  } else {
    absl::StatusOr<std::unique_ptr<db::PgConnection>> conn =
        db::PgConnection::Open(db_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    db::Stmt q =
        (*conn)->Prepare("SELECT display_name, customer_id FROM customers");
    while (q->Step()) stored[q->String(0)] = q->String(1);
  }
  int acknowledged = 0, refused = 0, cancelled = 0, across_stop = 0;
  for (const std::vector<Outcome>& mine : outcomes) {
    for (const Outcome& o : mine) {
      const auto row = stored.find(o.name);
      if (o.code == grpc::StatusCode::OK) {
        ++acknowledged;
        if (o.started_before_stop && o.ended_after_stop) ++across_stop;
        EXPECT_TRUE(row != stored.end() && row->second == o.customer_id)
            << o.name << " was acknowledged as " << o.customer_id
            << " but is not in the database";
      } else if (o.code == grpc::StatusCode::UNAVAILABLE) {
        ++refused;
        EXPECT_TRUE(o.ended_after_stop)
            << o.name
            << " was refused before the server was told to stop: " << o.message;
        EXPECT_TRUE(row == stored.end())
            << o.name << " is in the database although it was answered "
            << "UNAVAILABLE: " << o.message;
      } else if (o.code == grpc::StatusCode::CANCELLED && o.ended_after_stop) {
        // KNOWN GAP (issue 9 #5, reported): at Shutdown gRPC 1.51 answers
        // CANCELLED, not UNAVAILABLE, to a few calls that reached it but
        // were never started on the service. Tolerated only as long as
        // such a call was never applied; a queued write cut off would be
        // in the database (the writer drains) and fail here.
        ++cancelled;
        EXPECT_TRUE(row == stored.end())
            << o.name << " is in the database although it was answered "
            << "CANCELLED: " << o.message;
      } else {
        ADD_FAILURE() << o.name << ": " << o.code << " " << o.message
                      << (o.ended_after_stop ? "" : " (before the stop)");
      }
    }
  }
  std::cerr << acknowledged << " writes acknowledged (" << across_stop
            << " of them in flight at the second SIGTERM), " << refused
            << " refused (UNAVAILABLE), " << cancelled
            << " cancelled by gRPC at shutdown, never applied; "
            << stored.size() << " customers stored\n";
  EXPECT_EQ(static_cast<int>(stored.size()), acknowledged);
  // Calls were in flight when the stop came, and were answered OK.
  EXPECT_GT(across_stop, 0);
}

// Protobuf logs an error for every request with invalid UTF-8, before the
// caller is authenticated; the server passes at most 10 such lines per 10 s.
TEST_F(ChildServerTest, InvalidUtf8FloodIsLoggedBoundedly) {
  StartServer({});
  auto channel = NewChannel();
  // customer { display_name: <0xFF 0xFE> }, no token.
  const std::string bad_utf8("\x0a\x04\x1a\x02\xff\xfe", 6);
  constexpr int kRequests = 300;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kRequests; ++i) {
    std::string response;
    EXPECT_EQ(
        RawCall(channel, kCreateCustomer, bad_utf8, "", &response).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  std::ifstream log(dir_ + "/server.log");
  std::string line;
  int protobuf_lines = 0;
  while (std::getline(log, line)) {
    if (absl::StrContains(line, "libprotobuf")) ++protobuf_lines;
  }
  // 10 lines per 10 s window: a slow machine may span more windows.
  const int windows =
      1 + static_cast<int>((absl::Now() - start) / absl::Seconds(10));
  std::cerr << kRequests << " requests with invalid UTF-8 in " << windows
            << " window(s) of 10 s: " << protobuf_lines
            << " protobuf log lines\n";
  EXPECT_GE(protobuf_lines, 1);
  EXPECT_LE(protobuf_lines, 10 * windows);
}

// The WAL cannot be checkpointed at exit (here: the process may not write
// past 64 KiB into any file, and the database's pages lie beyond): the data
// is safe in the WAL, but the supervisor must hear of it.
TEST_F(ChildServerTest, FailedCheckpointAtExitExitsNonZero) {
  if (!pg_database_.empty()) {
    GTEST_SKIP() << "SQLite only: PostgreSQL checkpoints its own WAL, the "
                    "server has no checkpoint at exit";
  }
  StartServer({});
  auto channel = NewChannel();
  Seed(channel, 200, 4);
  // Start from an empty WAL, so what follows is certainly not yet copied
  // into the database file by one of SQLite's automatic checkpoints.
  {
    SQLite::Database db(dir_ + "/retail.db", SQLite::OPEN_READWRITE);
    db.setBusyTimeout(absl::ToInt64Milliseconds(kPatience));
    SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    ASSERT_TRUE(checkpoint.executeStep());
    ASSERT_EQ(checkpoint.getColumn(0).getInt(), 0) << "checkpoint busy";
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(CreateCustomer(channel, absl::StrCat("1390000100", i)).ok());
  }
  constexpr rlim_t kMaxFileBytes = 64 * 1024;
  ASSERT_GT(std::filesystem::file_size(dir_ + "/retail.db"), 4 * kMaxFileBytes);
  ASSERT_GT(std::filesystem::file_size(dir_ + "/retail.db-wal"), 0u);
  const rlimit cap{kMaxFileBytes, kMaxFileBytes};
  ASSERT_EQ(prlimit(process_->pid(), RLIMIT_FSIZE, &cap, nullptr), 0)
      << strerror(errno);
  process_->Signal(SIGTERM);
  const std::optional<int> exit = process_->WaitExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) != 0)
      << DescribeExit(*exit);
}

}  // namespace
}  // namespace retail::testing
