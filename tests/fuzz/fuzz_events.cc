// libFuzzer target for retail.events.v1.EventService (ListEvents and
// WatchEvents).
//
// The target seeds a feed once, at start-up, through the real server:
// customers and orders in branches B001 and B002 (an update, a points
// adjustment, a payment, a cancellation, an online order with delivery
// details), a change of the chain-wide SLA policy (an event of no branch),
// then erases one member, which rewrites the stored states and
// empties the event hub's memory, so a watch that starts before the erasure
// reads the table and one that starts after it reads the hub. It then reads
// the whole feed as admin: that is the reference every answer is checked
// against.
//
// Each input (layout in harness.h, RPCs and slots in events_rpc.h) is up to
// kMaxCalls ListEvents and WatchEvents calls, as any caller. Inputs only
// read: the harness puts the database back between inputs by copying its
// tables (harness.h), behind the server's back, but the event hub keeps the
// newest events in memory and would go on serving events an earlier input
// wrote and the restore removed. With a feed that no input changes, every
// input sees the same feed, in memory and in the table, and a saved input
// reproduces on its own.
//
// WatchEvents is read over the gRPC stream as a client reads it: the first
// message must come at once; the harness reads on until the stream's
// progress reaches the newest sequence of the (static) feed, or until no
// message has come for kWatchIdle (the stream waits for a commit that never
// comes: a watch whose last visible event is below the head says nothing
// more), then cancels it.
//
// Beyond the status invariants of CheckStatus, it aborts when:
//   - an answer's code is not one ListEvents and WatchEvents may give
//     (OK, INVALID_ARGUMENT, OUT_OF_RANGE, PERMISSION_DENIED,
//     RESOURCE_EXHAUSTED, UNAVAILABLE; UNAUTHENTICATED only to the callers
//     without a known token, who always get it), a role the access table
//     lets read is denied, or the service token (which names only
//     CustomerService/GetCustomer) is let in;
//   - INVALID_ARGUMENT names no field (google.rpc.BadRequest);
//   - OUT_OF_RANGE does not agree with the start: a start within the feed
//     refused, or one past the newest sequence accepted;
//   - RESOURCE_EXHAUSTED: the harness has at most one call open, so the
//     watcher and in-flight limits can only be reached by slots leaked by
//     earlier (cancelled) streams;
//   - sequences do not strictly increase within a response, across the
//     pages of a page token or across the messages of a stream, or an
//     event is not after the start, or beyond the progress_sequence of its
//     answer; progress goes backwards or past the newest sequence; a last
//     page (no token) does not reach the newest sequence;
//   - an event is not the feed's event of that sequence (resource, types,
//     branch), does not match the request's filters, or a page holds more
//     than its page size;
//   - what an answer covers (start to progress_sequence) is not exactly the
//     events of the feed the caller may see with those filters;
//   - a branch caller sees an event of another branch (or a chain-wide
//     one), a masked caller (agent, auditor, service) sees a seeded phone
//     or email in clear, a branch caller sees another branch's, or anyone,
//     admin included, sees the erased member's.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/fuzz/events_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::events {
namespace {

namespace v1 = ::retail::events::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
namespace cmv1 = ::retail::complaints::v1;

// Checks the liveness of the server every this many inputs, besides after
// every answer that could mean it is stuck or gone.
constexpr uint64_t kAliveCheckEvery = 1000;

// How long the first message of a watch may take ("sent at once"; this is a
// loaded, sanitised build), and how long the harness waits for a further
// one before it takes the stream to be waiting for a commit.
constexpr auto kWatchFirst = std::chrono::milliseconds(2500);
constexpr auto kWatchIdle = std::chrono::milliseconds(50);

// One event of the seeded feed, as the admin reads it.
struct FeedEvent {
  int64_t sequence;
  std::string resource;
  std::string resource_type;
  std::string event_type;
  std::string branch_id;
};

// Personal data the seeds wrote, which some callers must never see in clear.
struct Secret {
  std::string text;
  std::string branch;  // the branch of the events that carry it
  bool erased;         // gone from every stored state since the erasure
};

struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<v1::EventService::Stub> stub =
      v1::EventService::NewStub(server.channel());
  std::unique_ptr<cv1::CustomerService::Stub> customer_stub =
      cv1::CustomerService::NewStub(server.channel());
  std::unique_ptr<ov1::OrderService::Stub> order_stub =
      ov1::OrderService::NewStub(server.channel());
  std::unique_ptr<cmv1::ComplaintService::Stub> complaint_stub =
      cmv1::ComplaintService::NewStub(server.channel());

