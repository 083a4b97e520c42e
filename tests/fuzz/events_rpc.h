// What the bytes of a fuzz_events input mean, shared by the fuzz target and
// the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_EVENTS_RPC_H_
#define RETAIL_TESTS_FUZZ_EVENTS_RPC_H_

#include <cstdint>

namespace retail::fuzz::events {

// Byte 0 of a call picks one (mod kRpcCount). Both are reads: an input never
// changes the feed (fuzz_events.cc says why), so every input sees the feed
// the target seeded. Append new entries at the end so saved inputs keep
// their meaning.
enum Rpc : uint8_t {
  kListEvents,
  kWatchEvents,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "retail.events.v1.EventService/ListEvents",
    "retail.events.v1.EventService/WatchEvents",
};

// The id slot (byte 1, bits 4-7; harness.h) replaces after_sequence with a
// sequence of the seeded feed, so that calls start where events are:
enum StartSlot : int {
  kStartZero = 0,     // 0: from the oldest retained event
  kStartHead = 1,     // the newest sequence: nothing after it yet
  kStartBeyond = 2,   // one past the newest: OUT_OF_RANGE
  kStartErasure = 3,  // just before the erasure, which rewrote stored states
  // 4..14: the sequence of the ((slot - 4) * n / 11)-th seeded event.
  kStartFirstEvent = 4,
};

// A ListEvents page_token of exactly this text is replaced by the last
// next_page_token the same caller got earlier in the same input.
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz::events

#endif  // RETAIL_TESTS_FUZZ_EVENTS_RPC_H_
