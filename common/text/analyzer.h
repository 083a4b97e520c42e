// Chinese-aware analysis of what customers write (issue 11): the text
// normalised, cut into words, the retail topics it talks about, the lexicon
// keywords found, and its sentiment, overall and per topic. One library for
// complaints and feedback; no gRPC, no area names.
//
//   absl::StatusOr<std::unique_ptr<text::Analyzer>> analyzer =
//       text::Analyzer::Create();            // once, at start-up (~0.1 s)
//   absl::StatusOr<text::Analysis> a = (*analyzer)->Analyze(req.text());
//
// How it works (common/text/README.md has more):
//   1. normalise: NFKC + case folding, then traditional to simplified Chinese
//      with OpenCC, so 退換貨 and 退换货 give the same result;
//   2. segment into words (jieba's dictionary by default, or ICU);
//   3. match lexicon terms (common/text/lexicon/*.tsv, compiled in) on word
//      boundaries, so 快 is not found inside 快递;
//   4. split into clauses at punctuation and contrast words (但是, but), score
//      each clause's sentiment terms with negation (不, 没有, not, -n't) and
//      intensifiers (很, 太, very), and give each topic the sentiment of the
//      clauses that mention it: 衣服不错但是物流太慢 is positive about
//      quality, negative about logistics, negative overall.
#ifndef RETAIL_COMMON_TEXT_ANALYZER_H_
#define RETAIL_COMMON_TEXT_ANALYZER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/text/topics.h"

namespace retail::text {

// The longest text Analyze accepts, in Unicode code points. Long enough for
// any review or complaint (the longest in the evaluation set has 228); a
// bound so that one request cannot hold a thread for long (a 60-character
// review takes about 26 us on one core, the longest text about 2 ms).
inline constexpr size_t kMaxTextChars = 5000;

enum class SegmenterKind {
  // Most probable path over jieba's word list (dict.txt of Debian's
  // python3-jieba). The default: on the held-out evaluation it ties with
  // ICU on sentiment and is slightly ahead on topics, and it is ~20 %
  // faster (common/text/README.md has both sets of figures).
  kDictionary,
  // ICU's word BreakIterator with its built-in Chinese dictionary.
  kIcu,
};

struct AnalyzerOptions {
  SegmenterKind segmenter = SegmenterKind::kDictionary;
  // Empty: the path chosen when the library was built (CMake cache
  // RETAIL_TEXT_OPENCC_CONFIG, default /usr/share/opencc/t2s.json).
  std::string opencc_config;
  // Empty: the build's RETAIL_TEXT_JIEBA_DICT (default Debian's
  // /usr/lib/python3/dist-packages/jieba/dict.txt). Read only for
  // kDictionary.
  std::string jieba_dict;
  // Empty: the lexicon compiled into the library. Otherwise a directory
  // holding topics.tsv, sentiment.tsv and modifiers.tsv, for trying a
  // lexicon change without a rebuild.
  std::string lexicon_dir;
};

// The data paths an Analyzer reads when AnalyzerOptions leaves them empty,
// fixed when the library was built (for start-up messages and tests).
absl::string_view DefaultOpenccConfig();
absl::string_view DefaultJiebaDict();

enum class SentimentLabel { kNegative, kNeutral, kPositive };

// "negative", "neutral", "positive".
absl::string_view SentimentLabelName(SentimentLabel label);

struct Sentiment {
  SentimentLabel label = SentimentLabel::kNeutral;
  // In [-1, 1]: tanh of the summed clause scores. |score| < 0.25 is
  // neutral; one plain term such as 满意 or 太慢 alone scores about ±0.76.
  double score = 0;
};

struct TopicHit {
  Topic topic;
  // Lexicon terms only, in order of first appearance, no repeats: the
  // topic's terms found (物流) and the sentiment terms of the clauses that
  // mention it (太慢). A negated sentiment term is written with its
  // negation word in front (不太 + 满意 -> 不太满意, "not helpful"; a
  // contraction counts as "not": "wasn't helpful" -> "not helpful"), so a
  // count of keywords never mixes 满意 with 不满意. Never free text: they
  // hold no personal data and may be kept after erasure.
  std::vector<std::string> keywords;
  // The sentiment of the clauses that mention the topic.
  Sentiment sentiment;
};

struct Analysis {
  // The normalised text (lower case, simplified, half-width). The caller's
  // text is not changed; store that, not this.
  std::string normalized;
  // The words of `normalized`, in order; no whitespace or punctuation.
  std::vector<std::string> segments;
  // The topics found, in order of first mention.
  std::vector<TopicHit> topics;
  // Every keyword of every topic, and sentiment terms found in clauses with
  // no topic, in order of first appearance, no repeats (same rules as
  // TopicHit::keywords).
  std::vector<std::string> keywords;
  Sentiment overall;
};

class Analyzer {
 public:
  // Loads OpenCC's configuration, the segmenter's dictionary (~0.1 s and
  // ~40 MB for jieba's 349k words; nothing for ICU) and the lexicon.
  // FAILED_PRECONDITION names a missing data file and the package that
  // provides it; INVALID_ARGUMENT names the file and line of a bad lexicon
  // row (lexicon_dir).
  static absl::StatusOr<std::unique_ptr<Analyzer>> Create(
      const AnalyzerOptions& options = {});
  ~Analyzer();

  // Thread-safe: any number of threads may call Analyze on one Analyzer.
  // `text` is any UTF-8 of at most kMaxTextChars code points; empty text
  // gives an empty, neutral analysis. INVALID_ARGUMENT (with a
  // google.rpc.BadRequest naming `field`) when it is not valid UTF-8 or too
  // long, e.g. "text: must have at most 5000 characters". Pass the
  // request's field path as `field` (e.g. "complaint.description") so the
  // error names the caller's field.
  absl::StatusOr<Analysis> Analyze(absl::string_view text,
                                   absl::string_view field = "text") const;

  SegmenterKind segmenter() const { return kind_; }

 private:
  struct Parts;
  Analyzer(SegmenterKind kind, std::unique_ptr<Parts> parts);

  SegmenterKind kind_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace retail::text

#endif  // RETAIL_COMMON_TEXT_ANALYZER_H_
