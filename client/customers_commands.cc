#include "client/customers_commands.h"

#include <array>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/confirm.h"
#include "client/connection.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/request_id.h"
#include "client/rpc.h"
#include "retail/customers/v1/customers.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::customers::v1;
using Stub = v1::CustomerService::Stub;

// What an agent scans a customer list for; the rest is one `get` away.
const std::vector<std::string> kCustomerColumns = {
    "customer_id", "branch_id", "display_name",  "phone",
    "email",       "tier",      "points_balance"};
const std::vector<std::string> kTransactionColumns = {
    "transaction_id", "create_time", "delta",
    "balance_after",  "reason",      "actor"};

std::unique_ptr<Stub> NewStub(const GlobalOptions& options) {
  return v1::CustomerService::NewStub(MakeChannel(options));
}

v1::Gender ParseGender(const std::string& text) {
  if (text == "female") return v1::GENDER_FEMALE;
  if (text == "male") return v1::GENDER_MALE;
  if (text == "other") return v1::GENDER_OTHER;
  return v1::GENDER_UNSPECIFIED;  // Unreachable: the flag is checked.
}

// A preference list flag and the Preferences field it replaces.
struct PreferenceList {
  const char* flag;
  const char* help;
  google::protobuf::RepeatedPtrField<std::string>* (v1::Preferences::*field)();
};
constexpr PreferenceList kPreferenceLists[] = {
    {"--sizes", "Clothing or shoe sizes, e.g. M,38",
     &v1::Preferences::mutable_sizes},
    {"--styles", "Styles, e.g. casual,formal",
     &v1::Preferences::mutable_styles},
    {"--colors", "Colours, e.g. navy,red", &v1::Preferences::mutable_colors},
    {"--brands", "Brands the customer likes", &v1::Preferences::mutable_brands},
    {"--tags", "Free tags", &v1::Preferences::mutable_tags},
};
constexpr size_t kListCount = std::size(kPreferenceLists);

// The profile flags create and update share. Each scalar flag is kept with
// the update_mask path it sets, in proto order, so update can build its mask
// from exactly the flags that were given.
struct ProfileFlags {
  std::string display_name, phone, email, branch_id, birthday, gender, notes;
  std::vector<std::pair<std::string, CLI::Option*>> scalar_paths;
  // Indexed like kPreferenceLists.
  std::array<std::vector<std::string>, kListCount> list_values;
  std::array<CLI::Option*, kListCount> list_options = {};

  bool AnyListGiven() const {
    for (const CLI::Option* option : list_options) {
      if (option->count() > 0) return true;
    }
    return false;
  }
};

void AddProfileFlags(CLI::App* cmd, ProfileFlags* f) {
  auto add = [&](const std::string& path, CLI::Option* option) {
    f->scalar_paths.emplace_back(path, option);
  };
  add("display_name",
      cmd->add_option("--name", f->display_name,
                      "Display name in any script, 1..100 characters"));
  add("branch_id",
      cmd->add_option("--branch", f->branch_id,
                      "Home branch id, e.g. B001 (a branch token always uses "
                      "its own branch)"));
  add("phone", cmd->add_option("--phone", f->phone,
                               "Mobile: 11 digits starting with 1, or E.164 "
                               "(+8613912345678); unique. On update, '' "
                               "clears it"));
  add("email", cmd->add_option("--email", f->email,
                               "Email address. On update, '' clears it"));
  add("birthday", cmd->add_option("--birthday", f->birthday, "Birthday")
                      ->check(DateValidator()));
  add("gender", cmd->add_option("--gender", f->gender, "Self-described gender")
                    ->check(CLI::IsMember({"female", "male", "other"})));
  add("notes", cmd->add_option("--notes", f->notes,
                               "Service notes, at most 2000 characters"));
  for (size_t i = 0; i < kListCount; ++i) {
    f->list_options[i] =
        AddListOption(cmd, kPreferenceLists[i].flag, &f->list_values[i],
                      std::string(kPreferenceLists[i].help) +
                          "; at most 20 of 50 characters");
  }
}

