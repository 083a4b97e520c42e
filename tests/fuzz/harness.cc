#include "tests/fuzz/harness.h"

#include <grpcpp/generic/generic_stub.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "google/protobuf/stubs/logging.h"
#include "google/rpc/status.pb.h"

namespace retail::fuzz {
namespace {

// Long enough for a commit on a loaded, sanitised build. A stuck call costs
// this deadline plus two probes (health, read) of the same deadline; all
// three fit in the -timeout=10 that scripts/fuzz gives libFuzzer, so a hang
// is reported by the harness with a message rather than as a bare timeout.
constexpr auto kDeadline = std::chrono::seconds(3);

constexpr char kDirPrefix[] = "retail_fuzz_";

struct CallerSpec {
  Caller caller;
  const char* name;
  const char* token;      // "" for kNoToken
  const char* auth_line;  // "" when the token is not in the auth config
  const char* branch;
};

// The tokens are fixed so that a crash found in one process replays in
// another; they guard nothing but a throw-away database.
constexpr CallerSpec kCallers[kCallerCount] = {
    {Caller::kAdmin, "admin", "fuzz-admin-token", "admin admin", ""},
    {Caller::kAgent, "agent", "fuzz-agent-token", "agent agent", ""},
    {Caller::kBranchB001, "branch B001", "fuzz-b001-token",
     "store-b001 branch branch=B001", "B001"},
    {Caller::kBranchB002, "branch B002", "fuzz-b002-token",
     "store-b002 branch branch=B002", "B002"},
    {Caller::kAuditor, "auditor", "fuzz-auditor-token", "audit auditor", ""},
    {Caller::kService, "service", "fuzz-crm-token",
     "crm service methods=retail.customers.v1.CustomerService/GetCustomer", ""},
    {Caller::kUnknownToken, "unknown token", "fuzz-unknown-token", "", ""},
    {Caller::kNoToken, "no token", "", "", ""},
};

const CallerSpec& Spec(Caller caller) {
  return kCallers[static_cast<int>(caller)];
}

// tmpfs when available: the server fsyncs every commit, and on a disk that
// alone would cap the run at a few hundred writes a second. Containers often
// mount a tiny /dev/shm (64 MiB in Docker), which a long run could fill, so
// it must have room to spare.
std::filesystem::path WorkBase() {
  constexpr uintmax_t kMinFreeBytes = uintmax_t{512} << 20;
  std::error_code ec;
  const std::filesystem::space_info shm =
      std::filesystem::space("/dev/shm", ec);
  if (!ec && shm.available >= kMinFreeBytes && access("/dev/shm", W_OK) == 0) {
    return "/dev/shm";
  }
  return std::filesystem::temp_directory_path();
}

// A crashed or killed run never reaches its exit handler, so the next run
// removes directories whose owning process is gone (names carry the pid).
void RemoveStaleWorkDirs(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, kDirPrefix)) continue;
    std::vector<std::string> parts =
        absl::StrSplit(name.substr(sizeof(kDirPrefix) - 1), '_');
    pid_t pid = 0;
    if (parts.empty() || !absl::SimpleAtoi(parts[0], &pid) || pid <= 0) {
      continue;
    }
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

FuzzServer* g_server = nullptr;

}  // namespace

absl::string_view CallerName(Caller caller) { return Spec(caller).name; }

absl::string_view CallerBranch(Caller caller) { return Spec(caller).branch; }

bool CallerSeesMaskedPii(Caller caller, bool reveal_requested) {
  switch (caller) {
    case Caller::kAuditor:
    case Caller::kService:
      return true;
    case Caller::kAgent:
      return !reveal_requested;
    default:
      return false;
  }
}

bool DecodeInput(const uint8_t* data, size_t size, FuzzInput* out) {
  if (size < 2) return false;
  out->rpc = data[0];
  out->caller = static_cast<Caller>(data[1] & 0x07);
  out->fresh_request_id = (data[1] & 0x08) != 0;
  const int slot = data[1] >> 4;
  out->id_slot = slot == 0 ? -1 : slot - 1;
  out->message =
      absl::string_view(reinterpret_cast<const char*>(data) + 2, size - 2);
  return true;
}

std::string EncodeInput(uint8_t rpc, Caller caller, bool fresh_request_id,
                        int id_slot, absl::string_view message) {
  const int slot = id_slot < 0 ? 0 : (id_slot % 15) + 1;
  std::string out;
  out.push_back(static_cast<char>(rpc));
  out.push_back(static_cast<char>(static_cast<int>(caller) |
                                  (fresh_request_id ? 0x08 : 0) | (slot << 4)));
  out.append(message.data(), message.size());
  return out;
}

FuzzServer& FuzzServer::Get() {
  // Deliberately never destroyed by a static destructor: gRPC's own globals
  // may be gone by then. The exit handler below stops it first instead.
  static FuzzServer* const server = [] {
    g_server = new FuzzServer();
    std::atexit([] {
      // Stop serving before gRPC and the sanitiser runtimes tear down, and
      // leave no database behind.
      g_server->channel_.reset();
      g_server->server_->Shutdown(absl::ZeroDuration());
      g_server->server_.reset();
      g_server->RemoveWorkDir();
    });
    return g_server;
  }();
  return *server;
}

