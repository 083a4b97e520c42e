#include "client/followups_commands.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/feedback_commands.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/request_id.h"
#include "client/rpc.h"
#include "client/text_table.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::feedback::v1;
using Stub = v1::FeedbackService::Stub;
using Rows = std::vector<std::vector<std::string>>;

const EnumNames<v1::FollowUpReason>& Reasons() {
  static const auto* names = new EnumNames<v1::FollowUpReason>(
      {{"after-purchase", v1::FOLLOW_UP_REASON_AFTER_PURCHASE},
       {"after-complaint", v1::FOLLOW_UP_REASON_AFTER_COMPLAINT},
       {"vip-care", v1::FOLLOW_UP_REASON_VIP_CARE},
       {"birthday", v1::FOLLOW_UP_REASON_BIRTHDAY}});
  return *names;
}
const EnumNames<v1::FollowUpStatus>& Statuses() {
  static const auto* names = new EnumNames<v1::FollowUpStatus>(
      {{"pending", v1::FOLLOW_UP_STATUS_PENDING},
       {"done", v1::FOLLOW_UP_STATUS_DONE}});
  return *names;
}
const EnumNames<v1::FollowUpOutcome>& Outcomes() {
  static const auto* names = new EnumNames<v1::FollowUpOutcome>(
      {{"reached", v1::FOLLOW_UP_OUTCOME_REACHED},
       {"unreachable", v1::FOLLOW_UP_OUTCOME_UNREACHABLE}});
  return *names;
}
const EnumNames<v1::RepurchaseIntent>& Intents() {
  static const auto* names = new EnumNames<v1::RepurchaseIntent>(
      {{"yes", v1::REPURCHASE_INTENT_YES},
       {"maybe", v1::REPURCHASE_INTENT_MAYBE},
       {"no", v1::REPURCHASE_INTENT_NO}});
  return *names;
}

// A span for a person, rounded down to its two largest units: "45s",
// "12m", "3h 20m", "1d 2h" (as the complaints commands show time left).
std::string SpanText(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(absl::AbsDuration(d));
  if (s < 60) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 60) return absl::StrCat(m, "m");
  int64_t h = m / 60;
  m %= 60;
  if (h < 24) {
    return m > 0 ? absl::StrCat(h, "h ", m, "m") : absl::StrCat(h, "h");
  }
  const int64_t days = h / 24;
  h %= 24;
  return h > 0 ? absl::StrCat(days, "d ", h, "h") : absl::StrCat(days, "d");
}

// "OVERDUE 1d 2h 已逾期" or "3h 20m left" for a pending follow-up; "" once
// done.
std::string DueMarker(const v1::FollowUp& f) {
  if (f.status() != v1::FOLLOW_UP_STATUS_PENDING || !f.has_due_time()) {
    return "";
  }
  const absl::Duration left = FromTimestamp(f.due_time()) - absl::Now();
  if (left < absl::ZeroDuration()) {
    return "OVERDUE " + SpanText(left) + " 已逾期";
  }
  return SpanText(left) + " left";
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

// One follow-up as "key  value" rows, leaving out what is not set yet.
void PrintFollowUp(const GlobalOptions& options, const v1::FollowUp& f) {
  Rows rows;
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) rows.push_back({key, value});
  };
  add("follow_up_id", f.follow_up_id());
  add("status", EnumText(f.status()));
  add("reason", EnumText(f.reason()));
  if (f.has_due_time()) {
    const std::string marker = DueMarker(f);
    add("due_time", TimestampText(options, f.due_time(), true) +
                        (marker.empty() ? "" : "  (" + marker + ")"));
  }
  add("customer_id", f.customer_id().empty() ? "(erased)" : f.customer_id());
  add("customer_name", f.customer_name());
  add("customer_phone", f.customer_phone());
  add("branch_id", f.branch_id());
  add("order_id", f.order_id());
  add("complaint_id", f.complaint_id());
  add("owner_id", f.owner_id());
  add("automatic", f.automatic() ? "yes (scheduled by the server)" : "no");
  if (f.outcome() != v1::FOLLOW_UP_OUTCOME_UNSPECIFIED) {
    add("outcome", EnumText(f.outcome()));
  }
  if (f.satisfaction() > 0) {
    add("satisfaction", absl::StrCat(f.satisfaction(), " of 5"));
  }
  if (f.repurchase_intent() != v1::REPURCHASE_INTENT_UNSPECIFIED) {
    add("repurchase_intent", EnumText(f.repurchase_intent()));
  }
  add("notes", f.notes());
  if (f.has_create_time()) {
    add("create_time", TimestampText(options, f.create_time(), true));
  }
  if (f.has_complete_time()) {
    add("complete_time", TimestampText(options, f.complete_time(), true));
  }
  WriteAligned(rows, std::cout);
}

