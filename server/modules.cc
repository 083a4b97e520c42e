// The modules this server loads, in start-up order. Adding a service module
// is one line here (docs/architecture.md, "Adding a service: the steps").
#include "server/admin/admin_module.h"
#include "server/audit/audit_module.h"
#include "server/complaints/complaint_module.h"
#include "server/customers/customer_module.h"
#include "server/events/event_module.h"
#include "server/feedback/feedback_module.h"
#include "server/module.h"
#include "server/orders/order_module.h"
#include "server/server_info/server_info_module.h"

namespace retail {

const std::vector<ModuleSpec>& Modules() {
  static const auto* const kModules = new std::vector<ModuleSpec>{
      ServerInfoModuleSpec(),
      customers::CustomerModuleSpec(),
      orders::OrderModuleSpec(),
      complaints::ComplaintModuleSpec(),
      feedback::FeedbackModuleSpec(),
      // Last: they serve what every module before them wrote.
      events::EventModuleSpec(),
      audit::AuditModuleSpec(),
      admin::AdminModuleSpec(),
  };
  return *kModules;
}

std::vector<db::ModuleSchema> AllSchemas() {
  std::vector<db::ModuleSchema> schemas;
  for (const ModuleSpec& spec : Modules()) {
    if (spec.schema != nullptr) schemas.push_back(*spec.schema());
  }
  return schemas;
}

}  // namespace retail
