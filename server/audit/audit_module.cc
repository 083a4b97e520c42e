#include "server/audit/audit_module.h"

#include <memory>

#include "common/method.h"
#include "retail/audit/v1/audit.pb.h"
#include "server/audit/audit_manager.h"
#include "server/audit/audit_schema.h"

namespace retail::audit {
namespace {

class AuditModule final : public Module {
 public:
  explicit AuditModule(ModuleEnv& env)
      : manager_(env.db),
        service_(*MethodOf<v1::ListAuditLogRequest>().service(), manager_,
                 env.gate) {
    service_.Handle(&AuditManager::ListAuditLog);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

 private:
  AuditManager manager_;
  UnaryService<AuditManager> service_;
};

}  // namespace

AccessTable AuditAccess() {
  // Who did what is for those who check (auditor) and those who run the
  // server (admin). Agents, stores and services are the ones audited.
  AccessTable t;
  t.Allow<v1::ListAuditLogRequest>(Act::kRead, {Role::kAdmin, Role::kAuditor});
  return t;
}

ModuleSpec AuditModuleSpec() {
  return ModuleSpec{
      "audit", [] { return &AuditSchema(); }, &AuditAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        return std::make_unique<AuditModule>(env);
      }};
}

}  // namespace retail::audit
