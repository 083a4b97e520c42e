#include "tests/crash/ledger.h"

#include <grpcpp/support/status.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"

namespace retail::crash {
namespace {

// Share of fresh sends that are deliberate re-sends of an acknowledged
// request; of the rest, the shares of each kind (customers make up what the
// others cannot take: no adjustment before a customer exists, no payment
// before an order does).
constexpr double kResendShare = 0.05;
constexpr double kAdjustShare = 0.25;
constexpr double kOrderShare = 0.2;
constexpr double kPayShare = 0.25;
// Of fresh sends, the share given to the next step of some order's return
// story while any is ready (taken before the others).
constexpr double kFollowUpShare = 0.15;
// Of fresh sends, the share of new complaints (once customers exist).
constexpr double kComplaintShare = 0.08;
// Of fresh sends, the share of feedback writes (once the survey is sent):
// feedback items, survey responses and follow-ups, in these proportions.
// Small, like the complaints: the test's load is mostly customers and
// orders, and its run time must stay what it was.
constexpr double kFeedbackShare = 0.08;
constexpr int kFeedbackItemPercent = 50;
constexpr int kSurveyResponsePercent = 25;  // the rest: follow-ups
// Of follow-ups scheduled, the share completed once acknowledged.
constexpr int kCompletePercent = 70;
// Of orders, the shares that are returned or exchanged once paid.
constexpr int kReturnPercent = 25;
constexpr int kExchangePercent = 15;
// A handful of home branches, so rows spread over the branch index.
constexpr int kBranches = 20;

}  // namespace

Ledger::Ledger(uint64_t seed) : rng_(seed) {}

size_t Ledger::AddCreateLocked() {
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kCreate;
  e.request_id = absl::StrFormat("crash-create-%07d", index);
  auto* c = e.create.mutable_customer();
  // A non-ASCII name checks that the text survives recovery byte for byte.
  c->set_display_name(absl::StrCat("崩溃测试 ", index));
  // Already normalised (11 digits starting with 1), so the acknowledged
  // phone must equal the sent one; unique per request, so a second row for
  // one request could only come from executing it twice.
  c->set_phone(absl::StrFormat("139%08d", index));
  c->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  e.create.set_request_id(e.request_id);
  return index;
}

size_t Ledger::AddAdjustLocked() {
  const size_t index = entries_.size();
  const size_t target = acked_creates_[std::uniform_int_distribution<size_t>(
      0, acked_creates_.size() - 1)(rng_)];
  const std::string customer_id = entries_[target].customer_id;
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kAdjust;
  e.request_id = absl::StrFormat("crash-adjust-%07d", index);
  e.adjust.set_customer_id(customer_id);
  // Positive only: a deduction could fail with INSUFFICIENT_POINTS depending
  // on commit order, which would blur "acknowledged" in the ledger.
  e.adjust.set_delta(std::uniform_int_distribution<int64_t>(1, 1000)(rng_));
  e.adjust.set_reason(absl::StrCat("crash test ", index));
  e.adjust.set_request_id(e.request_id);
  return index;
}

size_t Ledger::AddOrderLocked() {
  const size_t index = entries_.size();
  std::uniform_int_distribution<int> percent(0, 99);
  // Most orders are members' (points earned, purchase recorded), some
  // walk-ins; any branch, since members buy anywhere.
  std::string customer_id;
  if (!acked_creates_.empty() && percent(rng_) < 70) {
    customer_id = entries_[acked_creates_[std::uniform_int_distribution<size_t>(
                               0, acked_creates_.size() - 1)(rng_)]]
                      .customer_id;
  }
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kCreateOrder;
  e.request_id = absl::StrFormat("crash-order-%07d", index);
  orders::v1::Order* o = e.create_order.mutable_order();
  o->set_customer_id(customer_id);
  o->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  o->set_channel(orders::v1::ORDER_CHANNEL_STORE);
  int64_t total = 0;
  const int lines = std::uniform_int_distribution<int>(1, 3)(rng_);
  for (int i = 0; i < lines; ++i) {
    orders::v1::OrderItem* item = o->add_items();
    item->set_sku(absl::StrFormat("SKU-%03d", percent(rng_)));
    item->set_name(absl::StrCat("崩溃商品 ", i));
    item->set_quantity(std::uniform_int_distribution<int64_t>(1, 3)(rng_));
    item->mutable_unit_price()->set_minor_units(
        std::uniform_int_distribution<int64_t>(100, 20000)(rng_));
    total += item->quantity() * item->unit_price().minor_units();
  }
  e.create_order.set_request_id(e.request_id);
  const int fate = percent(rng_);
  e.after_paid = fate < kReturnPercent ? AfterPaid::kReturn
                 : fate < kReturnPercent + kExchangePercent
                     ? AfterPaid::kExchange
                     : AfterPaid::kNothing;
  // One tender, or two that split the total.
  if (total > 1 && percent(rng_) < 50) {
    const int64_t first =
        std::uniform_int_distribution<int64_t>(1, total - 1)(rng_);
    e.tenders = {first, total - first};
  } else {
    e.tenders = {total};
  }
  return index;
}

size_t Ledger::AddPayLocked() {
  const size_t pick =
      std::uniform_int_distribution<size_t>(0, payable_.size() - 1)(rng_);
  const auto [order_index, tender] = payable_[pick];
  payable_[pick] = payable_.back();
  payable_.pop_back();
  const size_t index = entries_.size();
  const std::string order_id = entries_[order_index].customer_id;
  const int64_t amount = entries_[order_index].tenders[tender];
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kPay;
  e.order_entry = order_index;
  e.request_id = absl::StrFormat("crash-pay-%07d", index);
  e.pay.set_order_id(order_id);
  orders::v1::Payment* p = e.pay.mutable_payment();
  p->mutable_amount()->set_minor_units(amount);
  p->set_outcome(orders::v1::PAYMENT_OUTCOME_SUCCEEDED);
  if (tender % 2 == 0) {
    p->set_method(orders::v1::PAYMENT_METHOD_CASH);
  } else {
    // Unique per payment: a reference may pay one order only.
    p->set_method(orders::v1::PAYMENT_METHOD_WECHAT_PAY);
    p->set_external_reference(absl::StrFormat("WX-CRASH-%07d", index));
  }
  e.pay.set_request_id(e.request_id);
  return index;
}

size_t Ledger::AddComplaintLocked() {
  const size_t index = entries_.size();
  const std::string customer_id =
      entries_[acked_creates_[std::uniform_int_distribution<size_t>(
                   0, acked_creates_.size() - 1)(rng_)]]
          .customer_id;
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kCreateComplaint;
  e.order_entry = index;  // its own steps point back here
  e.request_id = absl::StrFormat("crash-complaint-%07d", index);
  auto* c = e.create_complaint.mutable_complaint();
  c->set_customer_id(customer_id);
  c->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  c->set_channel(complaints::v1::COMPLAINT_CHANNEL_PHONE);
  c->set_category(complaints::v1::COMPLAINT_CATEGORY_LOGISTICS);
  c->set_severity(complaints::v1::COMPLAINT_SEVERITY_MODERATE);
  c->set_subject(absl::StrCat("物流太慢 ", index));
  // Text the analyser finds topics in, so keyword rows are written too.
  c->set_description("快递三天还没到，客服态度也不好");
  e.create_complaint.set_request_id(e.request_id);
  return index;
}

// Texts the analyser reads as praise, and as complaints (each with lexicon
// keywords, so escalated feedback gives its complaint keyword rows as a
// CreateComplaint does). None holds an escalation keyword (食物中毒, 受伤,
// 过敏, 欺诈, 假货, 报警, 起诉): only the rating decides.
constexpr const char* kPraise[] = {
    "店员很热情，服务很好，下次还来",
    "衣服质量很好，价格也实惠，很满意",
    "物流很快，包装完好，推荐",
};
constexpr const char* kComplaint[] = {
    "退换货太慢了，客服态度也不好",
    "快递太慢了，衣服质量也不太好，不满意",
    "排队太久，店员态度很差",
};
template <size_t N>
const char* Pick(const char* const (&texts)[N], std::mt19937_64& rng) {
  return texts[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

// The one survey: a rating and an NPS question (required), free text and a
// choice (optional).
size_t Ledger::AddSurveyLocked() {
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kCreateSurvey;
  e.request_id = absl::StrFormat("crash-survey-%07d", index);
  feedback::v1::Survey* s = e.create_survey.mutable_survey();
  s->set_title("购物满意度调查（崩溃测试）");
  s->set_description("每单一份");
  auto add = [s](feedback::v1::QuestionType type, const char* text,
                 bool required) {
    feedback::v1::Question* q = s->add_questions();
    q->set_type(type);
    q->set_text(text);
    q->set_required(required);
    return q;
  };
  add(feedback::v1::QUESTION_TYPE_RATING, "您对本次购物满意吗？", true);
  add(feedback::v1::QUESTION_TYPE_NPS, "您会向朋友推荐我们吗？", true);
  add(feedback::v1::QUESTION_TYPE_FREE_TEXT, "还有什么想说的？", false);
  feedback::v1::Question* how = add(feedback::v1::QUESTION_TYPE_SINGLE_CHOICE,
                                    "您是怎么知道我们的？", false);
  how->add_choices("朋友推荐");
  how->add_choices("广告");
  how->add_choices("路过");
  e.create_survey.set_request_id(e.request_id);
  survey_entry_ = index;
  return index;
}

std::optional<size_t> Ledger::AddFeedbackLocked() {
  std::uniform_int_distribution<int> percent(0, 99);
  const int roll = percent(rng_);
  FeedbackPlan plan = roll < 40   ? FeedbackPlan::kPositive
                      : roll < 70 ? FeedbackPlan::kEscalate
                      : roll < 90 ? FeedbackPlan::kAnonymousNegative
                                  : FeedbackPlan::kMild;
  // Escalation and the mild case need a customer; praise has one most of
  // the time.
  const bool needs_customer =
      plan == FeedbackPlan::kEscalate || plan == FeedbackPlan::kMild;
  if (needs_customer && abouts_.empty()) return std::nullopt;
  const bool named =
      needs_customer || (plan == FeedbackPlan::kPositive && percent(rng_) < 70);
  About about;
  if (named && !abouts_.empty()) {
    about = abouts_[std::uniform_int_distribution<size_t>(
        0, abouts_.size() - 1)(rng_)];
  }
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kSubmitFeedback;
  e.feedback_plan = plan;
  e.request_id = absl::StrFormat("crash-feedback-%07d", index);
  feedback::v1::FeedbackItem* f = e.submit_feedback.mutable_feedback();
  f->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  f->set_channel(static_cast<feedback::v1::FeedbackChannel>(
      std::uniform_int_distribution<int>(1, 7)(rng_)));
  f->set_customer_id(about.customer_id);
  // About one of its orders when that is what was picked (feedback is
  // never about a complaint).
  f->set_order_id(about.order_id);
  if (percent(rng_) < 30) {
    f->set_kind(feedback::v1::FEEDBACK_KIND_PRODUCT_REVIEW);
    f->set_sku(absl::StrFormat("SKU-%03d", percent(rng_)));
  } else {
    f->set_kind(plan == FeedbackPlan::kPositive
                    ? feedback::v1::FEEDBACK_KIND_PRAISE
                    : feedback::v1::FEEDBACK_KIND_COMMENT);
  }
  switch (plan) {
    case FeedbackPlan::kPositive:
      // Some praise comes without a rating.
      f->set_rating(percent(rng_) < 20
                        ? 0
                        : std::uniform_int_distribution<int>(4, 5)(rng_));
      f->set_text(Pick(kPraise, rng_));
      break;
    case FeedbackPlan::kEscalate:
      f->set_rating(1);
      f->set_text(Pick(kComplaint, rng_));
      break;
    case FeedbackPlan::kAnonymousNegative:
      f->set_rating(std::uniform_int_distribution<int>(1, 2)(rng_));
      f->set_text(Pick(kComplaint, rng_));
      break;
    case FeedbackPlan::kMild:
      f->set_rating(3);
      f->set_text(Pick(kComplaint, rng_));
      break;
  }
  e.submit_feedback.set_request_id(e.request_id);
  return index;
}

std::optional<size_t> Ledger::AddSurveyResponseLocked() {
  if (survey_id_.empty() || unanswered_.empty()) return std::nullopt;
  const size_t pick =
      std::uniform_int_distribution<size_t>(0, unanswered_.size() - 1)(rng_);
  const About about = unanswered_[pick];
  unanswered_[pick] = unanswered_.back();
  unanswered_.pop_back();
  std::uniform_int_distribution<int> percent(0, 99);
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kSubmitSurveyResponse;
  e.request_id = absl::StrFormat("crash-response-%07d", index);
  feedback::v1::SurveyResponse* r = e.submit_response.mutable_response();
  r->set_survey_id(survey_id_);
  r->set_customer_id(about.customer_id);
  r->set_branch_id(absl::StrFormat(
      "B%03d", std::uniform_int_distribution<int>(1, kBranches)(rng_)));
  r->set_order_id(about.order_id);
  r->set_complaint_id(about.complaint_id);
  const int rating = std::uniform_int_distribution<int>(1, 5)(rng_);
  feedback::v1::Answer* a = r->add_answers();
  a->set_question_id("q1");
  a->set_rating(rating);
  a = r->add_answers();
  a->set_question_id("q2");
  a->set_score(std::uniform_int_distribution<int>(0, 10)(rng_));
  a->set_has_score(true);
  if (percent(rng_) < 60) {
    a = r->add_answers();
    a->set_question_id("q3");
    a->set_text(rating <= 2 ? Pick(kComplaint, rng_) : Pick(kPraise, rng_));
  }
  if (percent(rng_) < 50) {
    a = r->add_answers();
    a->set_question_id("q4");
    a->add_choices(std::array<const char*, 3>{
        "朋友推荐", "广告",
        "路过"}[std::uniform_int_distribution<int>(0, 2)(rng_)]);
  }
  e.submit_response.set_request_id(e.request_id);
  return index;
}

std::optional<size_t> Ledger::AddScheduleFollowUpLocked() {
  if (abouts_.empty()) return std::nullopt;
  const About about = abouts_[std::uniform_int_distribution<size_t>(
      0, abouts_.size() - 1)(rng_)];
  std::uniform_int_distribution<int> percent(0, 99);
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = Kind::kScheduleFollowUp;
  e.request_id = absl::StrFormat("crash-followup-%07d", index);
  e.then_complete = percent(rng_) < kCompletePercent;
  feedback::v1::FollowUp* f = e.schedule_follow_up.mutable_follow_up();
  f->set_customer_id(about.customer_id);
  f->set_order_id(about.order_id);
  f->set_complaint_id(about.complaint_id);
  f->set_reason(!about.order_id.empty()
                    ? feedback::v1::FOLLOW_UP_REASON_AFTER_PURCHASE
                : !about.complaint_id.empty()
                    ? feedback::v1::FOLLOW_UP_REASON_AFTER_COMPLAINT
                    : feedback::v1::FOLLOW_UP_REASON_VIP_CARE);
  // Fixed when the request is made: every retry sends the same bytes.
  *f->mutable_due_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(absl::Now()) +
      std::uniform_int_distribution<int64_t>(1, 30)(rng_) * 86400);
  if (percent(rng_) < 50) {
    f->set_owner_id(absl::StrFormat("staff-%02d", index % 37));
  }
  e.schedule_follow_up.set_request_id(e.request_id);
  return index;
}

size_t Ledger::AddFollowUpLocked() {
  const size_t pick =
      std::uniform_int_distribution<size_t>(0, follow_ups_.size() - 1)(rng_);
  const FollowUp step = follow_ups_[pick];
  follow_ups_[pick] = follow_ups_.back();
  follow_ups_.pop_back();
  const Entry& order = entries_[step.order_entry];
  const std::string order_id = order.customer_id;
  const orders::v1::OrderItem first = order.kind == Kind::kCreateOrder
                                          ? order.create_order.order().items(0)
                                          : orders::v1::OrderItem();
  const AfterPaid after = order.after_paid;
  const size_t index = entries_.size();
  Entry& e = entries_.emplace_back();
  e.kind = step.kind;
  e.order_entry = step.order_entry;
  switch (step.kind) {
    case Kind::kCompleteOrder:
      e.request_id = absl::StrFormat("crash-complete-%07d", index);
      e.complete_order.set_order_id(order_id);
      e.complete_order.set_request_id(e.request_id);
      break;
    case Kind::kRequestReturn: {
      e.request_id = absl::StrFormat("crash-return-%07d", index);
      auto& r = e.request_return;
      r.set_order_id(order_id);
      r.set_request_id(e.request_id);
      orders::v1::ReturnLine* line = r.add_lines();
      line->set_sku(first.sku());
      // Units of the first line, so every one is priced at its price.
      line->set_quantity(
          std::uniform_int_distribution<int64_t>(1, first.quantity())(rng_));
      line->set_reason(orders::v1::RETURN_REASON_SIZE);
      if (after == AfterPaid::kExchange) {
        r.set_type(orders::v1::RETURN_TYPE_EXCHANGE);
        // Same price: the credit pays the new order exactly, so it is
        // settled inside CompleteReturn.
        orders::v1::OrderItem* rep = line->mutable_replacement();
        rep->set_sku(absl::StrCat(first.sku(), "-X"));
        rep->set_name("换货商品");
        *rep->mutable_unit_price() = first.unit_price();
      } else {
        r.set_type(orders::v1::RETURN_TYPE_RETURN);
      }
      break;
    }
    case Kind::kReviewReturn:
      e.request_id = absl::StrFormat("crash-review-%07d", index);
      e.review_return.set_return_id(step.return_id);
      e.review_return.set_decision(orders::v1::REVIEW_DECISION_APPROVE);
      e.review_return.set_request_id(e.request_id);
      break;
    case Kind::kReceiveReturn:
      e.request_id = absl::StrFormat("crash-receive-%07d", index);
      e.receive_return.set_return_id(step.return_id);
      e.receive_return.set_condition(orders::v1::ITEM_CONDITION_RESALABLE);
      e.receive_return.set_request_id(e.request_id);
      break;
    case Kind::kCompleteReturn:
      e.request_id = absl::StrFormat("crash-refund-%07d", index);
      e.complete_return.set_return_id(step.return_id);
      e.complete_return.set_request_id(e.request_id);
      break;
    // A complaint's steps: each acts on the revision the one before it
    // left (etag r1, then r2), which nothing else changes.
    case Kind::kAssignComplaint:
      e.request_id = absl::StrFormat("crash-assign-%07d", index);
      e.assign_complaint.set_complaint_id(step.return_id);
      e.assign_complaint.set_etag("r1");
      e.assign_complaint.set_owner_id(
          absl::StrFormat("staff-%02d", index % 37));
      e.assign_complaint.set_team("客服一组");
      e.assign_complaint.set_request_id(e.request_id);
      break;
    case Kind::kRespondToComplaint:
      e.request_id = absl::StrFormat("crash-respond-%07d", index);
      e.respond_complaint.set_complaint_id(step.return_id);
      e.respond_complaint.set_etag("r2");
      e.respond_complaint.set_message("您好，我们正在处理");
      e.respond_complaint.set_visibility(
          complaints::v1::MESSAGE_VISIBILITY_CUSTOMER);
      e.respond_complaint.set_request_id(e.request_id);
      break;
    // A follow-up made: reached (with what the customer said) or not.
    case Kind::kCompleteFollowUp: {
      e.request_id = absl::StrFormat("crash-visit-%07d", index);
      auto& c = e.complete_follow_up;
      c.set_follow_up_id(step.return_id);
      if (std::uniform_int_distribution<int>(0, 99)(rng_) < 75) {
        c.set_outcome(feedback::v1::FOLLOW_UP_OUTCOME_REACHED);
        c.set_satisfaction(std::uniform_int_distribution<int>(0, 5)(rng_));
        c.set_repurchase_intent(static_cast<feedback::v1::RepurchaseIntent>(
            std::uniform_int_distribution<int>(0, 3)(rng_)));
        c.set_notes("顾客说衣服很合身");
      } else {
        c.set_outcome(feedback::v1::FOLLOW_UP_OUTCOME_UNREACHABLE);
        c.set_notes("电话无人接听");
      }
      c.set_request_id(e.request_id);
      break;
    }
    default:
      break;
  }
  // Carried along so the next step knows which return it acts on.
  e.customer_id = step.return_id;
  return index;
}

void Ledger::QueueNextStepLocked(const Entry& done) {
  const size_t order = done.order_entry;
  switch (done.kind) {
    case Kind::kPay:
      if (++tenders_acked_[order] ==
              static_cast<int>(entries_[order].tenders.size()) &&
          entries_[order].after_paid != AfterPaid::kNothing) {
        follow_ups_.push_back({order, Kind::kCompleteOrder, ""});
      }
      break;
    case Kind::kCompleteOrder:
      follow_ups_.push_back({order, Kind::kRequestReturn, ""});
      break;
    case Kind::kRequestReturn:
      follow_ups_.push_back({order, Kind::kReviewReturn, done.customer_id});
      break;
    case Kind::kReviewReturn:
      follow_ups_.push_back({order, Kind::kReceiveReturn, done.customer_id});
      break;
    case Kind::kReceiveReturn:
      follow_ups_.push_back({order, Kind::kCompleteReturn, done.customer_id});
      break;
    case Kind::kCreateComplaint:
      follow_ups_.push_back({order, Kind::kAssignComplaint, done.customer_id});
      break;
    case Kind::kAssignComplaint:
      follow_ups_.push_back(
          {order, Kind::kRespondToComplaint, done.customer_id});
      break;
    case Kind::kScheduleFollowUp:
      if (done.then_complete) {
        follow_ups_.push_back(
            {order, Kind::kCompleteFollowUp, done.customer_id});
      }
      break;
    default:
      break;
  }
}

std::optional<size_t> Ledger::NextToSend(bool allow_new) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<size_t> next;
  if (!retry_queue_.empty()) {
    next = retry_queue_.front();
    retry_queue_.pop_front();
    entries_[*next].pending = false;
  } else if (allow_new) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (!acked_all_.empty() && unit(rng_) < kResendShare) {
      const size_t candidate = acked_all_[std::uniform_int_distribution<size_t>(
          0, acked_all_.size() - 1)(rng_)];
      if (!entries_[candidate].in_flight && !entries_[candidate].pending) {
        next = candidate;
      }
    }
    if (!next && !follow_ups_.empty() && unit(rng_) < kFollowUpShare) {
      next = AddFollowUpLocked();
    }
    if (!next && !acked_creates_.empty() && unit(rng_) < kComplaintShare) {
      next = AddComplaintLocked();
    }
    // The survey first, once; then a few feedback writes.
    if (!next && !survey_entry_) next = AddSurveyLocked();
    if (!next && unit(rng_) < kFeedbackShare) {
      const int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
      if (roll < kFeedbackItemPercent) {
        next = AddFeedbackLocked();
      } else if (roll < kFeedbackItemPercent + kSurveyResponsePercent) {
        next = AddSurveyResponseLocked();
      } else {
        next = AddScheduleFollowUpLocked();
      }
    }
    if (!next) {
      const double roll = unit(rng_);
      if (roll < kPayShare && !payable_.empty()) {
        next = AddPayLocked();
      } else if (roll < kPayShare + kOrderShare) {
        next = AddOrderLocked();
      } else if (roll < kPayShare + kOrderShare + kAdjustShare &&
                 !acked_creates_.empty()) {
        next = AddAdjustLocked();
      } else {
        next = AddCreateLocked();
      }
    }
  }
  if (next) {
    Entry& e = entries_[*next];
    e.in_flight = true;
    e.attempts += 1;
    ++in_flight_;
  }
  return next;
}

