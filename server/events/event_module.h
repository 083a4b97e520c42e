#ifndef RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_
#define RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_

#include "server/module.h"

namespace retail::events {

ModuleSpec EventModuleSpec();

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENTS_MODULE_H_