  std::vector<FeedEvent> feed;  // in sequence order
  std::map<int64_t, size_t> by_sequence;
  int64_t head = 0;
  int64_t before_erasure = 0;  // the sequence just before the erasure's
  std::vector<Secret> secrets;

  // Per caller: the last ListEvents next_page_token and the
  // progress_sequence of the page that returned it (where the next page
  // starts).
  std::string page_token[kCallerCount];
  int64_t page_progress[kCallerCount] = {};
  uint64_t inputs = 0;

  void StartInput() {
    server.RestoreSnapshot();
    for (std::string& t : page_token) t.clear();
  }

  // The after_sequence that id slot `slot` stands for (events_rpc.h).
  int64_t StartFor(int slot) const {
    switch (slot) {
      case kStartZero:
        return 0;
      case kStartHead:
        return head;
      case kStartBeyond:
        return head + 1;
      case kStartErasure:
        return before_erasure;
      default: {
        const size_t i = static_cast<size_t>(slot - kStartFirstEvent) *
                         feed.size() / (15 - kStartFirstEvent);
        return feed.empty() ? 0 : feed[std::min(i, feed.size() - 1)].sequence;
      }
    }
  }
};

State* g_state = nullptr;

struct Call {
  Rpc rpc;
  const FuzzInput& in;
  State& state;
  std::string method() const { return kRpcNames[rpc]; }
};

// What the caller asked to see: the filters of a request that succeeded.
struct Filter {
  std::set<std::string> resource_types;
  std::set<std::string> event_types;

  template <typename Repeated>
  Filter(const Repeated& resource, const Repeated& event)
      : resource_types(resource.begin(), resource.end()),
        event_types(event.begin(), event.end()) {}

  bool Matches(absl::string_view resource_type,
               absl::string_view event_type) const {
    return (resource_types.empty() ||
            resource_types.count(std::string(resource_type)) > 0) &&
           (event_types.empty() ||
            event_types.count(std::string(event_type)) > 0);
  }
};

bool WorthProbing(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED;
}

bool HasToken(Caller caller) {
  return caller != Caller::kUnknownToken && caller != Caller::kNoToken;
}

// The feed's sequences in (after, through] that `caller` may see with
// `filter`.
std::vector<int64_t> Visible(const State& state, Caller caller,
                             const Filter& filter, int64_t after,
                             int64_t through) {
  const absl::string_view branch = CallerBranch(caller);
  std::vector<int64_t> out;
  for (const FeedEvent& e : state.feed) {
    if (e.sequence <= after || e.sequence > through) continue;
    if (!branch.empty() && e.branch_id != branch) continue;
    if (!filter.Matches(e.resource_type, e.event_type)) continue;
    out.push_back(e.sequence);
  }
  return out;
}

