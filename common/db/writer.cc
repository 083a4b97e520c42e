#include "common/db/writer.h"

#include <future>
#include <memory>

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

}  // namespace retail::db
