#include "server/failure_audit.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/mutation.h"
#include "common/logging.h"
#include "common/validation.h"

namespace retail {
namespace {

constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;

db::AuditRecord RecordFor(const std::string& principal, const std::string& role,
                          const std::string& method, const std::string& outcome,
                          const std::string& staff_id, std::string detail,
                          int64_t count) {
  db::AuditRecord r;
  r.principal_id = principal;
  r.role = role;
  r.method = method;
  r.outcome = outcome;
  r.staff_id = staff_id;
  r.detail = std::move(detail);
  r.count = count;
  return r;
}

}  // namespace

void FailureAudit::Record(const CallMeta* meta, absl::string_view method,
                          const absl::Status& status) {
  const int64_t minute = clock_.NowMicros() / kMicrosPerMinute;
  std::string principal = "(unauthenticated)";
  std::string role = "none";
  std::string staff;
  if (meta != nullptr && meta->principal != nullptr) {
    principal = meta->principal->id;
    role = std::string(RoleName(meta->principal->role));
    staff = meta->staff_id;
  }
  const std::string outcome(absl::StatusCodeToString(status.code()));
  Key key{principal, role, std::string(TruncateUtf8(method, 200)), outcome,
          minute};
  {
    absl::MutexLock lock(&mu_);
    auto it = kinds_.find(key);
    if (it != kinds_.end()) {
      ++it->second.unwritten;
      return;
    }
    if (kinds_.size() >= kMaxKinds) {
      Key other{"(other)", "none", "(other)", "(other)", minute};
      ++kinds_[other].unwritten;
      return;
    }
    kinds_.emplace(key, Pending{0, staff});
  }
  // The first of its kind this minute: written now, without holding up the
  // answer (the reply does not wait for this commit).
  db::SubmitAudit(
      writer_, clock_,
      RecordFor(principal, role, std::get<2>(key), outcome, staff,
                std::string(TruncateUtf8(status.message(), 200)), 1),
      [](absl::Status s) {
        if (!s.ok()) RETAIL_LOG(WARNING) << "failure audit row lost: " << s;
      });
}

absl::Status FailureAudit::Flush(bool all) {
  const int64_t minute = clock_.NowMicros() / kMicrosPerMinute;
  std::vector<db::AuditRecord> rows;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = kinds_.begin(); it != kinds_.end();) {
      const auto& [principal, role, method, outcome, at] = it->first;
      if (!all && at >= minute) {
        ++it;
        continue;
      }
      if (it->second.unwritten > 0) {
        rows.push_back(
            RecordFor(principal, role, method, outcome, it->second.staff_id,
                      absl::StrCat("folded: ", it->second.unwritten,
                                   " more like the row before in minute ", at),
                      it->second.unwritten));
      }
      kinds_.erase(it++);
    }
  }
  if (rows.empty()) return absl::OkStatus();
  return writer_.RunSync([&](db::Connection& conn) -> absl::Status {
    const int64_t now = clock_.NowMicros();
    for (const db::AuditRecord& r : rows) {
      if (absl::Status s = db::AppendAudit(conn, r, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

size_t FailureAudit::kinds() const {
  absl::MutexLock lock(&mu_);
  return kinds_.size();
}

}  // namespace retail
