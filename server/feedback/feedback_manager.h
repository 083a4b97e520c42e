// Domain rules for customer feedback. Today: AnalyzeText, the shared text
// analyser behind an RPC (issue 11); surveys, feedback items and follow-up
// visits join it (issue 13). No gRPC here: a manager is driven by tests
// directly.
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_

#include "common/call.h"
#include "common/reply.h"
#include "common/text/analyzer.h"
#include "retail/feedback/v1/feedback.pb.h"

namespace retail::feedback {

// The API form of an analysis.
void ToProto(const text::Analysis& in, v1::TextAnalysis* out);

class FeedbackManager {
 public:
  explicit FeedbackManager(const text::Analyzer& analyzer)
      : analyzer_(analyzer) {}

  // Answers on the calling thread: nothing is read or stored.
  void AnalyzeText(CallMeta call, const v1::AnalyzeTextRequest& req,
                   Reply<v1::AnalyzeTextResponse> reply);

 private:
  const text::Analyzer& analyzer_;
};

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_