// Codes ListEvents and WatchEvents may answer `caller`, checked on every
// answer of a well-formed request.
void CheckCode(const Call& call, const grpc::Status& status) {
  const std::string method = call.method();
  CheckStatus(method, status);
  const Caller caller = call.in.caller;
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      if (!HasToken(caller) || caller == Caller::kService) {
        Violation(method,
                  absl::StrCat(CallerName(caller), " was answered ",
                               status.error_code(), " (",
                               status.error_message(), "), not refused"));
      }
      return;
    case grpc::StatusCode::PERMISSION_DENIED:
      if (caller != Caller::kService) {
        Violation(method, absl::StrCat(CallerName(caller),
                                       " was denied a read every role may "
                                       "make: ",
                                       status.error_message()));
      }
      return;
    case grpc::StatusCode::UNAUTHENTICATED:
      if (HasToken(caller)) {
        Violation(method, absl::StrCat(CallerName(caller),
                                       " was answered UNAUTHENTICATED: ",
                                       status.error_message()));
      }
      return;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      Violation(method,
                absl::StrCat("RESOURCE_EXHAUSTED with no other call open (a "
                             "watcher or call slot leaked by an earlier "
                             "stream?): ",
                             status.error_message()));
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      // Probed by the caller of Dispatch: the server must still serve.
      return;
    default:
      Violation(method, absl::StrCat("answered code ", status.error_code(),
                                     ", which EventService never gives: ",
                                     status.error_message()));
  }
}

void CheckNamesAField(const Call& call, const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) {
    Violation(call.method(), "INVALID_ARGUMENT without details");
  }
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) return;
  }
  Violation(call.method(), absl::StrCat("INVALID_ARGUMENT naming no field: ",
                                        status.error_message()));
}

// OUT_OF_RANGE exactly when a start given is past the newest sequence
// (retention has deleted nothing: the feed is younger than 90 days and no
// maintenance runs), for a request that is otherwise valid.
void CheckRange(const Call& call, const grpc::Status& status, int64_t after) {
  const int64_t head = call.state.head;
  if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE && after <= head) {
    Violation(call.method(),
              absl::StrCat("after_sequence ", after,
                           " refused OUT_OF_RANGE; the feed holds 1..", head,
                           ": ", status.error_message()));
  }
  if (status.ok() && after > head) {
    Violation(call.method(), absl::StrCat("after_sequence ", after,
                                          " accepted beyond the newest "
                                          "sequence ",
                                          head));
  }
}

// What every event of an answer must keep, whoever asked.
void CheckEvent(const Call& call, const Filter& filter, const v1::Event& e) {
  const std::string method = call.method();
  const State& state = call.state;
  const Caller caller = call.in.caller;
  const auto it = state.by_sequence.find(e.sequence());
  if (it == state.by_sequence.end()) {
    Violation(method,
              absl::StrCat("event ", e.sequence(),
                           " is not in the feed: ", e.ShortDebugString()));
  }
  const FeedEvent& f = state.feed[it->second];
  if (e.resource() != f.resource || e.resource_type() != f.resource_type ||
      e.event_type() != f.event_type || e.branch_id() != f.branch_id) {
    Violation(method,
              absl::StrCat("event ", e.sequence(), " is not the feed's (",
                           f.resource, " ", f.resource_type, " ", f.event_type,
                           " in '", f.branch_id, "'): ", e.ShortDebugString()));
  }
  if (!filter.Matches(e.resource_type(), e.event_type())) {
    Violation(method,
              absl::StrCat("event ", e.sequence(), " (", e.resource_type(), " ",
                           e.event_type(), ") does not match the filters"));
  }
  const absl::string_view branch = CallerBranch(caller);
  if (!branch.empty() && e.branch_id() != branch) {
    Violation(method,
              absl::StrCat(CallerName(caller), " saw event ", e.sequence(),
                           " of branch '", e.branch_id(), "'"));
  }
  // Anywhere in the event, its state included (the Any's bytes hold the
  // resource's fields as they are on the wire).
  const std::string bytes = e.SerializeAsString();
  const bool masked = CallerSeesMaskedPii(caller, /*reveal_requested=*/false);
  for (const Secret& s : state.secrets) {
    const bool forbidden =
        s.erased || masked || (!branch.empty() && s.branch != branch);
    if (forbidden && absl::StrContains(bytes, s.text)) {
      Violation(method, absl::StrCat(CallerName(caller), " saw '", s.text,
                                     "' in clear in event ", e.sequence(),
                                     s.erased ? " (the member was erased)" : "",
                                     ": ", e.ShortDebugString()));
    }
  }
}

