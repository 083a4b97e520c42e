// The evaluation the issue asks for: on the held-out third of
// tests/data/text/eval.tsv, per-class precision and recall, sentiment
// accuracy and topic micro-F1, for both segmenters, with floors on the
// default one. Run this binary directly (or ctest -V) to see the tables.
//
// While tuning the lexicon, look only at the tune split:
//   RETAIL_TEXT_EVAL_ERRORS=1 build/bin/unit_text --gtest_filter='*TuneSplit*'
// prints each tune sentence the analyser gets wrong. Nothing prints held-out
// sentences one by one, on purpose.
#include <cstdlib>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/unit/common/text/eval_set.h"
#include "tests/unit/common/text/test_analyzers.h"

namespace retail::text::testing {
namespace {

constexpr double kAccuracyFloor = 0.85;
constexpr double kTopicF1Floor = 0.80;
constexpr SegmenterKind kBoth[] = {SegmenterKind::kDictionary,
                                   SegmenterKind::kIcu};

std::vector<EvalRow> Split(bool heldout) {
  absl::StatusOr<std::vector<EvalRow>> rows = LoadEvalSet();
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::vector<EvalRow> out;
  if (!rows.ok()) return out;
  for (EvalRow& r : *rows) {
    if (r.heldout == heldout) out.push_back(std::move(r));
  }
  return out;
}

TEST(Evaluation, SetIsLargeVariedAndSplitOnce) {
  absl::StatusOr<std::vector<EvalRow>> rows = LoadEvalSet();
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_GE(rows->size(), 300u);
  std::map<std::string, int> langs;
  std::map<SentimentLabel, int> labels;
  int heldout = 0;
  for (const EvalRow& r : *rows) {
    ++langs[r.lang];
    ++labels[r.sentiment];
    heldout += r.heldout;
  }
  EXPECT_EQ(langs.size(), 3u);  // zh-Hans, zh-Hant, en
  for (const auto& [lang, n] : langs) EXPECT_GE(n, 60) << lang;
  for (const auto& [label, n] : labels)
    EXPECT_GE(n, 30) << SentimentLabelName(label);
  EXPECT_EQ(heldout, static_cast<int>(rows->size()) / 3);
}

TEST(Evaluation, TuneSplit) {
  const std::vector<EvalRow> tune = Split(/*heldout=*/false);
  const bool errors = std::getenv("RETAIL_TEXT_EVAL_ERRORS") != nullptr;
  for (SegmenterKind kind : kBoth) {
    const Scores s = Evaluate(TestAnalyzer(kind), tune);
    std::cout << Report(absl::StrCat("tune, ", SegmenterName(kind)), s);
    if (errors) {
      for (const std::string& e : s.errors) std::cout << e << "\n";
    }
  }
}

TEST(Evaluation, HeldOutFloors) {
  const std::vector<EvalRow> heldout = Split(/*heldout=*/true);
  ASSERT_FALSE(heldout.empty());
  Scores by_kind[2];
  for (SegmenterKind kind : kBoth) {
    Scores& s = by_kind[kind == SegmenterKind::kIcu];
    s = Evaluate(TestAnalyzer(kind), heldout);
    std::cout << Report(absl::StrCat("held out, ", SegmenterName(kind)), s);
  }
  const Scores& dict = by_kind[0];
  const Scores& icu = by_kind[1];
  std::cout << absl::StrFormat(
      "== jieba dictionary minus ICU on held out: sentiment accuracy %+.1f "
      "points, topic micro-F1 %+.3f\n",
      100 * (dict.Accuracy() - icu.Accuracy()),
      dict.topic_micro.F1() - icu.topic_micro.F1());

  const SegmenterKind chosen = AnalyzerOptions().segmenter;
  const Scores& s = by_kind[chosen == SegmenterKind::kIcu];
  EXPECT_GE(s.Accuracy(), kAccuracyFloor) << SegmenterName(chosen);
  EXPECT_GE(s.topic_micro.F1(), kTopicF1Floor) << SegmenterName(chosen);
}

// tests/data/text/fresh.tsv: a second held-out set, written without seeing
// the lexicon because the held-out third of eval.tsv was looked at during
// tuning. Reported for both segmenters with no floors (it must not fail CI),
// and, like the held-out report, never sentence by sentence. Never tune on
// it (README beside the data). ctest name: text.FreshSetReport.BothSegmenters
TEST(FreshSetReport, BothSegmenters) {
  absl::StatusOr<std::vector<EvalRow>> fresh = LoadFreshSet();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_FALSE(fresh->empty());
  std::map<std::string, std::vector<EvalRow>> by_lang;
  for (const EvalRow& r : *fresh) by_lang[r.lang].push_back(r);
  Scores by_kind[2];
  for (SegmenterKind kind : kBoth) {
    const Analyzer& analyzer = TestAnalyzer(kind);
    Scores& s = by_kind[kind == SegmenterKind::kIcu];
    s = Evaluate(analyzer, *fresh);
    std::cout << Report(absl::StrCat("fresh, ", SegmenterName(kind)), s);
    for (const auto& [lang, rows] : by_lang) {
      const Scores l = Evaluate(analyzer, rows);
      std::cout << absl::StrFormat(
          "    %-7s %3d sentences: sentiment accuracy %.1f%%, topic micro-F1 "
          "%.3f\n",
          lang, l.rows, 100 * l.Accuracy(), l.topic_micro.F1());
    }
  }
  std::cout << absl::StrFormat(
      "== jieba dictionary minus ICU on fresh: sentiment accuracy %+.1f "
      "points, topic micro-F1 %+.3f (default segmenter: %s)\n",
      100 * (by_kind[0].Accuracy() - by_kind[1].Accuracy()),
      by_kind[0].topic_micro.F1() - by_kind[1].topic_micro.F1(),
      SegmenterName(AnalyzerOptions().segmenter));
}

}  // namespace
}  // namespace retail::text::testing
