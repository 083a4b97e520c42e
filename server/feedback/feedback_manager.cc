#include "server/feedback/feedback_manager.h"

#include <string>

namespace retail::feedback {
namespace {

void ToProto(const text::Sentiment& in, v1::Sentiment* out) {
  switch (in.label) {
    case text::SentimentLabel::kNegative:
      out->set_label(v1::SENTIMENT_LABEL_NEGATIVE);
      break;
    case text::SentimentLabel::kNeutral:
      out->set_label(v1::SENTIMENT_LABEL_NEUTRAL);
      break;
    case text::SentimentLabel::kPositive:
      out->set_label(v1::SENTIMENT_LABEL_POSITIVE);
      break;
  }
  out->set_score(in.score);
}

}  // namespace

void ToProto(const text::Analysis& in, v1::TextAnalysis* out) {
  out->set_normalized_text(in.normalized);
  for (const std::string& s : in.segments) out->add_segments(s);
  for (const text::TopicHit& hit : in.topics) {
    v1::TopicAnalysis* t = out->add_topics();
    t->set_topic(std::string(text::TopicId(hit.topic)));
    for (const std::string& k : hit.keywords) t->add_keywords(k);
    ToProto(hit.sentiment, t->mutable_sentiment());
  }
  for (const std::string& k : in.keywords) out->add_keywords(k);
  ToProto(in.overall, out->mutable_sentiment());
}

void FeedbackManager::AnalyzeText(CallMeta /*call*/,
                                  const v1::AnalyzeTextRequest& req,
                                  Reply<v1::AnalyzeTextResponse> reply) {
  absl::StatusOr<text::Analysis> analysis =
      analyzer_.Analyze(req.text(), "text");
  if (!analysis.ok()) return reply(analysis.status());
  ToProto(*analysis, reply.out()->mutable_analysis());
  reply(absl::OkStatus());
}

}  // namespace retail::feedback
