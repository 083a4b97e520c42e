// Rules of the event stream (retail.events.v1.EventService): where a watch
// or a page starts, what a caller may see of each event (its branch, its
// state masked by the owning module's view), and retention.
#ifndef RETAIL_SERVER_EVENTS_EVENT_MANAGER_H_
#define RETAIL_SERVER_EVENTS_EVENT_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "common/stream.h"
#include "retail/events/v1/events.pb.h"
#include "server/events/event_hub.h"
#include "server/events/event_stats.h"
#include "server/module_registry.h"

namespace retail::events {

struct EventOptions {
  // Events kept in memory for watchers that keep up.
  size_t ring_capacity = 16384;
  // Open WatchEvents streams at once; more are RESOURCE_EXHAUSTED.
  int max_watchers = 1000;
  // Events read or sent per stream message.
  int batch = 500;
  // How long the hub lets commits gather between reads (EventHub).
  absl::Duration coalesce = absl::Milliseconds(5);
  // How long events are kept (0: forever).
  absl::Duration retention = absl::Hours(24 * 90);
};

// What one caller asked to see.
struct EventFilter {
  absl::flat_hash_set<std::string> resource_types;  // empty: all
  absl::flat_hash_set<std::string> event_types;     // empty: all
};

// How far one open WatchEvents stream has been handed its events: the
// sequence of its last progress_sequence, or where it started. Written by
// its stream, read by SampleStreams().
struct WatchProgress {
  std::atomic<int64_t> delivered{0};
};

class EventManager final : public EventStreamStats {
 public:
  EventManager(db::Database& db, const Clock& clock,
               const ModuleRegistry& registry, EventOptions options);
  ~EventManager() override;

  // Starts the hub; the writer wakes it after each commit with events.
  absl::Status Start();
  // Ends every stream (UNAVAILABLE) and stops the hub.
  void Stop();

  absl::StatusOr<std::unique_ptr<StreamSource<v1::WatchEventsResponse>>>
  WatchEvents(CallMeta call, const v1::WatchEventsRequest& req);
  void ListEvents(CallMeta call, const v1::ListEventsRequest& req,
                  Reply<v1::ListEventsResponse> reply);

  // Deletes up to `limit` events older than the retention; true while more
  // remain (a maintenance slice).
  absl::StatusOr<bool> PruneSlice(int limit);

  // Whether `caller` may see `e` at all, and if so `*out` as it may see it
  // (its state masked by the owning module's view, or withheld).
  bool Show(const Principal& caller, const EventFilter& filter,
            const v1::Event& e, v1::Event* out) const;

  EventHub& hub() { return hub_; }
  const EventOptions& options() const { return options_; }
  db::Database& db() { return db_; }
  std::atomic<int>& watchers() { return watchers_; }

  // Open streams register their progress for SampleStreams() (the
  // metrics' event-stream lag) while they live.
  void AddWatch(const WatchProgress* progress);
  void RemoveWatch(const WatchProgress* progress);
  Sample SampleStreams() const override;

 private:
  // OUT_OF_RANGE unless events after `after` are all still kept and `after`
  // is not beyond the newest sequence.
  absl::Status CheckStart(db::Connection& conn, int64_t after,
                          absl::string_view field) const;

  db::Database& db_;
  const Clock& clock_;
  const ModuleRegistry& registry_;
  const EventOptions options_;
  const PageTokenCodec tokens_;
  EventHub hub_;
  std::atomic<int> watchers_{0};
  mutable std::mutex watch_mu_;
  absl::flat_hash_set<const WatchProgress*> watches_;  // guarded by watch_mu_
};

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENT_MANAGER_H_
