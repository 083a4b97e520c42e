// The live end of the event stream: one thread that reads each durable
// commit's new events once, keeps the most recent ones in memory, and wakes
// the watchers waiting for them.
//
// Why one reader for everyone: 50 watchers reading the table after every
// commit would be 50 queries per commit; the hub makes it one, and a
// watcher that keeps up serves itself from memory. Why a ring with a floor,
// not a queue per watcher: memory is bounded by the ring, whatever the
// number of watchers, and a watcher too slow to keep up is not a problem
// for anyone else: once its position falls below the ring's floor it reads
// from the table (the same rows, in the same order) until it catches up.
// Writers never wait for the hub or for any watcher: the writer's commit
// listener only sets a flag.
//
// Gapless by construction on SQLite: sequences are AUTOINCREMENT keys
// assigned by the single writer, so a later commit only ever adds larger
// ones, and a read snapshot always holds a prefix of the commits. Reading
// "sequence > last read" after each commit therefore misses nothing.
#ifndef RETAIL_SERVER_EVENTS_EVENT_HUB_H_
#define RETAIL_SERVER_EVENTS_EVENT_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/db/database.h"
#include "server/events/event_store.h"

namespace retail::events {

class EventHub {
 public:
  // Keeps the newest `capacity` events in memory. After each read it
  // waits `coalesce` before the next, so that one read and one wake-up per
  // watcher carry every commit of that span: with 50 watchers at 1,000
  // writes/s, waking on every group commit sent ~3 events a message and the
  // per-message cost (serialising, the socket) took the cores writers
  // needed. It adds at most `coalesce` to delivery.
  EventHub(db::Database& db, size_t capacity,
           absl::Duration coalesce = absl::ZeroDuration());
  ~EventHub();  // Stop()s.

  // Reads the current head and starts the thread. Events up to that head
  // are read from the table by whoever needs them.
  absl::Status Start();
  // Stops the thread and wakes every subscriber (their streams then end).
  void Stop();
  bool stopped() const;

  // From the writer thread after a durable commit that appended events.
  // `states_rewritten`: it also rewrote stored states (an erasure), so the
  // copies in memory are dropped at once, before anyone is answered;
  // watchers below the new floor read the scrubbed rows from the table.
  void NotifyCommitted(bool states_rewritten);

  // The newest sequence the hub has read.
  int64_t head() const;

  // Up to `limit` events after `after`, from memory; nullopt when some of
  // them are older than the ring holds (read them from the table).
  std::optional<std::vector<StoredEvent>> Recent(int64_t after,
                                                 size_t limit) const;

  // Calls `wake` once, from the hub's thread and holding no lock of the
  // hub's, when an event after `after` has been read or the hub stops.
  // Returns its handle, or nullopt without subscribing when such an event
  // is already there (read again instead). `wake` may still run after
  // Unsubscribe if it had already been taken out: it must stay safe to call.
  std::optional<uint64_t> Subscribe(int64_t after, std::function<void()> wake);
  void Unsubscribe(uint64_t handle);

 private:
  void Loop();
  // Reads what has committed since `read_through_` into the ring.
  absl::Status Pump();

  db::Database& db_;
  const size_t capacity_;
  const absl::Duration coalesce_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;  // a commit since the last pump
  bool stopping_ = false;
  bool started_ = false;
  // Every event with sequence > floor_ is in ring_ (up to head_).
  std::deque<StoredEvent> ring_;
  int64_t floor_ = 0;
  int64_t head_ = 0;
  // Bumped when an erasure drops the ring: a batch read before it (from a
  // snapshot that may predate the erasure) must not be pushed after it.
  uint64_t generation_ = 0;
  struct Subscriber {
    int64_t after;
    std::function<void()> wake;
  };
  uint64_t next_handle_ = 1;
  absl::flat_hash_map<uint64_t, Subscriber> subscribers_;
  std::thread thread_;
};

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENT_HUB_H_
