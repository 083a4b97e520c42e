#include "tests/bench/load_driver.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace retail::bench {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kLateStartNanos = 1'000'000;

// How deep this thread is inside an IssueFn call. gRPC may run a completion
// callback inline, inside the call that started the RPC (e.g. when it fails
// at once); restarting from there would recurse without bound, so such
// restarts are handed to the driver's thread instead.
thread_local int t_issue_depth = 0;

int64_t ToNanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

void SleepUntil(int64_t deadline_nanos) {
  timespec ts;
  ts.tv_sec = deadline_nanos / kNanosPerSecond;
  ts.tv_nsec = deadline_nanos % kNanosPerSecond;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// gRPC and Abseil share the canonical code numbers, so Abseil names them.
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// CPU snapshots at the measured window's start and end, taken by the
// driver's thread as it passes them.
class WindowCpu {
 public:
  WindowCpu(const DriverOptions& options, int64_t start, int64_t end)
      : sources_(options.more_cpu), start_(start), end_(end) {
    if (options.server_pid > 0) {
      sources_.server_pids.push_back(options.server_pid);
    }
  }
  void Poll(int64_t now) {
    if (!started_ && now >= start_) {
      before_ = TakeCpuSnapshot(sources_);
      started_ = true;
    }
    if (started_ && !ended_ && now >= end_) {
      after_ = TakeCpuSnapshot(sources_);
      ended_ = true;
    }
  }
  CpuShares Shares() const {
    return ended_ ? SharesBetween(before_, after_) : CpuShares();
  }

 private:
  CpuSources sources_;
  const int64_t start_, end_;
  bool started_ = false, ended_ = false;
  CpuSnapshot before_, after_;
};

// Counters shared by the driver thread and every completion callback.
// Callbacks hold it by shared_ptr, so a callback that outlives the drain
// timeout still finds it alive.
struct RunState {
  const IssueFn* issue = nullptr;
  int channels = 1;
  int64_t window_start = 0;
  int64_t window_end = 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> seq{0};

  Histogram latency;
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> items{0};
  std::atomic<uint64_t> completed_in_window{0};  // open loop's achieved rate
  std::atomic<uint64_t> late_starts{0};

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  int active = 0;  // closed: live slots; open: outstanding ops
  int peak_active = 0;
  std::vector<int> deferred;  // closed: slots to restart on the driver thread
  std::map<std::string, uint64_t> errors_by_code;
  std::string first_error;

  // `measured`: whether this operation belongs to the window.
  void Record(bool measured, int64_t latency_nanos, const grpc::Status& status,
              int items_returned) {
    if (!measured) return;
    if (status.ok()) {
      ok.fetch_add(1, std::memory_order_relaxed);
      items.fetch_add(static_cast<uint64_t>(std::max(0, items_returned)),
                      std::memory_order_relaxed);
      latency.Record(latency_nanos);
      return;
    }
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu);
    ++errors_by_code[CodeName(status.error_code())];
    if (first_error.empty()) {
      first_error = absl::StrCat(CodeName(status.error_code()), ": ",
                                 status.error_message());
    }
  }

  RunResult Finish(const char* mode, double offered, bool drained) {
    RunResult r;
    r.mode = mode;
    r.offered_rps = offered;
    r.seconds =
        static_cast<double>(window_end - window_start) / kNanosPerSecond;
    r.ok = ok.load();
    r.errors = errors.load();
    r.latency = latency.Summarize();
    r.items_per_op = r.ok ? static_cast<double>(items.load()) / r.ok : 0;
    r.late_starts = late_starts.load();
    r.drained = drained;
    std::lock_guard<std::mutex> lock(mu);
    r.errors_by_code = errors_by_code;
    r.first_error = first_error;
    return r;
  }
};

void StartSlot(const std::shared_ptr<RunState>& state, int slot) {
  const int64_t start = MonotonicNanos();
  const uint64_t seq = state->seq.fetch_add(1, std::memory_order_relaxed);
  ++t_issue_depth;
  (*state->issue)(slot % state->channels, seq,
                  [state, slot, start](const grpc::Status& status, int items) {
                    const int64_t end = MonotonicNanos();
                    state->Record(
                        end >= state->window_start && end < state->window_end,
                        end - start, status, items);
                    if (end >= state->window_end || state->stop.load()) {
                      std::lock_guard<std::mutex> lock(state->mu);
                      --state->active;
                      state->cv.notify_all();
                      return;
                    }
                    if (t_issue_depth > 0) {
                      std::lock_guard<std::mutex> lock(state->mu);
                      state->deferred.push_back(slot);
                      state->cv.notify_all();
                      return;
                    }
                    StartSlot(state, slot);
                  });
  --t_issue_depth;
}

// Waits until no operation is active, or the drain deadline. Returns whether
// everything finished.
bool Drain(RunState& state, int64_t deadline_nanos) {
  std::unique_lock<std::mutex> lock(state.mu);
  for (;;) {
    // After the window, deferred slots are simply retired.
    state.active -= static_cast<int>(state.deferred.size());
    state.deferred.clear();
    if (state.active <= 0) return true;
    const int64_t now = MonotonicNanos();
    if (now >= deadline_nanos) return false;
    state.cv.wait_for(lock, std::chrono::nanoseconds(std::min<int64_t>(
                                deadline_nanos - now, 100'000'000)));
  }
}

}  // namespace

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

