// How a caller sees a customer's name and phone inside another module's
// record (a complaint, a follow-up), as the customer service shows them:
// admin, a branch (for its own members) and an agent that set reveal_pii
// (audited) see everything; an agent sees the name with the phone masked;
// a service and an auditor see both masked. A branch sees a member of
// another branch (who came to it) as an agent does.
#ifndef RETAIL_SERVER_CUSTOMERS_CONTACT_VIEW_H_
#define RETAIL_SERVER_CUSTOMERS_CONTACT_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "server/customers/customer_directory.h"

namespace retail::customers {

enum class ContactView { kFull, kBranch, kAgent, kMasked };

// PERMISSION_DENIED when `reveal` is asked by a role that may not.
absl::StatusOr<ContactView> ContactViewFor(const Principal& p, bool reveal);
// The view without reveal_pii (never an error).
ContactView DefaultContactViewFor(const Principal& p);

// Sets `*name` and `*phone` from `contact` as `view` shows them in a record
// of branch `record_branch`.
void ShowContact(ContactView view, const CustomerDirectory::Contact& contact,
                 const std::string& record_branch, std::string* name,
                 std::string* phone);

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CONTACT_VIEW_H_
