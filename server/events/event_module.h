#ifndef RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_
#define RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_

#include "server/module.h"

namespace retail::events {

// retail.events.v1.EventService: the change feed every module writes
// (WatchEvents, ListEvents) and its retention.
AccessTable EventAccess();
ModuleSpec EventModuleSpec();

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_
