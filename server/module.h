// A service module: one area of the business (customers, orders, ...) in
// server/<area>/, which the server loops over (server/modules.cc). See
// docs/architecture.md, "Adding a service: the steps".
//
// A module is declared by a ModuleSpec (its name, its schema, and a factory)
// so its tables can be migrated before anything is built; the factory then
// builds the module against the open database.
#ifndef RETAIL_SERVER_MODULE_H_
#define RETAIL_SERVER_MODULE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/access.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/db/migrations.h"
#include "server/call_gate.h"
#include "server/module_registry.h"
#include "server/unary_service.h"

namespace retail {

// Chain-wide settings every module may read.
struct ChainSettings {
  std::string currency_code = "CNY";
  std::string time_zone = "Asia/Shanghai";
};

// Time-driven work, run by the maintenance scheduler (server/maintenance.h)
// every `interval` of the injected Clock's time. `run_slice` does a bounded
// amount of work (e.g. 1,000 rows) and returns true while more remains; the
// scheduler then runs the next slice after the other due tasks, so one long
// task cannot starve another, and shutdown waits for one slice at most.
struct MaintenanceTask {
  std::string name;
  absl::Duration interval;
  std::function<absl::StatusOr<bool>()> run_slice;
};

// What a module may use while it builds itself.
struct ModuleEnv {
  db::Database& db;
  const Clock& clock;
  const ChainSettings& chain;
  const CallGate& gate;  // for UnaryService
  ModuleRegistry& registry;
  // Default interval of maintenance tasks (--maintenance_interval_seconds).
  absl::Duration maintenance_interval = absl::Hours(1);
};

class Module {
 public:
  virtual ~Module() = default;
  // The gRPC services it serves; each must pass ModuleService::Complete().
  virtual std::vector<ModuleService*> services() = 0;
  virtual std::vector<MaintenanceTask> maintenance_tasks() { return {}; }
  // Called at shutdown before the gRPC server stops: end long-lived streams
  // (each finishes UNAVAILABLE; clients resume elsewhere) so they do not
  // hold shutdown for its whole grace period. Unary calls finish normally.
  virtual void Stop() {}
};

struct ModuleSpec {
  std::string name;  // e.g. "customers"
  // Its tables, migrated at start-up; null if it has none.
  const db::ModuleSchema* (*schema)();
  // For every RPC of its services: the kind of act and the roles allowed.
  AccessTable (*access)();
  // Builds the module; the access table is already in env.gate.
  std::function<absl::StatusOr<std::unique_ptr<Module>>(ModuleEnv&)> build;
};

// Every module the server loads, in start-up order (server/modules.cc). A
// module may use what modules before it offered (ModuleRegistry::Find).
const std::vector<ModuleSpec>& Modules();

// The schema of every module in Modules(), in order (for Database::Open by
// tools that open the database without a server, e.g. the bench seeder).
std::vector<db::ModuleSchema> AllSchemas();

}  // namespace retail

#endif  // RETAIL_SERVER_MODULE_H_