// What an answer covers, (after, through], must hold exactly the events of
// the feed the caller may see.
void CheckCovers(const Call& call, const Filter& filter, int64_t after,
                 int64_t through, const std::vector<int64_t>& got) {
  const std::vector<int64_t> want =
      Visible(call.state, call.in.caller, filter, after, through);
  if (got != want) {
    Violation(call.method(),
              absl::StrCat(CallerName(call.in.caller), " got events [",
                           absl::StrJoin(got, ","), "] for (", after, ", ",
                           through, "], the feed has [",
                           absl::StrJoin(want, ","), "] for it"));
  }
}

// ---- ListEvents -------------------------------------------------------------

grpc::Status RunList(const Call& call, v1::ListEventsRequest& req) {
  State& state = call.state;
  const std::string method = call.method();
  const int c = static_cast<int>(call.in.caller);
  if (call.in.id_slot >= 0) {
    req.set_after_sequence(state.StartFor(call.in.id_slot));
  }
  // Where the page starts, when the harness knows: after_sequence (0: the
  // oldest), or where the page that gave the token ended.
  std::optional<int64_t> start;
  if (req.page_token() == kLastPageToken) {
    req.set_page_token(state.page_token[c]);
    if (!req.page_token().empty()) start = state.page_progress[c];
  }
  if (req.page_token().empty()) start = req.after_sequence();

  v1::ListEventsResponse resp;
  const grpc::Status status = state.stub->ListEvents(
      state.server.Context(call.in.caller).get(), req, &resp);
  if (TraceEnabled()) {
    TraceCall(method, call.in.caller, status, resp.ShortDebugString());
  }
  CheckCode(call, status);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    CheckNamesAField(call, status);
  }
  if (req.page_token().empty()) CheckRange(call, status, req.after_sequence());
  if (!status.ok()) return status;

  const Filter filter(req.resource_types(), req.event_types());
  const int size = req.page_size() == 0 ? 100 : std::min(req.page_size(), 1000);
  if (resp.events_size() > size) {
    Violation(method, absl::StrCat(resp.events_size(), " events for page size ",
                                   req.page_size()));
  }
  const int64_t progress = resp.progress_sequence();
  if (progress > state.head) {
    Violation(method, absl::StrCat("progress_sequence ", progress,
                                   " beyond the newest sequence ", state.head));
  }
  if (resp.next_page_token().empty() && progress != state.head) {
    Violation(method,
              absl::StrCat("a last page (no token) with "
                           "progress_sequence ",
                           progress, ", not the newest sequence ", state.head));
  }
  if (start && progress < *start) {
    Violation(method, absl::StrCat("progress_sequence ", progress,
                                   " before the start ", *start));
  }
  int64_t previous = start.value_or(INT64_MIN);
  std::vector<int64_t> got;
  for (const v1::Event& e : resp.events()) {
    if (e.sequence() <= previous) {
      Violation(method,
                absl::StrCat("event ", e.sequence(), " is not after ", previous,
                             start ? " (the start or the one before)"
                                   : " (the one before)"));
    }
    if (e.sequence() > progress) {
      Violation(method, absl::StrCat("event ", e.sequence(),
                                     " beyond progress_sequence ", progress));
    }
    previous = e.sequence();
    got.push_back(e.sequence());
    CheckEvent(call, filter, e);
  }
  if (start) CheckCovers(call, filter, *start, progress, got);
  if (!resp.next_page_token().empty()) {
    state.page_token[c] = resp.next_page_token();
    state.page_progress[c] = progress;
  }
  return status;
}

// ---- WatchEvents ------------------------------------------------------------