void PrintFollowUpList(const GlobalOptions& options,
                       const v1::ListFollowUpsResponse& r) {
  if (r.follow_ups().empty()) {
    std::cout << "(no results)\n";
  } else {
    Rows rows = {{"follow_up_id", "due", "remaining", "customer", "phone",
                  "reason", "status", "automatic", "branch", "owner", "about"}};
    for (const v1::FollowUp& f : r.follow_ups()) {
      std::string status = EnumText(f.status());
      if (f.outcome() != v1::FOLLOW_UP_OUTCOME_UNSPECIFIED) {
        absl::StrAppend(&status, " (", EnumText(f.outcome()),
                        f.satisfaction() > 0
                            ? absl::StrCat(", ", f.satisfaction(), "/5")
                            : "",
                        ")");
      }
      std::string customer = f.customer_name();
      if (f.customer_id().empty()) {
        customer = "(erased)";
      } else if (customer.empty()) {
        customer = f.customer_id();
      }
      rows.push_back({f.follow_up_id(),
                      TimestampText(options, f.due_time(), f.has_due_time()),
                      OrDash(DueMarker(f)), customer,
                      OrDash(f.customer_phone()), EnumText(f.reason()), status,
                      f.automatic() ? "auto" : "manual", OrDash(f.branch_id()),
                      OrDash(f.owner_id()),
                      !f.complaint_id().empty() ? f.complaint_id()
                                                : OrDash(f.order_id())});
    }
    WriteAligned(rows, std::cout);
  }
  if (!r.next_page_token().empty()) {
    std::cout << "\nmore results: repeat with --page-token "
              << r.next_page_token() << '\n';
  }
}

void AddSchedule(CLI::App& followups, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id, reason, due, order_id, complaint_id, owner_id,
        request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = followups.add_subcommand(
      "schedule",
      "Schedule a follow-up visit (回访) to a customer. It belongs to the "
      "branch of the order or complaint it follows, else to the customer's "
      "home branch. (The server also schedules some by itself: after a "
      "complaint closes, after a VIP's purchase, on a VIP's birthday.)");
  cmd->add_option("--customer", flags->customer_id, "The customer to visit")
      ->check(IdValidator())
      ->required();
  cmd->add_option("--reason", flags->reason, "Why: " + Reasons().Help())
      ->check(Reasons().Check())
      ->required();
  cmd->add_option("--due", flags->due,
                  "When it is due: a local time \"YYYY-MM-DD HH:MM\" or a "
                  "date (its start) in the chain's time zone, an RFC 3339 "
                  "time, or a duration from now such as 3d")
      ->check(TimeFlagValidator(true))
      ->required();
  cmd->add_option("--order", flags->order_id,
                  "The order it follows (the customer's)")
      ->check(IdValidator());
  cmd->add_option("--complaint", flags->complaint_id,
                  "The complaint it follows (the customer's); not with --order")
      ->check(IdValidator())
      ->excludes("--order");
  cmd->add_option("--owner", flags->owner_id,
                  "The staff member who makes it (staff id, as --staff)")
      ->check(IdValidator());
  AddRequestIdOption(cmd, &flags->request_id);
  AddExample(cmd,
             "  retailctl followups schedule --customer CUSTOMER_ID --reason "
             "after-purchase \\\n"
             "      --due '2026-12-03 10:00' --order ORDER_ID --owner "
             "agent-zhang\n"
             "  retailctl followups schedule --customer CUSTOMER_ID --reason "
             "vip-care --due 3d\n");
  cmd->callback([&options, flags] {
    v1::ScheduleFollowUpRequest request;
    v1::FollowUp* f = request.mutable_follow_up();
    f->set_customer_id(flags->customer_id);
    f->set_reason(Reasons().Of(flags->reason));
    SetTimestamp(ResolveTimeFlag(options, flags->due, false),
                 f->mutable_due_time());
    f->set_order_id(flags->order_id);
    f->set_complaint_id(flags->complaint_id);
    f->set_owner_id(flags->owner_id);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response = Call(options, *NewFeedbackStub(options),
                               &Stub::ScheduleFollowUp, request);
    Emit(options, response,
         [&] { PrintFollowUp(options, response.follow_up()); });
  });
}

