// The feedback module's tables: surveys and their responses, feedback
// items, the analysed terms and scores behind the satisfaction report (with
// its daily rollups), follow-up visits and the follow-up scheduler's place.
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_SCHEMA_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_SCHEMA_H_

#include "common/db/migrations.h"

namespace retail::feedback {

const db::ModuleSchema& FeedbackSchema();

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_SCHEMA_H_
