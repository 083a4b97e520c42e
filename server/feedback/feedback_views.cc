#include "server/feedback/feedback_views.h"

#include "common/status.h"

namespace retail::feedback {

absl::Status FillContact(db::Connection& conn,
                         customers::CustomerDirectory* customers,
                         customers::ContactView view, v1::FollowUp* f) {
  f->clear_customer_name();
  f->clear_customer_phone();
  if (customers == nullptr || f->customer_id().empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<customers::CustomerDirectory::Contact> contact =
      customers->GetContact(conn, f->customer_id());
  if (absl::IsNotFound(contact.status())) return absl::OkStatus();
  RETURN_IF_ERROR(contact.status());
  customers::ShowContact(view, *contact, f->branch_id(),
                         f->mutable_customer_name(),
                         f->mutable_customer_phone());
  return absl::OkStatus();
}

void ScrubPerson(google::protobuf::Message* m, const std::string& customer_id) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d == v1::FeedbackItem::descriptor()) {
    auto* item = static_cast<v1::FeedbackItem*>(m);
    if (item->customer_id() == customer_id) {
      item->clear_customer_id();
      item->clear_text();
      item->set_text_erased(true);
    }
    return;
  }
  if (d == v1::SurveyResponse::descriptor()) {
    auto* r = static_cast<v1::SurveyResponse*>(m);
    if (r->customer_id() == customer_id) {
      r->clear_customer_id();
      for (v1::Answer& a : *r->mutable_answers()) a.clear_text();
    }
    return;
  }
  if (d == v1::FollowUp::descriptor()) {
    auto* f = static_cast<v1::FollowUp*>(m);
    if (f->customer_id() == customer_id) {
      f->clear_customer_id();
      f->clear_customer_name();
      f->clear_customer_phone();
      f->clear_notes();
    }
    return;
  }
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j) {
        ScrubPerson(r->MutableRepeatedMessage(m, f, j), customer_id);
      }
    } else if (r->HasField(*m, f)) {
      ScrubPerson(r->MutableMessage(m, f), customer_id);
    }
  }
}

}  // namespace retail::feedback
