// What the complaints module offers other modules (through ModuleRegistry):
// opening a complaint inside the caller's write transaction (negative
// feedback that is severe enough), and reading which complaints closed
// when (follow-up visits after a complaint).
#ifndef RETAIL_SERVER_COMPLAINTS_COMPLAINT_INTAKE_H_
#define RETAIL_SERVER_COMPLAINTS_COMPLAINT_INTAKE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "common/db/mutation.h"
#include "retail/complaints/v1/complaints.pb.h"

namespace retail::complaints {

class ComplaintIntake {
 public:
  virtual ~ComplaintIntake() = default;

  // A complaint to open on another record's behalf: the fields of
  // CreateComplaint (already validated by the caller against the same
  // rules: customer_id set, subject 1..200 single-line characters,
  // description 1..5000), the analysis the caller already made of the
  // text (topic ids and lexicon keywords), and the record it comes from.
  struct Opening {
    std::string customer_id;
    std::string branch_id;
    std::string order_id;  // optional
    v1::ComplaintChannel channel = v1::COMPLAINT_CHANNEL_UNSPECIFIED;
    v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
    v1::ComplaintSeverity severity = v1::COMPLAINT_SEVERITY_UNSPECIFIED;
    std::string subject;
    std::string description;
    std::vector<std::string> topics;
    // (keyword, topic id or "") pairs.
    std::vector<std::pair<std::string, std::string>> keywords;
    std::string feedback_id;  // the feedback item it comes from
  };

  // Opens it in NEW with its clocks started, history and event written, in
  // the caller's transaction (ctx.conn), on the caller's authority for the
  // audit trail but with no branch scope (the caller checked its own).
  // Returns the complaint's id. NOT_FOUND (customer; order), or
  // FAILED_PRECONDITION (CUSTOMER_ERASED; ORDER_OF_ANOTHER_CUSTOMER).
  virtual absl::StatusOr<std::string> OpenComplaint(db::MutationContext& ctx,
                                                    const Opening& opening) = 0;

  // The branch of complaint `complaint_id` if it exists in `branch_scope`
  // (the caller's BranchScope; "" = any branch) and is `customer_id`'s.
  // NOT_FOUND naming `field` if it does not exist there;
  // FAILED_PRECONDITION (COMPLAINT_OF_ANOTHER_CUSTOMER) if it is another
  // customer's. For survey responses and follow-ups about a complaint.
  virtual absl::StatusOr<std::string> CheckComplaintOfCustomer(
      db::Connection& conn, const std::string& complaint_id,
      const std::string& customer_id, const std::string& field,
      const std::string& branch_scope) = 0;

  // Complaints closed (and not reopened since) in [from_us, to_us), by close
  // time then row, after the keyset (after_close_us, after_row), at most
  // `limit`.
  struct Closed {
    int64_t row = 0;
    std::string complaint_id;
    std::string customer_id;
    std::string branch_id;
    int64_t close_us = 0;
  };
  virtual absl::StatusOr<std::vector<Closed>> ListClosed(
      db::Connection& conn, int64_t from_us, int64_t to_us,
      int64_t after_close_us, int64_t after_row, int limit) = 0;
};

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_COMPLAINT_INTAKE_H_
