// ICU's word BreakIterator on each Han run. ICU finds Chinese words with its
// own built-in dictionary (cjdict), so this needs no data file.
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/utext.h>

#include "absl/strings/str_cat.h"
#include "common/text/segmenter.h"

namespace retail::text::internal {
namespace {

class IcuSegmenter : public Segmenter {
 public:
  explicit IcuSegmenter(std::unique_ptr<icu::BreakIterator> prototype)
      : prototype_(std::move(prototype)) {}

  void Segment(absl::string_view text, std::vector<Token>& out) const override {
    // A BreakIterator holds its position, so each call breaks with its own
    // clone; cloning the prototype from several threads at once is the use
    // ICU documents.
    std::unique_ptr<icu::BreakIterator> it(prototype_->clone());
    SplitNonHan(
        text, out,
        [&](absl::string_view run, bool space, std::vector<Token>& tokens) {
          if (it == nullptr) {  // out of memory in clone: one token per run
            tokens.push_back({run, false, space});
            return;
          }
          UErrorCode status = U_ZERO_ERROR;
          UText ut = UTEXT_INITIALIZER;
          utext_openUTF8(&ut, run.data(), static_cast<int64_t>(run.size()),
                         &status);
          it->setText(&ut, status);
          if (U_FAILURE(status)) {
            tokens.push_back({run, false, space});
            utext_close(&ut);
            return;
          }
          // UTF-8 UText indexes are byte offsets into `run`.
          int32_t start = it->first();
          for (int32_t end = it->next(); end != icu::BreakIterator::DONE;
               start = end, end = it->next()) {
            tokens.push_back({run.substr(start, end - start), false, space});
            space = false;
          }
          utext_close(&ut);
        });
  }

 private:
  const std::unique_ptr<icu::BreakIterator> prototype_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Segmenter>> NewIcuSegmenter() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createWordInstance(
      icu::Locale::getChinese(), status));
  if (U_FAILURE(status) || it == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ICU word break iterator unavailable: ", u_errorName(status)));
  }
  return std::make_unique<IcuSegmenter>(std::move(it));
}

}  // namespace retail::text::internal
