#include "tests/fuzz/harness.h"

// RAND_set_rand_method is deprecated in OpenSSL 3 but still honoured by
// RAND_bytes, which is all the server uses.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <grpcpp/generic/generic_stub.h>
#include <openssl/rand.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>

#include "SQLiteCpp/Statement.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
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

// The server's clock at the start of every input. Fixed rather than the real
// time, so that date rules ("not in the future", tier lapse, request_id
// retention) treat a saved input the same on any day.
const int64_t kStartMicros = absl::ToUnixMicros(absl::FromCivil(
    absl::CivilSecond(2026, 1, 15, 9, 0, 0), absl::UTCTimeZone()));

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

// The server draws its randomness (the random part of every id, the
// page-token key) through OpenSSL's RAND_bytes. In the fuzz binary that is
// this seeded stream instead, rewound with the database before each input,
// so ids are the same in every process: an input that names a seeded
// customer by its literal id (libFuzzer copies bytes the server compared
// against into inputs) still names it when replayed elsewhere.
std::mutex g_random_mu;
uint64_t g_random_state = 0x5eed'f022'2026'0115;  // any fixed value

int DeterministicBytes(unsigned char* buf, int num) {
  std::lock_guard<std::mutex> lock(g_random_mu);
  for (int i = 0; i < num; ++i) {
    // SplitMix64: statistically fine for ids, and one word of state.
    uint64_t z = (g_random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    buf[i] = static_cast<unsigned char>(z ^ (z >> 31));
  }
  return 1;
}

int DeterministicStatus() { return 1; }

const RAND_METHOD kDeterministicRand = {
    /*seed=*/nullptr,
    /*bytes=*/DeterministicBytes,
    /*cleanup=*/nullptr,
    /*add=*/nullptr,
    /*pseudorand=*/DeterministicBytes,
    /*status=*/DeterministicStatus,
};

uint64_t RandomState() {
  std::lock_guard<std::mutex> lock(g_random_mu);
  return g_random_state;
}

void SetRandomState(uint64_t state) {
  std::lock_guard<std::mutex> lock(g_random_mu);
  g_random_state = state;
}

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

std::vector<absl::string_view> SplitCalls(const uint8_t* data, size_t size) {
  std::vector<absl::string_view> calls;
  for (absl::string_view call : absl::StrSplit(
           absl::string_view(reinterpret_cast<const char*>(data), size),
           kCallSeparator, absl::SkipEmpty())) {
    if (calls.size() == kMaxCalls) break;
    calls.push_back(call);
  }
  return calls;
}

bool DecodeInput(absl::string_view call, FuzzInput* out) {
  if (call.size() < 2) return false;
  const uint8_t flags = static_cast<uint8_t>(call[1]);
  out->rpc = static_cast<uint8_t>(call[0]);
  out->caller = static_cast<Caller>(flags & 0x07);
  out->fresh_request_id = (flags & 0x08) != 0;
  const int slot = flags >> 4;
  out->id_slot = slot == 0 ? -1 : slot - 1;
  out->message = call.substr(2);
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

std::string JoinCalls(const std::vector<std::string>& calls) {
  return absl::StrJoin(calls, kCallSeparator);
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
      g_server->snapshot_db_.reset();
      // The process is exiting; a failed checkpoint changes nothing here.
      (void)g_server->server_->Shutdown(absl::ZeroDuration());
      g_server->server_.reset();
      g_server->RemoveWorkDir();
    });
    return g_server;
  }();
  return *server;
}

