#include "client/feedback_commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "client/connection.h"
#include "client/display_zone.h"
#include "client/field_format.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/request_id.h"
#include "client/rpc.h"
#include "client/text_table.h"

namespace retail::cli {

namespace fv1 = ::retail::feedback::v1;

std::unique_ptr<fv1::FeedbackService::Stub> NewFeedbackStub(
    const GlobalOptions& options) {
  return fv1::FeedbackService::NewStub(MakeChannel(options));
}

// "negative 负面 (-0.76)" (English, then Chinese, as the agent reads it).
std::string SentimentText(const fv1::Sentiment& s) {
  const char* label = nullptr;
  switch (s.label()) {
    case fv1::SENTIMENT_LABEL_NEGATIVE:
      label = "negative 负面";
      break;
    case fv1::SENTIMENT_LABEL_NEUTRAL:
      label = "neutral 中性";
      break;
    case fv1::SENTIMENT_LABEL_POSITIVE:
      label = "positive 正面";
      break;
    default:
      return "-";
  }
  return absl::StrFormat("%s (%+.2f)", label, s.score());
}

std::string Clip(const std::string& text, int cells) {
  std::string line = text;
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (DisplayWidth(line) <= cells) return line;
  std::string out;
  int used = 0;
  size_t i = 0;
  while (i < line.size()) {
    const auto lead = static_cast<unsigned char>(line[i]);
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (i + length > line.size()) length = 1;
    const std::string cp = line.substr(i, length);
    const int width = DisplayWidth(cp);
    if (used + width > cells - 1) break;
    out += cp;
    used += width;
    i += length;
  }
  return out + "…";
}

void AddAllPagesFlag(CLI::App* cmd, bool* all) {
  cmd->add_flag("--all", *all, "Follow next_page_token until the last page")
      ->excludes("--page-token");
}

void AddExample(CLI::App* cmd, const std::string& lines) {
  cmd->footer([lines] { return "Example:\n" + lines; });
}

// ---- Time flags
// --------------------------------------------------------------

namespace {

// Days, hours and minutes, in that order, each at most once, e.g. 2h, 30m,
// 1d, 1d12h (as the complaints commands take them); nullopt otherwise.
std::optional<absl::Duration> ParseSpan(absl::string_view text) {
  static constexpr struct {
    char unit;
    int64_t seconds;
  } kUnits[] = {{'d', 86400}, {'h', 3600}, {'m', 60}};
  if (text.empty()) return std::nullopt;
  int64_t seconds = 0;
  size_t next_unit = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && absl::ascii_isdigit(text[j])) ++j;
    if (j == i || j == text.size() || j - i > 6) return std::nullopt;
    int64_t n = 0;
    if (!absl::SimpleAtoi(text.substr(i, j - i), &n)) return std::nullopt;
    size_t k = next_unit;
    while (k < std::size(kUnits) && kUnits[k].unit != text[j]) ++k;
    if (k == std::size(kUnits)) return std::nullopt;
    seconds += n * kUnits[k].seconds;
    next_unit = k + 1;
    i = j + 1;
  }
  return absl::Seconds(seconds);
}

// "09:00" or "09:00:30" -> seconds into the day.
std::optional<int> ParseClock(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  int values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].size() != 2 || !absl::ascii_isdigit(parts[i][0]) ||
        !absl::ascii_isdigit(parts[i][1]) ||
        !absl::SimpleAtoi(parts[i], &values[i])) {
      return std::nullopt;
    }
  }
  if (values[0] > 23 || values[1] > 59 || values[2] > 59) return std::nullopt;
  return values[0] * 3600 + values[1] * 60 + values[2];
}

enum class WhenKind { kNow, kInstant, kLocal, kDate, kSpan };
struct When {
  WhenKind kind;
  absl::Time instant;
  absl::CivilDay day;
  int second_of_day = 0;
  absl::Duration span;
};

std::optional<When> ParseWhen(const std::string& text, bool spans) {
  When w{};
  if (text == "now") {
    w.kind = WhenKind::kNow;
    return w;
  }
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &w.instant, &error)) {
    w.kind = WhenKind::kInstant;
    return w;
  }
  // A date, or a date and a local time: "2026-12-01 09:00", "...T09:00".
  const size_t cut = text.find_first_of(" T");
  std::string date_text = text.substr(0, cut);
  if (DateValidator()(date_text).empty()) {
    const retail::common::v1::Date d = ParseDate(date_text);
    w.day = absl::CivilDay(d.year(), d.month(), d.day());
    if (cut == std::string::npos) {
      w.kind = WhenKind::kDate;
      return w;
    }
    if (std::optional<int> s =
            ParseClock(absl::string_view(text).substr(cut + 1))) {
      w.kind = WhenKind::kLocal;
      w.second_of_day = *s;
      return w;
    }
    return std::nullopt;
  }
  if (spans) {
    if (std::optional<absl::Duration> d = ParseSpan(text)) {
      w.kind = WhenKind::kSpan;
      w.span = *d;
      return w;
    }
  }
  return std::nullopt;
}

}  // namespace

