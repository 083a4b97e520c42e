// A server-streaming answer, as a manager produces it without gRPC
// (server/unary_service.h drives it over a gRPC stream).
//
// The host pulls: it calls Next() whenever it may send (at the start and
// after each message has been written to the transport), so a source never
// queues more than one message for a slow client and never blocks a
// producer. When the source has nothing to send it answers kWait and later
// calls the `wake` it was started with (from any thread, any number of
// times); the host then calls Next() again.
#ifndef RETAIL_COMMON_STREAM_H_
#define RETAIL_COMMON_STREAM_H_

#include <functional>

#include "absl/status/status.h"

namespace retail {

template <typename Response>
class StreamSource {
 public:
  enum class Step { kMessage, kWait, kEnd };

  virtual ~StreamSource() = default;

  // Called once before the first Next(). `wake` stays valid until Cancel().
  virtual void Start(std::function<void()> wake) = 0;
  // kMessage: `*out` (empty on entry) is the next message. kWait: nothing
  // now; the source calls wake() when there may be. kEnd: the stream ends
  // with status().
  virtual Step Next(Response* out) = 0;
  virtual absl::Status status() const = 0;
  // The stream is over (client gone, or finished): stop calling wake. Called
  // once, from any thread; Next() is not called again.
  virtual void Cancel() = 0;
};

}  // namespace retail

#endif  // RETAIL_COMMON_STREAM_H_
