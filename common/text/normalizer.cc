#include "common/text/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/utf8.h>

#include <exception>
#include <fstream>

#include "SimpleConverter.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/text/char_class.h"

namespace retail::text::internal {
namespace {

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Step 2 of Normalize: controls, line separators and apostrophes.
std::string CleanControls(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const uint32_t cp = NextCodePoint(s, &i);
    if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
      out.push_back('\n');
    } else if (IsControl(cp)) {
      out.push_back(' ');
    } else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC) {
      out.push_back('\'');
    } else {
      out.append(s.data() + start, i - start);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> Normalizer::Create(
    const std::string& opencc_config) {
  if (!std::ifstream(opencc_config).good()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "OpenCC configuration ", opencc_config,
        " not found or unreadable: install libopencc-data (scripts/setup) or "
        "set AnalyzerOptions.opencc_config"));
  }
  std::unique_ptr<Normalizer> n(new Normalizer());
  UErrorCode status = U_ZERO_ERROR;
  n->nfkc_cf_ = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("ICU NFKC_Casefold: ", u_errorName(status)));
  }
  try {
    n->t2s_ = std::make_unique<opencc::SimpleConverter>(opencc_config);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "OpenCC could not load ", opencc_config, " (", e.what(),
        "): its dictionaries (.ocd2) must be in the same directory; "
        "install libopencc-data"));
  }
  return n;
}

Normalizer::~Normalizer() = default;

absl::StatusOr<std::string> Normalizer::Normalize(
    absl::string_view text) const {
  std::string folded;
  icu::StringByteSink<std::string> sink(&folded,
                                        static_cast<int32_t>(text.size()));
  UErrorCode status = U_ZERO_ERROR;
  nfkc_cf_->normalizeUTF8(0, icu::StringPiece(text.data(), text.size()), sink,
                          nullptr, status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("ICU NFKC_Casefold: ", u_errorName(status)));
  }
  const std::string clean = CleanControls(folded);
  try {
    return t2s_->Convert(clean.data(), clean.size());
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("OpenCC t2s: ", e.what()));
  }
}

}  // namespace retail::text::internal
