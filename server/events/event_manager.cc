#include "server/events/event_manager.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail::events {
namespace {

// The resource types modules write (db::AppendEvent callers).
const absl::flat_hash_set<std::string>& KnownResourceTypes() {
  static const auto* const kTypes = new absl::flat_hash_set<std::string>{
      "customer", "order",    "return", "complaint",       "sla_policy",
      "calendar", "feedback", "survey", "survey_response", "follow_up"};
  return *kTypes;
}

constexpr int kMaxFilterValues = 20;

bool IsEventTypeWord(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  return true;
}

// Checks the filters of a watch or list request; `first` is the field
// number offset of resource_types in the request's field names.
template <typename Repeated>
EventFilter CheckFilter(ViolationCollector& v, const Repeated& resource_types,
                        const Repeated& event_types) {
  EventFilter f;
  if (resource_types.size() > kMaxFilterValues) {
    v.Add("resource_types",
          absl::StrCat("at most ", kMaxFilterValues, " values"));
  }
  for (int i = 0; i < resource_types.size(); ++i) {
    const std::string& t = resource_types[i];
    if (!KnownResourceTypes().contains(t)) {
      std::vector<std::string> known(KnownResourceTypes().begin(),
                                     KnownResourceTypes().end());
      std::sort(known.begin(), known.end());
      v.Add(absl::StrCat("resource_types[", i, "]"),
            absl::StrCat("unknown resource type; one of ",
                         absl::StrJoin(known, ", ")));
      continue;
    }
    f.resource_types.insert(t);
  }
  if (event_types.size() > kMaxFilterValues) {
    v.Add("event_types", absl::StrCat("at most ", kMaxFilterValues, " values"));
  }
  for (int i = 0; i < event_types.size(); ++i) {
    if (!IsEventTypeWord(event_types[i])) {
      v.Add(absl::StrCat("event_types[", i, "]"),
            "an event type is 1..64 of A-Z and _, e.g. CREATED");
      continue;
    }
    f.event_types.insert(event_types[i]);
  }
  return f;
}

// The page token's scope: the filters, in a canonical order.
std::string FilterKey(const EventFilter& f) {
  std::vector<std::string> r(f.resource_types.begin(), f.resource_types.end());
  std::vector<std::string> e(f.event_types.begin(), f.event_types.end());
  std::sort(r.begin(), r.end());
  std::sort(e.begin(), e.end());
  return absl::StrCat(absl::StrJoin(r, ","), ";", absl::StrJoin(e, ","));
}

// One WatchEvents stream: a cursor (every event up to it has been looked
// at) that advances through the hub's memory when it can and through the
// table when it has fallen behind it. Runs under the host's per-stream lock
// (server/unary_service.h, SourceReactor), so no lock of its own but the
// hub's.
class WatchSession final : public StreamSource<v1::WatchEventsResponse> {
 public:
  // `committed`: the newest sequence committed when the watch began. Until
  // the hub has read that far (it reads every --event_coalesce_ms), the
  // session reads the table, so its first message already covers it.
  WatchSession(EventManager& events, CallMeta call, EventFilter filter,
               int64_t after, int64_t committed)
      : events_(events),
        call_(std::move(call)),
        filter_(std::move(filter)),
        cursor_(after),
        committed_(committed) {
    progress_.delivered.store(after, std::memory_order_relaxed);
    events_.AddWatch(&progress_);
  }

  ~WatchSession() override {
    events_.RemoveWatch(&progress_);
    if (handle_) events_.hub().Unsubscribe(*handle_);
    events_.watchers().fetch_sub(1);
  }

  void Start(std::function<void()> wake) override { wake_ = std::move(wake); }

