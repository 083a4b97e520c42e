// How the segmenters and the clause splitter see one code point. Shared so
// that both segmenters treat everything but Chinese words the same way, and
// the comparison between them measures Chinese segmentation only.
#ifndef RETAIL_COMMON_TEXT_CHAR_CLASS_H_
#define RETAIL_COMMON_TEXT_CHAR_CLASS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace retail::text::internal {

enum class CharClass {
  kSpace,   // Unicode White_Space: separates tokens, never one itself
  kPunct,   // general category P*: a token of its own
  kHan,     // Han script: segmented by the dictionary or ICU
  kAlnum,   // letters, digits and marks of other scripts: runs form words
  kSymbol,  // everything else (emoji, currency, math): one token each
};

CharClass Classify(uint32_t cp);

// Decodes the code point at text[*i] and advances *i past it. The text is
// the normaliser's output, so valid UTF-8; a bad byte would still come back
// as U+FFFD and be stepped over, never read past the end.
uint32_t NextCodePoint(absl::string_view text, size_t* i);

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_CHAR_CLASS_H_
