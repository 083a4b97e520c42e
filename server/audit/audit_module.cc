#include "server/audit/audit_module.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/method.h"
#include "retail/audit/v1/audit.pb.h"
#include "server/audit/audit_manager.h"
#include "server/audit/audit_schema.h"

ABSL_FLAG(int32_t, audit_retention_days, 1096,
          "Keep audit rows this many days (at least 1; default 1096, three "
          "years); older ones are deleted by a maintenance task (on "
          "PostgreSQL a whole month at a time, once all of it is past "
          "retention). There is no 'forever': give a large number. Below "
          "three years a warning is logged at start-up");

namespace retail::audit {
namespace {

// Audit rows deleted per maintenance slice (one write transaction); on
// PostgreSQL, rows of the DEFAULT partition (whole months are dropped).
constexpr int kPruneSlice = 5000;
// What the issue asks to keep at least, by default: three years.
constexpr int32_t kThreeYearsDays = 1096;

class AuditModule final : public Module {
 public:
  AuditModule(ModuleEnv& env, AuditOptions options)
      : clock_(env.clock),
        manager_(env.db, options),
        service_(*MethodOf<v1::ListAuditLogRequest>().service(), manager_,
                 env.gate),
        interval_(env.maintenance_interval) {
    service_.Handle(&AuditManager::ListAuditLog);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    return {{"audit.retention", interval_, [this] {
               return manager_.PruneSlice(clock_.NowMicros(), kPruneSlice);
             }}};
  }

 private:
  const Clock& clock_;
  AuditManager manager_;
  UnaryService<AuditManager> service_;
  absl::Duration interval_;
};

}  // namespace

AccessTable AuditAccess() {
  // Who did what is for those who check (auditor) and those who run the
  // server (admin). Agents, stores and services are the ones audited.
  AccessTable t;
  t.Allow<v1::ListAuditLogRequest>(Act::kRead, {Role::kAdmin, Role::kAuditor});
  return t;
}

absl::StatusOr<absl::Duration> AuditRetentionFromFlags() {
  const int32_t days = absl::GetFlag(FLAGS_audit_retention_days);
  if (days < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--audit_retention_days must be at least 1 (got ", days,
        "); the default keeps audit rows ", kThreeYearsDays,
        " days (three years), and there is no value for 'forever': give a "
        "large number of days instead"));
  }
  if (days < kThreeYearsDays) {
    RETAIL_LOG(WARNING) << "--audit_retention_days=" << days
                        << ": audit rows older than " << days
                        << " days will be deleted, less than the three years ("
                        << kThreeYearsDays << " days) kept by default";
  }
  return absl::Hours(24) * static_cast<int64_t>(days);
}

ModuleSpec AuditModuleSpec() {
  return ModuleSpec{
      "audit", [] { return &AuditSchema(); }, &AuditAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        AuditOptions options;
        absl::StatusOr<absl::Duration> retention = AuditRetentionFromFlags();
        if (!retention.ok()) return retention.status();
        options.retention = *retention;
        return std::make_unique<AuditModule>(env, options);
      }};
}

}  // namespace retail::audit
