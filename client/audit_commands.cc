#include "client/audit_commands.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
#include "retail/audit/v1/audit.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::audit::v1;
using Stub = v1::AuditService::Stub;

// The words an audit row's outcome can hold, as the server checks them.
const std::vector<std::string>& OutcomeWords() {
  static const auto* const kWords =
      new std::vector<std::string>{"OK",
                                   "REPLAYED",
                                   "REVEAL",
                                   "CANCELLED",
                                   "UNKNOWN",
                                   "INVALID_ARGUMENT",
                                   "DEADLINE_EXCEEDED",
                                   "NOT_FOUND",
                                   "ALREADY_EXISTS",
                                   "PERMISSION_DENIED",
                                   "RESOURCE_EXHAUSTED",
                                   "FAILED_PRECONDITION",
                                   "ABORTED",
                                   "OUT_OF_RANGE",
                                   "UNIMPLEMENTED",
                                   "INTERNAL",
                                   "UNAVAILABLE",
                                   "DATA_LOSS",
                                   "UNAUTHENTICATED"};
  return *kWords;
}

// Upper-cases each --outcome value and refuses words no row can hold, so a
// typo is a usage error naming the flag rather than a round trip.
CLI::Validator OutcomeValidator() {
  return CLI::Validator(
      [](std::string& word) -> std::string {
        word = absl::AsciiStrToUpper(word);
        for (const std::string& known : OutcomeWords()) {
          if (word == known) return "";
        }
        return "'" + word +
               "' is not an outcome: " + absl::StrJoin(OutcomeWords(), ", ");
      },
      "OUTCOME");
}

// "retail.orders.v1.OrderService/PayOrder" -> "OrderService/PayOrder": the
// package is the same on almost every row and would take a third of a line.
std::string ShortMethod(const std::string& method) {
  const size_t slash = method.find('/');
  const size_t dot = method.rfind('.', slash);
  if (dot == std::string::npos) return method;
  return method.substr(dot + 1);
}

void PrintAuditList(const GlobalOptions& options,
                    const v1::ListAuditLogResponse& r) {
  if (r.entries().empty()) {
    std::cout << "(no results)\n";
  } else {
    const absl::TimeZone zone = DisplayTimeZone(options);
    std::vector<std::vector<std::string>> rows = {
        {"Time 时间", "Principal 身份", "Role 角色", "Staff 员工",
         "Method 操作", "Resource 对象", "Outcome 结果", "Count 次数",
         "Detail 详情"}};
    for (const v1::AuditEntry& e : r.entries()) {
      rows.push_back(
          {e.has_create_time()
               ? FormatTimestamp(FromTimestamp(e.create_time()), zone)
               : "-",
           e.principal(), e.role(), e.staff_id().empty() ? "-" : e.staff_id(),
           ShortMethod(e.method()), e.resource().empty() ? "-" : e.resource(),
           e.outcome(), absl::StrCat(e.count()),
           e.detail().empty() ? "" : Clip(e.detail(), 60)});
    }
    WriteAligned(rows, std::cout);
  }
  if (!r.next_page_token().empty()) {
    std::cout << "\nmore results: repeat with --page-token "
              << r.next_page_token() << '\n';
  }
}

void AddList(CLI::App& audit, const GlobalOptions& options) {
  struct Flags {
    std::string principal, method, resource, since, until, page_token;
    std::vector<std::string> outcomes;
    int page_size = 0;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = audit.add_subcommand(
      "list",
      "Who did what (审计日志), newest first: every change and its failures, "
      "replayed retries, reveals of personal data, denied and "
      "unauthenticated calls. Every filter narrows the list. Auditors and "
      "admins only.");
  cmd->add_option("--principal", flags->principal,
                  "Only this principal id (the token's holder), e.g. "
                  "agent-li; (unauthenticated) for calls without a valid "
                  "token");
  cmd->add_option("--method", flags->method,
                  "Only this method (retail.orders.v1.OrderService/PayOrder) "
                  "or every method of this service "
                  "(retail.orders.v1.OrderService)");
  cmd->add_option("--resource", flags->resource,
                  "Only this resource, e.g. customers/cus_01H...");
  AddListOption(cmd, "--outcome", &flags->outcomes,
                "Only these outcomes (repeat or comma-separate): OK, "
                "REPLAYED, REVEAL, or a status code such as "
                "PERMISSION_DENIED, UNAUTHENTICATED")
      ->check(OutcomeValidator());
  cmd->add_option("--since", flags->since,
                  "Only recorded at or after: a date (its start, in the "
                  "chain's time zone), \"YYYY-MM-DD HH:MM\", an RFC 3339 "
                  "time, or now")
      ->check(TimeFlagValidator(false));
  cmd->add_option("--until", flags->until,
                  "Only recorded before: a date (to its end, so --since "
                  "2026-11-01 --until 2026-11-30 is all of November), "
                  "\"YYYY-MM-DD HH:MM\", an RFC 3339 time, or now")
      ->check(TimeFlagValidator(false));
  cmd->add_option("--page-size", flags->page_size,
                  "Results per page, 1..1000 (default: 100)")
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  cmd->add_option("--page-token", flags->page_token,
                  "Continue a listing: the token printed by the previous "
                  "page (with the same filters)")
      ->type_name("T");
  AddAllPagesFlag(cmd, &flags->all);
  AddExample(cmd,
             "  retailctl audit list --outcome REVEAL --since 2026-11-01\n"
             "  retailctl audit list --principal agent-li --method "
             "retail.customers.v1.CustomerService --all\n"
             "  retailctl audit list --outcome PERMISSION_DENIED,"
             "UNAUTHENTICATED -o json\n"
             "  retailctl audit list --resource customers/cus_01H...\n");
  cmd->callback([&options, flags] {
    v1::ListAuditLogRequest request;
    request.set_principal(flags->principal);
    request.set_method(flags->method);
    request.set_resource(flags->resource);
    for (const std::string& o : NonEmpty(flags->outcomes)) {
      request.add_outcomes(o);
    }
    if (!flags->since.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->since, false),
                   request.mutable_start_time());
    }
    if (!flags->until.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->until, true),
                   request.mutable_end_time());
    }
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = v1::AuditService::NewStub(MakeChannel(options));
    v1::ListAuditLogResponse result;
    // A page may be short, even empty, with a token (the server reads a
    // bounded number of rows per call), so --all is bounded by calls and
    // time rather than by what it has found; past either it prints the
    // token to go on from.
    constexpr int kMaxCalls = 100'000;
    const absl::Time give_up = absl::Now() + absl::Minutes(30);
    int calls = 0;
    do {
      const auto page = Call(options, *stub, &Stub::ListAuditLog, request);
      ++calls;
      result.mutable_entries()->MergeFrom(page.entries());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty() && calls < kMaxCalls &&
             absl::Now() < give_up);
    if (flags->all && !request.page_token().empty()) {
      std::cerr << "stopped after " << calls
                << " pages; continue with --page-token\n";
    }
    Emit(options, result, [&] { PrintAuditList(options, result); });
  });
}

}  // namespace

void AddAuditCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "The audit log (审计): who did what, when, and with what outcome.");
  audit->require_subcommand(1);
  AddList(*audit, options);
}

}  // namespace retail::cli