// Reads one WatchEvents stream as its messages come, so that the harness
// can stop waiting (and cancel) when the stream goes quiet.
class WatchReader final
    : public grpc::ClientReadReactor<v1::WatchEventsResponse> {
 public:
  enum class Got { kMessage, kQuiet, kEnded };

  WatchReader(v1::EventService::Stub& stub, grpc::ClientContext* ctx,
              const v1::WatchEventsRequest& req) {
    stub.async()->WatchEvents(ctx, &req, this);
    StartRead(&incoming_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ok) {
        reading_ = false;
        cv_.notify_all();
        return;
      }
      queue_.push_back(std::move(incoming_));
      cv_.notify_all();
    }
    incoming_.Clear();
    StartRead(&incoming_);
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }

  // The next message, waiting up to `wait` for it.
  Got Next(std::chrono::milliseconds wait, v1::WatchEventsResponse* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return !queue_.empty() || !reading_; });
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      return Got::kMessage;
    }
    return reading_ ? Got::kQuiet : Got::kEnded;
  }

  // The stream's status, once gRPC is done with it (after the caller's
  // TryCancel, or the server's end).
  grpc::Status Await() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return status_;
  }

 private:
  v1::WatchEventsResponse incoming_;  // only the reading side touches it
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::WatchEventsResponse> queue_;
  bool reading_ = true;
  bool done_ = false;
  grpc::Status status_;
};

grpc::Status RunWatch(const Call& call, v1::WatchEventsRequest& req) {
  State& state = call.state;
  const std::string method = call.method();
  if (call.in.id_slot >= 0) {
    req.set_after_sequence(state.StartFor(call.in.id_slot));
  }
  // Where the stream starts if the request is valid.
  const int64_t start = req.after_sequence() != 0 ? req.after_sequence()
                        : req.start() == v1::START_POSITION_NOW ? state.head
                                                                : 0;
  const Filter filter(req.resource_types(), req.event_types());

  std::unique_ptr<grpc::ClientContext> ctx =
      state.server.Context(call.in.caller);
  WatchReader reader(*state.stub, ctx.get(), req);
  std::vector<v1::WatchEventsResponse> messages;
  bool cancelled = false;
  for (;;) {
    v1::WatchEventsResponse msg;
    const WatchReader::Got got =
        reader.Next(messages.empty() ? kWatchFirst : kWatchIdle, &msg);
    if (got == WatchReader::Got::kEnded) break;
    if (got == WatchReader::Got::kQuiet) {
      if (messages.empty()) {
        ctx->TryCancel();
        reader.Await();
        Violation(method,
                  absl::StrCat("no first message within ", kWatchFirst.count(),
                               " ms (it is sent at once)"));
      }
      ctx->TryCancel();
      cancelled = true;
      break;
    }
    messages.push_back(std::move(msg));
    if (messages.back().progress_sequence() >= state.head) {
      ctx->TryCancel();
      cancelled = true;
      break;
    }
  }
  grpc::Status status = reader.Await();
  if (TraceEnabled()) {
    std::string shown;
    for (const v1::WatchEventsResponse& m : messages) {
      absl::StrAppend(&shown, "{", m.ShortDebugString(), "} ");
    }
    TraceCall(method, call.in.caller, status, shown);
  }
  if (messages.empty()) {
    // Refused (or ended) before the first message.
    if (status.ok()) Violation(method, "the stream ended OK at once");
    CheckCode(call, status);
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      CheckNamesAField(call, status);
    }
    if (req.after_sequence() > 0 && req.start() == 0) {
      CheckRange(call, status, req.after_sequence());
    }
    return status;
  }
  // The stream was accepted.
  CheckCode(call, grpc::Status::OK);
  if (req.after_sequence() > 0) CheckRange(call, grpc::Status::OK, start);
  if (!cancelled || status.ok()) {
    // A watch ends only when the server shuts down (UNAVAILABLE) or a read
    // fails; never OK, which would tell the client it missed nothing.
    CheckCode(call, status);
    if (status.ok()) Violation(method, "the stream ended OK");
  }
  int64_t previous = start;
  int64_t progress = start;
  std::vector<int64_t> got;
  for (const v1::WatchEventsResponse& m : messages) {
    if (m.progress_sequence() < progress) {
      Violation(method, absl::StrCat("progress_sequence went back from ",
                                     progress, " to ", m.progress_sequence()));
    }
    progress = m.progress_sequence();
    if (progress > state.head) {
      Violation(method,
                absl::StrCat("progress_sequence ", progress,
                             " beyond the newest sequence ", state.head));
    }
    for (const v1::Event& e : m.events()) {
      if (e.sequence() <= previous) {
        Violation(method,
                  absl::StrCat("event ", e.sequence(), " is not after ",
                               previous, " (the start or the one before)"));
      }
      if (e.sequence() > progress) {
        Violation(method, absl::StrCat("event ", e.sequence(),
                                       " beyond its message's "
                                       "progress_sequence ",
                                       progress));
      }
      previous = e.sequence();
      got.push_back(e.sequence());
      CheckEvent(call, filter, e);
    }
  }
  // Everything the stream has covered, it has sent.
  CheckCovers(call, filter, start, progress, got);
  return cancelled ? grpc::Status::OK : status;
}

