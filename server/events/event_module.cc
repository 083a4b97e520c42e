#include "server/events/event_module.h"

#include <memory>
#include <vector>

#include "absl/flags/flag.h"
#include "common/method.h"
#include "retail/events/v1/events.pb.h"
#include "server/events/event_manager.h"
#include "server/unary_service.h"

ABSL_FLAG(int32_t, event_retention_days, 90,
          "Keep events this many days (0: forever); older ones are deleted "
          "by a maintenance task (on PostgreSQL a whole month at a time, "
          "once all of it is past retention), and asking for them is "
          "OUT_OF_RANGE");
ABSL_FLAG(int32_t, max_event_watchers, 1000,
          "Open WatchEvents streams at once; more are RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, event_coalesce_ms, 5,
          "The event stream reads new events at most this often (ms), so "
          "one message to each watcher carries every commit of that span; "
          "adds at most this to delivery; 0: after every commit");
ABSL_FLAG(int32_t, event_ring_capacity, 16384,
          "Newest events kept in memory for watchers that keep up; a slower "
          "watcher reads from the table until it catches up");

namespace retail::events {
namespace {

// Events deleted per maintenance slice (one write transaction).
constexpr int kPruneSlice = 5000;

class EventModule final : public Module {
 public:
  EventModule(ModuleEnv& env, EventOptions options)
      : manager_(env.db, env.clock, env.registry, std::move(options)),
        service_(*MethodOf<v1::ListEventsRequest>().service(), manager_,
                 env.gate),
        interval_(env.maintenance_interval) {
    service_.HandleStream(&EventManager::WatchEvents)
        .Handle(&EventManager::ListEvents);
    // For the metrics' event-stream lag (server/metrics/).
    env.registry.Offer<EventStreamStats>(&manager_);
  }

  absl::Status Start() { return manager_.Start(); }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    return {{"events.retention", interval_,
             [this] { return manager_.PruneSlice(kPruneSlice); }}};
  }

  void Stop() override { manager_.Stop(); }

 private:
  EventManager manager_;
  UnaryService<EventManager> service_;
  absl::Duration interval_;
};

}  // namespace

AccessTable EventAccess() {
  // Every role that reads may watch; what each sees is filtered per event
  // (branch, masking). A service only with the method in its token's list.
  AccessTable t;
  const RoleSet readers = RoleSet::All();
  t.Allow<v1::WatchEventsRequest>(Act::kRead, readers);
  t.Allow<v1::ListEventsRequest>(Act::kRead, readers);
  return t;
}

ModuleSpec EventModuleSpec() {
  return ModuleSpec{
      "events", /*schema=*/nullptr, &EventAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        EventOptions options;
        options.retention =
            absl::Hours(24) * absl::GetFlag(FLAGS_event_retention_days);
        options.max_watchers = absl::GetFlag(FLAGS_max_event_watchers);
        options.coalesce = absl::Milliseconds(
            std::max(0, absl::GetFlag(FLAGS_event_coalesce_ms)));
        options.ring_capacity = static_cast<size_t>(
            std::max(1, absl::GetFlag(FLAGS_event_ring_capacity)));
        auto module = std::make_unique<EventModule>(env, std::move(options));
        if (absl::Status s = module->Start(); !s.ok()) return s;
        return module;
      }};
}

}  // namespace retail::events
