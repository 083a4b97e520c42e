// How a manager answers one call.
//
// The answer is written in place into `out()`, then `reply(status)` is called
// exactly once; on a non-OK status whatever was written is ignored. The
// caller owns `*out()` and keeps it alive until the reply: in the server it is
// the gRPC call's response, allocated on the call's protobuf arena
// (server/unary_service.h), so building a page of 50 customers and freeing
// it afterwards are a few pointer bumps, not hundreds of malloc/free pairs.
// A manager must therefore never build a response elsewhere and move it in:
// moving a heap message into an arena message is a deep copy.
//
// "Exactly once" is enforced in every build type, not by assert() (CI builds
// with NDEBUG): a Reply is move-only; answering twice, answering through a
// moved-from Reply, or dropping a Reply unanswered is logged, counted in
// ReplyMisuseCount(), and a dropped Reply answers INTERNAL so the call never
// hangs. Tests install SetReplyMisuseHookForTesting to fail on misuse.
#ifndef RETAIL_COMMON_REPLY_H_
#define RETAIL_COMMON_REPLY_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace retail {

// Process-wide count of Reply misuse (double, dangling or missing answers).
int64_t ReplyMisuseCount();
// Called (after logging) on every misuse with a description; tests use it to
// fail. Pass nullptr to remove. Not thread-safe against concurrent misuse;
// install it before starting calls.
void SetReplyMisuseHookForTesting(std::function<void(absl::string_view)> hook);

namespace reply_internal {
void ReportMisuse(absl::string_view what);
}  // namespace reply_internal

template <typename T>
class Reply {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;

  Reply(T* out, Done done) : out_(out), done_(std::move(done)) {}
  Reply(Reply&& other) noexcept
      : out_(other.out_), done_(std::move(other.done_)) {
    other.done_ = nullptr;
  }
  Reply& operator=(Reply&& other) noexcept {
    if (this != &other) {
      DropUnanswered();
      out_ = other.out_;
      done_ = std::move(other.done_);
      other.done_ = nullptr;
    }
    return *this;
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() { DropUnanswered(); }

  T* out() const { return out_; }

  // Answers the call. A second answer is ignored (and reported).
  void operator()(absl::Status status) {
    if (!done_) {
      reply_internal::ReportMisuse(
          "a call was answered twice (or through a moved-from Reply)");
      return;
    }
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(status));
  }

 private:
  void DropUnanswered() {
    if (!done_) return;
    reply_internal::ReportMisuse("a call was never answered");
    (*this)(absl::InternalError("the server did not answer this call"));
  }

  T* out_;
  Done done_;
};

}  // namespace retail

#endif  // RETAIL_COMMON_REPLY_H_
