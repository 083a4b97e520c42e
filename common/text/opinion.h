// From words to topics, keywords and sentiment: lexicon matching on word
// boundaries, clauses, negation and intensity (analyzer.h gives the rules
// as the caller sees them; opinion.cc has the constants and why).
#ifndef RETAIL_COMMON_TEXT_OPINION_H_
#define RETAIL_COMMON_TEXT_OPINION_H_

#include <string>
#include <vector>

#include "common/text/analyzer.h"
#include "common/text/lexicon.h"
#include "common/text/segmenter.h"

namespace retail::text::internal {

struct Opinion {
  std::vector<TopicHit> topics;
  std::vector<std::string> keywords;
  Sentiment overall;
};

Opinion FindOpinion(const std::vector<Token>& tokens, const Lexicon& lexicon);

}  // namespace retail::text::internal

#endif  // RETAIL_COMMON_TEXT_OPINION_H_
