// One Analyzer per segmenter for a whole test binary: loading jieba's
// dictionary takes a noticeable fraction of a second, and an Analyzer is
// immutable, so every test can share it.
#ifndef RETAIL_TESTS_UNIT_COMMON_TEXT_TEST_ANALYZERS_H_
#define RETAIL_TESTS_UNIT_COMMON_TEXT_TEST_ANALYZERS_H_

#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>

#include "common/text/analyzer.h"

namespace retail::text::testing {

inline const Analyzer& TestAnalyzer(
    SegmenterKind kind = AnalyzerOptions().segmenter) {
  static std::unique_ptr<Analyzer> analyzers[2];
  static std::once_flag once[2];
  const int i = kind == SegmenterKind::kIcu ? 1 : 0;
  std::call_once(once[i], [&] {
    AnalyzerOptions options;
    options.segmenter = kind;
    absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::Create(options);
    if (!a.ok()) {
      std::cerr << "Analyzer::Create: " << a.status() << "\n";
      std::abort();
    }
    analyzers[i] = std::move(*a);
  });
  return *analyzers[i];
}

inline absl::string_view SegmenterName(SegmenterKind kind) {
  return kind == SegmenterKind::kIcu ? "ICU BreakIterator" : "jieba dictionary";
}

}  // namespace retail::text::testing

#endif  // RETAIL_TESTS_UNIT_COMMON_TEXT_TEST_ANALYZERS_H_