// ---- Dispatch ---------------------------------------------------------------

grpc::Status Dispatch(const Call& call) {
  const std::string method = call.method();
  const auto parse = [&](google::protobuf::Message& m) {
    return m.ParseFromArray(call.in.message.data(),
                            static_cast<int>(call.in.message.size()));
  };
  const auto raw = [&] {
    // Bytes that are no valid request: INVALID_ARGUMENT whoever sends them
    // (the request is parsed before the caller is authenticated).
    const grpc::Status status = call.state.server.RawCall(
        absl::StrCat("/", method), call.in.message, call.in.caller);
    if (TraceEnabled()) {
      TraceCall(method, call.in.caller, status, "(malformed request)");
    }
    CheckStatus(method, status);
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
        !WorthProbing(status)) {
      Violation(method,
                absl::StrCat("malformed request bytes answered code ",
                             status.error_code(), " (", status.error_message(),
                             "), not INVALID_ARGUMENT"));
    }
    return status;
  };
  switch (call.rpc) {
    case kListEvents: {
      v1::ListEventsRequest req;
      if (!parse(req)) return raw();
      return RunList(call, req);
    }
    case kWatchEvents: {
      v1::WatchEventsRequest req;
      if (!parse(req)) return raw();
      return RunWatch(call, req);
    }
    case kRpcCount:
      break;
  }
  std::abort();  // unreachable: rpc is taken mod kRpcCount
}

grpc::Status ProbeRead(State& state) {
  v1::ListEventsRequest req;
  req.set_page_size(1);
  v1::ListEventsResponse resp;
  return state.stub->ListEvents(state.server.Context(Caller::kAdmin).get(), req,
                                &resp);
}

// ---- Seed data --------------------------------------------------------------

void MustSucceed(const char* what, const grpc::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed at %s: %d %s\n", what,
                 status.error_code(), status.error_message().c_str());
    std::abort();
  }
}

void MustHold(const char* what, bool ok) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: seeding went wrong: %s\n", what);
    std::abort();
  }
}

std::unique_ptr<grpc::ClientContext> Admin(State& state) {
  return state.server.Context(Caller::kAdmin);
}

cv1::Customer SeedCustomer(State& state, const char* branch, const char* name,
                           const char* phone, const char* email) {
  cv1::CreateCustomerRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.mutable_customer()->set_branch_id(branch);
  req.mutable_customer()->set_display_name(name);
  req.mutable_customer()->set_phone(phone);
  req.mutable_customer()->set_email(email);
  cv1::CreateCustomerResponse resp;
  MustSucceed("CreateCustomer", state.customer_stub->CreateCustomer(
                                    Admin(state).get(), req, &resp));
  state.secrets.push_back({phone, branch, false});
  state.secrets.push_back({email, branch, false});
  return resp.customer();
}

