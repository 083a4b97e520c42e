#include "common/text/analyzer.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/text/lexicon.h"
#include "common/text/normalizer.h"
#include "common/text/opinion.h"
#include "common/text/segmenter.h"
#include "common/validation.h"

namespace retail::text {

using internal::Lexicon;
using internal::Normalizer;
using internal::Segmenter;
using internal::Token;

struct Analyzer::Parts {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<Segmenter> segmenter;
  Lexicon lexicon;
};

absl::string_view DefaultOpenccConfig() { return RETAIL_TEXT_OPENCC_CONFIG; }
absl::string_view DefaultJiebaDict() { return RETAIL_TEXT_JIEBA_DICT; }

absl::string_view SentimentLabelName(SentimentLabel label) {
  switch (label) {
    case SentimentLabel::kNegative:
      return "negative";
    case SentimentLabel::kPositive:
      return "positive";
    case SentimentLabel::kNeutral:
      break;
  }
  return "neutral";
}

Analyzer::Analyzer(SegmenterKind kind, std::unique_ptr<Parts> parts)
    : kind_(kind), parts_(std::move(parts)) {}
Analyzer::~Analyzer() = default;

absl::StatusOr<std::unique_ptr<Analyzer>> Analyzer::Create(
    const AnalyzerOptions& options) {
  // Defaults come from the build (CMake cache variables), so a machine with
  // the data elsewhere can be served by one -D at configure time.
  const std::string opencc = options.opencc_config.empty()
                                 ? std::string(DefaultOpenccConfig())
                                 : options.opencc_config;
  const std::string jieba = options.jieba_dict.empty()
                                ? std::string(DefaultJiebaDict())
                                : options.jieba_dict;

  absl::StatusOr<std::unique_ptr<Normalizer>> normalizer =
      Normalizer::Create(opencc);
  RETURN_IF_ERROR(normalizer.status());
  absl::StatusOr<std::unique_ptr<Segmenter>> segmenter =
      options.segmenter == SegmenterKind::kIcu
          ? internal::NewIcuSegmenter()
          : internal::NewDictSegmenter(jieba);
  RETURN_IF_ERROR(segmenter.status());
  absl::StatusOr<Lexicon> lexicon =
      options.lexicon_dir.empty()
          ? Lexicon::Builtin(**normalizer)
          : Lexicon::FromDirectory(options.lexicon_dir, **normalizer);
  RETURN_IF_ERROR(lexicon.status());

  auto parts = std::make_unique<Parts>(Parts{
      std::move(*normalizer), std::move(*segmenter), std::move(*lexicon)});
  return std::unique_ptr<Analyzer>(
      new Analyzer(options.segmenter, std::move(parts)));
}

absl::StatusOr<Analysis> Analyzer::Analyze(absl::string_view text,
                                           absl::string_view field) const {
  const std::optional<size_t> chars = Utf8Length(text);
  if (!chars) return InvalidArgument(field, "must be valid UTF-8");
  if (*chars > kMaxTextChars) {
    return InvalidArgument(field, absl::StrCat("must have at most ",
                                               kMaxTextChars, " characters"));
  }
  Analysis a;
  absl::StatusOr<std::string> normalized = parts_->normalizer->Normalize(text);
  RETURN_IF_ERROR(normalized.status());
  a.normalized = std::move(*normalized);

  std::vector<Token> tokens;
  parts_->segmenter->Segment(a.normalized, tokens);
  for (const Token& t : tokens) {
    if (!t.punct) a.segments.emplace_back(t.text);
  }
  internal::Opinion opinion = internal::FindOpinion(tokens, parts_->lexicon);
  a.topics = std::move(opinion.topics);
  a.keywords = std::move(opinion.keywords);
  a.overall = opinion.overall;
  return a;
}

}  // namespace retail::text
