#include "common/text/char_class.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

namespace retail::text::internal {

CharClass Classify(uint32_t cp) {
  const UChar32 c = static_cast<UChar32>(cp);
  if (u_isUWhiteSpace(c)) return CharClass::kSpace;
  if (u_ispunct(c)) return CharClass::kPunct;
  UErrorCode status = U_ZERO_ERROR;
  if (uscript_getScript(c, &status) == USCRIPT_HAN && U_SUCCESS(status)) {
    return CharClass::kHan;
  }
  if (u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0) {
    return CharClass::kAlnum;
  }
  return CharClass::kSymbol;
}

uint32_t NextCodePoint(absl::string_view text, size_t* i) {
  UChar32 c;
  int32_t pos = static_cast<int32_t>(*i);
  U8_NEXT(text.data(), pos, static_cast<int32_t>(text.size()), c);
  *i = static_cast<size_t>(pos);
  return c < 0 ? 0xFFFD : static_cast<uint32_t>(c);
}

}  // namespace retail::text::internal