FuzzServer::FuzzServer() {
  // Protobuf logs an ERROR line for every string field with invalid UTF-8,
  // which the fuzzer produces constantly (on the harness side and again on
  // the server side); the flood would slow the run and bury real reports.
  // Discarding the log does not change parsing, which still fails.
  google::protobuf::SetLogHandler(nullptr);
  const std::filesystem::path base = WorkBase();
  RemoveStaleWorkDirs(base);
  std::random_device rd;
  dir_ = (base / absl::StrCat(kDirPrefix, getpid(), "_", rd())).string();
  std::filesystem::create_directories(dir_);

  const std::string auth_path = dir_ + "/auth.conf";
  {
    std::ofstream auth(auth_path);
    auth << "# principals of the fuzz server\n";
    for (const CallerSpec& spec : kCallers) {
      if (*spec.auth_line == '\0') continue;
      auth << "sha256:" << Sha256Hex(spec.token) << " " << spec.auth_line
           << "\n";
    }
  }

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = dir_ + "/retail.db";
  options.auth_config = auth_path;
  // Fewer readers than the default: the fuzzer sends one call at a time.
  options.reader_connections = 2;
  absl::StatusOr<std::unique_ptr<RetailServer>> server = BuildServer(options);
  if (!server.ok()) {
    std::fprintf(stderr, "fuzz: cannot start the server: %s\n",
                 server.status().ToString().c_str());
    RemoveWorkDir();
    std::abort();
  }
  server_ = std::move(*server);
  channel_ = server_->InProcessChannel();
}

void FuzzServer::RemoveWorkDir() const {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<grpc::ClientContext> FuzzServer::Context(Caller caller) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  const CallerSpec& spec = Spec(caller);
  if (*spec.token != '\0') {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", spec.token));
  }
  ctx->set_deadline(std::chrono::system_clock::now() + kDeadline);
  return ctx;
}

grpc::Status FuzzServer::RawCall(const std::string& method,
                                 absl::string_view request, Caller caller,
                                 std::string* response) const {
  grpc::GenericStub generic(channel_);
  std::unique_ptr<grpc::ClientContext> ctx = Context(caller);
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> done;
  generic.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request_buffer,
                    &response_buffer,
                    [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (response != nullptr) {
    response->clear();
    std::vector<grpc::Slice> slices;
    if (status.ok() && response_buffer.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

void FuzzServer::CheckAlive(const std::function<grpc::Status()>& probe) const {
  // grpc.health.v1.HealthCheckRequest{} is empty on the wire; the response
  // {status: SERVING} is field 1, varint 1. Raw bytes avoid depending on
  // health.proto, which the system gRPC package does not ship.
  std::string response;
  const grpc::Status health =
      RawCall("/grpc.health.v1.Health/Check", "", Caller::kNoToken, &response);
  if (!health.ok() || response != std::string("\x08\x01", 2)) {
    Violation("grpc.health.v1.Health/Check",
              absl::StrCat("the server is not SERVING: code ",
                           health.error_code(), " ", health.error_message()));
  }
  const grpc::Status read = probe();
  if (!read.ok()) {
    Violation("liveness probe",
              absl::StrCat("a read of a seeded row failed: code ",
                           read.error_code(), " ", read.error_message()));
  }
}

std::string FuzzServer::FreshRequestId() {
  // Valid (8..64 of [A-Za-z0-9_-]) and never seen by this database.
  return absl::StrCat("fuzz-", getpid(), "-", next_request_id_++);
}

void IdPool::AddRecent(const std::string& id) {
  if (recent_.size() < kRecent) {
    recent_.push_back(id);
  } else {
    recent_[next_recent_] = id;
    next_recent_ = (next_recent_ + 1) % kRecent;
  }
}

const std::string& IdPool::Pick(int slot) const {
  static const std::string kNone;
  const size_t total = seeded_.size() + recent_.size();
  if (total == 0) return kNone;
  const size_t i = static_cast<size_t>(slot) % total;
  return i < seeded_.size() ? seeded_[i] : recent_[i - seeded_.size()];
}

void Violation(absl::string_view method, absl::string_view what) {
  std::fprintf(stderr, "\n=== fuzz invariant violated ===\n%.*s: %.*s\n\n",
               static_cast<int>(method.size()), method.data(),
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

void CheckStatus(absl::string_view method, const grpc::Status& status) {
  const grpc::StatusCode code = status.error_code();
  if (code == grpc::StatusCode::UNKNOWN) {
    Violation(method, absl::StrCat("answered UNKNOWN (an unmapped error or an "
                                   "escaped exception): ",
                                   status.error_message()));
  }
  if (code == grpc::StatusCode::INTERNAL) {
    Violation(method, absl::StrCat("answered INTERNAL; the server log above "
                                   "has the cause: ",
                                   status.error_message()));
  }
  if (!status.error_details().empty()) {
    google::rpc::Status details;
    if (!details.ParseFromString(status.error_details())) {
      Violation(method, "error details are not a google.rpc.Status");
    }
    if (details.code() != static_cast<int>(code)) {
      Violation(method,
                absl::StrCat("error details carry code ", details.code(),
                             " but the call's code is ", code));
    }
  }
}

}  // namespace retail::fuzz

// Sanitiser defaults baked into every fuzz binary, so a bare
// `fuzz_customers crash-...` behaves like scripts/fuzz: UBSan findings abort
// (by default they print and carry on, and libFuzzer would never save the
// input that caused them).
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
