// The feedback module: retail.feedback.v1.FeedbackService and its access
// table.
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_MODULE_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_MODULE_H_

#include "common/access.h"
#include "server/module.h"

namespace retail::feedback {

AccessTable FeedbackAccess();
ModuleSpec FeedbackModuleSpec();

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_MODULE_H_
