// The one Analyzer of the process, built on first use with the default
// options and shared by every module that analyses text (complaints,
// feedback). Loading it takes about 0.3 s and 30 MB (jieba's word list),
// so a server, or a test binary that starts many in-process servers, pays
// that once.
#ifndef RETAIL_COMMON_TEXT_SHARED_ANALYZER_H_
#define RETAIL_COMMON_TEXT_SHARED_ANALYZER_H_

#include "absl/status/statusor.h"
#include "common/text/analyzer.h"

namespace retail::text {

// Thread-safe. A failure (a data file missing) is returned to every caller,
// and retried on the next call.
absl::StatusOr<const Analyzer*> SharedAnalyzer();

}  // namespace retail::text

#endif  // RETAIL_COMMON_TEXT_SHARED_ANALYZER_H_
