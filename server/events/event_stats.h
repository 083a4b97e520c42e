// What the events module tells the metrics (server/metrics/) about its
// streams: offered in the ModuleRegistry (Find<EventStreamStats>()), sampled
// at scrape time, never on a call's path.
#ifndef RETAIL_SERVER_EVENTS_EVENT_STATS_H_
#define RETAIL_SERVER_EVENTS_EVENT_STATS_H_

#include <cstdint>

namespace retail::events {

class EventStreamStats {
 public:
  struct Sample {
    // The newest sequence the hub has read (what a watcher that keeps up
    // is sent next); lags the newest commit by at most --event_coalesce_ms.
    int64_t head = 0;
    // Open WatchEvents streams.
    int streams = 0;
    // Over open streams, the largest head - (the sequence up to which the
    // stream has been handed its events: its last progress_sequence, or
    // where it started); 0 without streams.
    int64_t max_lag = 0;
  };
  virtual ~EventStreamStats() = default;
  // Thread-safe; takes a lock per stream set, never the database.
  virtual Sample SampleStreams() const = 0;
};

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENT_STATS_H_
