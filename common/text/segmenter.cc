#include "common/text/segmenter.h"

#include "common/text/char_class.h"

namespace retail::text::internal {

void SplitNonHan(absl::string_view text, std::vector<Token>& out,
                 HanSplitter han) {
  bool space = false;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const uint32_t cp = NextCodePoint(text, &i);
    const CharClass cls = Classify(cp);
    switch (cls) {
      case CharClass::kSpace:
        // A line break ends a clause like a full stop: lists of complaints
        // often come one per line without punctuation.
        if (cp == '\n') {
          out.push_back({text.substr(start, 1), true, space});
          break;
        }
        space = true;
        continue;
      case CharClass::kPunct:
      case CharClass::kSymbol:
        out.push_back(
            {text.substr(start, i - start), cls == CharClass::kPunct, space});
        break;
      case CharClass::kHan: {
        size_t end = i;
        for (size_t j = i; j < text.size();) {
          if (Classify(NextCodePoint(text, &j)) != CharClass::kHan) break;
          end = j;
        }
        han(text.substr(start, end - start), space, out);
        i = end;
        break;
      }
      case CharClass::kAlnum: {
        size_t end = i;
        for (size_t j = i; j < text.size();) {
          const uint32_t cp = NextCodePoint(text, &j);
          if (Classify(cp) == CharClass::kAlnum) {
            end = j;
            continue;
          }
          // ' or . joins only when a letter or digit follows at once.
          if (cp != '\'' && cp != '.') break;
          size_t k = j;
          if (k >= text.size() ||
              Classify(NextCodePoint(text, &k)) != CharClass::kAlnum) {
            break;
          }
          end = k;
          j = k;
        }
        out.push_back({text.substr(start, end - start), false, space});
        i = end;
        break;
      }
    }
    space = false;
  }
}

}  // namespace retail::text::internal