  Step Next(v1::WatchEventsResponse* out) override {
    if (handle_) {
      events_.hub().Unsubscribe(*handle_);
      handle_.reset();
    }
    // A few rounds at most: each either fills a message, or advances the
    // cursor past events this caller may not see, or finds nothing new.
    for (int round = 0; round < 8; ++round) {
      if (events_.hub().stopped()) {
        status_ = absl::UnavailableError(
            "the server is shutting down; resume after progress_sequence");
        return Step::kEnd;
      }
      const int64_t before = cursor_;
      absl::Status read = Fill(out);
      if (!read.ok()) {
        status_ = read;
        return Step::kEnd;
      }
      if (out->events_size() > 0 || !sent_first_) {
        sent_first_ = true;
        return Progress(out);
      }
      if (cursor_ != before) continue;  // skipped events; look further
      if (cursor_ > sent_progress_) {
        // Caught up past events this caller may not see: say so before
        // waiting, so a reconnect resumes here instead of rescanning them.
        return Progress(out);
      }
      // Caught up: wait for the next commit.
      std::optional<uint64_t> handle = events_.hub().Subscribe(cursor_, wake_);
      if (!handle) continue;  // something came in meanwhile
      handle_ = handle;
      return Step::kWait;
    }
    // Long runs of events this caller may not see: say how far we got, so
    // a reconnect resumes there, and come back for more.
    return Progress(out);
  }

  absl::Status status() const override { return status_; }

  void Cancel() override {
    if (handle_) {
      events_.hub().Unsubscribe(*handle_);
      handle_.reset();
    }
  }

 private:
  // Ends `out` with the cursor as its progress_sequence: everything up to
  // it is handed to the stream.
  Step Progress(v1::WatchEventsResponse* out) {
    sent_progress_ = cursor_;
    out->set_progress_sequence(cursor_);
    progress_.delivered.store(cursor_, std::memory_order_relaxed);
    return Step::kMessage;
  }

  // Appends to `out` what this caller may see of the next batch of events,
  // and advances the cursor over the whole batch.
  absl::Status Fill(v1::WatchEventsResponse* out) {
    const int batch = events_.options().batch;
    std::optional<std::vector<StoredEvent>> recent;
    if (events_.hub().head() >= committed_) {
      recent = events_.hub().Recent(cursor_, batch);
    }
    std::vector<StoredEvent> events;
    if (recent) {
      events = std::move(*recent);
    } else {
      // Behind the hub's memory: the table has the same rows. A branch
      // caller reads only its own branch's (an index range). The hub's head
      // is taken first: the read's snapshot then holds every event up to it.
      const int64_t head = std::max(events_.hub().head(), committed_);
      absl::StatusOr<std::vector<StoredEvent>> read = events_.db().Read(
          WaitLimit::Within(absl::Seconds(5)), [&](db::Connection& conn) {
            return ReadEvents(conn, cursor_, batch,
                              BranchScope(*call_.principal));
          });
      if (!read.ok()) return read.status();
      events = std::move(*read);
      if (events.empty()) {
        // Nothing stored after the cursor in this caller's scope: every
        // event up to the hub's head has been looked at.
        cursor_ = std::max(cursor_, head);
        return absl::OkStatus();
      }
    }
    for (const StoredEvent& e : events) {
      cursor_ = e->sequence();
      v1::Event shown;
      if (events_.Show(*call_.principal, filter_, *e, &shown)) {
        *out->add_events() = std::move(shown);
      }
    }
    return absl::OkStatus();
  }

  EventManager& events_;
  const CallMeta call_;
  const EventFilter filter_;
  int64_t cursor_;
  const int64_t committed_;
  int64_t sent_progress_ = 0;  // the last progress_sequence sent
  bool sent_first_ = false;
  std::function<void()> wake_;
  std::optional<uint64_t> handle_;
  absl::Status status_;
  WatchProgress progress_;
};

}  // namespace

EventManager::EventManager(db::Database& db, const Clock& clock,
                           const ModuleRegistry& registry, EventOptions options)
    : db_(db),
      clock_(clock),
      registry_(registry),
      options_(std::move(options)),
      tokens_(db.secret()),
      hub_(db, options_.ring_capacity, options_.coalesce) {}

EventManager::~EventManager() { Stop(); }

absl::Status EventManager::Start() {
  RETURN_IF_ERROR(hub_.Start());
  db_.writer().SetCommitListener([this](bool states_rewritten) {
    hub_.NotifyCommitted(states_rewritten);
  });
  return absl::OkStatus();
}

void EventManager::Stop() { hub_.Stop(); }

