#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {
namespace v1 = ::retail::complaints::v1;
using ::retail::complaints::v1::ComplaintService;
using ::retail::customers::v1::CustomerService;

TEST(ComplaintsSmoke, Lifecycle) {
  TestServer server;
  auto customers = CustomerService::NewStub(server.Channel());
  auto complaints = ComplaintService::NewStub(server.Channel());
  customers::v1::CreateCustomerRequest cc;
  cc.set_request_id("smoke-cust-1");
  cc.mutable_customer()->set_display_name("李四");
  cc.mutable_customer()->set_phone("13900001111");
  cc.mutable_customer()->set_branch_id("B001");
  customers::v1::CreateCustomerResponse ccr;
  ASSERT_TRUE(Call(*customers, &CustomerService::Stub::CreateCustomer, kAdmin, cc, &ccr).ok());

  v1::CreateComplaintRequest req;
  req.set_request_id("smoke-cmp-1");
  auto* c = req.mutable_complaint();
  c->set_customer_id(ccr.customer().customer_id());
  c->set_branch_id("B001");
  c->set_channel(v1::COMPLAINT_CHANNEL_PHONE);
  c->set_category(v1::COMPLAINT_CATEGORY_LOGISTICS);
  c->set_severity(v1::COMPLAINT_SEVERITY_MODERATE);
  c->set_subject("退換貨太慢了");
  c->set_description("退換貨太慢了，客服態度也不好");
  v1::CreateComplaintResponse resp;
  grpc::Status s = Call(*complaints, &ComplaintService::Stub::CreateComplaint, kAgent, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::cout << resp.complaint().DebugString() << std::endl;
  const std::string id = resp.complaint().complaint_id();
  std::string etag = resp.complaint().etag();

  v1::AssignComplaintRequest a;
  a.set_request_id("smoke-assign-1");
  a.set_complaint_id(id);
  a.set_etag(etag);
  a.set_owner_id("agent-7");
  a.set_team("cs");
  v1::AssignComplaintResponse ar;
  s = Call(*complaints, &ComplaintService::Stub::AssignComplaint, kAgent, a, &ar);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ar.complaint().status(), v1::COMPLAINT_STATUS_ACKNOWLEDGED);
  etag = ar.complaint().etag();

  server.clock().Advance(3600 * kMicrosPerSecond);
  v1::RespondToComplaintRequest r;
  r.set_request_id("smoke-resp-1");
  r.set_complaint_id(id);
  r.set_etag(etag);
  r.set_message("您好，我们已收到");
  r.set_visibility(v1::MESSAGE_VISIBILITY_CUSTOMER);
  r.set_wait_for_customer(true);
  v1::RespondToComplaintResponse rr;
  s = Call(*complaints, &ComplaintService::Stub::RespondToComplaint, kAgent, r, &rr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rr.complaint().status(), v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  etag = rr.complaint().etag();
  server.clock().Advance(10 * 3600 * kMicrosPerSecond);
  v1::RecordCustomerContactRequest rc;
  rc.set_request_id("smoke-contact-1");
  rc.set_complaint_id(id);
  rc.set_etag(etag);
  rc.set_outcome(v1::CONTACT_OUTCOME_REPLIED);
  v1::RecordCustomerContactResponse rcr;
  s = Call(*complaints, &ComplaintService::Stub::RecordCustomerContact, kAgent, rc, &rcr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::cout << rcr.complaint().DebugString() << std::endl;

  v1::ListComplaintsRequest l;
  l.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
  v1::ListComplaintsResponse lr;
  s = Call(*complaints, &ComplaintService::Stub::ListComplaints, kAgent, l, &lr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(lr.complaints_size(), 1);

  v1::GetComplaintStatsRequest st;
  st.mutable_start_time()->set_seconds(server.clock().NowMicros() / 1000000 - 86400);
  st.mutable_end_time()->set_seconds(server.clock().NowMicros() / 1000000 + 1);
  v1::GetComplaintStatsResponse str;
  s = Call(*complaints, &ComplaintService::Stub::GetComplaintStats, kAgent, st, &str);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::cout << str.DebugString() << std::endl;
  v1::ListComplaintHistoryRequest h;
  h.set_complaint_id(id);
  v1::ListComplaintHistoryResponse hr;
  s = Call(*complaints, &ComplaintService::Stub::ListComplaintHistory, kAgent, h, &hr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::cout << hr.DebugString() << std::endl;
}

}  // namespace
}  // namespace retail::testing
