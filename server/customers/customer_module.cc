#include "server/customers/customer_module.h"

#include <memory>

#include "absl/flags/flag.h"
#include "common/method.h"
#include "retail/customers/v1/customers.pb.h"
#include "server/customers/customer_manager.h"
#include "server/customers/customer_schema.h"

ABSL_FLAG(int64_t, tier_vip_min_spend_minor, 500'000,
          "VIP tier: minimum lifetime spend in minor units");
ABSL_FLAG(int64_t, tier_vip_min_orders, 5, "VIP tier: minimum order count");
ABSL_FLAG(int64_t, tier_regular_min_orders, 1,
          "REGULAR tier: minimum order count");
ABSL_FLAG(int64_t, tier_active_days, 365,
          "VIP/REGULAR need a purchase within this many days; else POTENTIAL");

namespace retail::customers {
namespace {

// One slice of the tier sweep: bounds how long it holds the writer.
constexpr int kSweepSlice = 1'000;

class CustomerModule final : public Module {
 public:
  explicit CustomerModule(ModuleEnv& env, CustomerOptions options)
      : manager_(env.db, env.clock, std::move(options), &env.registry),
        service_(*MethodOf<v1::GetCustomerRequest>().service(), manager_,
                 env.gate) {
    service_.Handle(&CustomerManager::CreateCustomer)
        .Handle(&CustomerManager::GetCustomer)
        .Handle(&CustomerManager::UpdateCustomer)
        .Handle(&CustomerManager::ListCustomers)
        .Handle(&CustomerManager::SearchCustomers)
        .Handle(&CustomerManager::AdjustPoints)
        .Handle(&CustomerManager::ListPointsTransactions)
        .HandleParts(&CustomerManager::ExportCustomerData)
        .Handle(&CustomerManager::EraseCustomer);
    env.registry.Offer<CustomerDirectory>(&manager_);
    env.registry.AddStateView<v1::Customer>(&ShowCustomerState);
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    return {
        {"customers.tier_lapse", interval_, [this]() -> absl::StatusOr<bool> {
           absl::StatusOr<int> changed = manager_.SweepLapsedTiers(kSweepSlice);
           if (!changed.ok()) return changed.status();
           return *changed == kSweepSlice;
         }}};
  }

  void set_interval(absl::Duration d) { interval_ = d; }

 private:
  CustomerManager manager_;
  UnaryService<CustomerManager> service_;
  absl::Duration interval_ = absl::Hours(1);
};

}  // namespace

AccessTable CustomerAccess() {
  // Staff roles (admin, agent) work across branches; a branch works on its
  // own customers (stores scope every query); a service token only on the
  // methods its methods= list names; an auditor only reads. Export hands
  // out personal data unmasked: staff and stores only. Erase destroys it:
  // not for stores or auditors.
  const RoleSet read = RoleSet::All();
  const RoleSet write = {Role::kAdmin, Role::kAgent, Role::kBranch,
                         Role::kService};
  AccessTable t;
  t.Allow<v1::CreateCustomerRequest>(Act::kWrite, write)
      .Allow<v1::GetCustomerRequest>(Act::kRead, read)
      .Allow<v1::UpdateCustomerRequest>(Act::kWrite, write)
      .Allow<v1::ListCustomersRequest>(Act::kRead, read)
      .Allow<v1::SearchCustomersRequest>(Act::kRead, read)
      .Allow<v1::AdjustPointsRequest>(Act::kWrite, write)
      .Allow<v1::ListPointsTransactionsRequest>(Act::kRead, read)
      // Another team's service never gets a person's whole record unmasked.
      .Allow<v1::ExportCustomerDataRequest>(
          Act::kExport, {Role::kAdmin, Role::kAgent, Role::kBranch})
      .Allow<v1::EraseCustomerRequest>(
          Act::kErase, {Role::kAdmin, Role::kAgent, Role::kService});
  return t;
}

ModuleSpec CustomerModuleSpec() {
  return ModuleSpec{
      "customers", [] { return &CustomerSchema(); }, &CustomerAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        CustomerOptions options;
        options.currency_code = env.chain.currency_code;
        options.tiers.vip_min_spend_minor =
            absl::GetFlag(FLAGS_tier_vip_min_spend_minor);
        options.tiers.vip_min_orders = absl::GetFlag(FLAGS_tier_vip_min_orders);
        options.tiers.regular_min_orders =
            absl::GetFlag(FLAGS_tier_regular_min_orders);
        options.tiers.active_days = absl::GetFlag(FLAGS_tier_active_days);
        auto module = std::make_unique<CustomerModule>(env, std::move(options));
        module->set_interval(env.maintenance_interval);
        return module;
      }};
}

}  // namespace retail::customers
