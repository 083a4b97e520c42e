// SQL for surveys, survey responses, feedback items, their analysed terms
// and scores, the report's daily rollups, follow-ups and the follow-up
// scheduler's scans. Prepared statements only; every query that can return
// a branch's record takes the caller's branch scope, so a branch principal
// never reads or changes another branch's records (they are NOT_FOUND).
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_STORE_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/feedback/v1/feedback.pb.h"

namespace retail::feedback {

// ---- Surveys and responses ----------------------------------------------

absl::Status InsertSurvey(db::Connection& conn, const v1::Survey& survey,
                          int64_t now_us);
// NOT_FOUND naming `field` when there is no such survey.
absl::StatusOr<v1::Survey> GetSurvey(db::Connection& conn,
                                     const std::string& survey_id,
                                     absl::string_view field = "survey_id");
// Oldest first after row `after`; returns (row, survey) pairs.
absl::StatusOr<std::vector<std::pair<int64_t, v1::Survey>>> ListSurveys(
    db::Connection& conn, int64_t after, int limit);

struct StoredResponse {
  int64_t row = 0;
  v1::SurveyResponse r;
  bool text_erased = false;
  int64_t day = 0;
};
// True when this customer already answered this survey about this order
// or complaint (both "" for neither).
absl::StatusOr<bool> ResponseExists(db::Connection& conn,
                                    const v1::SurveyResponse& r);
absl::Status InsertResponse(db::Connection& conn, StoredResponse& sr);
absl::StatusOr<std::vector<StoredResponse>> ListCustomerResponses(
    db::Connection& conn, const std::string& customer_id);
// Erasure: writes `sr.r` (its free text emptied) and unlinks the customer.
absl::Status EraseResponse(db::Connection& conn, const StoredResponse& sr);

// ---- Feedback items ------------------------------------------------------

struct StoredItem {
  int64_t row = 0;
  v1::FeedbackItem item;
  int64_t day = 0;
};
absl::Status InsertItem(db::Connection& conn, StoredItem& si);
absl::StatusOr<StoredItem> GetItem(db::Connection& conn,
                                   const std::string& feedback_id,
                                   const std::string& branch_scope);

struct ItemQuery {
  std::string branch_scope;  // "" = all branches
  std::string branch_id;     // filter; "" = any
  v1::FeedbackKind kind = v1::FEEDBACK_KIND_UNSPECIFIED;
  std::string sku;
  int min_rating = 0;  // 0: any
  int max_rating = 0;  // 0: any
  v1::SentimentLabel sentiment = v1::SENTIMENT_LABEL_UNSPECIFIED;
  std::string topic;    // a topic id, normalised
  std::string keyword;  // a lexicon term, normalised
  bool needs_review = false;
  std::optional<int64_t> from_us, to_us;
  int64_t after_row = 0;
  int limit = 50;
};
absl::StatusOr<std::vector<StoredItem>> ListItems(db::Connection& conn,
                                                  const ItemQuery& q);
absl::StatusOr<std::vector<StoredItem>> ListCustomerItems(
    db::Connection& conn, const std::string& customer_id);
// Erasure: empties the text and unlinks the customer; the analysis, rating
// and escalation stay.
absl::Status EraseItem(db::Connection& conn, int64_t row);

// ---- Terms, scores and the rollups the report reads ----------------------

enum class Source { kSurveyAnswer = 1, kFeedbackItem = 2 };
enum class TermKind { kTopic = 1, kKeyword = 2 };
enum class ScoreKind { kRating = 1, kNps = 2 };

// One record's analysed terms. Negative records' terms also go into the
// daily term rollup, per branch and for the chain.
absl::Status InsertTerms(db::Connection& conn, Source source, int64_t ref_row,
                         const std::string& branch_id, int64_t day,
                         bool negative, const std::vector<std::string>& topics,
                         const std::vector<std::string>& keywords);

// One day's figures of one branch; Add() applies a record's share.
struct DailyFigures {
  int64_t survey_ratings = 0, survey_satisfied = 0, survey_rating_sum = 0;
  int64_t feedback_ratings = 0, feedback_satisfied = 0, feedback_rating_sum = 0;
  int64_t nps_count = 0, nps_promoters = 0, nps_detractors = 0;
  int64_t responses = 0, feedback_items = 0;
};
// Writes a score row and adds it to `daily` (written with AddDaily).
absl::Status InsertScore(db::Connection& conn, Source source, ScoreKind kind,
                         int value, int64_t ref_row,
                         const std::string& branch_id, int64_t day,
                         DailyFigures& daily);
absl::Status AddDaily(db::Connection& conn, const std::string& branch_id,
                      int64_t day, const DailyFigures& delta);

struct DailyRow {
  int64_t day = 0;
  std::string branch_id;
  DailyFigures f;
};
// Rollup rows of days [from_day, to_day], of one branch or all ("").
absl::StatusOr<std::vector<DailyRow>> ReadDaily(db::Connection& conn,
                                                const std::string& branch_id,
                                                int64_t from_day,
                                                int64_t to_day);
// The `top` most frequent terms of `kind` in negative records of days
// [from_day, to_day], of one branch or the chain (""), most frequent first
// (ties by term).
absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TopNegativeTerms(
    db::Connection& conn, const std::string& branch_id, int64_t from_day,
    int64_t to_day, TermKind kind, int top);

// ---- Follow-ups ------------------------------------------------------------

struct StoredFollowUp {
  int64_t row = 0;
  int64_t revision = 0;
  v1::FollowUp f;
  std::optional<std::string> cause;  // set when the scheduler made it
};
absl::Status InsertFollowUp(db::Connection& conn, StoredFollowUp& sf);
// Writes the row where it still has `revision - 1` (ABORTED otherwise).
absl::Status UpdateFollowUp(db::Connection& conn, const StoredFollowUp& sf);
absl::StatusOr<StoredFollowUp> GetFollowUp(db::Connection& conn,
                                           const std::string& follow_up_id,
                                           const std::string& branch_scope);
struct FollowUpQuery {
  std::string branch_scope;
  std::string branch_id;
  v1::FollowUpStatus status = v1::FOLLOW_UP_STATUS_UNSPECIFIED;
  std::string owner_id;
  std::optional<int64_t> due_from_us, due_to_us;
  // Keyset over (due, row).
  int64_t after_due_us = INT64_MIN;
  int64_t after_row = 0;
  int limit = 50;
};
absl::StatusOr<std::vector<StoredFollowUp>> ListFollowUps(
    db::Connection& conn, const FollowUpQuery& q);
absl::StatusOr<std::vector<StoredFollowUp>> ListCustomerFollowUps(
    db::Connection& conn, const std::string& customer_id);
// Whether the scheduler already made a follow-up for `cause`, or (for a
// complaint) anyone scheduled an after-complaint follow-up for it.
absl::StatusOr<bool> CauseTaken(db::Connection& conn, const std::string& cause);
absl::StatusOr<bool> ComplaintFollowUpExists(db::Connection& conn,
                                             const std::string& complaint_id);

// Where the scheduler's scan `name` got to: (after_us, after_row), or
// nullopt before its first run.
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> GetScan(
    db::Connection& conn, const std::string& name);
absl::Status PutScan(db::Connection& conn, const std::string& name,
                     int64_t after_us, int64_t after_row);

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_STORE_H_
