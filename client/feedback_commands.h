#ifndef RETAIL_CLIENT_FEEDBACK_COMMANDS_H_
#define RETAIL_CLIENT_FEEDBACK_COMMANDS_H_

#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/timestamp.pb.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/global_options.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"

namespace retail::cli {

// Adds "feedback" (submit, get, list, analyze), which calls
// retail.feedback.v1.FeedbackService. `options` must outlive app.parse(),
// as for AddCustomersCommands().
void AddFeedbackCommands(CLI::App& app, const GlobalOptions& options);

// ---- Shared by the FeedbackService areas -----------------------------------
// (surveys_commands.cc, satisfaction_commands.cc, followups_commands.cc)

std::unique_ptr<feedback::v1::FeedbackService::Stub> NewFeedbackStub(
    const GlobalOptions& options);

// The flag spellings of an enum ("wechat", "after-purchase"), in the order
// the .proto declares the values, which is the order --help lists them in.
template <typename E>
class EnumNames {
 public:
  explicit EnumNames(std::vector<std::pair<std::string, E>> names)
      : names_(std::move(names)) {}
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, value] : names_) out.push_back(name);
    return out;
  }
  // The value of a name already checked by Check().
  E Of(const std::string& name) const {
    for (const auto& [n, value] : names_) {
      if (n == name) return value;
    }
    return E{};
  }
  CLI::Validator Check() const { return CLI::IsMember(Names()); }
  std::string Help() const { return absl::StrJoin(Names(), ", "); }

 private:
  std::vector<std::pair<std::string, E>> names_;
};

// An enum value as every table shows enums: its name without the type's
// prefix ("WECHAT", "AFTER_PURCHASE"), as FormatField() prints it.
template <typename E>
std::string EnumText(E value) {
  const auto* type = google::protobuf::GetEnumDescriptor<E>();
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return std::to_string(static_cast<int>(value));
  std::string name = v->name();
  // Every value of our enums shares the prefix of the UNSPECIFIED value.
  const std::string& zero = type->value(0)->name();
  const std::string prefix = zero.substr(0, zero.rfind('_') + 1);
  if (absl::StartsWith(name, prefix) && name.size() > prefix.size()) {
    name.erase(0, prefix.size());
  }
  return name;
}

// "negative 负面 (-0.76)"; "-" when the label is not set.
std::string SentimentText(const feedback::v1::Sentiment& s);

// `text` on one line (line breaks as spaces), cut to at most `cells`
// terminal cells with "…" when longer; for table columns of free text.
std::string Clip(const std::string& text, int cells);

// Adds "--all", which follows next_page_token to the last page.
void AddAllPagesFlag(CLI::App* cmd, bool* all);

// Adds an "Example:" section to `cmd`'s --help, above the exit-status
// footer every command inherits.
void AddExample(CLI::App* cmd, const std::string& lines);

// ---- Time flags ---------------------------------------------------------
// A time flag takes an RFC 3339 time (2026-12-01T09:00:00+08:00), a local
// time in the chain's zone ("2026-12-01 09:00"), a date (its start in the
// chain's zone, or with `end_of_date` the start of the next day), "now",
// and, where `spans` is set, a duration from now (2h, 3d, 1d12h).

CLI::Validator TimeFlagValidator(bool spans);
// A value checked by TimeFlagValidator() as an instant; a local time or
// date is read in DisplayTimeZone(options).
absl::Time ResolveTimeFlag(const GlobalOptions& options,
                           const std::string& text, bool end_of_date);
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// A set timestamp as FormatTimestamp() shows it in the display zone; "-"
// when unset.
std::string TimestampText(const GlobalOptions& options,
                          const google::protobuf::Timestamp& t, bool set);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FEEDBACK_COMMANDS_H_
