#ifndef RETAIL_CLIENT_FLAGS_H_
#define RETAIL_CLIENT_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "retail/common/v1/common.pb.h"

namespace retail::cli {

// Flag helpers shared by every area's commands, so that the same kind of
// value is spelled and checked the same way everywhere.

// Validator for a calendar date written YYYY-MM-DD. Checking at parse time
// makes a typo a usage error (exit 2) whose message names the flag, instead
// of a round trip that the server rejects.
CLI::Validator DateValidator();

// True if `text` is an id in the server's syntax: 1..64 of [A-Za-z0-9_-]
// (CheckId() in common/validation.cc).
bool IsValidId(const std::string& text);

// Validator for a flag holding such an id, e.g. --staff. Like
// DateValidator(), it turns a value the server would reject into a usage
// error (exit 2); it also keeps characters out of gRPC metadata that the
// transport would refuse.
CLI::Validator IdValidator();

// Converts text accepted by DateValidator() into a retail.common.v1.Date.
retail::common::v1::Date ParseDate(const std::string& text);

// Validator for an amount of money in major units with at most two decimals
// ("12", "12.5", "12.50"), not negative. Like the others, a typo is a usage
// error (exit 2) naming the flag.
CLI::Validator MoneyValidator();

// Converts text accepted by MoneyValidator() into a Money in minor units
// (12.50 -> 1250) with no currency code, which means the server's currency.
retail::common::v1::Money ParseMoney(const std::string& text);
// The inverse: minor units as an amount ParseMoney takes and a slip shows,
// "1234.50" or "-10.00" (two decimals).
std::string FormatAmount(int64_t minor_units);

// Adds a comma-separated list option ("--sizes M,L" or "--sizes M --sizes L").
// An empty value ("--sizes ''") yields an empty list, which is how an agent
// clears a list on update.
CLI::Option* AddListOption(CLI::App* app, const std::string& name,
                           std::vector<std::string>* values,
                           const std::string& description);

// Adds "--request-id ID", the idempotency key of a mutating command; see
// ChooseRequestId() for what happens when it is omitted.
CLI::Option* AddRequestIdOption(CLI::App* app, std::string* request_id);

// Adds the required positional CUSTOMER_ID (or ORDER_ID, ...) argument.
CLI::Option* AddIdArgument(CLI::App* app, const std::string& name,
                           std::string* id);

// Adds "--page-size N" and "--page-token T" of a List or Search call.
void AddPagingOptions(CLI::App* app, int* page_size, std::string* page_token);

// Removes empty entries left by AddListOption() for "--sizes ''".
std::vector<std::string> NonEmpty(const std::vector<std::string>& values);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FLAGS_H_