// An order of `customer` ("" for a walk-in) in `branch`; online with
// delivery details to `delivery_phone` unless that is null.
std::string SeedOrder(State& state, const std::string& customer,
                      const char* branch, const char* delivery_phone) {
  ov1::CreateOrderRequest req;
  req.set_request_id(state.server.FreshRequestId());
  ov1::Order* o = req.mutable_order();
  o->set_branch_id(branch);
  o->set_customer_id(customer);
  if (delivery_phone == nullptr) {
    o->set_channel(ov1::ORDER_CHANNEL_STORE);
  } else {
    o->set_channel(ov1::ORDER_CHANNEL_ONLINE);
    o->mutable_delivery()->set_recipient_name("韩梅梅");
    o->mutable_delivery()->set_phone(delivery_phone);
    o->mutable_delivery()->set_address("上海市浦东新区世纪大道100号");
    state.secrets.push_back({delivery_phone, branch, false});
  }
  ov1::OrderItem* shirt = o->add_items();
  shirt->set_sku("SHIRT-M");
  shirt->set_name("衬衫 M");
  shirt->set_quantity(1);
  shirt->mutable_unit_price()->set_minor_units(12'900);
  ov1::CreateOrderResponse created;
  MustSucceed("CreateOrder",
              state.order_stub->CreateOrder(Admin(state).get(), req, &created));
  return created.order().order_id();
}

void PayOrder(State& state, const std::string& order) {
  ov1::PayOrderRequest pay;
  pay.set_request_id(state.server.FreshRequestId());
  pay.set_order_id(order);
  pay.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
  pay.mutable_payment()->mutable_amount()->set_minor_units(12'900);
  pay.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
  ov1::PayOrderResponse resp;
  MustSucceed("PayOrder",
              state.order_stub->PayOrder(Admin(state).get(), pay, &resp));
}

void Seed(State& state) {
  const cv1::Customer wang = SeedCustomer(state, "B001", "王小明",
                                          "13912340001", "wang.xm@example.com");
  const cv1::Customer li =
      SeedCustomer(state, "B002", "李雷", "13912340002", "li.lei@example.com");
  const cv1::Customer zhao = SeedCustomer(state, "B001", "赵敏", "13912340003",
                                          "zhao.min@example.com");
  {
    cv1::UpdateCustomerRequest req;
    req.set_request_id(state.server.FreshRequestId());
    *req.mutable_customer() = wang;
    req.mutable_customer()->set_display_name("王晓明");
    req.mutable_update_mask()->add_paths("display_name");
    cv1::UpdateCustomerResponse resp;
    MustSucceed("UpdateCustomer", state.customer_stub->UpdateCustomer(
                                      Admin(state).get(), req, &resp));
  }
  {
    cv1::AdjustPointsRequest req;
    req.set_request_id(state.server.FreshRequestId());
    req.set_customer_id(li.customer_id());
    req.set_delta(500);
    req.set_reason("welcome gift");
    cv1::AdjustPointsResponse resp;
    MustSucceed("AdjustPoints", state.customer_stub->AdjustPoints(
                                    Admin(state).get(), req, &resp));
  }
  PayOrder(state, SeedOrder(state, wang.customer_id(), "B001", nullptr));
  SeedOrder(state, li.customer_id(), "B002", "13912340012");
  {
    const std::string walk_in = SeedOrder(state, "", "B002", nullptr);
    ov1::CancelOrderRequest req;
    req.set_request_id(state.server.FreshRequestId());
    req.set_order_id(walk_in);
    req.set_reason("changed mind");
    ov1::CancelOrderResponse resp;
    MustSucceed("CancelOrder",
                state.order_stub->CancelOrder(Admin(state).get(), req, &resp));
  }
  // A chain-wide event (no branch), which no branch caller may see.
  {
    cmv1::GetSlaPolicyResponse now;
    MustSucceed("GetSlaPolicy",
                state.complaint_stub->GetSlaPolicy(
                    Admin(state).get(), cmv1::GetSlaPolicyRequest(), &now));
    cmv1::UpdateSlaPolicyRequest req;
    req.set_request_id(state.server.FreshRequestId());
    *req.mutable_policy() = now.policy();
    req.mutable_policy()->set_near_breach_percent(
        now.policy().near_breach_percent() == 60 ? 70 : 60);
    cmv1::UpdateSlaPolicyResponse resp;
    MustSucceed("UpdateSlaPolicy", state.complaint_stub->UpdateSlaPolicy(
                                       Admin(state).get(), req, &resp));
  }
  // The member to be erased, with an online order delivered to them.
  PayOrder(state, SeedOrder(state, zhao.customer_id(), "B001", "13912340013"));

  // Where the erasure starts; the hub's memory holds only what follows it.
  {
    v1::ListEventsRequest req;
    req.set_page_size(1);
    v1::ListEventsResponse resp;
    do {
      req.set_page_token(resp.next_page_token());
      resp.Clear();
      MustSucceed("ListEvents before the erasure",
                  state.stub->ListEvents(Admin(state).get(), req, &resp));
    } while (!resp.next_page_token().empty());
    state.before_erasure = resp.progress_sequence();
  }
  {
    cv1::EraseCustomerRequest req;
    req.set_request_id(state.server.FreshRequestId());
    req.set_customer_id(zhao.customer_id());
    req.set_reason("customer request");
    cv1::EraseCustomerResponse resp;
    MustSucceed("EraseCustomer", state.customer_stub->EraseCustomer(
                                     Admin(state).get(), req, &resp));
    for (Secret& s : state.secrets) {
      if (s.text == "13912340003" || s.text == "zhao.min@example.com" ||
          s.text == "13912340013") {
        s.erased = true;
      }
    }
  }
  // After the erasure: served from the hub's memory.
  const cv1::Customer han = SeedCustomer(state, "B002", "韩梅梅", "13912340004",
                                         "han.mm@example.com");
  PayOrder(state, SeedOrder(state, han.customer_id(), "B002", nullptr));
  SeedOrder(state, li.customer_id(), "B001", nullptr);

  // The reference: the whole feed as the admin reads it.
  v1::ListEventsRequest req;
  req.set_page_size(1000);
  v1::ListEventsResponse resp;
  MustSucceed("ListEvents",
              state.stub->ListEvents(Admin(state).get(), req, &resp));
  MustHold("one page holds the whole feed", resp.next_page_token().empty());
  for (const v1::Event& e : resp.events()) {
    state.by_sequence[e.sequence()] = state.feed.size();
    state.feed.push_back({e.sequence(), e.resource(), e.resource_type(),
                          e.event_type(), e.branch_id()});
  }
  state.head = resp.progress_sequence();
  MustHold("events in both branches and around the erasure",
           state.feed.size() >= 10 && state.before_erasure > 0 &&
               state.before_erasure < state.head);
  MustHold("a chain-wide event",
           std::any_of(state.feed.begin(), state.feed.end(),
                       [](const FeedEvent& e) { return e.branch_id.empty(); }));
  if (TraceEnabled()) {
    for (const FeedEvent& e : state.feed) {
      std::fprintf(stderr, "fuzz-feed: %lld %s %s %s %s\n",
                   static_cast<long long>(e.sequence), e.resource.c_str(),
                   e.resource_type.c_str(), e.event_type.c_str(),
                   e.branch_id.c_str());
    }
  }
}

}  // namespace
}  // namespace retail::fuzz::events

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using retail::fuzz::events::g_state;
  g_state = new retail::fuzz::events::State();
  retail::fuzz::events::Seed(*g_state);
  g_state->server.SaveSnapshot();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retail::fuzz;
  using namespace retail::fuzz::events;
  State& state = *g_state;
  state.StartInput();
  for (absl::string_view bytes : SplitCalls(data, size)) {
    FuzzInput in;
    if (!DecodeInput(bytes, &in)) continue;
    const Call call{static_cast<Rpc>(in.rpc % kRpcCount), in, state};
    if (WorthProbing(Dispatch(call))) {
      state.server.CheckAlive([&state] { return ProbeRead(state); });
    }
  }
  if (++state.inputs % kAliveCheckEvery == 0) {
    state.server.CheckAlive([&state] { return ProbeRead(state); });
  }
  return 0;
}
