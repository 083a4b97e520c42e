#include "tests/crash/ledger.h"

#include <grpcpp/support/status.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace retail::crash {
namespace {

// Share of fresh sends that are deliberate re-sends of an acknowledged
// request, and of the rest, the share of points adjustments.
constexpr double kResendShare = 0.05;
constexpr double kAdjustShare = 0.5;
// A handful of home branches, so rows spread over the branch index.
constexpr int kBranches = 20;

}  // namespace

Ledger::Ledger(uint64_t seed) : rng_(seed) {}

size_t Ledger::AddCreateLocked() {
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kCreate;
  e.request_id = absl::StrFormat("crash-create-%07d", index);
  auto* c = e.create.mutable_customer();
  // A non-ASCII name checks that the text survives recovery byte for byte.
  c->set_display_name(absl::StrCat("崩溃测试 ", index));
  // Already normalised (11 digits starting with 1), so the acknowledged
  // phone must equal the sent one; unique per request, so a second row for
  // one request could only come from executing it twice.
  c->set_phone(absl::StrFormat("139%08d", index));
  c->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  e.create.set_request_id(e.request_id);
  return index;
}

size_t Ledger::AddAdjustLocked() {
  const size_t index = entries_.size();
  const size_t target = acked_creates_[std::uniform_int_distribution<size_t>(
      0, acked_creates_.size() - 1)(rng_)];
  const std::string customer_id = entries_[target].customer_id;
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kAdjust;
  e.request_id = absl::StrFormat("crash-adjust-%07d", index);
  e.adjust.set_customer_id(customer_id);
  // Positive only: a deduction could fail with INSUFFICIENT_POINTS depending
  // on commit order, which would blur "acknowledged" in the ledger.
  e.adjust.set_delta(std::uniform_int_distribution<int64_t>(1, 1000)(rng_));
  e.adjust.set_reason(absl::StrCat("crash test ", index));
  e.adjust.set_request_id(e.request_id);
  return index;
}

std::optional<size_t> Ledger::NextToSend(bool allow_new) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<size_t> next;
  if (!retry_queue_.empty()) {
    next = retry_queue_.front();
    retry_queue_.pop_front();
    entries_[*next].pending = false;
  } else if (allow_new) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (!acked_all_.empty() && unit(rng_) < kResendShare) {
      const size_t candidate = acked_all_[std::uniform_int_distribution<size_t>(
          0, acked_all_.size() - 1)(rng_)];
      if (!entries_[candidate].in_flight && !entries_[candidate].pending) {
        next = candidate;
      }
    }
    if (!next) {
      next = (!acked_creates_.empty() && unit(rng_) < kAdjustShare)
                 ? AddAdjustLocked()
                 : AddCreateLocked();
    }
  }
  if (next) {
    Entry& e = entries_[*next];
    e.in_flight = true;
    e.attempts += 1;
    ++in_flight_;
  }
  return next;
}

void Ledger::QueueAllForReplay() {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i : acked_all_) {
    Entry& e = entries_[i];
    if (e.in_flight || e.pending) continue;
    e.pending = true;
    retry_queue_.push_back(i);
  }
}

Entry Ledger::Snapshot(size_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_[index];
}

bool Ledger::RecordOk(size_t index, const std::string& response_bytes,
                      const std::string& customer_id, int round) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[index];
  e.in_flight = false;
  --in_flight_;
  e.acks += 1;
  if (e.acks == 1) {
    e.first_ack = response_bytes;
    e.first_ack_round = round;
    e.first_ack_attempt = e.attempts;
    acked_all_.push_back(index);
    if (e.kind == Kind::kCreate) {
      e.customer_id = customer_id;
      acked_creates_.push_back(index);
    }
    return true;
  }
  if (response_bytes != e.first_ack) {
    problems_.push_back(absl::StrCat(
        e.request_id, ": answer #", e.acks, " (attempt ", e.attempts,
        ") differs from the first acknowledgement (", e.first_ack.size(),
        " vs ", response_bytes.size(), " bytes)"));
    return false;
  }
  return true;
}

void Ledger::RecordFailure(size_t index, int code, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[index];
  e.in_flight = false;
  --in_flight_;
  e.last_error = absl::StrCat("code ", code, ": ", message);
  const bool transient = code == grpc::StatusCode::UNAVAILABLE ||
                         code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                         code == grpc::StatusCode::CANCELLED;
  if (transient) {
    // Nothing is known about whether it committed: send it again, same id
    // and same payload, and let the server's request_id record decide.
    e.pending = true;
    retry_queue_.push_back(index);
    return;
  }
  problems_.push_back(absl::StrCat(e.request_id, " (attempt ", e.attempts, ", ",
                                   e.acks, " earlier OKs): code ", code, ": ",
                                   message));
}

bool Ledger::Settled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_ == 0 && retry_queue_.empty();
}

size_t Ledger::Unacknowledged() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Entry& e : entries_) n += e.acks == 0 ? 1 : 0;
  return n;
}

std::vector<Entry> Ledger::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<std::string> Ledger::Problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

LedgerStats Ledger::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  LedgerStats s;
  for (const Entry& e : entries_) {
    (e.kind == Kind::kCreate ? s.creates : s.adjusts) += 1;
    s.sends += e.attempts;
    s.acked += e.acks > 0 ? 1 : 0;
    s.retried += (e.acks == 0 ? e.attempts : e.first_ack_attempt) > 1 ? 1 : 0;
    s.acked_twice += e.acks > 1 ? 1 : 0;
  }
  return s;
}

}  // namespace retail::crash
