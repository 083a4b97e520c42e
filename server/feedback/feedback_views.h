// What the feedback module's RPCs share about the records they answer
// with: resource names (the audit log's, and where replay copies are
// stored), a follow-up's customer contact as the caller may see it, and
// scrubbing a person from any answer (erasure).
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_VIEWS_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_VIEWS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/db/connection.h"
#include "common/db/mutation.h"
#include "google/protobuf/message.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "server/customers/contact_view.h"
#include "server/customers/customer_directory.h"

namespace retail::feedback {

inline std::string FeedbackName(absl::string_view id) {
  return absl::StrCat("feedback/", id);
}
inline std::string SurveyResponseName(absl::string_view id) {
  return absl::StrCat("survey-responses/", id);
}
inline std::string FollowUpName(absl::string_view id) {
  return absl::StrCat("follow-ups/", id);
}

// Appends the event of a change of one of the module's records, with the
// record as stored (`state`, which must have a `branch_id` field or none).
template <typename Record>
absl::Status AppendFeedbackEvent(db::Connection& conn, const CallMeta& meta,
                                 int64_t now_micros,
                                 absl::string_view resource_type,
                                 absl::string_view id,
                                 absl::string_view resource,
                                 absl::string_view event_type, int64_t revision,
                                 const Record& state) {
  std::string branch;
  if constexpr (requires { state.branch_id(); }) branch = state.branch_id();
  return db::AppendEvent(conn,
                         {.resource_type = resource_type,
                          .resource_id = id,
                          .resource = resource,
                          .event_type = event_type,
                          .revision = revision,
                          .branch_id = branch,
                          .state = &state},
                         meta, now_micros);
}

// Sets the follow-up's customer name and phone as `view` shows them (none
// after erasure, or without the customers module).
absl::Status FillContact(db::Connection& conn,
                         customers::CustomerDirectory* customers,
                         customers::ContactView view, v1::FollowUp* f);

// Empties, anywhere in `m`, what customer `customer_id` wrote or is: the
// text of their feedback items (marked text_erased), their free-text
// answers, their follow-ups' notes, names and phones, and the customer id
// itself. Ratings, scores, sentiment, topics and keywords stay.
void ScrubPerson(google::protobuf::Message* m, const std::string& customer_id);

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_VIEWS_H_
