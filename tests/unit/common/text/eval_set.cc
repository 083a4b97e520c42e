#include "tests/unit/common/text/eval_set.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace retail::text::testing {
namespace {

std::optional<SentimentLabel> ParseLabel(absl::string_view s) {
  if (s == "negative") return SentimentLabel::kNegative;
  if (s == "neutral") return SentimentLabel::kNeutral;
  if (s == "positive") return SentimentLabel::kPositive;
  return std::nullopt;
}

std::string TopicList(const std::set<Topic>& topics) {
  std::vector<std::string> ids;
  for (Topic t : topics) ids.emplace_back(TopicId(t));
  return ids.empty() ? "-" : absl::StrJoin(ids, ",");
}

// Loads tests/data/text/<file>; `fresh` selects the split rule of fresh.tsv
// (always "fresh") instead of eval.tsv's (heldout iff id % 3 == 0).
absl::StatusOr<std::vector<EvalRow>> LoadRows(const std::string& file,
                                              bool fresh) {
  const std::string path = std::string(RETAIL_TEST_DATA_DIR) + "/text/" + file;
  std::ifstream in(path);
  if (!in.good()) return absl::NotFoundError(path);
  std::vector<EvalRow> rows;
  std::string line;
  std::getline(in, line);  // header
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    const auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", line_no, ": ", what));
    };
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    EvalRow r;
    if (f.size() != 6 || !absl::SimpleAtoi(f[0], &r.id))
      return bad("6 columns");
    if (r.id != line_no - 1) return bad("ids must be the line numbers");
    if (fresh) {
      r.fresh = true;
      if (f[1] != "fresh") return bad("split must be fresh");
    } else {
      r.heldout = r.id % 3 == 0;
      if (f[1] != (r.heldout ? "heldout" : "tune")) {
        return bad("split must be heldout iff id % 3 == 0");
      }
    }
    r.lang = f[2];
    std::optional<SentimentLabel> label = ParseLabel(f[3]);
    if (!label) return bad("sentiment");
    r.sentiment = *label;
    if (f[4] != "-") {
      for (absl::string_view id : absl::StrSplit(f[4], ',')) {
        std::optional<Topic> t = TopicFromId(id);
        if (!t) return bad(absl::StrCat("unknown topic ", id));
        r.topics.insert(*t);
      }
    }
    r.text = f[5];
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<EvalRow>> LoadEvalSet() {
  return LoadRows("eval.tsv", /*fresh=*/false);
}

absl::StatusOr<std::vector<EvalRow>> LoadFreshSet() {
  return LoadRows("fresh.tsv", /*fresh=*/true);
}

Scores Evaluate(const Analyzer& analyzer, const std::vector<EvalRow>& rows) {
  Scores s;
  for (const EvalRow& row : rows) {
    ++s.rows;
    absl::StatusOr<Analysis> a = analyzer.Analyze(row.text);
    SentimentLabel got = SentimentLabel::kNeutral;
    std::set<Topic> topics;
    double score = 0;
    if (a.ok()) {
      got = a->overall.label;
      score = a->overall.score;
      for (const TopicHit& h : a->topics) topics.insert(h.topic);
    }
    const bool label_ok = a.ok() && got == row.sentiment;
    if (label_ok) {
      ++s.sentiment_correct;
      ++s.sentiment[static_cast<int>(got)].tp;
    } else {
      ++s.sentiment[static_cast<int>(got)].fp;
      ++s.sentiment[static_cast<int>(row.sentiment)].fn;
    }
    for (int t = 0; t < kTopicCount; ++t) {
      const bool want = row.topics.count(static_cast<Topic>(t)) > 0;
      const bool have = topics.count(static_cast<Topic>(t)) > 0;
      Counts& c = s.topic[t];
      if (want && have) ++c.tp, ++s.topic_micro.tp;
      if (!want && have) ++c.fp, ++s.topic_micro.fp;
      if (want && !have) ++c.fn, ++s.topic_micro.fn;
    }
    if (!label_ok || topics != row.topics) {
      s.errors.push_back(absl::StrFormat(
          "%3d %-7s %s  sentiment %s->%s (%+.2f)  topics %s->%s\n      "
          "segments: %s  keywords: %s",
          row.id, row.lang, row.text, SentimentLabelName(row.sentiment),
          a.ok() ? SentimentLabelName(got) : "ERROR", score,
          TopicList(row.topics), TopicList(topics),
          a.ok() ? absl::StrJoin(a->segments, "/") : a.status().ToString(),
          a.ok() ? absl::StrJoin(a->keywords, ",") : ""));
    }
  }
  return s;
}

std::string Report(const std::string& title, const Scores& s) {
  std::string out = absl::StrFormat("== %s: %d sentences\n", title, s.rows);
  absl::StrAppendFormat(&out, "  sentiment accuracy %.1f%% (%d/%d)\n",
                        100 * s.Accuracy(), s.sentiment_correct, s.rows);
  for (SentimentLabel l : {SentimentLabel::kNegative, SentimentLabel::kNeutral,
                           SentimentLabel::kPositive}) {
    const Counts& c = s.sentiment[static_cast<int>(l)];
    absl::StrAppendFormat(
        &out, "    %-8s precision %.3f  recall %.3f  (gold %d, predicted %d)\n",
        SentimentLabelName(l), c.Precision(), c.Recall(), c.tp + c.fn,
        c.tp + c.fp);
  }
  absl::StrAppendFormat(&out,
                        "  topic micro-F1 %.3f (precision %.3f, recall %.3f; "
                        "tp %d fp %d fn %d)\n",
                        s.topic_micro.F1(), s.topic_micro.Precision(),
                        s.topic_micro.Recall(), s.topic_micro.tp,
                        s.topic_micro.fp, s.topic_micro.fn);
  for (int t = 0; t < kTopicCount; ++t) {
    const Counts& c = s.topic[t];
    absl::StrAppendFormat(
        &out, "    %-18s precision %.3f  recall %.3f  F1 %.3f (gold %d)\n",
        TopicId(static_cast<Topic>(t)), c.Precision(), c.Recall(), c.F1(),
        c.tp + c.fn);
  }
  return out;
}

}  // namespace retail::text::testing