// Copies the profile flags into `customer`. Fields whose flags were not given
// stay at their defaults; on update they are outside the mask anyway.
// Preference lists replace the lists already in `customer->preferences()`
// only when given, which is what lets update merge with the stored lists.
void FillCustomer(const ProfileFlags& f, v1::Customer* customer) {
  customer->set_display_name(f.display_name);
  customer->set_branch_id(f.branch_id);
  customer->set_phone(f.phone);
  customer->set_email(f.email);
  customer->set_notes(f.notes);
  if (!f.birthday.empty()) {
    *customer->mutable_birthday() = ParseDate(f.birthday);
  }
  if (!f.gender.empty()) customer->set_gender(ParseGender(f.gender));
  for (size_t i = 0; i < kListCount; ++i) {
    if (f.list_options[i]->count() == 0) continue;
    auto* field =
        (customer->mutable_preferences()->*kPreferenceLists[i].field)();
    field->Clear();
    for (std::string& value : NonEmpty(f.list_values[i])) {
      field->Add(std::move(value));
    }
  }
}

void AddRevealPiiFlag(CLI::App* cmd, bool* reveal_pii) {
  cmd->add_flag("--reveal-pii", *reveal_pii,
                "Show phone and email unmasked (agents; every reveal is "
                "audited)");
}

void AddCreate(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    ProfileFlags profile;
    bool marketing_consent = false;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand(
      "create", "Register a new customer. Prints the customer as stored.");
  AddProfileFlags(cmd, &flags->profile);
  cmd->get_option("--name")->required();
  cmd->add_flag("--marketing-consent", flags->marketing_consent,
                "The customer agreed to marketing messages");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::CreateCustomerRequest request;
    FillCustomer(flags->profile, request.mutable_customer());
    request.mutable_customer()->set_marketing_consent(flags->marketing_consent);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::CreateCustomer, request);
    Emit(options, response,
         [&] { PrintResource(options, response.customer()); });
  });
}

void AddGet(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id;
    bool reveal_pii = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand("get", "Show one customer.");
  AddIdArgument(cmd, "CUSTOMER_ID", &flags->customer_id);
  AddRevealPiiFlag(cmd, &flags->reveal_pii);
  cmd->callback([&options, flags] {
    v1::GetCustomerRequest request;
    request.set_customer_id(flags->customer_id);
    request.set_reveal_pii(flags->reveal_pii);
    const auto response =
        Call(options, *NewStub(options), &Stub::GetCustomer, request);
    Emit(options, response,
         [&] { PrintResource(options, response.customer()); });
  });
}

void AddUpdate(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id;
    ProfileFlags profile;
    bool marketing_consent = false;
    CLI::Option* marketing_consent_option = nullptr;
    std::string etag;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand(
      "update",
      "Change the given fields of a customer; fields whose flags are absent "
      "stay as they are. A preference flag replaces only that list.");
  AddIdArgument(cmd, "CUSTOMER_ID", &flags->customer_id);
  AddProfileFlags(cmd, &flags->profile);
  flags->marketing_consent_option =
      cmd->add_option("--marketing-consent", flags->marketing_consent,
                      "Whether the customer agreed to marketing messages")
          ->type_name("true|false");
  cmd->add_option("--etag", flags->etag,
                  "Etag from a previous get; the update fails with "
                  "FAILED_PRECONDITION if the customer changed since");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    const ProfileFlags& profile = flags->profile;
    v1::UpdateCustomerRequest request;
    for (const auto& [path, option] : profile.scalar_paths) {
      if (option->count() > 0) request.mutable_update_mask()->add_paths(path);
    }
    if (profile.AnyListGiven()) {
      request.mutable_update_mask()->add_paths("preferences");
    }
    if (flags->marketing_consent_option->count() > 0) {
      request.mutable_update_mask()->add_paths("marketing_consent");
    }
    if (request.update_mask().paths().empty()) {
      throw CLI::ValidationError("update", "give at least one field to change");
    }
    auto stub = NewStub(options);
    v1::Customer* customer = request.mutable_customer();
    if (profile.AnyListGiven()) {
      // The API replaces `preferences` as a whole, but an agent who says
      // --sizes means "change the sizes". Start from the stored lists so the
      // others survive. We deliberately do not send the fetched etag: a retry
      // with the same --request-id after a successful first attempt would
      // then carry a different payload and be rejected.
      v1::GetCustomerRequest get;
      get.set_customer_id(flags->customer_id);
      *customer->mutable_preferences() =
          Call(options, *stub, &Stub::GetCustomer, get)
              .customer()
              .preferences();
    }
    FillCustomer(profile, customer);
    customer->set_customer_id(flags->customer_id);
    customer->set_marketing_consent(flags->marketing_consent);
    customer->set_etag(flags->etag);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response = Call(options, *stub, &Stub::UpdateCustomer, request);
    Emit(options, response,
         [&] { PrintResource(options, response.customer()); });
  });
}

