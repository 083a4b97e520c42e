#include "server/orders/order_module.h"

#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/method.h"
#include "retail/orders/v1/orders.pb.h"
#include "server/customers/customer_directory.h"
#include "server/orders/order_common.h"
#include "server/orders/order_manager.h"
#include "server/orders/order_schema.h"

ABSL_FLAG(int64_t, points_per_yuan, 100,
          "Points debited per ¥1 (100 minor units) paid with points");
ABSL_FLAG(int64_t, return_window_days, 7,
          "Returns are approved within this many days of an order's "
          "completion");
ABSL_FLAG(int64_t, return_approval_limit, 50'000,
          "Approving a return worth more than this many minor units is for "
          "admin and agent only");
ABSL_FLAG(int64_t, points_earned_per_yuan, 1,
          "Points earned per ¥1 (100 minor units) paid with other tenders, "
          "rounded down");

namespace retail::orders {
namespace {

class OrderModule final : public Module {
 public:
  OrderModule(ModuleEnv& env, OrderOptions options)
      : manager_(env.db, env.clock, std::move(options),
                 env.registry.Find<customers::CustomerDirectory>()),
        service_(*MethodOf<v1::GetOrderRequest>().service(), manager_,
                 env.gate) {
    service_.Handle(&OrderManager::CreateOrder)
        .Handle(&OrderManager::GetOrder)
        .Handle(&OrderManager::ListOrders)
        .Handle(&OrderManager::CancelOrder)
        .Handle(&OrderManager::CompleteOrder)
        .Handle(&OrderManager::PayOrder)
        .Handle(&OrderManager::GetSettlement)
        .Handle(&OrderManager::ListSettlements)
        .Handle(&OrderManager::GetDailyReconciliation)
        .Handle(&OrderManager::RequestReturn)
        .Handle(&OrderManager::ReviewReturn)
        .Handle(&OrderManager::ReceiveReturn)
        .Handle(&OrderManager::CompleteReturn)
        .Handle(&OrderManager::GetReturn)
        .Handle(&OrderManager::ListReturns);
    env.registry.AddPersonDataPart(&manager_);
    env.registry.Offer<OrderDirectory>(&manager_);
    // Delivery details are masked as GetOrder masks them; a return holds no
    // personal data but its notes, which every reader of a return sees.
    env.registry.AddStateView<v1::Order>(
        [](const Principal& caller, v1::Order* o) {
          ApplyPiiPolicy(DefaultViewFor(caller), o);
        });
    env.registry.AddUnmaskedState<v1::Return>();
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

 private:
  OrderManager manager_;
  UnaryService<OrderManager> service_;
};

}  // namespace

AccessTable OrderAccess() {
  // Staff roles (admin, agent) work across branches; a branch on its own
  // branch's orders (stores scope every query); a service token only on
  // the methods its methods= list names; an auditor only reads.
  const RoleSet read = RoleSet::All();
  const RoleSet write = {Role::kAdmin, Role::kAgent, Role::kBranch,
                         Role::kService};
  AccessTable t;
  t.Allow<v1::CreateOrderRequest>(Act::kWrite, write)
      .Allow<v1::GetOrderRequest>(Act::kRead, read)
      .Allow<v1::ListOrdersRequest>(Act::kRead, read)
      .Allow<v1::CancelOrderRequest>(Act::kWrite, write)
      .Allow<v1::CompleteOrderRequest>(Act::kWrite, write)
      .Allow<v1::PayOrderRequest>(Act::kWrite, write)
      .Allow<v1::GetSettlementRequest>(Act::kRead, read)
      .Allow<v1::ListSettlementsRequest>(Act::kRead, read)
      .Allow<v1::GetDailyReconciliationRequest>(Act::kRead, read)
      .Allow<v1::RequestReturnRequest>(Act::kWrite, write)
      // Above --return_approval_limit only admin and agent: the manager
      // checks the amount, which the table cannot see.
      .Allow<v1::ReviewReturnRequest>(Act::kApprove, write)
      .Allow<v1::ReceiveReturnRequest>(Act::kWrite, write)
      .Allow<v1::CompleteReturnRequest>(Act::kWrite, write)
      .Allow<v1::GetReturnRequest>(Act::kRead, read)
      .Allow<v1::ListReturnsRequest>(Act::kRead, read);
  return t;
}

ModuleSpec OrderModuleSpec() {
  return ModuleSpec{
      "orders", [] { return &OrderSchema(); }, &OrderAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        OrderOptions options;
        options.currency_code = env.chain.currency_code;
        if (!absl::LoadTimeZone(env.chain.time_zone, &options.time_zone)) {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown time zone '", env.chain.time_zone, "'"));
        }
        options.points_per_yuan = absl::GetFlag(FLAGS_points_per_yuan);
        options.points_earned_per_yuan =
            absl::GetFlag(FLAGS_points_earned_per_yuan);
        options.return_window_days = absl::GetFlag(FLAGS_return_window_days);
        options.return_approval_limit_minor =
            absl::GetFlag(FLAGS_return_approval_limit);
        if (options.return_window_days < 0 ||
            options.return_approval_limit_minor < 0) {
          return absl::InvalidArgumentError(
              "--return_window_days and --return_approval_limit must not be "
              "negative");
        }
        if (options.points_per_yuan <= 0 ||
            options.points_earned_per_yuan < 0) {
          return absl::InvalidArgumentError(
              "--points_per_yuan must be positive and "
              "--points_earned_per_yuan not negative");
        }
        return std::make_unique<OrderModule>(env, std::move(options));
      }};
}

}  // namespace retail::orders