void Ledger::QueueAllForReplay() {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i : acked_all_) {
    Entry& e = entries_[i];
    if (e.in_flight || e.pending) continue;
    e.pending = true;
    retry_queue_.push_back(i);
  }
}

Entry Ledger::Snapshot(size_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_[index];
}

bool Ledger::RecordOk(size_t index, const std::string& response_bytes,
                      const std::string& assigned_id, int round) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[index];
  e.in_flight = false;
  --in_flight_;
  e.acks += 1;
  if (e.acks == 1) {
    e.first_ack = response_bytes;
    e.first_ack_round = round;
    e.first_ack_attempt = e.attempts;
    acked_all_.push_back(index);
    // What feedback, responses and follow-ups may now be about.
    auto about = [this](About a) {
      abouts_.push_back(a);
      unanswered_.push_back(std::move(a));
    };
    if (e.kind == Kind::kCreate) {
      e.customer_id = assigned_id;
      acked_creates_.push_back(index);
      about({assigned_id, "", ""});
    } else if (e.kind == Kind::kCreateOrder) {
      e.customer_id = assigned_id;
      if (tenders_acked_.size() <= index) tenders_acked_.resize(index + 1);
      for (size_t t = 0; t < e.tenders.size(); ++t) {
        payable_.emplace_back(index, t);
      }
      const std::string& buyer = e.create_order.order().customer_id();
      if (!buyer.empty()) about({buyer, assigned_id, ""});
    } else if (e.kind == Kind::kCreateComplaint) {
      e.customer_id = assigned_id;
      about({e.create_complaint.complaint().customer_id(), "", assigned_id});
    } else if (e.kind == Kind::kRequestReturn ||
               e.kind == Kind::kScheduleFollowUp) {
      e.customer_id = assigned_id;
    } else if (e.kind == Kind::kCreateSurvey) {
      e.customer_id = assigned_id;
      survey_id_ = assigned_id;
    } else if (e.kind == Kind::kSubmitFeedback) {
      e.customer_id = assigned_id;
      // The complaint an escalation opened is the customer's like any other.
      feedback::v1::SubmitFeedbackResponse ack;
      if (ack.ParseFromString(response_bytes) &&
          !ack.feedback().complaint_id().empty()) {
        about(
            {ack.feedback().customer_id(), "", ack.feedback().complaint_id()});
      }
    } else if (e.kind == Kind::kSubmitSurveyResponse) {
      e.customer_id = assigned_id;
    }
    QueueNextStepLocked(e);
    return true;
  }
  if (response_bytes != e.first_ack) {
    problems_.push_back(absl::StrCat(
        e.request_id, ": answer #", e.acks, " (attempt ", e.attempts,
        ") differs from the first acknowledgement (", e.first_ack.size(),
        " vs ", response_bytes.size(), " bytes)"));
    return false;
  }
  return true;
}

