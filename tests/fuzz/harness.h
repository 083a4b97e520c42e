// Shared plumbing for the libFuzzer targets (one per service, fuzz_<area>.cc).
//
// Every target drives the real server, built by retail::BuildServer exactly as
// main.cc builds it, over its in-process channel: the fuzzer finds what a
// caller on the wire could trigger, not what a unit under test could. The
// server is started once per process, because starting one per input would
// spend the whole budget opening SQLite; state therefore carries over from one
// input to the next, which is also how a real server lives.
//
// Input layout shared by all targets (see FuzzInput):
//   byte 0   which RPC of the service
//   byte 1   bits 0-2: the caller (Caller below)
//            bit  3:   replace request_id with a fresh one, so a mutated
//                      mutating request does real work instead of being
//                      rejected as "request_id reused for a different request"
//            bits 4-7: 0 keeps the fuzzed resource id; 1..15 substitutes a
//                      known id from the target's IdPool (slot - 1), so inputs
//                      reach rows that exist
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

#include "absl/strings/string_view.h"
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

// Splits `data` per the layout above; false if it is too short.
bool DecodeInput(const uint8_t* data, size_t size, FuzzInput* out);

// The inverse of DecodeInput, for seed generators: `rpc`, the caller, the
// flags and the serialised request as one input.
std::string EncodeInput(uint8_t rpc, Caller caller, bool fresh_request_id,
                        int id_slot, absl::string_view message);

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
  // -timeout fires.
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

  // A request_id no earlier call of this process used.
  std::string FreshRequestId();

 private:
  FuzzServer();
  void RemoveWorkDir() const;

  std::string dir_;
  std::unique_ptr<RetailServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  uint64_t next_request_id_ = 0;
};

// Known ids of one resource kind: the rows a target seeded at start-up
// (kept for the whole run) plus a ring of ids recently returned by the
// server. Inputs name a slot rather than an id, so a saved input stays
// meaningful in a later process where every id is different.
class IdPool {
 public:
  void AddSeeded(std::string id) { seeded_.push_back(std::move(id)); }
  void AddRecent(const std::string& id);
  // The id in `slot` (wrapping), or "" if the pool is empty.
  const std::string& Pick(int slot) const;
  const std::vector<std::string>& seeded() const { return seeded_; }

 private:
  static constexpr size_t kRecent = 8;
  std::vector<std::string> seeded_;
  std::vector<std::string> recent_;
  size_t next_recent_ = 0;
};

// Prints `what` with context and aborts, so libFuzzer records the input.
[[noreturn]] void Violation(absl::string_view method, absl::string_view what);

// Invariants every answer must keep, whatever the input: never UNKNOWN (an
// exception or unmapped error escaped), never INTERNAL (the server has a bug
// or leaked a storage error instead of validating), and error details, when
// present, parse as google.rpc.Status carrying the same code.
void CheckStatus(absl::string_view method, const grpc::Status& status);

}  // namespace retail::fuzz

#endif  // RETAIL_TESTS_FUZZ_HARNESS_H_
