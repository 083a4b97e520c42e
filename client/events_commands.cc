#include "client/events_commands.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <grpc/support/time.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "client/display_zone.h"
#include "client/feedback_commands.h"
#include "client/field_format.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/rpc.h"
#include "client/text_table.h"
#include "retail/events/v1/events.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::events::v1;
using Stub = v1::EventService::Stub;

// ---- Shared by list and watch -----------------------------------------------

// "type.googleapis.com/retail.customers.v1.Customer" ->
// "retail.customers.v1.Customer"; "" for an unset state.
std::string StateType(const v1::Event& e) {
  if (!e.has_state()) return "";
  const std::string& url = e.state().type_url();
  return url.substr(url.rfind('/') + 1);
}

const std::vector<std::string>& Header() {
  static const auto* const kHeader = new std::vector<std::string>{
      "Seq 序号",    "Time 时间", "Resource 对象",  "Type 类型",
      "Event 事件",  "Rev 版本",  "Principal 身份", "Staff 员工",
      "Branch 门店", "State 状态"};
  return *kHeader;
}

// One table row, in the columns of Header().
std::vector<std::string> EventCells(const v1::Event& e,
                                    const absl::TimeZone& zone) {
  auto dash = [](const std::string& s) { return s.empty() ? "-" : s; };
  return {absl::StrCat(e.sequence()),
          e.has_create_time()
              ? FormatTimestamp(FromTimestamp(e.create_time()), zone)
              : "-",
          dash(e.resource()),
          dash(e.resource_type()),
          dash(e.event_type()),
          absl::StrCat(e.revision()),
          dash(e.principal()),
          dash(e.staff_id()),
          dash(e.branch_id()),
          dash(StateType(e))};
}

// Protobuf JSON of an Any needs its type in the generated pool. The server
// may have resource types newer than this client: rather than lose the
// whole answer, such a state is dropped (with a note, once) and the rest
// prints.
bool HasUnknownState(const v1::Event& e) {
  return e.has_state() &&
         google::protobuf::DescriptorPool::generated_pool()
                 ->FindMessageTypeByName(StateType(e)) == nullptr;
}

void DropUnknownState(v1::Event* e) {
  if (!HasUnknownState(*e)) return;
  static bool warned = false;
  if (!warned) {
    warned = true;
    std::cerr << "note: this retailctl does not know the state type "
              << StateType(*e) << "; such states are left out of the JSON\n";
  }
  e->clear_state();
}

// One event as protobuf JSON on one line (JSON Lines), for `watch -o json`.
std::string EventJsonLine(const v1::Event& event) {
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  v1::Event copy;  // only when the state has to go
  const v1::Event* e = &event;
  if (HasUnknownState(event)) {
    copy = event;
    DropUnknownState(&copy);
    e = &copy;
  }
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(*e, &json, json_options);
  if (!status.ok()) {
    // Only a malformed state payload gets here; keep the line parseable.
    copy = event;
    copy.clear_state();
    json.clear();
    (void)google::protobuf::util::MessageToJsonString(copy, &json,
                                                      json_options);
    std::cerr << "note: event " << event.sequence()
              << ": state left out: " << status.ToString() << '\n';
  }
  return json;
}

// ---- list ------------------------------------------------------------------

void PrintEventList(const GlobalOptions& options,
                    const v1::ListEventsResponse& r) {
  if (r.events().empty()) {
    std::cout << "(no results)\n";
  } else {
    const absl::TimeZone zone = DisplayTimeZone(options);
    std::vector<std::vector<std::string>> rows = {Header()};
    for (const v1::Event& e : r.events()) rows.push_back(EventCells(e, zone));
    WriteAligned(rows, std::cout);
  }
  if (!r.next_page_token().empty()) {
    std::cout << "\nmore results: repeat with --page-token "
              << r.next_page_token() << '\n';
  }
}

void AddTypeFilters(CLI::App* cmd, std::vector<std::string>* types,
                    std::vector<std::string>* event_types) {
  AddListOption(cmd, "--type", types,
                "Only these resource types (repeat or comma-separate): "
                "customer, order, return, complaint, sla_policy, calendar, "
                "feedback, survey, survey_response, follow_up");
  AddListOption(cmd, "--event-type", event_types,
                "Only these event types (repeat or comma-separate), e.g. "
                "CREATED, UPDATED, PAID, ERASED");
}

