#include "server/audit/audit_module.h"

namespace retail::audit {
namespace {

// Placeholder while the module is being written: serves nothing yet.
class AuditModule final : public Module {
 public:
  std::vector<ModuleService*> services() override { return {}; }
};

}  // namespace

ModuleSpec AuditModuleSpec() {
  return ModuleSpec{"audit", /*schema=*/nullptr, [] { return AccessTable(); },
                    [](ModuleEnv&) -> absl::StatusOr<std::unique_ptr<Module>> {
                      return std::make_unique<AuditModule>();
                    }};
}

}  // namespace retail::audit
