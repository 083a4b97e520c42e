// Shared plumbing for the libFuzzer targets (one per service, fuzz_<area>.cc).
//
// Every target drives the real server, built by retail::BuildServer exactly as
// main.cc builds it, over its in-process channel: the fuzzer finds what a
// caller on the wire could trigger, not what a unit under test could. The
// server is started once per process, because starting one per input would
// spend the whole budget opening SQLite.
//
// Each input starts from the same state, so that an input saved by libFuzzer
// reproduces on its own, in any later process: before every input the
// harness restores the database to the snapshot taken after the target's
// seeding (FuzzServer::RestoreSnapshot), sets the server's clock back to the
// snapshot's time and rewinds its random numbers (ids are the same in every
// process), and the target forgets the ids and page tokens earlier inputs
// returned. Sequences (create a customer, then update it) are still
// reachable: one input may hold several calls.
//
// Input layout shared by all targets: up to kMaxCalls calls separated by
// kCallSeparator (SplitCalls), each laid out as (see FuzzInput):
//   byte 0   which RPC of the service
//   byte 1   bits 0-2: the caller (Caller below)
//            bit  3:   replace request_id with a fresh one, so a mutated
//                      mutating request does real work instead of being
//                      rejected as "request_id reused for a different request"
//            bits 4-7: 0 keeps the fuzzed resource id; 1..15 substitutes a
//                      known id from the target's IdPool (slot - 1), so calls
//                      reach rows that exist: the seeded rows, then the rows
//                      earlier calls of the same input created
//   rest     the serialised request message
//
// On a broken invariant the harness prints what broke and calls abort(), so
// libFuzzer saves the input as crash-<sha1> under -artifact_prefix.
#ifndef RETAIL_TESTS_FUZZ_HARNESS_H_
#define RETAIL_TESTS_FUZZ_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "server/server.h"

namespace retail::fuzz {

// Who makes a call. Each has its own token in the server's auth config,
// except kUnknownToken (a well-formed token the server does not know) and
// kNoToken (no authorization metadata), which exercise UNAUTHENTICATED.
enum class Caller {
  kAdmin,
  kAgent,
  kBranchB001,
  kBranchB002,
  kAuditor,
  kService,  // may call CustomerService/GetCustomer only
  kUnknownToken,
  kNoToken,
};
inline constexpr int kCallerCount = 8;

absl::string_view CallerName(Caller caller);

// The branch a kBranch* caller is confined to, or "" for every other caller.
absl::string_view CallerBranch(Caller caller);

// Whether the server must mask phone and email in this caller's answers
// (auditor and service always; agent unless it asked with reveal_pii).
bool CallerSeesMaskedPii(Caller caller, bool reveal_requested);

// One decoded fuzz input.
struct FuzzInput {
  uint8_t rpc = 0;
  Caller caller = Caller::kAdmin;
  bool fresh_request_id = false;
  int id_slot = -1;  // -1: keep the fuzzed id
  absl::string_view message;
};

// Separates the calls of one input. Also in every target's dictionary, so
// the fuzzer splices calls together early.
inline constexpr absl::string_view kCallSeparator = "|next-call|";
// Calls after this many are ignored, which bounds the time one input takes.
inline constexpr size_t kMaxCalls = 8;

// The calls of one input (at most kMaxCalls, empty ones dropped).
std::vector<absl::string_view> SplitCalls(const uint8_t* data, size_t size);

// Splits one call per the layout above; false if it is too short.
bool DecodeInput(absl::string_view call, FuzzInput* out);

// The inverse of DecodeInput, for seed generators: `rpc`, the caller, the
// flags and the serialised request as one call.
std::string EncodeInput(uint8_t rpc, Caller caller, bool fresh_request_id,
                        int id_slot, absl::string_view message);

// Encoded calls made into one input.
std::string JoinCalls(const std::vector<std::string>& calls);

// The one server of this process.
class FuzzServer {
 public:
  // Starts the server on first use: temp-file database (on tmpfs when there
  // is one, because every acknowledged write is fsynced and disk fsyncs
  // would dominate the run), auth config with a token per Caller,
  // 127.0.0.1:0. Aborts if it cannot start.
  static FuzzServer& Get();

