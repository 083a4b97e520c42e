// The labelled evaluation set (tests/data/text/eval.tsv, README beside it)
// and the figures the issue asks for: per-class precision and recall,
// sentiment accuracy, topic micro-F1.
#ifndef RETAIL_TESTS_UNIT_COMMON_TEXT_EVAL_SET_H_
#define RETAIL_TESTS_UNIT_COMMON_TEXT_EVAL_SET_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/analyzer.h"

namespace retail::text::testing {

struct EvalRow {
  int id = 0;
  bool heldout = false;  // eval.tsv rows only; false for fresh.tsv rows
  bool fresh = false;    // a row of fresh.tsv
  std::string lang;
  SentimentLabel sentiment = SentimentLabel::kNeutral;
  std::set<Topic> topics;
  std::string text;
};

// Every row of eval.tsv. An error names the line; a `split` column that
// disagrees with the rule (held out iff id % 3 == 0) is an error too.
absl::StatusOr<std::vector<EvalRow>> LoadEvalSet();

// Every row of fresh.tsv (tests/data/text/README.md): a second held-out set
// written without seeing the lexicon, for reporting only, never for tuning.
// Same columns; its `split` column must be `fresh` on every row.
absl::StatusOr<std::vector<EvalRow>> LoadFreshSet();

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  double Precision() const { return tp + fp == 0 ? 0 : double(tp) / (tp + fp); }
  double Recall() const { return tp + fn == 0 ? 0 : double(tp) / (tp + fn); }
  double F1() const {
    const double p = Precision(), r = Recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
};

struct Scores {
  int rows = 0;
  int sentiment_correct = 0;
  Counts sentiment[3];              // by SentimentLabel
  Counts topic_micro;               // over every (row, topic) pair
  Counts topic[kTopicCount];        // by Topic
  std::vector<std::string> errors;  // one line per row with a mistake

  double Accuracy() const {
    return rows == 0 ? 0 : double(sentiment_correct) / rows;
  }
};

// Analyses each row (analysis errors fail the row as all wrong).
Scores Evaluate(const Analyzer& analyzer, const std::vector<EvalRow>& rows);

// The figures as a table, headed by `title`.
std::string Report(const std::string& title, const Scores& s);

}  // namespace retail::text::testing

#endif  // RETAIL_TESTS_UNIT_COMMON_TEXT_EVAL_SET_H_
