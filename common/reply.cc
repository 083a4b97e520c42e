#include "common/reply.h"

#include <atomic>

#include "common/logging.h"

namespace retail {
namespace {

std::atomic<int64_t> misuse_count{0};

std::function<void(absl::string_view)>& Hook() {
  static auto* const hook = new std::function<void(absl::string_view)>();
  return *hook;
}

}  // namespace

int64_t ReplyMisuseCount() { return misuse_count.load(); }

void SetReplyMisuseHookForTesting(std::function<void(absl::string_view)> hook) {
  Hook() = std::move(hook);
}

namespace reply_internal {

void ReportMisuse(absl::string_view what) {
  misuse_count.fetch_add(1);
  RETAIL_LOG(ERROR) << "reply misuse: " << what;
  if (Hook()) Hook()(what);
}

}  // namespace reply_internal
}  // namespace retail
