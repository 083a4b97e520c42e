// Word segmentation of normalised text. Two implementations, chosen by
// AnalyzerOptions::segmenter: ICU's word BreakIterator, and a dictionary
// segmenter over jieba's word list (dict_segmenter.cc). Only Chinese runs
// differ between them: whitespace, punctuation, symbols and words of other
// scripts are split by the same rules (char_class.h), so comparing them
// measures Chinese segmentation alone.
#ifndef RETAIL_COMMON_TEXT_SEGMENTER_H_
#define RETAIL_COMMON_TEXT_SEGMENTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail::text::internal {

struct Token {
  absl::string_view text;     // a slice of the normalised text
  bool punct = false;         // punctuation (ends clauses, never a segment)
  bool space_before = false;  // whitespace separated it from the last token
};

class Segmenter {
 public:
  virtual ~Segmenter() = default;
  // Appends the tokens of `text` (normalised, so valid UTF-8) to `out`, in
  // order, covering every non-whitespace byte exactly once. Thread-safe.
  virtual void Segment(absl::string_view text,
                       std::vector<Token>& out) const = 0;
};

absl::StatusOr<std::unique_ptr<Segmenter>> NewIcuSegmenter();

// Reads jieba's dict.txt ("word frequency [tag]" per line). FAILED_PRECONDITION
// names the path when the file is missing, unreadable or not a word list.
absl::StatusOr<std::unique_ptr<Segmenter>> NewDictSegmenter(
    const std::string& dict_path);

// Splits what is not Han the way both segmenters do: whitespace between
// tokens, each punctuation mark and symbol alone, and words of letters,
// digits and marks, joined across ' or . between two of them ("don't",
// "3.5"). Calls `han` for each maximal run of Han characters, which appends
// that run's words (the first one with `space_before`).
using HanSplitter = absl::FunctionRef<void(
    absl::string_view run, bool space_before, std::vector<Token>& out)>;
void SplitNonHan(absl::string_view text, std::vector<Token>& out,
                 HanSplitter han);

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_SEGMENTER_H_
