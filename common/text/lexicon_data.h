// The lexicon files, compiled in at build time: CMake turns
// common/text/lexicon/*.tsv into lexicon_data.cc (embed_files.cmake), so a
// changed file is rebuilt into the library and nothing is read at run time.
#ifndef RETAIL_COMMON_TEXT_LEXICON_DATA_H_
#define RETAIL_COMMON_TEXT_LEXICON_DATA_H_

#include "absl/strings/string_view.h"

namespace retail::text::internal {

extern const absl::string_view kTopicsTsv;
extern const absl::string_view kSentimentTsv;
extern const absl::string_view kModifiersTsv;

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_LEXICON_DATA_H_
