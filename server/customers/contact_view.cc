#include "server/customers/contact_view.h"

#include "common/validation.h"

namespace retail::customers {

absl::StatusOr<ContactView> ContactViewFor(const Principal& p, bool reveal) {
  ASSIGN_OR_RETURN(const bool visible, PiiVisible(p, reveal));
  if (visible) {
    return p.role == Role::kBranch ? ContactView::kBranch : ContactView::kFull;
  }
  return p.role == Role::kAgent ? ContactView::kAgent : ContactView::kMasked;
}

ContactView DefaultContactViewFor(const Principal& p) {
  return ContactViewFor(p, false).value_or(ContactView::kMasked);
}

void ShowContact(ContactView view, const CustomerDirectory::Contact& contact,
                 const std::string& record_branch, std::string* name,
                 std::string* phone) {
  // The customer service shows another branch's member to a store not at
  // all; inside a record of the store's own, as an agent would see them.
  if (view == ContactView::kBranch) {
    view = contact.branch_id == record_branch ? ContactView::kFull
                                              : ContactView::kAgent;
  }
  if (view == ContactView::kFull) {
    *name = contact.display_name;
    *phone = contact.phone;
    return;
  }
  phone->clear();
  if (!contact.phone.empty()) *phone = MaskPhone(contact.phone);
  name->clear();
  if (view == ContactView::kAgent) {
    *name = contact.display_name;
  } else if (!contact.display_name.empty()) {
    *name = MaskName(contact.display_name);
  }
}

}  // namespace retail::customers
