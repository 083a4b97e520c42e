#include "server/audit/audit_manager.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "common/validation.h"
#include "server/audit/audit_store.h"

namespace retail::audit {
namespace {

// Longer than any stored value: the write path cuts methods and details at
// 200 bytes; principals, resources and staff ids are ids.
constexpr size_t kMaxFilterChars = 256;
// More entries than there are outcome words is a mistake or an attack.
constexpr int kMaxOutcomes = 32;

// The outcome words an audit row can hold (common/db/mutation.h, AuditRecord):
// OK, REPLAYED, REVEAL, or the name of a failure's status code.
bool KnownOutcome(absl::string_view word) {
  if (word == "OK" || word == "REPLAYED" || word == "REVEAL") return true;
  for (int code = 1; code <= 16; ++code) {
    if (word == absl::StatusCodeToString(static_cast<absl::StatusCode>(code)))
      return true;
  }
  return false;
}

// "pkg.sub.Service": dot-separated identifiers, as protobuf spells a
// service's full name.
bool IsServiceName(absl::string_view s) {
  if (s.empty()) return false;
  bool start = true;
  for (const char c : s) {
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool ok = start ? (absl::ascii_isalpha(c) || c == '_')
                          : (absl::ascii_isalnum(c) || c == '_');
    if (!ok) return false;
    start = false;
  }
  return !start;
}

// A method filter: a full name ("pkg.Service/Method"; the method part is
// free text, as the maintenance tasks' rows name theirs, e.g.
// "retail.complaints.v1.ComplaintService/(escalation sweep)"), or a
// service ("pkg.Service"), which matches each of its methods. A leading '/'
// (gRPC's path form) is dropped. Sets `query` to the exact name or to the
// "pkg.Service/" prefix.
void CheckMethod(ViolationCollector& v, absl::string_view raw,
                 AuditQuery& query) {
  absl::string_view name = raw;
  absl::ConsumePrefix(&name, "/");
  ViolationCollector text;
  CheckText(text, "method", name, 1, kMaxFilterChars);
  if (!text.empty()) {
    v.Merge(text.ToStatus());
    return;
  }
  const size_t slash = name.find('/');
  const absl::string_view service = name.substr(0, slash);
  if (!IsServiceName(service)) {
    v.Add("method",
          "must be a service (retail.orders.v1.OrderService) or a full "
          "method name (retail.orders.v1.OrderService/PayOrder)");
    return;
  }
  if (slash == absl::string_view::npos) {
    query.method = absl::StrCat(service, "/");
    query.method_is_prefix = true;
    return;
  }
  if (slash + 1 == name.size()) {
    v.Add("method",
          "names no method after '/'; leave out the '/' for a "
          "whole service");
    return;
  }
  query.method = std::string(name);
  query.method_is_prefix = false;
}

// The filters, unambiguously (each value length-prefixed), for the page
// token's scope: a token is refused if any filter changes.
std::string Canonical(const AuditQuery& q) {
  std::string out;
  const auto add = [&out](absl::string_view name, absl::string_view value) {
    absl::StrAppend(&out, name, value.size(), ":", value, ";");
  };
  add("principal", q.principal);
  add(q.method_is_prefix ? "service" : "method", q.method);
  add("resource", q.resource);
  std::vector<std::string> outcomes = q.outcomes;
  std::sort(outcomes.begin(), outcomes.end());
  add("outcomes", absl::StrJoin(outcomes, ","));
  add("start", q.start_us ? absl::StrCat(*q.start_us) : "");
  add("end", q.end_us ? absl::StrCat(*q.end_us) : "");
  return out;
}

}  // namespace

AuditManager::AuditManager(db::Database& db, AuditOptions options)
    : db_(db), options_(options), tokens_(db.secret()) {}

absl::StatusOr<bool> AuditManager::PruneSlice(int64_t now_micros, int limit) {
  if (options_.retention <= absl::ZeroDuration()) return false;
  const int64_t cutoff =
      now_micros - absl::ToInt64Microseconds(options_.retention);
  int deleted = 0;
  RETURN_IF_ERROR(
      db_.writer().RunSync([&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(deleted, conn.engine() == db::Engine::kPostgres
                                      ? PruneAuditMonths(conn, cutoff, limit)
                                      : PruneAuditLog(conn, cutoff, limit));
        return absl::OkStatus();
      }));
  return deleted == limit;
}

void AuditManager::ListAuditLog(CallMeta call,
                                const v1::ListAuditLogRequest& req,
                                Reply<v1::ListAuditLogResponse> reply) {
  ViolationCollector v;
  AuditQuery q;
  if (req.page_size() < 0) {
    v.Add("page_size", absl::StrCat("must be 1 to ", kMaxPageSize,
                                    ", or 0 for ", kDefaultPageSize));
  }
  q.page_size = req.page_size() == 0 ? kDefaultPageSize
                                     : std::min(req.page_size(), kMaxPageSize);
  if (!req.principal().empty()) {
    CheckText(v, "principal", req.principal(), 1, kMaxFilterChars);
    q.principal = req.principal();
  }
  if (!req.method().empty()) CheckMethod(v, req.method(), q);
  if (!req.resource().empty()) {
    CheckText(v, "resource", req.resource(), 1, kMaxFilterChars);
    q.resource = req.resource();
  }
  if (req.outcomes_size() > kMaxOutcomes) {
    v.Add("outcomes",
          absl::StrCat("must list at most ", kMaxOutcomes, " outcomes"));
  } else {
    for (int i = 0; i < req.outcomes_size(); ++i) {
      const std::string word = absl::AsciiStrToUpper(req.outcomes(i));
      if (!KnownOutcome(word)) {
        v.Add(absl::StrCat("outcomes[", i, "]"),
              "must be OK, REPLAYED, REVEAL or a status code name such as "
              "PERMISSION_DENIED");
      } else if (std::find(q.outcomes.begin(), q.outcomes.end(), word) ==
                 q.outcomes.end()) {
        q.outcomes.push_back(word);
      }
    }
  }
  if (req.has_start_time())
    q.start_us = CheckTimestamp(v, "start_time", req.start_time());
  if (req.has_end_time())
    q.end_us = CheckTimestamp(v, "end_time", req.end_time());
  if (q.start_us && q.end_us && *q.end_us <= *q.start_us)
    v.Add("end_time", "must be after start_time");
  const std::string scope =
      PageTokenScope(call.method, *call.principal, Canonical(q));
  absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> after =
      tokens_.DecodePair(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  q.after = *after;
  q.scan_budget = options_.scan_budget;
  q.time_budget = options_.time_budget;

  v1::ListAuditLogResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(AuditPage page,
                     audit::ListAuditLog(conn, q, out->mutable_entries()));
    if (page.next) {
      out->set_next_page_token(tokens_.EncodePair(scope, *page.next));
    }
    return absl::OkStatus();
  }));
}

}  // namespace retail::audit
