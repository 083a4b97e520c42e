// The text every later step reads: traditional Chinese turned into
// simplified (OpenCC t2s), full-width and other compatibility forms folded
// (NFKC), case folded, so 退換貨 and 退换货, ＸＬ and xl match the same
// lexicon entry. The caller's text is never changed: this returns a copy.
#ifndef RETAIL_COMMON_TEXT_NORMALIZER_H_
#define RETAIL_COMMON_TEXT_NORMALIZER_H_

#include <unicode/normalizer2.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace opencc {
class SimpleConverter;
}

namespace retail::text::internal {

class Normalizer {
 public:
  // `opencc_config`: an OpenCC configuration file, t2s.json; its .ocd2
  // dictionaries are read from the same directory. FAILED_PRECONDITION
  // names the file when it is missing or unreadable.
  static absl::StatusOr<std::unique_ptr<Normalizer>> Create(
      const std::string& opencc_config);
  ~Normalizer();

  // `text` must be valid UTF-8 (the analyser checks). In order:
  //   1. NFKC_Casefold: full-width ASCII to ASCII, ideographic space to
  //      space, compatibility ideographs to unified ones, case folded,
  //      default-ignorable characters (zero-width space, BOM) removed;
  //   2. control characters to spaces (CR and U+2028/2029 to LF, which
  //      still ends a clause), curly apostrophes to ' (so "don’t" is
  //      one English word with its negation);
  //   3. OpenCC t2s. Controls are gone by then, so a NUL cannot cut the
  //      text short inside OpenCC.
  // Thread-safe. INTERNAL only if OpenCC throws, which it does not for
  // valid UTF-8.
  absl::StatusOr<std::string> Normalize(absl::string_view text) const;

 private:
  Normalizer() = default;
  const icu::Normalizer2* nfkc_cf_ = nullptr;  // ICU's singleton
  std::unique_ptr<opencc::SimpleConverter> t2s_;
};

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_NORMALIZER_H_
