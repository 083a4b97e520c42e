// Writes the seed corpus of fuzz_events: ListEvents and WatchEvents from
// each kind of start (events_rpc.h slots), with filters, paging, each caller,
// every kind of bad request, encoded as fuzz inputs (harness.h). The output
// is checked in under tests/fuzz/corpus/events/; regenerate it after
// changing events.proto or the input layout:
//
//   build-fuzz/bin/fuzz_events_seeds tests/fuzz/corpus/events
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "retail/events/v1/events.pb.h"
#include "tests/fuzz/events_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::events {
namespace {

namespace v1 = ::retail::events::v1;

constexpr int kNoSlot = -1;

struct Seed {
  std::string name;
  std::string bytes;
};

std::string Call(Rpc rpc, Caller caller, int slot,
                 const google::protobuf::Message& request) {
  return EncodeInput(rpc, caller, /*fresh_request_id=*/false, slot,
                     request.SerializeAsString());
}

v1::ListEventsRequest List(int page_size,
                           std::initializer_list<const char*> resource_types,
                           std::initializer_list<const char*> event_types) {
  v1::ListEventsRequest r;
  r.set_page_size(page_size);
  for (const char* t : resource_types) r.add_resource_types(t);
  for (const char* t : event_types) r.add_event_types(t);
  return r;
}

v1::WatchEventsRequest Watch(v1::StartPosition start,
                             std::initializer_list<const char*> resource_types,
                             std::initializer_list<const char*> event_types) {
  v1::WatchEventsRequest r;
  r.set_start(start);
  for (const char* t : resource_types) r.add_resource_types(t);
  for (const char* t : event_types) r.add_event_types(t);
  return r;
}

std::vector<Seed> EventSeeds() {
  std::vector<Seed> seeds;
  const auto one = [&](std::string name, Rpc rpc, Caller caller, int slot,
                       const google::protobuf::Message& req) {
    seeds.push_back({std::move(name), Call(rpc, caller, slot, req)});
  };
  const auto sequence = [&](std::string name,
                            const std::vector<std::string>& calls) {
    seeds.push_back({std::move(name), JoinCalls(calls)});
  };

  // ListEvents: the whole feed as each caller.
  const v1::ListEventsRequest all = List(0, {}, {});
  one("list_admin", kListEvents, Caller::kAdmin, kNoSlot, all);
  one("list_agent", kListEvents, Caller::kAgent, kNoSlot, all);
  one("list_branch_b001", kListEvents, Caller::kBranchB001, kNoSlot, all);
  one("list_branch_b002", kListEvents, Caller::kBranchB002, kNoSlot, all);
  one("list_auditor", kListEvents, Caller::kAuditor, kNoSlot, all);
  one("list_service", kListEvents, Caller::kService, kNoSlot, all);
  one("list_unknown_token", kListEvents, Caller::kUnknownToken, kNoSlot, all);
  one("list_no_token", kListEvents, Caller::kNoToken, kNoSlot, all);
  // From each kind of start.
  one("list_after_head", kListEvents, Caller::kAgent, kStartHead, all);
  one("list_after_beyond", kListEvents, Caller::kAdmin, kStartBeyond, all);
  one("list_after_erasure", kListEvents, Caller::kBranchB001, kStartErasure,
      all);
  one("list_after_event", kListEvents, Caller::kAuditor, kStartFirstEvent + 5,
      all);
  // Filters.
  one("list_customers", kListEvents, Caller::kAgent, kNoSlot,
      List(0, {"customer"}, {}));
  one("list_orders_paid", kListEvents, Caller::kBranchB002, kNoSlot,
      List(0, {"order"}, {"PAID"}));
  one("list_created_erased", kListEvents, Caller::kAdmin, kNoSlot,
      List(0, {}, {"CREATED", "ERASED"}));
  one("list_no_match", kListEvents, Caller::kAdmin, kNoSlot,
      List(0, {"complaint", "survey"}, {}));
  // Paging: pages of two, each from the token of the one before.
  {
    v1::ListEventsRequest first = List(2, {}, {});
    v1::ListEventsRequest next = first;
    next.set_page_token(kLastPageToken);
    sequence("list_pages_admin",
             {Call(kListEvents, Caller::kAdmin, kNoSlot, first),
              Call(kListEvents, Caller::kAdmin, kNoSlot, next),
              Call(kListEvents, Caller::kAdmin, kNoSlot, next),
              Call(kListEvents, Caller::kAdmin, kNoSlot, next)});
    sequence("list_pages_branch",
             {Call(kListEvents, Caller::kBranchB001, kStartFirstEvent, first),
              Call(kListEvents, Caller::kBranchB001, kStartFirstEvent, next),
              Call(kListEvents, Caller::kBranchB001, kStartFirstEvent, next)});
    v1::ListEventsRequest filtered = List(1, {"order"}, {});
    v1::ListEventsRequest filtered_next = filtered;
    filtered_next.set_page_token(kLastPageToken);
    sequence("list_pages_filtered",
             {Call(kListEvents, Caller::kAuditor, kNoSlot, filtered),
              Call(kListEvents, Caller::kAuditor, kNoSlot, filtered_next),
              Call(kListEvents, Caller::kAuditor, kNoSlot, filtered_next)});
    // A token used with another filter, or by another caller.
    v1::ListEventsRequest changed = next;
    changed.add_resource_types("customer");
    sequence("list_token_filter_changed",
             {Call(kListEvents, Caller::kAgent, kNoSlot, first),
              Call(kListEvents, Caller::kAgent, kNoSlot, changed)});
    sequence("list_token_other_caller",
             {Call(kListEvents, Caller::kAgent, kNoSlot, first),
              Call(kListEvents, Caller::kBranchB002, kNoSlot, next)});
  }
  // Bad requests.
  {
    v1::ListEventsRequest r = all;
    r.set_after_sequence(-1);
    one("list_bad_after", kListEvents, Caller::kAdmin, kNoSlot, r);
    r = List(-5, {}, {});
    one("list_bad_page_size", kListEvents, Caller::kAgent, kNoSlot, r);
    one("list_big_page_size", kListEvents, Caller::kAgent, kNoSlot,
        List(5000, {}, {}));
    one("list_bad_resource_type", kListEvents, Caller::kAdmin, kNoSlot,
        List(0, {"customers"}, {}));
    one("list_bad_event_type", kListEvents, Caller::kAdmin, kNoSlot,
        List(0, {}, {"created"}));
    r = all;
    for (int i = 0; i < 21; ++i) r.add_event_types("CREATED");
    one("list_too_many_event_types", kListEvents, Caller::kAdmin, kNoSlot, r);
    r = all;
    r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
    one("list_bad_token", kListEvents, Caller::kAuditor, kNoSlot, r);
  }

  // WatchEvents: each start, each caller.
  const v1::WatchEventsRequest oldest =
      Watch(v1::START_POSITION_UNSPECIFIED, {}, {});
  one("watch_admin", kWatchEvents, Caller::kAdmin, kNoSlot, oldest);
  one("watch_agent", kWatchEvents, Caller::kAgent, kNoSlot, oldest);
  one("watch_branch_b001", kWatchEvents, Caller::kBranchB001, kNoSlot, oldest);
  one("watch_branch_b002", kWatchEvents, Caller::kBranchB002, kNoSlot, oldest);
  one("watch_auditor", kWatchEvents, Caller::kAuditor, kNoSlot, oldest);
  one("watch_service", kWatchEvents, Caller::kService, kNoSlot, oldest);
  one("watch_no_token", kWatchEvents, Caller::kNoToken, kNoSlot, oldest);
  one("watch_oldest", kWatchEvents, Caller::kAgent, kNoSlot,
      Watch(v1::START_POSITION_OLDEST, {}, {}));
  one("watch_now", kWatchEvents, Caller::kBranchB001, kNoSlot,
      Watch(v1::START_POSITION_NOW, {}, {}));
  one("watch_after_event", kWatchEvents, Caller::kAuditor, kStartFirstEvent + 3,
      oldest);
  one("watch_after_erasure_admin", kWatchEvents, Caller::kAdmin, kStartErasure,
      oldest);
  one("watch_after_erasure_branch", kWatchEvents, Caller::kBranchB002,
      kStartErasure, oldest);
  one("watch_before_erasure_branch", kWatchEvents, Caller::kBranchB001,
      kStartFirstEvent + 2, oldest);
  one("watch_after_head", kWatchEvents, Caller::kAgent, kStartHead, oldest);
  one("watch_after_beyond", kWatchEvents, Caller::kAgent, kStartBeyond, oldest);
  one("watch_customers", kWatchEvents, Caller::kAuditor, kNoSlot,
      Watch(v1::START_POSITION_OLDEST, {"customer"}, {"UPDATED", "ERASED"}));
  one("watch_orders_branch", kWatchEvents, Caller::kBranchB002, kNoSlot,
      Watch(v1::START_POSITION_UNSPECIFIED, {"order"}, {}));
  // Bad requests.
  {
    v1::WatchEventsRequest r = Watch(v1::START_POSITION_NOW, {}, {});
    one("watch_bad_both", kWatchEvents, Caller::kAdmin, kStartFirstEvent, r);
    r = oldest;
    r.set_after_sequence(-7);
    one("watch_bad_after", kWatchEvents, Caller::kAdmin, kNoSlot, r);
    r = oldest;
    r.set_start(static_cast<v1::StartPosition>(9));
    one("watch_bad_start", kWatchEvents, Caller::kAgent, kNoSlot, r);
    one("watch_bad_types", kWatchEvents, Caller::kAgent, kNoSlot,
        Watch(v1::START_POSITION_UNSPECIFIED, {"Order"}, {"PAID!"}));
  }
  // A list and a watch, then the list's next page, in one input.
  {
    v1::ListEventsRequest first = List(3, {}, {});
    v1::ListEventsRequest next = first;
    next.set_page_token(kLastPageToken);
    sequence("list_watch_list",
             {Call(kListEvents, Caller::kAgent, kNoSlot, first),
              Call(kWatchEvents, Caller::kAgent, kStartErasure, oldest),
              Call(kListEvents, Caller::kAgent, kNoSlot, next)});
  }

  // Bytes that are no valid request.
  seeds.push_back({"malformed_list_utf8",
                   EncodeInput(kListEvents, Caller::kAgent, false, kNoSlot,
                               std::string("\x12\x02\xff\xfe", 4))});
  seeds.push_back({"malformed_watch_truncated",
                   EncodeInput(kWatchEvents, Caller::kBranchB001, false,
                               kNoSlot, std::string("\x1a\x10\x63", 3))});
  return seeds;
}

}  // namespace
}  // namespace retail::fuzz::events

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::events::EventSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
