#include "server/feedback/feedback_module.h"

#include <memory>

#include "common/method.h"
#include "common/text/shared_analyzer.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "server/feedback/feedback_manager.h"
#include "server/unary_service.h"

namespace retail::feedback {
namespace {

class FeedbackModule final : public Module {
 public:
  FeedbackModule(ModuleEnv& env, const text::Analyzer& analyzer)
      : manager_(analyzer),
        service_(*MethodOf<v1::AnalyzeTextRequest>().service(), manager_,
                 env.gate) {
    service_.Handle(&FeedbackManager::AnalyzeText);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

 private:
  FeedbackManager manager_;
  UnaryService<FeedbackManager> service_;
};

}  // namespace

AccessTable FeedbackAccess() {
  // Analysing a text reads and stores nothing: every role may.
  AccessTable t;
  t.Allow<v1::AnalyzeTextRequest>(Act::kRead, RoleSet::All());
  return t;
}

ModuleSpec FeedbackModuleSpec() {
  return ModuleSpec{
      "feedback", nullptr, &FeedbackAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
        if (!analyzer.ok()) return analyzer.status();
        return std::make_unique<FeedbackModule>(env, **analyzer);
      }};
}

}  // namespace retail::feedback