void AddList(CLI::App& events, const GlobalOptions& options) {
  struct Flags {
    int64_t after = 0;
    std::vector<std::string> types, event_types;
    int page_size = 0;
    std::string page_token;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = events.add_subcommand(
      "list",
      "The change feed (变更记录), oldest first: one event per change of any "
      "resource, with its state at that revision (masked for your role). "
      "Prints \"progress_sequence: N\" on stderr: poll again with --after "
      "N to get only what changed since.");
  cmd->add_option("--after", flags->after,
                  "Only events after this sequence, e.g. the "
                  "progress_sequence of the previous run (default: 0, from "
                  "the oldest kept)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  AddTypeFilters(cmd, &flags->types, &flags->event_types);
  cmd->add_option("--page-size", flags->page_size,
                  "Events per page, 1..1000 (default: 100)")
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  cmd->add_option("--page-token", flags->page_token,
                  "Continue a listing: the token printed by the previous "
                  "page (with the same --after and filters)")
      ->type_name("T");
  AddAllPagesFlag(cmd, &flags->all);
  AddExample(cmd,
             "  retailctl events list --type customer --event-type CREATED\n"
             "  retailctl events list --after 1200 --all -o json\n"
             "  retailctl events list --type order,return --page-size 20\n");
  cmd->callback([&options, flags] {
    v1::ListEventsRequest request;
    request.set_after_sequence(flags->after);
    for (const std::string& t : NonEmpty(flags->types)) {
      request.add_resource_types(t);
    }
    for (const std::string& t : NonEmpty(flags->event_types)) {
      request.add_event_types(t);
    }
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = v1::EventService::NewStub(MakeChannel(options));
    v1::ListEventsResponse result;
    // As for audit list: a page may be short, even empty, with a token, so
    // --all is bounded by calls and time; past either it says so.
    constexpr int kMaxCalls = 100'000;
    const absl::Time give_up = absl::Now() + absl::Minutes(30);
    int calls = 0;
    do {
      auto page = Call(options, *stub, &Stub::ListEvents, request);
      ++calls;
      result.mutable_events()->MergeFrom(page.events());
      result.set_next_page_token(page.next_page_token());
      result.set_progress_sequence(
          std::max(result.progress_sequence(), page.progress_sequence()));
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty() && calls < kMaxCalls &&
             absl::Now() < give_up);
    if (flags->all && !request.page_token().empty()) {
      std::cerr << "stopped after " << calls
                << " pages; continue with --page-token\n";
    }
    if (options.output == OutputFormat::kJson) {
      for (v1::Event& e : *result.mutable_events()) DropUnknownState(&e);
    }
    Emit(options, result, [&] { PrintEventList(options, result); });
    std::cout << std::flush;
    std::cerr << "progress_sequence: " << result.progress_sequence() << '\n';
  });
}

// ---- watch -----------------------------------------------------------------

// The resume point of a running watch, for the Ctrl-C handler; -1: none yet.
std::atomic<int64_t> g_watch_progress{-1};
static_assert(std::atomic<int64_t>::is_always_lock_free);

// SIGINT/SIGTERM during a watch: say where to resume, then die of the
// signal as usual. Only async-signal-safe calls (write, signal, raise).
extern "C" void OnWatchSignal(int sig) {
  const int64_t progress = g_watch_progress.load(std::memory_order_relaxed);
  if (progress >= 0) {
    char digits[24];
    int n = 0;
    int64_t v = progress;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    char line[64] = "\nprogress_sequence: ";
    int len = sizeof("\nprogress_sequence: ") - 1;
    while (n > 0) line[len++] = digits[--n];
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Cells padded to these widths, so that rows printed one at a time, as
// events arrive, still mostly line up. Longer cells push the row right.
constexpr int kWatchWidths[] = {8, 26, 42, 15, 15, 8, 14, 10, 11, 0};

void PrintWatchRow(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 == cells.size()) break;
    const int width = i < std::size(kWatchWidths) ? kWatchWidths[i] : 0;
    const int pad = std::max(width - DisplayWidth(cells[i]), 0) + 2;
    line.append(pad, ' ');
  }
  std::cout << line << '\n';
}

void AddWatch(CLI::App& events, const GlobalOptions& options) {
  struct Flags {
    int64_t after = 0;
    bool from_now = false, from_oldest = false;
    std::vector<std::string> types, event_types;
    int count = 0;
    double for_seconds = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = events.add_subcommand(
      "watch",
      "Follow the change feed (实时变更): prints each event as it commits, "
      "until --count events, --for seconds, or Ctrl-C. On stop prints "
      "\"progress_sequence: N\" on stderr: resume with --after N to miss "
      "nothing and see nothing twice. --timeout does not apply (the stream "
      "stays open); use --for to bound it.");
  CLI::Option* after =
      cmd->add_option("--after", flags->after,
                      "Start after this sequence: the progress_sequence of "
                      "an earlier run (default: from the oldest kept)")
          ->check(CLI::NonNegativeNumber)
          ->type_name("N");
  CLI::Option* now =
      cmd->add_flag("--from-now", flags->from_now,
                    "Only changes committed after the watch starts");
  CLI::Option* oldest = cmd->add_flag(
      "--from-oldest", flags->from_oldest,
      "From the oldest event retention still keeps (the default)");
  after->excludes(now)->excludes(oldest);
  now->excludes(oldest);
  AddTypeFilters(cmd, &flags->types, &flags->event_types);
  cmd->add_option("--count", flags->count, "Stop after N events")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->type_name("N");
  cmd->add_option("--for", flags->for_seconds,
                  "Stop after this many seconds (exit status 0)")
      ->check(CLI::Range(0.001, 366.0 * 86400))
      ->type_name("SECONDS");
  AddExample(cmd,
             "  retailctl events watch --from-now --type complaint\n"
             "  retailctl events watch --after 1200 --count 50 -o json\n"
             "  retailctl events watch --from-oldest --for 60 "
             "--event-type CREATED\n");
  cmd->callback([&options, flags] {
    v1::WatchEventsRequest request;
    request.set_after_sequence(flags->after);
    if (flags->from_now) request.set_start(v1::START_POSITION_NOW);
    if (flags->from_oldest) request.set_start(v1::START_POSITION_OLDEST);
    for (const std::string& t : NonEmpty(flags->types)) {
      request.add_resource_types(t);
    }
    for (const std::string& t : NonEmpty(flags->event_types)) {
      request.add_event_types(t);
    }
    const bool json = options.output == OutputFormat::kJson;
    // Looked up before the stream opens, so that the first event prints
    // without a round trip in between.
    const absl::TimeZone zone =
        json ? absl::UTCTimeZone() : DisplayTimeZone(options);

    auto stub = v1::EventService::NewStub(MakeChannel(options));
    std::unique_ptr<grpc::ClientContext> context = MakeContext(options);
    // MakeContext() sets the per-call --timeout; a watch is open-ended, so
    // it runs until --for, or has no deadline at all.
    const bool bounded = flags->for_seconds > 0;
    if (bounded) {
      context->set_deadline(
          std::chrono::system_clock::now() +
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::duration<double>(flags->for_seconds)));
    } else {
      context->set_deadline(gpr_inf_future(GPR_CLOCK_REALTIME));
    }

    // The resume point: the last progress_sequence or printed event.
    std::optional<int64_t> progress;
    if (flags->after > 0) progress = flags->after;
    auto set_progress = [&](int64_t p) {
      if (progress && *progress >= p) return;
      progress = p;
      g_watch_progress.store(p, std::memory_order_relaxed);
    };
    auto print_progress = [&] {
      std::cout << std::flush;
      if (progress) std::cerr << "progress_sequence: " << *progress << '\n';
    };
    if (progress) g_watch_progress.store(*progress);
    auto old_int = std::signal(SIGINT, OnWatchSignal);
    auto old_term = std::signal(SIGTERM, OnWatchSignal);
    struct RestoreSignals {
      decltype(old_int) int_handler, term_handler;
      ~RestoreSignals() {
        std::signal(SIGINT, int_handler);
        std::signal(SIGTERM, term_handler);
        g_watch_progress.store(-1);
      }
    } restore{old_int, old_term};

    std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader =
        stub->WatchEvents(context.get(), request);
    v1::WatchEventsResponse message;
    int printed = 0;
    bool header_printed = false;
    bool done = false;
    while (!done && reader->Read(&message)) {
      for (const v1::Event& e : message.events()) {
        if (json) {
          std::cout << EventJsonLine(e) << '\n';
        } else {
          if (!header_printed) {
            PrintWatchRow(Header());
            header_printed = true;
          }
          PrintWatchRow(EventCells(e, zone));
        }
        std::cout << std::flush;
        if (!std::cout) {
          context->TryCancel();
          reader->Finish().IgnoreError();
          print_progress();
          std::cerr << "error: cannot write to stdout\n";
          throw CLI::RuntimeError(kExitFailure);
        }
        set_progress(e.sequence());
        if (flags->count > 0 && ++printed >= flags->count) {
          done = true;
          break;
        }
      }
      // Only once the whole message is printed: with --count, events of
      // it may be left over, and resuming after it would skip them.
      if (!done) set_progress(message.progress_sequence());
      message.Clear();
    }
    if (done) context->TryCancel();
    const grpc::Status status = reader->Finish();
    const bool stopped =
        done ||
        (bounded && status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
    print_progress();
    if (!stopped && !status.ok()) FailRpc(options, status);
  });
}

}  // namespace

void AddEventsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* events = app.add_subcommand(
      "events",
      "The change feed (变更流): every change of every resource, in commit "
      "order, to poll (list) or follow (watch).");
  events->require_subcommand(1);
  AddList(*events, options);
  AddWatch(*events, options);
}

}  // namespace retail::cli