void EventManager::AddWatch(const WatchProgress* progress) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  watches_.insert(progress);
}

void EventManager::RemoveWatch(const WatchProgress* progress) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  watches_.erase(progress);
}

EventStreamStats::Sample EventManager::SampleStreams() const {
  Sample s;
  s.head = hub_.head();
  std::lock_guard<std::mutex> lock(watch_mu_);
  s.streams = static_cast<int>(watches_.size());
  for (const WatchProgress* w : watches_) {
    // A stream reading the table ahead of the hub is not behind.
    s.max_lag = std::max(s.max_lag,
                         s.head - w->delivered.load(std::memory_order_relaxed));
  }
  return s;
}

bool EventManager::Show(const Principal& caller, const EventFilter& filter,
                        const v1::Event& e, v1::Event* out) const {
  if (!filter.resource_types.empty() &&
      !filter.resource_types.contains(e.resource_type())) {
    return false;
  }
  if (!filter.event_types.empty() &&
      !filter.event_types.contains(e.event_type())) {
    return false;
  }
  const std::string& scope = BranchScope(caller);
  if (!scope.empty() && e.branch_id() != scope) return false;
  *out = e;
  if (!e.has_state() || caller.role == Role::kAdmin) return true;
  // Masked by the module that owns the type; withheld if none claims it.
  const std::string type(
      e.state().type_url().substr(e.state().type_url().rfind('/') + 1));
  const StateView* view = registry_.FindStateView(type);
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          type);
  if (view == nullptr || d == nullptr) {
    out->clear_state();
    return true;
  }
  std::unique_ptr<google::protobuf::Message> msg(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(d)
          ->New());
  if (!e.state().UnpackTo(msg.get())) {
    out->clear_state();
    return true;
  }
  (*view)(caller, msg.get());
  out->mutable_state()->PackFrom(*msg);
  return true;
}

