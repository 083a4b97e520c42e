// libFuzzer target for the text analyser (common/text/analyzer.h): the input
// bytes are the text, analysed by both segmenters. No server: the analyser
// is a library, so this target links retail_text alone (CMakeLists.txt) and
// runs a few hundred thousand inputs a minute.
//
// Aborts (and libFuzzer keeps the input) on any crash or sanitizer report,
// and when an answer breaks the contract:
//   - text that is valid UTF-8 and at most kMaxTextChars long is analysed;
//     anything else is INVALID_ARGUMENT naming the field "text";
//   - the normalised text is valid UTF-8 and the same for both segmenters;
//   - every segment is a non-empty piece of the normalised text;
//   - scores are in [-1, 1] and agree with their labels;
//   - topics appear once each, and every keyword is a lexicon term or a
//     negation term followed by one (never free text), each topic's
//     keywords among the analysis's.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "common/status.h"
#include "common/text/analyzer.h"
#include "common/text/lexicon.h"
#include "common/text/normalizer.h"
#include "common/validation.h"

namespace {

using retail::text::Analysis;
using retail::text::Analyzer;
using retail::text::AnalyzerOptions;
using retail::text::SegmenterKind;
using retail::text::Sentiment;
using retail::text::SentimentLabel;
using retail::text::internal::Lexicon;
using retail::text::internal::Modifier;

std::unique_ptr<Analyzer> g_analyzers[2];
std::unique_ptr<Lexicon> g_lexicon;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

void CheckSentiment(const Sentiment& s) {
  Require(std::isfinite(s.score) && s.score >= -1 && s.score <= 1,
          "score outside [-1, 1]");
  Require(s.label != SentimentLabel::kPositive || s.score > 0,
          "positive label with a score <= 0");
  Require(s.label != SentimentLabel::kNegative || s.score < 0,
          "negative label with a score >= 0");
}

// A lexicon term, or a negation term then (a space and) a lexicon term.
bool IsLexiconKeyword(absl::string_view k) {
  if (g_lexicon->Find(k) != nullptr) return true;
  for (size_t p = 1; p < k.size(); ++p) {
    const retail::text::internal::LexEntry* neg =
        g_lexicon->Find(k.substr(0, p));
    if (neg == nullptr || neg->modifier != Modifier::kNegator) continue;
    absl::string_view rest = k.substr(p);
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    if (g_lexicon->Find(rest) != nullptr) return true;
  }
  return false;
}

void CheckAnalysis(const Analysis& a) {
  Require(retail::Utf8Length(a.normalized).has_value(),
          "normalised text is not UTF-8");
  for (const std::string& s : a.segments) {
    Require(!s.empty(), "empty segment");
    Require(a.normalized.find(s) != std::string::npos,
            "segment not in the normalised text");
  }
  CheckSentiment(a.overall);
  const std::set<std::string> keywords(a.keywords.begin(), a.keywords.end());
  Require(keywords.size() == a.keywords.size(), "a keyword repeated");
  for (const std::string& k : a.keywords) {
    Require(IsLexiconKeyword(k), "keyword is not a lexicon term");
  }
  std::set<retail::text::Topic> topics;
  for (const retail::text::TopicHit& h : a.topics) {
    Require(topics.insert(h.topic).second, "a topic repeated");
    Require(!h.keywords.empty(), "a topic with no keyword");
    for (const std::string& k : h.keywords) {
      Require(keywords.count(k) == 1, "topic keyword missing from keywords");
    }
    CheckSentiment(h.sentiment);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (SegmenterKind kind : {SegmenterKind::kDictionary, SegmenterKind::kIcu}) {
    AnalyzerOptions options;
    options.segmenter = kind;
    absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::Create(options);
    if (!a.ok()) {
      std::fprintf(stderr, "Analyzer::Create: %s\n",
                   a.status().ToString().c_str());
      std::abort();
    }
    g_analyzers[kind == SegmenterKind::kIcu] = std::move(*a);
  }
  auto normalizer = retail::text::internal::Normalizer::Create(
      std::string(retail::text::DefaultOpenccConfig()));
  Require(normalizer.ok(), "normaliser");
  absl::StatusOr<Lexicon> lexicon = Lexicon::Builtin(**normalizer);
  Require(lexicon.ok(), "built-in lexicon");
  g_lexicon = std::make_unique<Lexicon>(std::move(*lexicon));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<size_t> chars = retail::Utf8Length(text);
  const bool valid = chars.has_value() && *chars <= retail::text::kMaxTextChars;
  std::string normalized[2];
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<Analysis> a = g_analyzers[i]->Analyze(text);
    if (!valid) {
      Require(a.status().code() == absl::StatusCode::kInvalidArgument,
              "bad text not INVALID_ARGUMENT");
      const std::vector<retail::FieldViolation> v =
          retail::FieldViolations(a.status());
      Require(v.size() == 1 && v[0].field == "text",
              "INVALID_ARGUMENT does not name field text");
      continue;
    }
    Require(a.ok(), "valid text not analysed");
    CheckAnalysis(*a);
    normalized[i] = std::move(a->normalized);
  }
  Require(normalized[0] == normalized[1], "segmenters saw different text");
  return 0;
}