RunResult RunClosedLoop(const IssueFn& issue, const DriverOptions& options) {
  auto state = std::make_shared<RunState>();
  state->issue = &issue;
  state->channels = std::max(1, options.channels);
  const int64_t t0 = MonotonicNanos();
  state->window_start = t0 + ToNanos(options.warmup);
  state->window_end = state->window_start + ToNanos(options.duration);
  WindowCpu cpu(options, state->window_start, state->window_end);
  state->active = options.in_flight;
  for (int slot = 0; slot < options.in_flight; ++slot) StartSlot(state, slot);

  // Restart slots whose completion ran inline, until the window ends.
  for (;;) {
    std::vector<int> restart;
    {
      std::unique_lock<std::mutex> lock(state->mu);
      const int64_t now = MonotonicNanos();
      cpu.Poll(now);
      if (now >= state->window_end) break;
      const int64_t next_mark =
          now < state->window_start ? state->window_start : state->window_end;
      state->cv.wait_for(lock, std::chrono::nanoseconds(std::min<int64_t>(
                                   next_mark - now, 10'000'000)));
      restart.swap(state->deferred);
    }
    for (int slot : restart) StartSlot(state, slot);
  }
  state->stop.store(true);
  const bool drained =
      Drain(*state, state->window_end + ToNanos(options.drain_timeout));
  RunResult r = state->Finish("closed", 0, drained);
  r.cpu = cpu.Shares();
  r.in_flight = options.in_flight;
  r.rps = r.seconds > 0 ? r.ok / r.seconds : 0;
  return r;
}

RunResult RunOpenLoop(const IssueFn& issue, const DriverOptions& options,
                      double rate) {
  auto state = std::make_shared<RunState>();
  state->issue = &issue;
  state->channels = std::max(1, options.channels);
  rate = std::max(rate, 1.0);
  // One thread cannot start much more than ~40,000 RPCs per second here, so
  // several share the schedule. Each runs its own Poisson process at
  // rate / threads; independent Poisson processes add up to one at `rate`.
  const int threads = std::clamp(options.open_loop_threads, 1, 16);
  const int64_t t0 = MonotonicNanos();
  state->window_start = t0 + ToNanos(options.warmup);
  state->window_end = state->window_start + ToNanos(options.duration);
  WindowCpu cpu(options, state->window_start, state->window_end);

  auto schedule = [&](int thread) {
    // Sleep with 1 us timer slack (default 50 us): at 20,000 arrivals per
    // second a 50 us oversleep would be a whole inter-arrival gap, charged
    // to the server's latency.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    std::mt19937_64 rng(options.seed * 7919 + thread);
    std::exponential_distribution<double> gap_seconds(rate / threads);
    auto gap = [&] {
      return static_cast<int64_t>(gap_seconds(rng) * kNanosPerSecond);
    };
    int64_t next = t0 + gap();
    while (next < state->window_end) {
      const int64_t now = MonotonicNanos();
      if (thread == 0) cpu.Poll(now);
      if (now < next) {
        SleepUntil(next);
        continue;
      }
      {
        std::unique_lock<std::mutex> lock(state->mu);
        if (state->active >= options.max_outstanding) {
          state->cv.wait_for(lock, std::chrono::milliseconds(1));
          continue;  // `next` stays due; the wait is charged to its latency
        }
        ++state->active;
        state->peak_active = std::max(state->peak_active, state->active);
      }
      const int64_t scheduled = next;
      next += gap();
      const bool measured =
          scheduled >= state->window_start && scheduled < state->window_end;
      if (measured && now - scheduled > kLateStartNanos) {
        state->late_starts.fetch_add(1, std::memory_order_relaxed);
      }
      const uint64_t seq = state->seq.fetch_add(1, std::memory_order_relaxed);
      issue(
          static_cast<int>(seq % state->channels), seq,
          [state, scheduled, measured](const grpc::Status& status, int items) {
            const int64_t end = MonotonicNanos();
            state->Record(measured, end - scheduled, status, items);
            if (status.ok() && end >= state->window_start &&
                end < state->window_end) {
              state->completed_in_window.fetch_add(1,
                                                   std::memory_order_relaxed);
            }
            std::lock_guard<std::mutex> lock(state->mu);
            --state->active;
            state->cv.notify_all();
          });
    }
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t) helpers.emplace_back(schedule, t);
  schedule(0);
  for (std::thread& h : helpers) h.join();
  SleepUntil(state->window_end);
  cpu.Poll(MonotonicNanos());

  const bool drained =
      Drain(*state, MonotonicNanos() + ToNanos(options.drain_timeout));
  RunResult r = state->Finish("open", rate, drained);
  r.cpu = cpu.Shares();
  {
    std::lock_guard<std::mutex> lock(state->mu);
    r.in_flight = state->peak_active;
  }
  r.rps = r.seconds > 0 ? state->completed_in_window.load() / r.seconds : 0;
  return r;
}

}  // namespace retail::bench
