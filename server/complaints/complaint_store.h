// SQL for complaints, their clocks, history, keywords, SLA policies and
// branch calendars. Prepared statements only; every query that can return
// a complaint takes the caller's branch scope, so a branch principal never
// reads or changes another branch's complaints (they are NOT_FOUND).
#ifndef RETAIL_SERVER_COMPLAINTS_COMPLAINT_STORE_H_
#define RETAIL_SERVER_COMPLAINTS_COMPLAINT_STORE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "server/complaints/sla_clock.h"

namespace retail::complaints {

// A complaints row with its three clocks: the API resource (without the
// computed fields: clocks, etag, next due, breached) plus what only the
// server keeps.
struct StoredComplaint {
  int64_t row = 0;
  int64_t revision = 0;
  v1::Complaint c;
  v1::ComplaintStatus resume_status = v1::COMPLAINT_STATUS_UNSPECIFIED;
  bool closed_ever = false;
  // Index kind - 1: first response, solution, closure.
  std::array<ClockRow, 3> clocks;
  std::optional<int64_t> next_due_us;
  std::optional<int64_t> next_sweep_us;
  bool breached = false;
};

struct ComplaintQuery {
  std::string branch_scope;  // "" = all branches
  std::string branch_id;     // filter; "" = any
  v1::ComplaintStatus status = v1::COMPLAINT_STATUS_UNSPECIFIED;
  std::string owner_id;
  v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
  v1::ComplaintSeverity severity = v1::COMPLAINT_SEVERITY_UNSPECIFIED;
  std::optional<bool> breached;  // as of now_us (see Complaint.breached)
  int64_t now_us = 0;
  int32_t min_escalation_level = 0;
  std::optional<int64_t> due_before_us;
  bool by_due = false;  // order by (next_due_us, id); else by id
  // Keyset: the last row of the previous page.
  int64_t after_id = 0;
  int64_t after_due_us = INT64_MIN;
  int limit = 50;
};

absl::StatusOr<StoredComplaint> GetComplaint(db::Connection& conn,
                                             const std::string& complaint_id,
                                             const std::string& branch_scope);
absl::StatusOr<std::vector<StoredComplaint>> ListComplaints(
    db::Connection& conn, const ComplaintQuery& q);
absl::StatusOr<std::vector<std::string>> ListCustomerComplaintIds(
    db::Connection& conn, const std::string& customer_id);
// Up to `limit` complaint ids whose sweep instant is at or before `now`,
// earliest first.
absl::StatusOr<std::vector<std::string>> DueForSweep(db::Connection& conn,
                                                     int64_t now_us, int limit);

// Writes (writer connection only). Insert sets `sc.row` and writes the
// clocks; Update writes the row where it still has `revision - 1` (ABORTED
// otherwise) and the clocks.
absl::Status InsertComplaint(db::Connection& conn, StoredComplaint& sc);
absl::Status UpdateComplaint(db::Connection& conn, const StoredComplaint& sc);
// Writes only `sc.next_sweep_us` (the sweep looked too early; nothing else
// changed).
absl::Status RescheduleSweep(db::Connection& conn, const StoredComplaint& sc);

// Complaints closed in [from, to), by (close time, row) after the keyset.
struct ClosedRow {
  int64_t row = 0;
  std::string complaint_id;
  std::string customer_id;
  std::string branch_id;
  int64_t close_us = 0;
};
absl::StatusOr<std::vector<ClosedRow>> ListClosed(db::Connection& conn,
                                                  int64_t from_us,
                                                  int64_t to_us,
                                                  int64_t after_close_us,
                                                  int64_t after_row, int limit);

absl::Status InsertHistory(db::Connection& conn, int64_t complaint_row,
                           const v1::HistoryEntry& e);
// Appends the page to `out` (oldest first) and returns the rows' ids.
absl::StatusOr<std::vector<int64_t>> ListHistory(
    db::Connection& conn, int64_t complaint_row, int64_t after, int limit,
    google::protobuf::RepeatedPtrField<v1::HistoryEntry>* out);
// Erasure: empties the text of every history entry of the complaint.
absl::Status EraseHistoryText(db::Connection& conn, int64_t complaint_row);

struct KeywordRow {
  std::string keyword;
  std::string topic;
};
absl::Status InsertKeywords(db::Connection& conn, const StoredComplaint& sc,
                            const std::vector<KeywordRow>& keywords);

// The policy of `version`, or the newest when 0; NOT_FOUND if none stored.
absl::StatusOr<v1::SlaPolicy> GetPolicy(db::Connection& conn, int64_t version);
absl::Status InsertPolicy(db::Connection& conn, const v1::SlaPolicy& p,
                          int64_t now_us);

absl::StatusOr<std::optional<v1::BranchCalendar>> GetCalendar(
    db::Connection& conn, const std::string& branch_id);
// Writes the calendar; returns its revision (1 for the first, then +1).
absl::StatusOr<int64_t> UpsertCalendar(db::Connection& conn,
                                       const v1::BranchCalendar& c,
                                       int64_t now_us);

// Statistics over complaints created in [start, end), of one branch or
// all (""), each figure straight from the rows.
struct StatsQuery {
  std::string branch_id;
  int64_t start_us = 0;
  int64_t end_us = 0;
  int top = 10;
};
struct ClockSample {
  int kind = 0;
  int branch = 0;  // index into StatsRows::branches
  ClockRow clock;
};
struct StatsRows {
  // (column value, count) per grouping.
  std::vector<std::pair<int, int64_t>> by_category, by_severity, by_channel,
      by_status;
  int64_t total = 0;
  int64_t reopened = 0;     // reopen_count > 0
  int64_t closed_ever = 0;  // closed at least once
  int64_t scored = 0;       // closed with a satisfaction score
  int64_t score_sum = 0;
  std::vector<ClockSample> clocks;
  // The branches the clock samples name, each once (a string per sample
  // cost a page fault per few samples at a quarter of a million).
  std::vector<std::string> branches;
  struct Problem {
    int category;
    std::string keyword, topic;
    int64_t count;
  };
  std::vector<Problem> problems;  // most frequent first
};
absl::StatusOr<StatsRows> ReadStats(db::Connection& conn, const StatsQuery& q);

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_COMPLAINT_STORE_H_
