// Reply's "exactly once" contract holds in release builds too (CI builds
// with NDEBUG): misuse is counted, reported to the hook, and a dropped Reply
// still answers, INTERNAL, so no call hangs.
#include "common/reply.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

class ReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetReplyMisuseHookForTesting(
        [this](absl::string_view what) { misuse_.emplace_back(what); });
  }
  void TearDown() override { SetReplyMisuseHookForTesting(nullptr); }

  Reply<int> MakeReply() {
    return Reply<int>(&out_, [this](absl::Status s) { answers_.push_back(s); });
  }

  int out_ = 0;
  std::vector<absl::Status> answers_;
  std::vector<std::string> misuse_;
};

TEST_F(ReplyTest, AnsweredOnceIsFine) {
  const int64_t before = ReplyMisuseCount();
  {
    Reply<int> reply = MakeReply();
    *reply.out() = 7;
    reply(absl::OkStatus());
  }
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_TRUE(answers_[0].ok());
  EXPECT_TRUE(misuse_.empty());
  EXPECT_EQ(ReplyMisuseCount(), before);
}

TEST_F(ReplyTest, SecondAnswerIsIgnoredAndReported) {
  const int64_t before = ReplyMisuseCount();
  Reply<int> reply = MakeReply();
  reply(absl::OkStatus());
  reply(absl::NotFoundError("again"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_TRUE(answers_[0].ok());
  ASSERT_EQ(misuse_.size(), 1u);
  EXPECT_THAT(misuse_[0], ::testing::HasSubstr("twice"));
  EXPECT_EQ(ReplyMisuseCount(), before + 1);
}

TEST_F(ReplyTest, DroppedReplyAnswersInternal) {
  { Reply<int> reply = MakeReply(); }
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].code(), absl::StatusCode::kInternal);
  ASSERT_EQ(misuse_.size(), 1u);
  EXPECT_THAT(misuse_[0], ::testing::HasSubstr("never answered"));
}

TEST_F(ReplyTest, MovedFromReplyCannotAnswer) {
  Reply<int> first = MakeReply();
  Reply<int> second = std::move(first);
  first(absl::OkStatus());  // NOLINT(bugprone-use-after-move): the point
  EXPECT_TRUE(answers_.empty());
  EXPECT_EQ(misuse_.size(), 1u);
  second(absl::OkStatus());
  EXPECT_EQ(answers_.size(), 1u);
  EXPECT_EQ(misuse_.size(), 1u);
}

TEST_F(ReplyTest, AssigningOverAnUnansweredReplyAnswersIt) {
  Reply<int> a = MakeReply();
  Reply<int> b = MakeReply();
  a = std::move(b);
  ASSERT_EQ(answers_.size(), 1u);  // the overwritten one
  EXPECT_EQ(answers_[0].code(), absl::StatusCode::kInternal);
  a(absl::OkStatus());
  EXPECT_EQ(answers_.size(), 2u);
}

}  // namespace
}  // namespace retail
