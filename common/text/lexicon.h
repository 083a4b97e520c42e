// The retail lexicon: topic terms, sentiment terms and the words that modify
// them, read from the TSV files under common/text/lexicon/ (README there has
// the format). The files are compiled into the library (lexicon_data.h), so
// the server needs no install path; AnalyzerOptions::lexicon_dir reads a
// directory instead, to try a changed lexicon without rebuilding.
#ifndef RETAIL_COMMON_TEXT_LEXICON_H_
#define RETAIL_COMMON_TEXT_LEXICON_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/text/normalizer.h"
#include "common/text/topics.h"

namespace retail::text::internal {

enum class Modifier : uint8_t {
  kNone,
  kNegator,      // flips the next sentiment term (不, 没有, not, never)
  kIntensifier,  // strengthens it (很, 非常, very)
  kAfter,   // strengthens the sentiment term just before it (极了, 到极点)
  kExcess,  // an intensifier that is a complaint on its own before a
            // plain word (太少, "too long"), since excess is a fault
  kContrast,     // starts a clause that weighs more (但是, but)
  kReservation,  // starts a minor reservation that weighs less (就是, 只是)
  kConcession,   // starts a conceded clause that weighs less (虽然, although)
  kNeutral,      // holds a negator or sentiment word but is neither (有没有)
  kParticle,     // a function word a segmenter may glue to a term (都不,
                 // 贵了): split off such words, never scored
};

struct LexEntry {
  uint16_t topics = 0;       // bit t: a term of Topic t
  uint16_t weak_topics = 0;  // bit t: counts for t only in a clause with an
                             // opinion and no other topic (衣服 -> quality)
  float polarity = 0;        // sentiment weight, < 0 negative; 0: none
  Modifier modifier = Modifier::kNone;
  float factor = 1;  // the modifier's strength (README)

  bool HasTopic() const { return (topics | weak_topics) != 0; }
  bool HasSentiment() const {
    return polarity != 0 || modifier != Modifier::kNone;
  }
};

class Lexicon {
 public:
  struct Files {
    absl::string_view topics;     // topics.tsv
    absl::string_view sentiment;  // sentiment.tsv
    absl::string_view modifiers;  // modifiers.tsv
  };

  // Terms are normalised like the text (so a traditional or upper-case
  // entry still matches) and stored with single spaces. INVALID_ARGUMENT
  // names the file and line of a malformed row, an unknown topic or kind, or
  // a term given twice in one file.
  static absl::StatusOr<Lexicon> Parse(const Files& files,
                                       const Normalizer& normalizer);
  static absl::StatusOr<Lexicon> Builtin(const Normalizer& normalizer);
  // FAILED_PRECONDITION names a file that cannot be read.
  static absl::StatusOr<Lexicon> FromDirectory(const std::string& dir,
                                               const Normalizer& normalizer);

  const LexEntry* Find(absl::string_view key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  size_t max_key_bytes() const { return max_key_bytes_; }
  size_t size() const { return entries_.size(); }

 private:
  absl::flat_hash_map<std::string, LexEntry> entries_;
  size_t max_key_bytes_ = 0;
};

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_LEXICON_H_
