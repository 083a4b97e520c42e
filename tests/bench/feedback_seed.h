// Seeding feedback for the benchmark (issue 13): writes feedback items, their
// analysed terms, their rating scores, survey responses with their rating
// and NPS scores, and the daily rollups the satisfaction report reads,
// straight into the database before the server starts, as
// complaint_seed.h does for complaints.
//
//  * Feedback items: `items` items over branches B001..B<branches> and the
//    `days` whole business days before the seeding day in the chain's zone
//    (Asia/Shanghai; `day` = days since 1970-01-01 there), evenly in time,
//    oldest first. Each is a draw of DrawFeedback (below), the same mix the
//    SubmitFeedback workload sends: a template text (simplified and
//    traditional Chinese, English; 20-120 characters; praise, suggestions,
//    mixed and negative reviews, one naming a counterfeit), a rating 0..5
//    that fits its tone, a kind, a channel, a sku for product reviews, and
//    a customer of the database (about 70%) or none (anonymous).
//  * Survey responses: `responses` responses (default: one per five items)
//    to weekly store surveys (one survey per seeded week: a required 1..5
//    rating, an NPS question answered by about 80%, a single choice), over
//    the same branches and days. Each week's responses name distinct
//    customers (one response per customer per survey, as the server's
//    unique index demands).
//
// Every row goes through the server's own store functions
// (server/feedback/feedback_store.h): InsertSurvey, InsertItem,
// InsertResponse, InsertTerms, InsertScore and AddDaily, holding what the
// handlers (SubmitFeedback, SubmitSurveyResponse) would have written: ids
// from NewId at the record's time, sentiment, topics and keywords from the
// shared text analyser (common/text/shared_analyzer.h) run once per
// template at start-up exactly as SubmitFeedback runs it and reused, terms
// marked negative when the text is, the escalation rule of the server's
// defaults (--feedback_escalation_max_rating 2 with negative sentiment, or
// one of DefaultEscalationKeywords()), and the rollups (feedback_daily,
// feedback_term_daily) that equal a recount of the rows. AddDaily is
// called once per (day, branch) per transaction with the sum of that
// transaction's records instead of once per record: the same rows.
//
// Skipped: idempotency keys, audit and event rows (no measured row reads
// them); the complaint an escalated item with a customer would open (its
// escalation_reason is set, complaint_id stays empty: the report never
// reads the link; anonymous ones are flagged needs_review as the server
// does); free-text survey answers (responses carry rating, NPS and choice
// answers only); orders (no item or response names one). Customers are
// the database's, evenly spread over them; when it holds none (--quick),
// the ids are made up, which only a person's export or erasure would
// notice.
//
// The transactions are the seeder's own (BEGIN IMMEDIATE, `batch` records
// each) on a connection of its own, not the writer's: the writer runs each
// operation in a SAVEPOINT, which makes big batches quadratic (see
// complaint_seed.cc).
#ifndef RETAIL_TESTS_BENCH_FEEDBACK_SEED_H_
#define RETAIL_TESTS_BENCH_FEEDBACK_SEED_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "tests/bench/dataset.h"

namespace retail::bench {

// The tone a template was written with (its rating follows it); the
// analyser decides the sentiment the server stores.
enum class FeedbackTone { kPraise, kNeutral, kNegative, kSevere };

struct FeedbackText {
  FeedbackTone tone;
  feedback::v1::FeedbackKind kind;
  const char* text;
};

// The templates both the seeder and the SubmitFeedback workload use.
const std::vector<FeedbackText>& FeedbackTemplates();

// What SubmitFeedback's analysis makes of a template, and so what the
// server stores and answers: the overall sentiment, topics and keywords
// (each once, in order), and the escalation keyword it names, if any.
struct FeedbackAnalysis {
  feedback::v1::SentimentLabel label =
      feedback::v1::SENTIMENT_LABEL_UNSPECIFIED;
  double score = 0;
  std::vector<std::string> topics;
  std::vector<std::string> keywords;
  std::string escalation_keyword;  // "" when none
  bool negative() const {
    return label == feedback::v1::SENTIMENT_LABEL_NEGATIVE;
  }
};

// One per template, in FeedbackTemplates() order.
absl::StatusOr<std::vector<FeedbackAnalysis>> AnalyseFeedbackTemplates();

// One piece of feedback of the mix, drawn from 64 random bits: about 60%
// praise (rated 4-5, or unrated), 26% suggestions and mixed reviews (3-4 or
// unrated), 13.5% negative (1-2 about half the time, else 3 or unrated),
// 0.5% naming a counterfeit; 30% anonymous. With a customer, negative and
// rated 1-2 (or the counterfeit) opens a complaint: about 5% of all.
struct FeedbackDraw {
  size_t text = 0;  // index into FeedbackTemplates()
  int rating = 0;   // 0: none
  bool anonymous = false;
  feedback::v1::FeedbackChannel channel = feedback::v1::FEEDBACK_CHANNEL_APP;
  int sku = -1;       // product reviews: SKU number 0..999
  uint64_t pick = 0;  // more random bits: the customer and the branch
};
FeedbackDraw DrawFeedback(uint64_t bits);

// "SKU-0042".
std::string FeedbackSku(int n);

// The server's default escalation rule (--feedback_escalation_max_rating
// 2, DefaultEscalationKeywords()): the reason it gives, or "" when the
// rule does not match.
std::string EscalationReason(const FeedbackAnalysis& a, int rating);

struct FeedbackSeedOptions {
  std::string db_path;
  int64_t items = 0;
  int64_t responses = -1;                   // -1: items / 5
  int branches = 500;                       // B001..B<branches>
  int days = 90;                            // whole days before the seeding day
  std::string time_zone = "Asia/Shanghai";  // the server's --time_zone
  int batch = 10'000;                       // records per transaction
  int64_t now_us = 0;  // the seeding instant; 0: the system clock
  // Where to write FeedbackFacts (dataset.h); empty for none.
  std::string sample_path;
  uint64_t seed = 20240601;
};

struct FeedbackSeedResult {
  int64_t items = 0;
  int64_t responses = 0;
  int64_t surveys = 0;
  int64_t terms = 0;     // feedback_terms rows
  int64_t negative = 0;  // items with negative sentiment
  int64_t anonymous = 0;
  int64_t escalated = 0;     // with a customer: would open a complaint
  int64_t needs_review = 0;  // anonymous and escalated
  int64_t members = 0;       // customers of the database they name
  int64_t items_in_db = 0;   // after seeding
  int64_t responses_in_db = 0;
  int64_t daily_rows = 0;  // feedback_daily rows
  FeedbackFacts facts;     // the report window's figures
  double seconds = 0;
};

absl::StatusOr<FeedbackSeedResult> SeedFeedback(
    const FeedbackSeedOptions& options);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_FEEDBACK_SEED_H_
