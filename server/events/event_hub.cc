#include "server/events/event_hub.h"

#include <algorithm>
#include <utility>

#include "common/logging.h"

namespace retail::events {
namespace {

// Rows per read while catching up after a commit.
constexpr int kPumpPage = 1000;

}  // namespace

EventHub::EventHub(db::Database& db, size_t capacity, absl::Duration coalesce)
    : db_(db), capacity_(std::max<size_t>(capacity, 1)), coalesce_(coalesce) {}

EventHub::~EventHub() { Stop(); }

absl::Status EventHub::Start() {
  absl::StatusOr<int64_t> head =
      db_.Read([](db::Connection& conn) { return HeadSequence(conn); });
  if (!head.ok()) return head.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    floor_ = head_ = *head;
    started_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void EventHub::Stop() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [handle, sub] : subscribers_)
      wakes.push_back(std::move(sub.wake));
    subscribers_.clear();
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& wake : wakes) wake();
}

bool EventHub::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void EventHub::NotifyCommitted(bool states_rewritten) {
  std::lock_guard<std::mutex> lock(mu_);
  if (states_rewritten) {
    ring_.clear();
    floor_ = head_;
    ++generation_;
  }
  pending_ = true;
  cv_.notify_one();
}

int64_t EventHub::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

std::optional<std::vector<StoredEvent>> EventHub::Recent(int64_t after,
                                                         size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (after < floor_) return std::nullopt;
  auto it = std::upper_bound(
      ring_.begin(), ring_.end(), after,
      [](int64_t seq, const StoredEvent& e) { return seq < e->sequence(); });
  std::vector<StoredEvent> out;
  for (; it != ring_.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

std::optional<uint64_t> EventHub::Subscribe(int64_t after,
                                            std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  if (head_ > after || stopping_) return std::nullopt;
  const uint64_t handle = next_handle_++;
  subscribers_[handle] = Subscriber{after, std::move(wake)};
  return handle;
}

void EventHub::Unsubscribe(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(handle);
}

void EventHub::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
    }
    if (absl::Status s = Pump(); !s.ok()) {
      // A read that failed (a storage fault being recovered): the events
      // stay in the table; the next commit or the retry below reads them.
      RETAIL_LOG(WARNING) << "event stream could not read new events: " << s;
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100),
                   [this] { return stopping_; });
      pending_ = true;
      continue;
    }
    if (coalesce_ > absl::ZeroDuration()) {
      // Let the next commits gather (see the constructor); stopping cuts
      // the wait short.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(coalesce_),
                   [this] { return stopping_; });
    }
  }
}

absl::Status EventHub::Pump() {
  for (;;) {
    int64_t after;
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(mu_);
      after = head_;
      generation = generation_;
    }
    absl::StatusOr<std::vector<StoredEvent>> read = db_.Read(
        WaitLimit::Within(absl::Seconds(5)), [after](db::Connection& conn) {
          return ReadEvents(conn, after, kPumpPage, "");
        });
    if (!read.ok()) return read.status();
    if (read->empty()) return absl::OkStatus();
    std::vector<std::function<void()>> wakes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // An erasure committed while we read: the batch may hold states it
      // scrubbed. Read it again from a snapshot that includes the erasure.
      if (generation != generation_) continue;
      for (StoredEvent& e : *read) ring_.push_back(std::move(e));
      while (ring_.size() > capacity_) {
        floor_ = ring_.front()->sequence();
        ring_.pop_front();
      }
      head_ = ring_.back()->sequence();
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        if (it->second.after < head_) {
          wakes.push_back(std::move(it->second.wake));
          subscribers_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    // Outside the lock: a wake runs the watcher's next read, which asks the
    // hub again.
    for (auto& wake : wakes) wake();
    if (read->size() < static_cast<size_t>(kPumpPage)) return absl::OkStatus();
  }
}

}  // namespace retail::events
