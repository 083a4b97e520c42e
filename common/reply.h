// How a manager answers one call.
//
// The answer is written in place into `out()`, then `reply(status)` is called
// exactly once; on a non-OK status whatever was written is ignored. The
// caller owns `*out()` and keeps it alive until the reply: in the server it is
// the gRPC call's response, allocated on the call's protobuf arena
// (server/arena_allocator.h), so building a page of 50 customers and freeing
// it afterwards are a few pointer bumps, not hundreds of malloc/free pairs.
// A manager must therefore never build a response elsewhere and move it in:
// moving a heap message into an arena message is a deep copy.
#ifndef RETAIL_COMMON_REPLY_H_
#define RETAIL_COMMON_REPLY_H_

#include <functional>
#include <utility>

#include "absl/status/status.h"

namespace retail {

template <typename T>
class Reply {
 public:
  Reply(T* out, std::function<void(absl::Status)> done)
      : out_(out), done_(std::move(done)) {}

  T* out() const { return out_; }
  void operator()(absl::Status status) const { done_(std::move(status)); }

 private:
  T* out_;
  std::function<void(absl::Status)> done_;
};

}  // namespace retail

#endif  // RETAIL_COMMON_REPLY_H_