  // A ClientContext for `caller` with a short deadline: long enough for a
  // slow sanitised commit, short enough that a hung call is reported by the
  // harness (DEADLINE_EXCEEDED, then a liveness probe) before libFuzzer's
  // -timeout fires. Every call moves the server's clock on by 1 ms, so the
  // ids the calls create sort in call order.
  std::unique_ptr<grpc::ClientContext> Context(Caller caller) const;

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // Sends raw request bytes to `method` ("/pkg.Service/Method"), bypassing
  // the typed stubs, the way a client with a different proto or a broken
  // encoder would.
  grpc::Status RawCall(const std::string& method, absl::string_view request,
                       Caller caller, std::string* response = nullptr) const;

  // Aborts unless the server answers a health check with SERVING and serves
  // a read of a known row. `probe` is that read, supplied by the target.
  void CheckAlive(const std::function<grpc::Status()>& probe) const;

  // A request_id no earlier call since the snapshot used.
  std::string FreshRequestId();

  // Takes the state every input starts from: the database as the target
  // seeded it, the clock and the request_id counter. Call once, at the end
  // of LLVMFuzzerInitialize.
  void SaveSnapshot();

  // Returns to the state SaveSnapshot took; call at the start of each input.
  // Copies the tables back only when the server committed something since
  // the last restore, so inputs that only read cost nothing here.
  void RestoreSnapshot();

 private:
  FuzzServer();
  void RemoveWorkDir() const;

  std::string dir_;
  // Heap-allocated so the const Context() can advance it.
  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<RetailServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  uint64_t next_request_id_ = 0;

  // The harness's own connection to the server's database, with the
  // snapshot attached as "snap".
  std::unique_ptr<SQLite::Database> snapshot_db_;
  std::string restore_sql_;
  int64_t snapshot_micros_ = 0;
  uint64_t snapshot_request_id_ = 0;
  uint64_t snapshot_random_ = 0;  // the server's random stream (harness.cc)
  int64_t data_version_ = -1;     // PRAGMA data_version after the last restore
};

// Known ids of one resource kind: the rows a target seeded at start-up
// (kept for the whole run) plus a ring of ids the server returned to the
// current input's earlier calls. Inputs name a slot rather than an id, so a
// saved input stays meaningful in a later process where every id is
// different.
class IdPool {
 public:
  void AddSeeded(std::string id) { seeded_.push_back(std::move(id)); }
  void AddRecent(const std::string& id);
  // Forgets the recent ids, which name rows an earlier input created.
  void ClearRecent() {
    recent_.clear();
    next_recent_ = 0;
  }
  // The id in `slot` (wrapping), or "" if the pool is empty.
  const std::string& Pick(int slot) const;
  const std::vector<std::string>& seeded() const { return seeded_; }

 private:
  static constexpr size_t kRecent = 8;
  std::vector<std::string> seeded_;
  std::vector<std::string> recent_;
  size_t next_recent_ = 0;
};

// With RETAIL_FUZZ_TRACE=1 in the environment, prints one line per call to
// stderr: method, caller, answer and the response. For checking by hand that
// an input behaves the same in two processes (tests/fuzz/README.md).
bool TraceEnabled();
void TraceCall(absl::string_view method, Caller caller,
               const grpc::Status& status, absl::string_view response);

// Prints `what` with context and aborts, so libFuzzer records the input.
[[noreturn]] void Violation(absl::string_view method, absl::string_view what);

// Invariants every answer must keep, whatever the input: never UNKNOWN (an
// exception or unmapped error escaped), never INTERNAL (the server has a bug
// or leaked a storage error instead of validating), and error details, when
// present, parse as google.rpc.Status carrying the same code.
void CheckStatus(absl::string_view method, const grpc::Status& status);

}  // namespace retail::fuzz

#endif  // RETAIL_TESTS_FUZZ_HARNESS_H_