void AddList(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    std::string filter;
    int page_size = 0;
    std::string page_token;
    bool reveal_pii = false;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand(
      "list", "List customers in creation order, oldest first.");
  cmd->add_option("--filter", flags->filter,
                  "Terms joined by AND: branch_id = \"B001\", tier = VIP "
                  "(POTENTIAL, REGULAR, VIP), marketing_consent = true|false");
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddRevealPiiFlag(cmd, &flags->reveal_pii);
  cmd->add_flag("--all", flags->all,
                "Follow next_page_token until the last page");
  cmd->callback([&options, flags] {
    v1::ListCustomersRequest request;
    request.set_filter(flags->filter);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    request.set_reveal_pii(flags->reveal_pii);
    auto stub = NewStub(options);
    // One loop serves both modes: without --all it stops after one page and
    // keeps that page's token for the "more results" hint.
    v1::ListCustomersResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListCustomers, request);
      result.mutable_customers()->MergeFrom(page.customers());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] {
      PrintRows(options, AsRows(result.customers()), kCustomerColumns,
                result.next_page_token());
    });
  });
}

void AddSearch(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    std::string phone, email, name;
    int page_size = 0;
    std::string page_token;
    bool reveal_pii = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand(
      "search",
      "Find customers by exact phone, exact email or part of the name.");
  CLI::Option_group* by =
      cmd->add_option_group("criterion", "Exactly one of these is required");
  by->add_option("--phone", flags->phone, "Exact phone, 11-digit or E.164");
  by->add_option("--email", flags->email, "Exact email, case-insensitive");
  by->add_option("--name", flags->name, "Part of the display name, any script");
  by->require_option(1);
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddRevealPiiFlag(cmd, &flags->reveal_pii);
  cmd->callback([&options, flags] {
    v1::SearchCustomersRequest request;
    request.set_phone(flags->phone);
    request.set_email(flags->email);
    request.set_name_contains(flags->name);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    request.set_reveal_pii(flags->reveal_pii);
    const auto response =
        Call(options, *NewStub(options), &Stub::SearchCustomers, request);
    Emit(options, response, [&] {
      PrintRows(options, AsRows(response.customers()), kCustomerColumns,
                response.next_page_token());
    });
  });
}

void AddPointsAdjust(CLI::App& points, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id;
    int64_t delta = 0;
    std::string reason;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = points.add_subcommand(
      "adjust", "Add (positive --delta) or deduct (negative) points.");
  AddIdArgument(cmd, "CUSTOMER_ID", &flags->customer_id);
  cmd->add_option("--delta", flags->delta,
                  "Signed non-zero change, e.g. 100 or -30")
      ->type_name("N")
      ->required();
  cmd->add_option("--reason", flags->reason,
                  "Why, 1..200 characters, e.g. \"birthday gift\"")
      ->required();
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::AdjustPointsRequest request;
    request.set_customer_id(flags->customer_id);
    request.set_delta(flags->delta);
    request.set_reason(flags->reason);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::AdjustPoints, request);
    // The ledger entry says what changed and the new balance (balance_after).
    Emit(options, response,
         [&] { PrintResource(options, response.transaction()); });
  });
}