void AddList(CLI::App& followups, const GlobalOptions& options) {
  struct Flags {
    std::string due_from, due_to, status, branch_id, owner_id;
    bool reveal = false, all = false;
    int page_size = 0;
    std::string page_token;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = followups.add_subcommand(
      "list",
      "List follow-ups, earliest due first: due time (pending ones past it "
      "marked OVERDUE), the customer's name and phone (masked unless you "
      "may see them), reason, status and outcome, whether the server "
      "scheduled it, owner, and the order or complaint it follows.");
  cmd->add_option("--due-from", flags->due_from,
                  "Only due at or after: a date (its start, in the chain's "
                  "time zone), \"YYYY-MM-DD HH:MM\", an RFC 3339 time, now, "
                  "or a duration from now")
      ->check(TimeFlagValidator(true));
  cmd->add_option("--due-to", flags->due_to,
                  "Only due before: a date (to its end), \"YYYY-MM-DD "
                  "HH:MM\", an RFC 3339 time, now (what is overdue), or a "
                  "duration from now (1d: due within a day). now and "
                  "durations differ from run to run: to page by hand with "
                  "--page-token use fixed times, or use --all")
      ->check(TimeFlagValidator(true));
  cmd->add_option("--status", flags->status,
                  "Only this status: " + Statuses().Help())
      ->check(Statuses().Check());
  cmd->add_option("--branch", flags->branch_id, "Only this branch's")
      ->check(IdValidator());
  cmd->add_option("--owner", flags->owner_id, "Only this owner's (staff id)")
      ->check(IdValidator());
  cmd->add_flag("--reveal,--reveal-pii", flags->reveal,
                "Show the customers' names and phones unmasked (agents; "
                "every reveal is audited)");
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddAllPagesFlag(cmd, &flags->all);
  AddExample(cmd,
             "  retailctl followups list --status pending --due-to now      "
             "# what is overdue\n"
             "  retailctl followups list --branch B001 --due-from 2026-12-01 "
             "--due-to 2026-12-07 --all\n");
  cmd->callback([&options, flags] {
    v1::ListFollowUpsRequest request;
    if (!flags->due_from.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->due_from, false),
                   request.mutable_due_start());
    }
    if (!flags->due_to.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->due_to, true),
                   request.mutable_due_end());
    }
    if (!flags->status.empty()) {
      request.set_status(Statuses().Of(flags->status));
    }
    request.set_branch_id(flags->branch_id);
    request.set_owner_id(flags->owner_id);
    request.set_reveal_pii(flags->reveal);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = NewFeedbackStub(options);
    v1::ListFollowUpsResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListFollowUps, request);
      result.mutable_follow_ups()->MergeFrom(page.follow_ups());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] { PrintFollowUpList(options, result); });
  });
}

void AddComplete(CLI::App& followups, const GlobalOptions& options) {
  struct Flags {
    std::string follow_up_id, outcome, repurchase, notes, request_id;
    int satisfaction = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = followups.add_subcommand(
      "complete",
      "Record how a follow-up went (回访结果): the customer was reached "
      "(with their satisfaction and whether they mean to buy again) or "
      "could not be reached. A follow-up is completed once.");
  cmd->add_option("FOLLOW_UP_ID,--id", flags->follow_up_id,
                  "The id (fup_...) as schedule or list print it; as an "
                  "argument or --id")
      ->required()
      ->type_name("");
  cmd->add_option("--outcome", flags->outcome,
                  "What came of it: " + Outcomes().Help())
      ->check(Outcomes().Check())
      ->required();
  cmd->add_option("--satisfaction", flags->satisfaction,
                  "The customer's satisfaction, 1 (poor) to 5 (very good); "
                  "only when reached")
      ->check(CLI::Range(1, 5))
      ->type_name("1-5");
  cmd->add_option("--repurchase", flags->repurchase,
                  "Whether they mean to buy again: " + Intents().Help() +
                      "; only when reached")
      ->check(Intents().Check());
  cmd->add_option("--notes", flags->notes,
                  "What was said, at most 2000 characters");
  AddRequestIdOption(cmd, &flags->request_id);
  AddExample(cmd,
             "  retailctl followups complete fup_01JF3Q... --outcome reached "
             "--satisfaction 4 --repurchase yes \\\n"
             "      --notes '对换货处理满意'\n"
             "  retailctl followups complete --id fup_01JF3Q... --outcome "
             "unreachable --notes 'no answer twice'\n");
  cmd->callback([&options, flags] {
    const v1::FollowUpOutcome outcome = Outcomes().Of(flags->outcome);
    if (outcome != v1::FOLLOW_UP_OUTCOME_REACHED) {
      if (flags->satisfaction > 0) {
        throw CLI::ValidationError("--satisfaction",
                                   "only when the customer was reached");
      }
      if (!flags->repurchase.empty()) {
        throw CLI::ValidationError("--repurchase",
                                   "only when the customer was reached");
      }
    }
    v1::CompleteFollowUpRequest request;
    request.set_follow_up_id(flags->follow_up_id);
    request.set_outcome(outcome);
    request.set_satisfaction(flags->satisfaction);
    if (!flags->repurchase.empty()) {
      request.set_repurchase_intent(Intents().Of(flags->repurchase));
    }
    request.set_notes(flags->notes);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response = Call(options, *NewFeedbackStub(options),
                               &Stub::CompleteFollowUp, request);
    Emit(options, response,
         [&] { PrintFollowUp(options, response.follow_up()); });
  });
}

}  // namespace

void AddFollowUpsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* followups = app.add_subcommand(
      "followups",
      "Follow-up visits (回访): schedule, list what is due, record the "
      "outcome.");
  followups->require_subcommand(1);
  AddSchedule(*followups, options);
  AddList(*followups, options);
  AddComplete(*followups, options);
}

}  // namespace retail::cli
