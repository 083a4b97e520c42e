#include "client/feedback_commands.h"

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/connection.h"
#include "client/output.h"
#include "client/rpc.h"
#include "client/text_table.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::feedback::v1;
using Stub = v1::FeedbackService::Stub;

// "negative -0.76" (English, then Chinese, as the agent reads it).
std::string SentimentText(const v1::Sentiment& s) {
  const char* label = "neutral 中性";
  switch (s.label()) {
    case v1::SENTIMENT_LABEL_NEGATIVE:
      label = "negative 负面";
      break;
    case v1::SENTIMENT_LABEL_POSITIVE:
      label = "positive 正面";
      break;
    default:
      break;
  }
  return absl::StrFormat("%s (%+.2f)", label, s.score());
}

void PrintAnalysis(const v1::TextAnalysis& a) {
  std::cout << "Normalised 规范化: " << a.normalized_text() << "\n"
            << "Segments 分词:     " << absl::StrJoin(a.segments(), " / ")
            << "\n"
            << "Sentiment 情感:    " << SentimentText(a.sentiment()) << "\n"
            << "Keywords 关键词:   "
            << (a.keywords().empty() ? "-" : absl::StrJoin(a.keywords(), ", "))
            << "\n\n";
  if (a.topics().empty()) {
    std::cout << "Topics 主题: none found\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"Topic 主题", "Sentiment 情感", "Keywords 关键词"}};
  for (const v1::TopicAnalysis& t : a.topics()) {
    rows.push_back({t.topic(), SentimentText(t.sentiment()),
                    absl::StrJoin(t.keywords(), ", ")});
  }
  WriteAligned(rows, std::cout);
}

void AddAnalyze(CLI::App& feedback, const GlobalOptions& options) {
  CLI::App* cmd = feedback.add_subcommand(
      "analyze",
      "Analyse a customer's text (simplified or traditional Chinese, or "
      "English): the normalised text, its words, the retail topics it "
      "talks about with their keywords and sentiment, and its overall "
      "sentiment. Nothing is stored.");
  auto text = std::make_shared<std::string>();
  cmd->add_option("text", *text, "The text, at most 5000 characters")
      ->required();
  cmd->callback([&options, text] {
    auto stub = v1::FeedbackService::NewStub(MakeChannel(options));
    v1::AnalyzeTextRequest req;
    req.set_text(*text);
    const auto response = Call(options, *stub, &Stub::AnalyzeText, req);
    Emit(options, response, [&] { PrintAnalysis(response.analysis()); });
  });
}

}  // namespace

void AddFeedbackCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* feedback = app.add_subcommand(
      "feedback", "Customer feedback: text analysis (more to come).");
  feedback->require_subcommand(1);
  AddAnalyze(*feedback, options);
}

}  // namespace retail::cli