FuzzServer::FuzzServer() : clock_(std::make_unique<FakeClock>(kStartMicros)) {
  // Before BuildServer, which draws the page-token key.
  if (RAND_set_rand_method(&kDeterministicRand) != 1) {
    std::fprintf(stderr, "fuzz: cannot replace OpenSSL's RAND method\n");
    std::abort();
  }
  const std::filesystem::path base = WorkBase();
  RemoveStaleWorkDirs(base);
  std::random_device rd;
  dir_ = (base / absl::StrCat(kDirPrefix, getpid(), "_", rd())).string();
  std::filesystem::create_directories(dir_);
  // The server refuses an auth config that others could change: keep the
  // directory and the file private whatever the umask.
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);

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
  std::filesystem::permissions(
      auth_path,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = dir_ + "/retail.db";
  options.auth_config = auth_path;
  // Fewer readers than the default: the fuzzer sends one call at a time.
  options.reader_connections = 2;
  options.clock = clock_.get();
  // No background sweeps: they would change the database between inputs,
  // on a timer rather than because of an input.
  options.maintenance_interval = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<RetailServer>> server = BuildServer(options);
  if (!server.ok()) {
    std::fprintf(stderr, "fuzz: cannot start the server: %s\n",
                 server.status().ToString().c_str());
    RemoveWorkDir();
    std::abort();
  }
  server_ = std::move(*server);
  channel_ = server_->InProcessChannel();
  // Protobuf logs an ERROR line for every string field with invalid UTF-8,
  // which the fuzzer produces constantly (on the harness side and again on
  // the server side); the flood would slow the run and bury real reports.
  // Discarding the log does not change parsing, which still fails. Set after
  // BuildServer, which may install a handler of its own.
  google::protobuf::SetLogHandler(nullptr);
}

void FuzzServer::SaveSnapshot() {
  const std::string snapshot_path = dir_ + "/snapshot.db";
  try {
    snapshot_db_ = std::make_unique<SQLite::Database>(
        dir_ + "/retail.db", SQLite::OPEN_READWRITE, /*busy_ms=*/10'000);
    // Restores need not survive a power cut; fsyncs would only slow them.
    snapshot_db_->exec("PRAGMA synchronous=OFF");
    // dir_ is ours and holds no quote, so it can be spliced in.
    snapshot_db_->exec(absl::StrCat("VACUUM INTO '", snapshot_path, "'"));
    snapshot_db_->exec(
        absl::StrCat("ATTACH DATABASE '", snapshot_path, "' AS snap"));
    // Every table, including AUTOINCREMENT counters (sqlite_sequence). This
    // connection does not enforce foreign keys, so the order does not
    // matter; the server's connections see the result as one commit.
    SQLite::Statement tables(
        *snapshot_db_,
        "SELECT name FROM snap.sqlite_master WHERE type = 'table' AND "
        "(name NOT LIKE 'sqlite%' OR name = 'sqlite_sequence') ORDER BY name");
    restore_sql_ = "BEGIN IMMEDIATE;";
    while (tables.executeStep()) {
      const std::string name = tables.getColumn(0).getString();
      absl::StrAppend(&restore_sql_, "DELETE FROM main.\"", name,
                      "\"; INSERT INTO main.\"", name,
                      "\" SELECT * FROM snap.\"", name, "\";");
    }
    restore_sql_ += "COMMIT;";
    data_version_ = snapshot_db_->execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: cannot snapshot the database: %s\n", e.what());
    std::abort();
  }
  snapshot_micros_ = clock_->NowMicros();
  snapshot_request_id_ = next_request_id_;
  snapshot_random_ = RandomState();
}

void FuzzServer::RestoreSnapshot() {
  clock_->Set(snapshot_micros_);
  next_request_id_ = snapshot_request_id_;
  SetRandomState(snapshot_random_);
  try {
    // Changes only when another connection (the server) committed.
    const int64_t version =
        snapshot_db_->execAndGet("PRAGMA data_version").getInt64();
    if (version == data_version_) return;
    snapshot_db_->exec(restore_sql_);
    data_version_ = version;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: cannot restore the database snapshot: %s\n",
                 e.what());
    std::abort();
  }
}

void FuzzServer::RemoveWorkDir() const {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<grpc::ClientContext> FuzzServer::Context(Caller caller) const {
  clock_->Advance(1000);
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
  // Valid (8..64 of [A-Za-z0-9_-]), never seen by the restored database,
  // and the same in every process.
  return absl::StrCat("fuzz-request-", next_request_id_++);
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

bool TraceEnabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("RETAIL_FUZZ_TRACE");
    return env != nullptr && std::string(env) == "1";
  }();
  return enabled;
}

void TraceCall(absl::string_view method, Caller caller,
               const grpc::Status& status, absl::string_view response) {
  std::fprintf(stderr, "fuzz-trace: %.*s as %s -> %d %s | %.*s\n",
               static_cast<int>(method.size()), method.data(),
               std::string(CallerName(caller)).c_str(), status.error_code(),
               status.error_message().c_str(),
               static_cast<int>(response.size()), response.data());
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
