#include "common/message_parts.h"

#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.pb.h"
#include "retail/orders/v1/orders.pb.h"

namespace retail {
namespace {

using ::retail::customers::v1::ExportCustomerDataResponse;

ExportCustomerDataResponse Big(int transactions, int records) {
  ExportCustomerDataResponse whole;
  whole.mutable_customer()->set_customer_id("cus_1");
  whole.mutable_customer()->set_display_name("张三");
  whole.mutable_export_time()->set_seconds(1'700'000'000);
  for (int i = 0; i < transactions; ++i) {
    auto* t = whole.add_points_transactions();
    t->set_transaction_id("pts_" + std::to_string(i));
    t->set_reason(std::string(100, 'r'));
  }
  for (int i = 0; i < records; ++i) {
    orders::v1::Order o;
    o.set_order_id("ord_" + std::to_string(i));
    o.set_branch_id(std::string(200, 'b'));
    whole.add_records()->PackFrom(o);
  }
  return whole;
}

ExportCustomerDataResponse Merge(
    const std::vector<std::unique_ptr<google::protobuf::Message>>& parts) {
  ExportCustomerDataResponse merged;
  for (const auto& p : parts) merged.MergeFrom(*p);
  return merged;
}

TEST(SplitIntoPartsTest, PartsStayUnderTheLimitAndMergeBackToTheWhole) {
  const ExportCustomerDataResponse whole = Big(5'000, 2'000);
  constexpr size_t kLimit = 64 * 1024;
  const auto parts = SplitIntoParts(whole, kLimit);
  ASSERT_GT(parts.size(), 5u);
  for (const auto& p : parts) EXPECT_LE(p->ByteSizeLong(), kLimit);
  // Singular fields only in the first part.
  const auto& first = static_cast<const ExportCustomerDataResponse&>(*parts[0]);
  EXPECT_EQ(first.customer().customer_id(), "cus_1");
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto& p = static_cast<const ExportCustomerDataResponse&>(*parts[i]);
    EXPECT_FALSE(p.has_customer());
    EXPECT_FALSE(p.has_export_time());
  }
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(Merge(parts), whole));
}

TEST(SplitIntoPartsTest, SmallAnswerIsOnePartAndEmptyIsOneEmptyPart) {
  const ExportCustomerDataResponse whole = Big(3, 1);
  const auto parts = SplitIntoParts(whole, 1 << 20);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*parts[0], whole));
  const auto empty = SplitIntoParts(ExportCustomerDataResponse(), 1 << 20);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0]->ByteSizeLong(), 0u);
}

TEST(SplitIntoPartsTest, AnElementOverTheLimitTravelsAlone) {
  ExportCustomerDataResponse whole = Big(2, 0);
  whole.mutable_points_transactions(0)->set_reason(std::string(10'000, 'x'));
  const auto parts = SplitIntoParts(whole, 1'000);
  ASSERT_EQ(parts.size(), 3u);  // the profile; the big element; the other
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(Merge(parts), whole));
}

}  // namespace
}  // namespace retail
