#include "common/db/writer.h"

#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace retail::db {

absl::Status Writer::RunSync(
    absl::AnyInvocable<absl::Status(Connection&)> apply) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  WriteOp op;
  op.apply = std::move(apply);
  op.done = [promise](absl::Status s) { promise->set_value(std::move(s)); };
  Submit(std::move(op));
  return future.get();
}

absl::Status Writer::QueueFullError(size_t max_queue) {
  return WithRetryDelay(
      ErrorWithReason(absl::StatusCode::kUnavailable, "WRITER_QUEUE_FULL",
                      absl::StrCat("the server has ", max_queue,
                                   " writes waiting, its limit; nothing was "
                                   "written: retry the same request after ",
                                   absl::FormatDuration(kQueueFullRetryDelay)),
                      {{"max_write_queue", absl::StrCat(max_queue)}}),
      kQueueFullRetryDelay);
}

}  // namespace retail::db
