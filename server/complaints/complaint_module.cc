#include "server/complaints/complaint_module.h"

#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/method.h"
#include "common/text/shared_analyzer.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "server/complaints/complaint_manager.h"
#include "server/complaints/complaint_schema.h"
#include "server/customers/customer_directory.h"
#include "server/orders/order_directory.h"
#include "server/unary_service.h"

ABSL_FLAG(int64_t, complaint_sweep_interval_seconds, 60,
          "How often the escalation sweep marks complaints whose SLA clocks "
          "near or pass their due time; 0 disables it");

namespace retail::complaints {
namespace {

class ComplaintModule final : public Module {
 public:
  ComplaintModule(ModuleEnv& env, ComplaintOptions options,
                  const text::Analyzer& analyzer, absl::Duration interval)
      : manager_(env.db, env.clock, std::move(options),
                 env.registry.Find<customers::CustomerDirectory>(),
                 env.registry.Find<orders::OrderDirectory>(), analyzer),
        service_(*MethodOf<v1::GetComplaintRequest>().service(), manager_,
                 env.gate),
        interval_(interval) {
    service_.Handle(&ComplaintManager::CreateComplaint)
        .Handle(&ComplaintManager::GetComplaint)
        .Handle(&ComplaintManager::ListComplaints)
        .Handle(&ComplaintManager::AssignComplaint)
        .Handle(&ComplaintManager::RespondToComplaint)
        .Handle(&ComplaintManager::RecordCustomerContact)
        .Handle(&ComplaintManager::ProposeSolution)
        .Handle(&ComplaintManager::ResolveComplaint)
        .Handle(&ComplaintManager::CloseComplaint)
        .Handle(&ComplaintManager::ReopenComplaint)
        .Handle(&ComplaintManager::EscalateComplaint)
        .Handle(&ComplaintManager::ListComplaintHistory)
        .Handle(&ComplaintManager::GetComplaintStats)
        .Handle(&ComplaintManager::GetSlaPolicy)
        .Handle(&ComplaintManager::UpdateSlaPolicy)
        .Handle(&ComplaintManager::GetBranchCalendar)
        .Handle(&ComplaintManager::UpdateBranchCalendar);
    env.registry.AddPersonDataPart(&manager_);
    // Complaint states carry no customer name or phone (those are read live
    // by Get, masked per caller); the text is what every reader sees.
    env.registry.AddUnmaskedState<v1::Complaint>();
    env.registry.AddUnmaskedState<v1::SlaPolicy>();
    env.registry.AddUnmaskedState<v1::BranchCalendar>();
    env.registry.Offer<ComplaintIntake>(&manager_);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    if (interval_ <= absl::ZeroDuration()) return {};
    return {{"complaints.escalation_sweep", interval_,
             [this] { return manager_.SweepSlice(); }}};
  }

 private:
  ComplaintManager manager_;
  UnaryService<ComplaintManager> service_;
  const absl::Duration interval_;
};

}  // namespace

AccessTable ComplaintAccess() {
  // Staff roles (admin, agent) work across branches; a branch on its own
  // branch's complaints (stores scope every query); a service token only on
  // the methods its methods= list names; an auditor only reads. The SLA
  // policy is the chain's: admin only. A branch sets its own calendar.
  const RoleSet read = RoleSet::All();
  const RoleSet write = {Role::kAdmin, Role::kAgent, Role::kBranch,
                         Role::kService};
  AccessTable t;
  t.Allow<v1::CreateComplaintRequest>(Act::kWrite, write)
      .Allow<v1::GetComplaintRequest>(Act::kRead, read)
      .Allow<v1::ListComplaintsRequest>(Act::kRead, read)
      .Allow<v1::AssignComplaintRequest>(Act::kWrite, write)
      .Allow<v1::RespondToComplaintRequest>(Act::kWrite, write)
      .Allow<v1::RecordCustomerContactRequest>(Act::kWrite, write)
      .Allow<v1::ProposeSolutionRequest>(Act::kWrite, write)
      .Allow<v1::ResolveComplaintRequest>(Act::kWrite, write)
      .Allow<v1::CloseComplaintRequest>(Act::kWrite, write)
      .Allow<v1::ReopenComplaintRequest>(Act::kWrite, write)
      .Allow<v1::EscalateComplaintRequest>(Act::kWrite, write)
      .Allow<v1::ListComplaintHistoryRequest>(Act::kRead, read)
      .Allow<v1::GetComplaintStatsRequest>(Act::kRead, read)
      .Allow<v1::GetSlaPolicyRequest>(Act::kRead, read)
      .Allow<v1::UpdateSlaPolicyRequest>(Act::kWrite, {Role::kAdmin})
      .Allow<v1::GetBranchCalendarRequest>(Act::kRead, read)
      .Allow<v1::UpdateBranchCalendarRequest>(Act::kWrite,
                                              {Role::kAdmin, Role::kBranch});
  return t;
}

ModuleSpec ComplaintModuleSpec() {
  return ModuleSpec{
      "complaints", [] { return &ComplaintSchema(); }, &ComplaintAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        ComplaintOptions options;
        if (!absl::LoadTimeZone(env.chain.time_zone, &options.time_zone)) {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown time zone '", env.chain.time_zone, "'"));
        }
        const int64_t seconds =
            absl::GetFlag(FLAGS_complaint_sweep_interval_seconds);
        if (seconds < 0) {
          return absl::InvalidArgumentError(
              "--complaint_sweep_interval_seconds must not be negative");
        }
        absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
        if (!analyzer.ok()) return analyzer.status();
        return std::make_unique<ComplaintModule>(
            env, std::move(options), **analyzer, absl::Seconds(seconds));
      }};
}

}  // namespace retail::complaints