void AddPointsList(CLI::App& points, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id;
    int page_size = 0;
    std::string page_token;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = points.add_subcommand(
      "list", "Show a customer's points ledger, oldest first.");
  AddIdArgument(cmd, "CUSTOMER_ID", &flags->customer_id);
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  cmd->callback([&options, flags] {
    v1::ListPointsTransactionsRequest request;
    request.set_customer_id(flags->customer_id);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    const auto response = Call(options, *NewStub(options),
                               &Stub::ListPointsTransactions, request);
    Emit(options, response, [&] {
      PrintRows(options, AsRows(response.transactions()), kTransactionColumns,
                response.next_page_token());
    });
  });
}

void AddPoints(CLI::App& customers, const GlobalOptions& options) {
  CLI::App* points = customers.add_subcommand(
      "points", "Loyalty points: change the balance or read the ledger.");
  points->require_subcommand(1);
  AddPointsAdjust(*points, options);
  AddPointsList(*points, options);
}

void AddExport(CLI::App& customers, const GlobalOptions& options) {
  auto customer_id = std::make_shared<std::string>();
  CLI::App* cmd = customers.add_subcommand(
      "export",
      "Print everything held about a customer, unmasked, as JSON (for a data "
      "subject access request; audited). JSON whatever --output says.");
  AddIdArgument(cmd, "CUSTOMER_ID", customer_id.get());
  cmd->callback([&options, customer_id] {
    v1::ExportCustomerDataRequest request;
    request.set_customer_id(*customer_id);
    // Always JSON: an export is handed over as a file, not read on screen.
    PrintJson(
        Call(options, *NewStub(options), &Stub::ExportCustomerData, request));
  });
}

void AddErase(CLI::App& customers, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id;
    std::string reason;
    std::string request_id;
    bool yes = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = customers.add_subcommand(
      "erase",
      "Irreversibly anonymise a customer's personal data (PIPL/GDPR "
      "erasure). The id, totals and points ledger stay, and so does "
      "--reason: it is the record of the erasure in the audit log.");
  AddIdArgument(cmd, "CUSTOMER_ID", &flags->customer_id);
  cmd->add_option("--reason", flags->reason,
                  "Ticket number of the request, 1..200 characters, e.g. "
                  "\"ticket DSR-1234\". Kept in the audit log as the record "
                  "of the erasure, so it must not name or describe the "
                  "person")
      ->required();
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->add_flag("--yes", flags->yes,
                "Do not ask for confirmation (required when stdin is not a "
                "terminal)");
  cmd->callback([&options, flags] {
    // The reason outlives the data it is about: erasing "Wang's request, he
    // moved to Beijing" would leave exactly what the erasure removes. The
    // server cannot tell a name from a ticket number, so remind every time.
    std::cerr << "warning: --reason is kept in the audit log as the record "
                 "of this erasure; it must not name or describe the person "
                 "(give a ticket number instead)\n";
    RequireConfirmation(
        "Erase the personal data of customer " + flags->customer_id + "?",
        flags->yes);
    v1::EraseCustomerRequest request;
    request.set_customer_id(flags->customer_id);
    request.set_reason(flags->reason);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::EraseCustomer, request);
    Emit(options, response,
         [&] { PrintResource(options, response.customer()); });
  });
}

}  // namespace

void AddCustomersCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* customers = app.add_subcommand(
      "customers",
      "Customer profiles, loyalty points and data-subject requests.");
  customers->require_subcommand(1);
  AddCreate(*customers, options);
  AddGet(*customers, options);
  AddUpdate(*customers, options);
  AddList(*customers, options);
  AddSearch(*customers, options);
  AddPoints(*customers, options);
  AddExport(*customers, options);
  AddErase(*customers, options);
}

}  // namespace retail::cli