absl::Status EventManager::CheckStart(db::Connection& conn, int64_t after,
                                      absl::string_view field) const {
  ASSIGN_OR_RETURN(const int64_t pruned, PrunedThrough(conn));
  ASSIGN_OR_RETURN(const int64_t head, HeadSequence(conn));
  if (after < pruned) {
    return ErrorWithReason(
        absl::StatusCode::kOutOfRange, "EVENTS_PRUNED",
        absl::StrCat(field, ": events up to ", pruned,
                     " are past retention and deleted; the oldest available "
                     "start is after_sequence ",
                     pruned, " (newest ", head, ")"),
        {{"oldest_after_sequence", absl::StrCat(pruned)},
         {"newest_sequence", absl::StrCat(head)}});
  }
  if (after > head) {
    return ErrorWithReason(
        absl::StatusCode::kOutOfRange, "SEQUENCE_NOT_ISSUED",
        absl::StrCat(field, ": ", after, " is beyond the newest event (", head,
                     "); a sequence from another server?"),
        {{"oldest_after_sequence", absl::StrCat(pruned)},
         {"newest_sequence", absl::StrCat(head)}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StreamSource<v1::WatchEventsResponse>>>
EventManager::WatchEvents(CallMeta call, const v1::WatchEventsRequest& req) {
  ViolationCollector v;
  if (req.after_sequence() < 0) {
    v.Add("after_sequence", "must be 0 or a sequence the stream sent");
  }
  if (req.after_sequence() != 0 &&
      req.start() != v1::START_POSITION_UNSPECIFIED) {
    v.Add("start", "give either after_sequence or start, not both");
  }
  if (!v1::StartPosition_IsValid(req.start())) {
    v.Add("start", "unknown start position");
  }
  EventFilter filter = CheckFilter(v, req.resource_types(), req.event_types());
  if (!v.empty()) return v.ToStatus();
  if (hub_.stopped()) {
    return absl::UnavailableError("the server is shutting down");
  }
  int64_t after = req.after_sequence();
  int64_t committed = 0;
  RETURN_IF_ERROR(
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(committed, HeadSequence(conn));
        if (req.start() == v1::START_POSITION_NOW) {
          ASSIGN_OR_RETURN(after, HeadSequence(conn));
          return absl::OkStatus();
        }
        if (after == 0) {
          ASSIGN_OR_RETURN(after, PrunedThrough(conn));
          return absl::OkStatus();
        }
        return CheckStart(conn, after, "after_sequence");
      }));
  // Counted before the session exists; the session gives its slot back.
  if (watchers_.fetch_add(1) >= options_.max_watchers) {
    watchers_.fetch_sub(1);
    return ErrorWithReason(
        absl::StatusCode::kResourceExhausted, "TOO_MANY_WATCHERS",
        absl::StrCat("the server has ", options_.max_watchers,
                     " event streams open; retry later or use ListEvents"),
        {});
  }
  return std::make_unique<WatchSession>(*this, std::move(call),
                                        std::move(filter), after, committed);
}

void EventManager::ListEvents(CallMeta call, const v1::ListEventsRequest& req,
                              Reply<v1::ListEventsResponse> reply) {
  ViolationCollector v;
  if (req.after_sequence() < 0) {
    v.Add("after_sequence", "must be 0 or a sequence a page returned");
  }
  EventFilter filter = CheckFilter(v, req.resource_types(), req.event_types());
  // 0 means 100 here (events are small), not the lists' usual 50.
  absl::StatusOr<int> page_size =
      req.page_size() < 0
          ? absl::StatusOr<int>(
                absl::InvalidArgumentError("must be 0 (100 events) or 1..1000"))
          : ResolvePageSize(req.page_size() == 0 ? 100 : req.page_size(),
                            "page_size");
  const int* size = v.Take(page_size, "page_size");
  const std::string scope = PageTokenScope(
      call.method, *call.principal,
      absl::StrCat(req.after_sequence(), ";", FilterKey(filter)));
  std::optional<int64_t> token_after;
  if (!req.page_token().empty()) {
    absl::StatusOr<int64_t> decoded = tokens_.Decode(req.page_token(), scope);
    if (const int64_t* t = v.Take(decoded, "page_token")) token_after = *t;
  }
  if (!v.empty()) return reply(v.ToStatus());
  v1::ListEventsResponse* out = reply.out();
  const Principal& caller = *call.principal;
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    int64_t after = req.after_sequence();
    if (token_after) {
      after = *token_after;
    } else if (after == 0) {
      ASSIGN_OR_RETURN(after, PrunedThrough(conn));
    } else {
      RETURN_IF_ERROR(CheckStart(conn, after, "after_sequence"));
    }
    ASSIGN_OR_RETURN(const int64_t head, HeadSequence(conn));
    // Read in batches until the page is full or the head is reached; the
    // filters may skip many rows, so at most 20 batches per page.
    int64_t cursor = after;
    bool reached_head = false;
    for (int round = 0; round < 20 && out->events_size() < *size; ++round) {
      ASSIGN_OR_RETURN(std::vector<StoredEvent> batch,
                       ReadEvents(conn, cursor, *size - out->events_size(),
                                  BranchScope(caller)));
      if (batch.empty()) {
        reached_head = true;
        cursor = std::max(cursor, head);
        break;
      }
      for (const StoredEvent& e : batch) {
        cursor = e->sequence();
        v1::Event shown;
        if (Show(caller, filter, *e, &shown)) {
          *out->add_events() = std::move(shown);
        }
      }
    }
    out->set_progress_sequence(cursor);
    if (!reached_head) {
      out->set_next_page_token(tokens_.Encode(scope, cursor));
    }
    return absl::OkStatus();
  }));
}

absl::StatusOr<bool> EventManager::PruneSlice(int limit) {
  if (options_.retention <= absl::ZeroDuration()) return false;
  const int64_t cutoff =
      clock_.NowMicros() - absl::ToInt64Microseconds(options_.retention);
  int deleted = 0;
  RETURN_IF_ERROR(
      db_.writer().RunSync([&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(deleted, conn.engine() == db::Engine::kPostgres
                                      ? PruneEventMonths(conn, cutoff, limit)
                                      : PruneEvents(conn, cutoff, limit));
        return absl::OkStatus();
      }));
  return deleted == limit;
}

}  // namespace retail::events
