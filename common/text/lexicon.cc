#include "common/text/lexicon.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/text/lexicon_data.h"
#include "common/validation.h"

namespace retail::text::internal {
namespace {

struct Row {
  size_t line;
  std::vector<absl::string_view> cols;
};

// Non-blank lines that do not start with '#', split on tabs.
std::vector<Row> Rows(absl::string_view text) {
  std::vector<Row> rows;
  size_t line = 0;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    ++line;
    l = absl::StripTrailingAsciiWhitespace(l);
    if (absl::StripAsciiWhitespace(l).empty() || l[0] == '#') continue;
    rows.push_back({line, absl::StrSplit(l, '\t')});
  }
  return rows;
}

class Builder {
 public:
  explicit Builder(const Normalizer& normalizer) : normalizer_(normalizer) {}

  absl::Status Topics(absl::string_view text) {
    absl::flat_hash_set<std::pair<int, std::string>> seen;
    for (const Row& r : Rows(text)) {
      file_ = "topics.tsv";
      if (r.cols.size() < 2 || r.cols.size() > 3 ||
          (r.cols.size() == 3 && r.cols[2] != "weak")) {
        return Error(r, "expected topic<TAB>term[<TAB>weak]");
      }
      const std::optional<Topic> topic = TopicFromId(r.cols[0]);
      if (!topic)
        return Error(r, absl::StrCat("unknown topic '", r.cols[0], "'"));
      const int t = static_cast<int>(*topic);
      absl::StatusOr<LexEntry*> e = Entry(r, r.cols[1]);
      if (!e.ok()) return e.status();
      if (!seen.insert({t, last_key_}).second)
        return Error(r, "term given twice");
      if (r.cols.size() == 3) {
        (*e)->weak_topics |= 1u << t;
      } else {
        (*e)->topics |= 1u << t;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Sentiment(absl::string_view text) {
    absl::flat_hash_set<std::string> seen;
    for (const Row& r : Rows(text)) {
      file_ = "sentiment.tsv";
      double weight = 0;
      if (r.cols.size() != 2 || !absl::SimpleAtod(r.cols[1], &weight) ||
          weight == 0 || weight < -5 || weight > 5) {
        return Error(r,
                     "expected term<TAB>weight, a weight in [-5, 5] and not 0");
      }
      absl::StatusOr<LexEntry*> e = Entry(r, r.cols[0]);
      if (!e.ok()) return e.status();
      if (!seen.insert(last_key_).second) return Error(r, "term given twice");
      (*e)->polarity = static_cast<float>(weight);
    }
    return absl::OkStatus();
  }

  absl::Status Modifiers(absl::string_view text) {
    absl::flat_hash_set<std::string> seen;
    for (const Row& r : Rows(text)) {
      file_ = "modifiers.tsv";
      double factor = 1;
      if (r.cols.size() < 2 || r.cols.size() > 3 ||
          (r.cols.size() == 3 && (!absl::SimpleAtod(r.cols[2], &factor) ||
                                  factor <= 0 || factor > 5))) {
        return Error(r, "expected term<TAB>kind[<TAB>factor in (0, 5]]");
      }
      std::optional<Modifier> kind = ParseKind(r.cols[1]);
      if (!kind)
        return Error(r, absl::StrCat("unknown kind '", r.cols[1], "'"));
      absl::StatusOr<LexEntry*> e = Entry(r, r.cols[0]);
      if (!e.ok()) return e.status();
      if (!seen.insert(last_key_).second) return Error(r, "term given twice");
      (*e)->modifier = *kind;
      (*e)->factor = static_cast<float>(factor);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::flat_hash_map<std::string, LexEntry>> Finish() {
    for (const auto& [key, e] : entries_) {
      if (e.polarity != 0 && e.modifier != Modifier::kNone) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lexicon: '", key,
            "' is both in sentiment.tsv and in modifiers.tsv; keep one"));
      }
    }
    return std::move(entries_);
  }

 private:
  static std::optional<Modifier> ParseKind(absl::string_view k) {
    if (k == "negator") return Modifier::kNegator;
    if (k == "intensifier") return Modifier::kIntensifier;
    if (k == "after") return Modifier::kAfter;
    if (k == "excess") return Modifier::kExcess;
    if (k == "contrast") return Modifier::kContrast;
    if (k == "reservation") return Modifier::kReservation;
    if (k == "concession") return Modifier::kConcession;
    if (k == "neutral") return Modifier::kNeutral;
    if (k == "particle") return Modifier::kParticle;
    return std::nullopt;
  }

  absl::Status Error(const Row& r, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("lexicon ", file_, " line ", r.line, ": ", what));
  }

  // The entry for `term`'s normalised key (created if new).
  absl::StatusOr<LexEntry*> Entry(const Row& r, absl::string_view term) {
    if (!Utf8Length(term)) return Error(r, "term is not valid UTF-8");
    absl::StatusOr<std::string> normalized = normalizer_.Normalize(term);
    if (!normalized.ok()) return normalized.status();
    // Whitespace runs become one space: the matcher joins tokens that were
    // apart with exactly one.
    std::vector<absl::string_view> words = absl::StrSplit(
        *normalized, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
    last_key_ = absl::StrJoin(words, " ");
    if (last_key_.empty()) return Error(r, "empty term");
    return &entries_[last_key_];
  }

  const Normalizer& normalizer_;
  absl::flat_hash_map<std::string, LexEntry> entries_;
  std::string last_key_;
  absl::string_view file_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    return absl::FailedPreconditionError(
        absl::StrCat("lexicon file ", path, " not found or unreadable"));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

absl::StatusOr<Lexicon> Lexicon::Parse(const Files& files,
                                       const Normalizer& normalizer) {
  Builder b(normalizer);
  RETURN_IF_ERROR(b.Topics(files.topics));
  RETURN_IF_ERROR(b.Sentiment(files.sentiment));
  RETURN_IF_ERROR(b.Modifiers(files.modifiers));
  absl::StatusOr<absl::flat_hash_map<std::string, LexEntry>> entries =
      b.Finish();
  RETURN_IF_ERROR(entries.status());
  Lexicon lexicon;
  lexicon.entries_ = std::move(*entries);
  for (const auto& [key, e] : lexicon.entries_) {
    lexicon.max_key_bytes_ = std::max(lexicon.max_key_bytes_, key.size());
  }
  return lexicon;
}

absl::StatusOr<Lexicon> Lexicon::Builtin(const Normalizer& normalizer) {
  return Parse({kTopicsTsv, kSentimentTsv, kModifiersTsv}, normalizer);
}

absl::StatusOr<Lexicon> Lexicon::FromDirectory(const std::string& dir,
                                               const Normalizer& normalizer) {
  absl::StatusOr<std::string> topics = ReadFile(dir + "/topics.tsv");
  absl::StatusOr<std::string> sentiment = ReadFile(dir + "/sentiment.tsv");
  absl::StatusOr<std::string> modifiers = ReadFile(dir + "/modifiers.tsv");
  RETURN_IF_ERROR(topics.status());
  RETURN_IF_ERROR(sentiment.status());
  RETURN_IF_ERROR(modifiers.status());
  return Parse({*topics, *sentiment, *modifiers}, normalizer);
}

}  // namespace retail::text::internal