CLI::Validator TimeFlagValidator(bool spans) {
  return CLI::Validator(
      [spans](std::string& text) -> std::string {
        if (ParseWhen(text, spans)) return "";
        return "'" + text +
               "' is not a time: a date YYYY-MM-DD or a local time "
               "\"YYYY-MM-DD HH:MM\" (the chain's time zone), an RFC 3339 "
               "time such as 2026-12-01T09:00:00+08:00, now" +
               (spans ? ", or a duration from now such as 2h, 3d, 1d12h" : "");
      },
      spans ? "TIME|DATE|DURATION" : "TIME|DATE");
}

absl::Time ResolveTimeFlag(const GlobalOptions& options,
                           const std::string& text, bool end_of_date) {
  const When w = *ParseWhen(text, true);
  switch (w.kind) {
    case WhenKind::kNow:
      return absl::Now();
    case WhenKind::kInstant:
      return w.instant;
    case WhenKind::kLocal:
      return absl::FromCivil(absl::CivilSecond(w.day) + w.second_of_day,
                             DisplayTimeZone(options));
    case WhenKind::kDate:
      return absl::FromCivil(end_of_date ? w.day + 1 : w.day,
                             DisplayTimeZone(options));
    case WhenKind::kSpan:
      return absl::Now() + w.span;
  }
  return absl::Now();
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  out->set_seconds(ns / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  if (out->nanos() < 0) {
    out->set_seconds(out->seconds() - 1);
    out->set_nanos(out->nanos() + 1'000'000'000);
  }
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string TimestampText(const GlobalOptions& options,
                          const google::protobuf::Timestamp& t, bool set) {
  if (!set) return "-";
  return FormatTimestamp(FromTimestamp(t), DisplayTimeZone(options));
}

// ---- feedback
// ----------------------------------------------------------------

namespace {

namespace v1 = ::retail::feedback::v1;
using Stub = v1::FeedbackService::Stub;
using Rows = std::vector<std::vector<std::string>>;

const EnumNames<v1::FeedbackKind>& Kinds() {
  static const auto* names = new EnumNames<v1::FeedbackKind>(
      {{"comment", v1::FEEDBACK_KIND_COMMENT},
       {"review", v1::FEEDBACK_KIND_PRODUCT_REVIEW},
       {"suggestion", v1::FEEDBACK_KIND_SUGGESTION},
       {"praise", v1::FEEDBACK_KIND_PRAISE}});
  return *names;
}
const EnumNames<v1::FeedbackChannel>& Channels() {
  static const auto* names = new EnumNames<v1::FeedbackChannel>(
      {{"in-store", v1::FEEDBACK_CHANNEL_IN_STORE},
       {"online", v1::FEEDBACK_CHANNEL_ONLINE},
       {"app", v1::FEEDBACK_CHANNEL_APP},
       {"wechat", v1::FEEDBACK_CHANNEL_WECHAT},
       {"social-media", v1::FEEDBACK_CHANNEL_SOCIAL_MEDIA},
       {"phone", v1::FEEDBACK_CHANNEL_PHONE},
       {"email", v1::FEEDBACK_CHANNEL_EMAIL}});
  return *names;
}
const EnumNames<v1::SentimentLabel>& Sentiments() {
  static const auto* names = new EnumNames<v1::SentimentLabel>(
      {{"negative", v1::SENTIMENT_LABEL_NEGATIVE},
       {"neutral", v1::SENTIMENT_LABEL_NEUTRAL},
       {"positive", v1::SENTIMENT_LABEL_POSITIVE}});
  return *names;
}

constexpr char kTopicsHelp[] =
    "size_fit, quality, returns_exchanges, logistics_delivery, "
    "staff_attitude, price_value, queueing_waiting, store_environment, "
    "payment, membership_points";

std::string ReadTextFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError(flag, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void PrintAnalysis(const v1::TextAnalysis& a) {
  std::cout << "Normalised 规范化: " << a.normalized_text() << "\n"
            << "Segments 分词:     " << absl::StrJoin(a.segments(), " / ")
            << "\n"
            << "Sentiment 情感:    " << SentimentText(a.sentiment()) << "\n"
            << "Keywords 关键词:   "
            << (a.keywords().empty() ? "-" : absl::StrJoin(a.keywords(), ", "))
            << "\n\n";
  if (a.topics().empty()) {
    std::cout << "Topics 主题: none found\n";
    return;
  }
  Rows rows = {{"Topic 主题", "Sentiment 情感", "Keywords 关键词"}};
  for (const v1::TopicAnalysis& t : a.topics()) {
    rows.push_back({t.topic(), SentimentText(t.sentiment()),
                    absl::StrJoin(t.keywords(), ", ")});
  }
  WriteAligned(rows, std::cout);
}

// One feedback item: first what escalation did with it, where nobody can
// miss it, then its fields as "key  value" rows (leaving out what is not
// set).
void PrintFeedback(const GlobalOptions& options, const v1::FeedbackItem& f) {
  const std::string why =
      f.escalation_reason().empty() ? "" : " - " + f.escalation_reason();
  if (!f.complaint_id().empty()) {
    std::cout << "!! Complaint opened 已转投诉: " << f.complaint_id() << why
              << "\n   see: retailctl complaints get " << f.complaint_id()
              << "\n\n";
  } else if (f.needs_review()) {
    std::cout << "!! Needs review 待人工审核: anonymous feedback that met the "
                 "escalation rule"
              << why << "\n\n";
  }
  Rows rows = {
      {"feedback_id", f.feedback_id()},
      {"kind", EnumText(f.kind())},
      {"channel", EnumText(f.channel())},
      {"branch_id", f.branch_id()},
      {"customer_id", f.customer_id().empty()
                          ? (f.text_erased() ? "(erased)" : "(anonymous 匿名)")
                          : f.customer_id()}};
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) rows.push_back({key, value});
  };
  add("sku", f.sku());
  add("order_id", f.order_id());
  add("rating", f.rating() > 0 ? absl::StrCat(f.rating(), " of 5") : "");
  add("text", f.text_erased() ? "(erased with the customer)" : f.text());
  add("sentiment", f.has_sentiment() ? SentimentText(f.sentiment()) : "");
  add("topics", absl::StrJoin(f.topics(), ", "));
  add("keywords", absl::StrJoin(f.keywords(), ", "));
  add("complaint_id", f.complaint_id());
  add("needs_review", f.needs_review() ? "true" : "");
  add("escalation_reason", f.escalation_reason());
  if (f.has_create_time()) {
    add("create_time", TimestampText(options, f.create_time(), true));
  }
  // A text of several lines stays in its column.
  size_t key_width = 0;
  for (const auto& row : rows) key_width = std::max(key_width, row[0].size());
  for (auto& row : rows) {
    row[1] = absl::StrReplaceAll(
        row[1], {{"\n", "\n" + std::string(key_width + 2, ' ')}});
  }
  WriteAligned(rows, std::cout);
}

void PrintFeedbackList(const GlobalOptions& options,
                       const v1::ListFeedbackResponse& r) {
  if (r.feedback().empty()) {
    std::cout << "(no results)\n";
  } else {
    Rows rows = {{"feedback_id", "create_time", "branch", "kind", "rating",
                  "sentiment", "topics", "complaint", "text"}};
    for (const v1::FeedbackItem& f : r.feedback()) {
      std::string complaint = "-";
      if (!f.complaint_id().empty()) {
        complaint = f.complaint_id();
      } else if (f.needs_review()) {
        complaint = "NEEDS REVIEW";
      }
      rows.push_back(
          {f.feedback_id(),
           TimestampText(options, f.create_time(), f.has_create_time()),
           f.branch_id(), EnumText(f.kind()),
           f.rating() > 0 ? absl::StrCat(f.rating()) : "-",
           f.sentiment().label() == v1::SENTIMENT_LABEL_UNSPECIFIED
               ? "-"
               : absl::StrFormat("%s %+.2f", EnumText(f.sentiment().label()),
                                 f.sentiment().score()),
           f.topics().empty() ? "-" : absl::StrJoin(f.topics(), ","), complaint,
           f.text_erased() ? "(erased)" : Clip(f.text(), 30)});
    }
    WriteAligned(rows, std::cout);
  }
  if (!r.next_page_token().empty()) {
    std::cout << "\nmore results: repeat with --page-token "
              << r.next_page_token() << '\n';
  }
}

void AddSubmit(CLI::App& feedback, const GlobalOptions& options) {
  struct Flags {
    std::string kind, channel, branch_id, customer_id, sku, order_id, text,
        text_file, request_id;
    int rating = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = feedback.add_subcommand(
      "submit",
      "Record a comment, product review, suggestion or praise (反馈/评价). "
      "The server analyses its sentiment, topics and keywords; negative "
      "feedback that meets the escalation rule (a low rating with negative "
      "sentiment, or an alarm keyword) opens a complaint when it names a "
      "customer, or is flagged for review when anonymous. Prints the item as "
      "stored, any complaint opened first.");
  cmd->add_option("--kind", flags->kind, "What kind: " + Kinds().Help())
      ->check(Kinds().Check())
      ->required();
  cmd->add_option("--channel", flags->channel,
                  "Where it came from: " + Channels().Help())
      ->check(Channels().Check())
      ->required();
  cmd->add_option("--branch", flags->branch_id,
                  "The branch it concerns; required with an admin or agent "
                  "token (a branch token uses its own)")
      ->check(IdValidator());
  cmd->add_option("--customer", flags->customer_id,
                  "Who wrote it; leave out for anonymous feedback")
      ->check(IdValidator());
  cmd->add_option("--sku", flags->sku, "The product, 1..64 characters");
  cmd->add_option("--order", flags->order_id,
                  "The order it is about; it must be the customer's")
      ->check(IdValidator());
  cmd->add_option("--rating", flags->rating, "Stars, 1 (poor) to 5 (very good)")
      ->check(CLI::Range(1, 5))
      ->type_name("1-5");
  CLI::Option_group* text =
      cmd->add_option_group("text", "Exactly one of these is required");
  text->add_option("--text", flags->text,
                   "What the customer wrote, 1..5000 characters");
  text->add_option("--text-file", flags->text_file,
                   "A UTF-8 file holding the text");
  text->require_option(1);
  AddRequestIdOption(cmd, &flags->request_id);
  AddExample(cmd,
             "  retailctl feedback submit --kind review --channel wechat "
             "--branch B001 \\\n"
             "      --customer CUSTOMER_ID --sku A1001 --rating 1 --text "
             "'质量太差了，穿一次就破了'\n"
             "  retailctl feedback submit --kind praise --channel in-store "
             "--branch B001 --text '店员很热情'\n");
  cmd->callback([&options, flags] {
    v1::SubmitFeedbackRequest request;
    v1::FeedbackItem* f = request.mutable_feedback();
    f->set_kind(Kinds().Of(flags->kind));
    f->set_channel(Channels().Of(flags->channel));
    f->set_branch_id(flags->branch_id);
    f->set_customer_id(flags->customer_id);
    f->set_sku(flags->sku);
    f->set_order_id(flags->order_id);
    f->set_rating(flags->rating);
    f->set_text(flags->text_file.empty()
                    ? flags->text
                    : ReadTextFile("--text-file", flags->text_file));
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response = Call(options, *NewFeedbackStub(options),
                               &Stub::SubmitFeedback, request);
    Emit(options, response,
         [&] { PrintFeedback(options, response.feedback()); });
  });
}

void AddGet(CLI::App& feedback, const GlobalOptions& options) {
  struct Flags {
    std::string feedback_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = feedback.add_subcommand(
      "get",
      "Show one feedback item: its text, analysis (sentiment, topics, "
      "keywords) and what escalation did with it (complaint opened, or "
      "flagged for review, and why).");
  cmd->add_option(
         "FEEDBACK_ID,--id", flags->feedback_id,
         "The id (fbk_...) as submit or list print it; as an argument or --id")
      ->required()
      ->type_name("");
  AddExample(cmd, "  retailctl feedback get fbk_01JF3Q...\n");
  cmd->callback([&options, flags] {
    v1::GetFeedbackRequest request;
    request.set_feedback_id(flags->feedback_id);
    const auto response =
        Call(options, *NewFeedbackStub(options), &Stub::GetFeedback, request);
    Emit(options, response,
         [&] { PrintFeedback(options, response.feedback()); });
  });
}

void AddList(CLI::App& feedback, const GlobalOptions& options) {
  struct Flags {
    std::string branch_id, kind, sku, sentiment, topic, keyword, since, until;
    int min_rating = 0, max_rating = 0;
    bool needs_review = false, all = false;
    int page_size = 0;
    std::string page_token;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = feedback.add_subcommand(
      "list",
      "List feedback items, oldest first: time, branch, kind, rating, "
      "sentiment, topics, the complaint opened (or NEEDS REVIEW) and the "
      "start of the text. Every filter narrows the list.");
  cmd->add_option("--branch", flags->branch_id, "Only this branch's")
      ->check(IdValidator());
  cmd->add_option("--kind", flags->kind, "Only this kind: " + Kinds().Help())
      ->check(Kinds().Check());
  cmd->add_option("--sku", flags->sku, "Only about this product");
  cmd->add_option("--min-rating", flags->min_rating,
                  "Only ratings at least this (unrated items are left out)")
      ->check(CLI::Range(1, 5))
      ->type_name("1-5");
  cmd->add_option("--max-rating", flags->max_rating,
                  "Only ratings at most this (unrated items are left out)")
      ->check(CLI::Range(1, 5))
      ->type_name("1-5");
  cmd->add_option("--sentiment", flags->sentiment,
                  "Only this sentiment: " + Sentiments().Help())
      ->check(Sentiments().Check());
  cmd->add_option("--topic", flags->topic,
                  std::string("Only about this topic: ") + kTopicsHelp);
  cmd->add_option("--keyword", flags->keyword,
                  "Only with this lexicon keyword, in either script, e.g. "
                  "太慢 or 態度差");
  cmd->add_flag("--needs-review", flags->needs_review,
                "Only anonymous items flagged for review");
  cmd->add_option("--since", flags->since,
                  "Only created at or after: a date (its start, in the "
                  "chain's time zone), \"YYYY-MM-DD HH:MM\", or an RFC 3339 "
                  "time")
      ->check(TimeFlagValidator(false));
  cmd->add_option("--until", flags->until,
                  "Only created before: a date (to its end, so --since "
                  "2026-11-01 --until 2026-11-30 is all of November), "
                  "\"YYYY-MM-DD HH:MM\", or an RFC 3339 time")
      ->check(TimeFlagValidator(false));
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddAllPagesFlag(cmd, &flags->all);
  AddExample(cmd,
             "  retailctl feedback list --branch B001 --sentiment negative "
             "--since 2026-11-01 --until 2026-11-30\n"
             "  retailctl feedback list --needs-review --all\n"
             "  retailctl feedback list --topic staff_attitude --max-rating 2 "
             "--page-size 20\n");
  cmd->callback([&options, flags] {
    if (flags->min_rating > 0 && flags->max_rating > 0 &&
        flags->min_rating > flags->max_rating) {
      throw CLI::ValidationError("--min-rating",
                                 "is above --max-rating: nothing would match");
    }
    v1::ListFeedbackRequest request;
    request.set_branch_id(flags->branch_id);
    if (!flags->kind.empty()) request.set_kind(Kinds().Of(flags->kind));
    request.set_sku(flags->sku);
    request.set_min_rating(flags->min_rating);
    request.set_max_rating(flags->max_rating);
    if (!flags->sentiment.empty()) {
      request.set_sentiment(Sentiments().Of(flags->sentiment));
    }
    request.set_topic(flags->topic);
    request.set_keyword(flags->keyword);
    request.set_needs_review(flags->needs_review);
    if (!flags->since.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->since, false),
                   request.mutable_create_time_start());
    }
    if (!flags->until.empty()) {
      SetTimestamp(ResolveTimeFlag(options, flags->until, true),
                   request.mutable_create_time_end());
    }
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = NewFeedbackStub(options);
    v1::ListFeedbackResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListFeedback, request);
      result.mutable_feedback()->MergeFrom(page.feedback());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] { PrintFeedbackList(options, result); });
  });
}

void AddAnalyze(CLI::App& feedback, const GlobalOptions& options) {
  CLI::App* cmd = feedback.add_subcommand(
      "analyze",
      "Analyse a customer's text (simplified or traditional Chinese, or "
      "English): the normalised text, its words, the retail topics it "
      "talks about with their keywords and sentiment, and its overall "
      "sentiment. Nothing is stored.");
  auto text = std::make_shared<std::string>();
  cmd->add_option("text", *text, "The text, at most 5000 characters")
      ->required();
  AddExample(cmd,
             "  retailctl feedback analyze '退货太慢了，店员态度也不好'\n");
  cmd->callback([&options, text] {
    v1::AnalyzeTextRequest req;
    req.set_text(*text);
    const auto response =
        Call(options, *NewFeedbackStub(options), &Stub::AnalyzeText, req);
    Emit(options, response, [&] { PrintAnalysis(response.analysis()); });
  });
}

}  // namespace

void AddFeedbackCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* feedback = app.add_subcommand(
      "feedback",
      "Customer feedback (顾客反馈): comments, reviews, suggestions and "
      "praise, analysed and escalated; text analysis.");
  feedback->require_subcommand(1);
  AddSubmit(*feedback, options);
  AddGet(*feedback, options);
  AddList(*feedback, options);
  AddAnalyze(*feedback, options);
}

}  // namespace retail::cli
