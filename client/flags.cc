#include "client/flags.h"

#include <cctype>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace retail::cli {
namespace {

bool ParseDateText(absl::string_view text, retail::common::v1::Date* date) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  int year = 0, month = 0, day = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &year) ||
      !absl::SimpleAtoi(text.substr(5, 2), &month) ||
      !absl::SimpleAtoi(text.substr(8, 2), &day)) {
    return false;
  }
  // CivilDay normalises out-of-range parts (Feb 30 -> Mar 2); a date that
  // comes back changed did not exist.
  const absl::CivilDay civil(year, month, day);
  if (civil.year() != year || civil.month() != month || civil.day() != day) {
    return false;
  }
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
  return true;
}

// "12", "12.5", "12.50" -> minor units; false for anything else, for a
// negative amount, and for one that does not fit in int64.
bool ParseMoneyText(absl::string_view text, int64_t* minor) {
  const size_t dot = text.find('.');
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view cents =
      dot == absl::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 16 || cents.size() > 2 ||
      (dot != absl::string_view::npos && cents.empty())) {
    return false;
  }
  for (const char c : whole) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  for (const char c : cents) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  int64_t major = 0, fraction = 0;
  if (!absl::SimpleAtoi(whole, &major)) return false;
  if (!cents.empty() && !absl::SimpleAtoi(cents, &fraction)) return false;
  if (cents.size() == 1) fraction *= 10;
  *minor = major * 100 + fraction;  // 16 digits: no overflow
  return true;
}

}  // namespace

CLI::Validator MoneyValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t minor = 0;
        if (ParseMoneyText(text, &minor)) return "";
        return "'" + text +
               "' is not an amount: digits with at most two decimals, e.g. "
               "12.50";
      },
      "AMOUNT");
}

retail::common::v1::Money ParseMoney(const std::string& text) {
  retail::common::v1::Money money;
  int64_t minor = 0;
  ParseMoneyText(text, &minor);  // checked by MoneyValidator()
  money.set_minor_units(minor);
  return money;
}

CLI::Validator DateValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        retail::common::v1::Date date;
        if (ParseDateText(text, &date)) return "";
        return "'" + text + "' is not a valid date in YYYY-MM-DD form";
      },
      "YYYY-MM-DD");
}

bool IsValidId(const std::string& text) {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

CLI::Validator IdValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (IsValidId(text)) return "";
        return "'" + text +
               "' is not a valid id: use 1 to 64 characters of A-Z a-z 0-9 "
               "_ -";
      },
      "ID");
}

retail::common::v1::Date ParseDate(const std::string& text) {
  retail::common::v1::Date date;
  ParseDateText(text, &date);
  return date;
}

CLI::Option* AddListOption(CLI::App* app, const std::string& name,
                           std::vector<std::string>* values,
                           const std::string& description) {
  return app->add_option(name, *values, description)
      ->delimiter(',')
      // One value per occurrence, so "--sizes M L" is a mistake CLI11
      // reports instead of silently adding L.
      ->allow_extra_args(false)
      ->type_name("A,B,...");
}

CLI::Option* AddRequestIdOption(CLI::App* app, std::string* request_id) {
  return app
      ->add_option("--request-id", *request_id,
                   "Idempotency key, 8..64 of [A-Za-z0-9_-]. To retry a "
                   "command safely, repeat it with the key its first attempt "
                   "printed. Default: a new random UUID")
      ->type_name("ID");
}

CLI::Option* AddIdArgument(CLI::App* app, const std::string& name,
                           std::string* id) {
  return app->add_option(name, *id, "Id as returned by create or list")
      ->required()
      ->type_name("");
}

void AddPagingOptions(CLI::App* app, int* page_size, std::string* page_token) {
  app->add_option("--page-size", *page_size,
                  "Results per page, 1..1000 (default: server's, 50)")
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  app->add_option("--page-token", *page_token,
                  "Continue a listing: the token printed by the previous page")
      ->type_name("T");
}

std::vector<std::string> NonEmpty(const std::vector<std::string>& values) {
  std::vector<std::string> result;
  for (const std::string& value : values) {
    if (!value.empty()) result.push_back(value);
  }
  return result;
}

std::string FormatAmount(int64_t minor_units) {
  const uint64_t abs = minor_units < 0 ? 0 - static_cast<uint64_t>(minor_units)
                                       : static_cast<uint64_t>(minor_units);
  std::string cents = std::to_string(abs % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return absl::StrCat(minor_units < 0 ? "-" : "", abs / 100, ".", cents);
}

}  // namespace retail::cli
