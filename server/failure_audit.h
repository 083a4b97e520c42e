// Audits the calls that fail before they reach the writer: unauthenticated,
// denied, invalid, timed out or refused for load, and any failure whose
// in-transaction audit row was lost with its batch (a failed COMMIT).
// Failures inside the write path are audited in their own transaction by
// common/db/mutation.cc and are not counted again here.
//
// A flood of identical failures must not flood the log: the first failure of
// a (principal, role, method, outcome) in a minute of business time is
// written at once; the rest of that minute are counted in memory and written
// as one row with `count` by Flush() (a maintenance task every minute, and at
// shutdown). A crash loses at most the last minute's counts, never the first
// row of a kind.
#ifndef RETAIL_SERVER_FAILURE_AUDIT_H_
#define RETAIL_SERVER_FAILURE_AUDIT_H_

#include <cstdint>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/db/writer.h"

namespace retail {

class FailureAudit {
 public:
  FailureAudit(db::Writer& writer, const Clock& clock)
      : writer_(writer), clock_(clock) {}

  // Records one failed call. `meta` is null when the caller was not
  // authenticated; `method` is the full method name.
  void Record(const CallMeta* meta, absl::string_view method,
              const absl::Status& status);

  // Writes the counts of minutes that have ended (or of all, at shutdown).
  // Blocks until durable: maintenance thread or shutdown only.
  absl::Status Flush(bool all);

  // Distinct kinds held in memory; bounded by kMaxKinds.
  size_t kinds() const;

 private:
  // Beyond this many distinct kinds in one minute, further kinds fold into
  // one "(other)" kind: a caller cycling through method names or tokens
  // cannot grow memory without bound.
  static constexpr size_t kMaxKinds = 10'000;

  using Key = std::tuple<std::string /*principal*/, std::string /*role*/,
                         std::string /*method*/, std::string /*outcome*/,
                         int64_t /*minute*/>;
  struct Pending {
    int64_t unwritten = 0;
    std::string staff_id;
  };

  db::Writer& writer_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Pending> kinds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retail

#endif  // RETAIL_SERVER_FAILURE_AUDIT_H_
