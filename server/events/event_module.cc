#include "server/events/event_module.h"

namespace retail::events {
namespace {

// Placeholder while the module is being written: serves nothing yet.
class EventModule final : public Module {
 public:
  std::vector<ModuleService*> services() override { return {}; }
};

}  // namespace

ModuleSpec EventModuleSpec() {
  return ModuleSpec{"events", /*schema=*/nullptr, [] { return AccessTable(); },
                    [](ModuleEnv&) -> absl::StatusOr<std::unique_ptr<Module>> {
                      return std::make_unique<EventModule>();
                    }};
}

}  // namespace retail::events