void Ledger::RecordFailure(size_t index, int code, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[index];
  e.in_flight = false;
  --in_flight_;
  e.last_error = absl::StrCat("code ", code, ": ", message);
  const bool transient = code == grpc::StatusCode::UNAVAILABLE ||
                         code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                         code == grpc::StatusCode::CANCELLED;
  if (transient) {
    // Nothing is known about whether it committed: send it again, same id
    // and same payload, and let the server's request_id record decide.
    e.pending = true;
    retry_queue_.push_back(index);
    return;
  }
  problems_.push_back(absl::StrCat(e.request_id, " (attempt ", e.attempts, ", ",
                                   e.acks, " earlier OKs): code ", code, ": ",
                                   message));
}

bool Ledger::Settled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_ == 0 && retry_queue_.empty();
}

size_t Ledger::Unacknowledged() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Entry& e : entries_) n += e.acks == 0 ? 1 : 0;
  return n;
}

std::vector<Entry> Ledger::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<std::string> Ledger::Problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

LedgerStats Ledger::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  LedgerStats s;
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Kind::kCreate:
        ++s.creates;
        break;
      case Kind::kAdjust:
        ++s.adjusts;
        break;
      case Kind::kCreateOrder:
        ++s.orders;
        break;
      case Kind::kPay:
        ++s.payments;
        break;
      case Kind::kCreateComplaint:
      case Kind::kAssignComplaint:
      case Kind::kRespondToComplaint:
        ++s.complaint_steps;
        break;
      case Kind::kSubmitFeedback:
        ++s.feedback_items;
        break;
      case Kind::kCreateSurvey:
      case Kind::kSubmitSurveyResponse:
      case Kind::kScheduleFollowUp:
      case Kind::kCompleteFollowUp:
        ++s.feedback_steps;
        break;
      default:
        ++s.return_steps;
        break;
    }
    s.sends += e.attempts;
    s.acked += e.acks > 0 ? 1 : 0;
    s.retried += (e.acks == 0 ? e.attempts : e.first_ack_attempt) > 1 ? 1 : 0;
    s.acked_twice += e.acks > 1 ? 1 : 0;
  }
  return s;
}

}  // namespace retail::crash
