#include "client/surveys_commands.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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
using google::protobuf::Struct;
using google::protobuf::Value;
using Rows = std::vector<std::vector<std::string>>;

// The question types as --question and a survey file name them.
const EnumNames<v1::QuestionType>& Types() {
  static const auto* names = new EnumNames<v1::QuestionType>(
      {{"rating", v1::QUESTION_TYPE_RATING},
       {"nps", v1::QUESTION_TYPE_NPS},
       {"single", v1::QUESTION_TYPE_SINGLE_CHOICE},
       {"multi", v1::QUESTION_TYPE_MULTIPLE_CHOICE},
       {"text", v1::QUESTION_TYPE_FREE_TEXT}});
  return *names;
}

bool IsChoice(v1::QuestionType type) {
  return type == v1::QUESTION_TYPE_SINGLE_CHOICE ||
         type == v1::QUESTION_TYPE_MULTIPLE_CHOICE;
}

// "RATING 1-5", "NPS 0-10", "SINGLE_CHOICE", ...
std::string TypeText(v1::QuestionType type) {
  switch (type) {
    case v1::QUESTION_TYPE_RATING:
      return "RATING 1-5";
    case v1::QUESTION_TYPE_NPS:
      return "NPS 0-10";
    default:
      return EnumText(type);
  }
}

// "a | b|c" -> {"a", "b", "c"}; empty pieces are kept so that they can be
// reported.
std::vector<std::string> SplitChoices(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view piece : absl::StrSplit(text, '|')) {
    out.emplace_back(absl::StripAsciiWhitespace(piece));
  }
  return out;
}

// ---- --question TYPE[!]:TEXT[:CHOICE|CHOICE...]
// ------------------------------

// Parses one --question; on a malformed one returns nullopt with `why`.
std::optional<v1::Question> ParseQuestion(const std::string& spec,
                                          std::string* why) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    *why = "not TYPE:TEXT (or TYPE:TEXT:A|B|... for a choice question)";
    return std::nullopt;
  }
  std::string type_name = spec.substr(0, colon);
  v1::Question q;
  if (absl::EndsWith(type_name, "!")) {
    q.set_required(true);
    type_name.pop_back();
  }
  type_name = absl::AsciiStrToLower(type_name);
  bool known = false;
  for (const std::string& name : Types().Names()) known |= name == type_name;
  if (!known) {
    *why = "'" + type_name + "' is not a question type; use one of " +
           Types().Help() + " (with a trailing ! for a required question)";
    return std::nullopt;
  }
  q.set_type(Types().Of(type_name));
  std::string text = spec.substr(colon + 1);
  if (IsChoice(q.type())) {
    // The choices follow the last ':', so the question may hold ':' itself.
    const size_t last = text.rfind(':');
    if (last == std::string::npos) {
      *why = "a " + type_name + " question needs its choices: " + type_name +
             ":TEXT:A|B|...";
      return std::nullopt;
    }
    const std::vector<std::string> choices =
        SplitChoices(absl::string_view(text).substr(last + 1));
    if (choices.size() < 2) {
      *why = "a " + type_name + " question needs at least two choices, A|B";
      return std::nullopt;
    }
    for (const std::string& c : choices) {
      if (c.empty()) {
        *why = "an empty choice";
        return std::nullopt;
      }
      q.add_choices(c);
    }
    text.resize(last);
  }
  q.set_text(std::string(absl::StripAsciiWhitespace(text)));
  if (q.text().empty()) {
    *why = "no question text";
    return std::nullopt;
  }
  return q;
}

CLI::Validator QuestionValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string why;
        if (ParseQuestion(text, &why)) return "";
        return "'" + text + "': " + why;
      },
      "TYPE[!]:TEXT[:A|B|...]");
}

// ---- --from-file
// -------------------------------------------------------------

[[noreturn]] void FileError(const std::string& path, const std::string& what) {
  throw CLI::ValidationError("--from-file", path + ": " + what);
}

// A survey from a JSON file: the Survey message in proto JSON, also as
// `-o json surveys get` prints it (the "survey" wrapper may stay), and a
// question's type may be spelled as on --question ("rating", "single").
v1::Survey ReadSurveyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) FileError(path, "cannot read it");
  std::stringstream text;
  text << in.rdbuf();
  Value root;
  auto status = google::protobuf::util::JsonStringToMessage(
      std::string(absl::StripAsciiWhitespace(text.str())), &root);
  if (!status.ok())
    FileError(path, "not JSON: " + std::string(status.message()));
  Value* survey = &root;
  if (root.kind_case() == Value::kStructValue) {
    auto& fields = *root.mutable_struct_value()->mutable_fields();
    auto it = fields.find("survey");
    if (it != fields.end() && fields.size() == 1) survey = &it->second;
  }
  if (survey->kind_case() != Value::kStructValue) {
    FileError(path, "not a survey object");
  }
  auto& fields = *survey->mutable_struct_value()->mutable_fields();
  if (auto it = fields.find("questions");
      it != fields.end() && it->second.kind_case() == Value::kListValue) {
    for (Value& q : *it->second.mutable_list_value()->mutable_values()) {
      if (q.kind_case() != Value::kStructValue) continue;
      auto& qf = *q.mutable_struct_value()->mutable_fields();
      auto type = qf.find("type");
      if (type == qf.end() || type->second.kind_case() != Value::kStringValue) {
        continue;
      }
      const std::string name =
          absl::AsciiStrToLower(type->second.string_value());
      for (const std::string& flag : Types().Names()) {
        if (flag == name) {
          type->second.set_string_value(
              v1::QuestionType_Name(Types().Of(flag)));
        }
      }
    }
  }
  std::string json;
  status = google::protobuf::util::MessageToJsonString(*survey, &json);
  v1::Survey parsed;
  if (status.ok()) {
    status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  }
  if (!status.ok()) {
    FileError(path, "not a Survey: " + std::string(status.message()));
  }
  // Output-only: a `get` printout becomes a new survey.
  parsed.clear_survey_id();
  parsed.clear_create_time();
  for (v1::Question& q : *parsed.mutable_questions()) q.clear_question_id();
  return parsed;
}

// ---- Printing
// ----------------------------------------------------------------

void PrintSurvey(const GlobalOptions& options, const v1::Survey& s) {
  Rows rows = {{"survey_id", s.survey_id()}, {"title", s.title()}};
  if (!s.description().empty())
    rows.push_back({"description", s.description()});
  if (s.has_create_time()) {
    rows.push_back(
        {"create_time", TimestampText(options, s.create_time(), true)});
  }
  WriteAligned(rows, std::cout);
  std::cout << "\nQuestions 题目:\n";
  Rows questions = {
      {"ID", "Type 题型", "Required 必答", "Question 问题", "Choices 选项"}};
  for (const v1::Question& q : s.questions()) {
    questions.push_back(
        {q.question_id(), TypeText(q.type()), q.required() ? "yes" : "no",
         q.text(),
         q.choices().empty() ? "-" : absl::StrJoin(q.choices(), " | ")});
  }
  WriteAligned(questions, std::cout);
}

void PrintSurveyList(const GlobalOptions& options,
                     const v1::ListSurveysResponse& r) {
  if (r.surveys().empty()) {
    std::cout << "(no results)\n";
  } else {
    Rows rows = {
        {"survey_id", "title", "questions", "required", "create_time"}};
    for (const v1::Survey& s : r.surveys()) {
      int required = 0;
      for (const v1::Question& q : s.questions()) required += q.required();
      rows.push_back(
          {s.survey_id(), Clip(s.title(), 40), absl::StrCat(s.questions_size()),
           absl::StrCat(required),
           TimestampText(options, s.create_time(), s.has_create_time())});
    }
    WriteAligned(rows, std::cout);
  }
  if (!r.next_page_token().empty()) {
    std::cout << "\nmore results: repeat with --page-token "
              << r.next_page_token() << '\n';
  }
}

std::string AnswerText(const v1::Answer& a, v1::QuestionType type) {
  switch (type) {
    case v1::QUESTION_TYPE_RATING:
      return a.rating() > 0 ? absl::StrCat(a.rating(), " of 5") : "-";
    case v1::QUESTION_TYPE_NPS:
      return a.has_score() ? absl::StrCat(a.score(), " of 10") : "-";
    case v1::QUESTION_TYPE_SINGLE_CHOICE:
    case v1::QUESTION_TYPE_MULTIPLE_CHOICE:
      return a.choices().empty() ? "-" : absl::StrJoin(a.choices(), " | ");
    case v1::QUESTION_TYPE_FREE_TEXT:
      return a.text().empty() ? "(erased)" : Clip(a.text(), 60);
    default:
      break;
  }
  // A question this client does not know: whatever the answer holds.
  if (!a.text().empty()) return Clip(a.text(), 60);
  if (!a.choices().empty()) return absl::StrJoin(a.choices(), " | ");
  if (a.has_score()) return absl::StrCat(a.score());
  return absl::StrCat(a.rating());
}

// A stored response: its fields, then one row per answer with the question
// it answers and, for free text, the sentiment, topics and keywords found.
void PrintResponse(const GlobalOptions& options, const v1::SurveyResponse& r,
                   const v1::Survey& survey) {
  Rows rows = {
      {"response_id", r.response_id()},
      {"survey_id", r.survey_id() + "  " + survey.title()},
      {"customer_id", r.customer_id().empty() ? "(erased)" : r.customer_id()},
      {"branch_id", r.branch_id()}};
  if (!r.order_id().empty()) rows.push_back({"order_id", r.order_id()});
  if (!r.complaint_id().empty()) {
    rows.push_back({"complaint_id", r.complaint_id()});
  }
  if (r.has_create_time()) {
    rows.push_back(
        {"create_time", TimestampText(options, r.create_time(), true)});
  }
  WriteAligned(rows, std::cout);
  std::map<std::string, const v1::Question*> questions;
  for (const v1::Question& q : survey.questions()) {
    questions[q.question_id()] = &q;
  }
  std::cout << "\nAnswers 回答:\n";
  Rows answers = {{"ID", "Question 问题", "Answer 回答", "Sentiment 情感",
                   "Topics 主题", "Keywords 关键词"}};
  for (const v1::Answer& a : r.answers()) {
    auto it = questions.find(a.question_id());
    const v1::Question* q = it == questions.end() ? nullptr : it->second;
    const v1::QuestionType type =
        q == nullptr ? v1::QUESTION_TYPE_UNSPECIFIED : q->type();
    const bool text = type == v1::QUESTION_TYPE_FREE_TEXT;
    answers.push_back(
        {a.question_id(), q == nullptr ? "" : Clip(q->text(), 30),
         AnswerText(a, type), text ? SentimentText(a.sentiment()) : "-",
         a.topics().empty() ? "-" : absl::StrJoin(a.topics(), ", "),
         a.keywords().empty() ? "-" : absl::StrJoin(a.keywords(), ", ")});
  }
  WriteAligned(answers, std::cout);
}

// ---- --answer QID=VALUE
// --------------------------------------------------------

CLI::Validator AnswerValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const size_t eq = text.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
          return "'" + text +
                 "' is not QUESTION=ANSWER, e.g. q1=5, q3='Nanjing Rd', "
                 "q4='food|toys'";
        }
        return "";
      },
      "QID=ANSWER");
}

// "Q2" and "2" name q2.
std::string QuestionKey(absl::string_view text) {
  std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  bool digits = !key.empty();
  for (char c : key) digits = digits && absl::ascii_isdigit(c);
  return digits ? "q" + key : key;
}

[[noreturn]] void AnswerError(const std::string& what) {
  throw CLI::ValidationError("--answer", what);
}

std::string Describe(const v1::Question& q) {
  std::string out = q.question_id() + " (" + TypeText(q.type());
  if (IsChoice(q.type())) {
    absl::StrAppend(&out, ": ", absl::StrJoin(q.choices(), " | "));
  }
  return out + ")";
}

// One answer built for its question's type: a rating, a score with
// has_score, the choices, or the text.
v1::Answer BuildAnswer(const v1::Question& q, const std::string& value) {
  v1::Answer a;
  a.set_question_id(q.question_id());
  int number = 0;
  const std::string what = q.question_id() + "=" + value + ": ";
  switch (q.type()) {
    case v1::QUESTION_TYPE_RATING:
      if (!absl::SimpleAtoi(value, &number) || number < 1 || number > 5) {
        AnswerError(what + q.question_id() + " is a rating: answer 1..5");
      }
      a.set_rating(number);
      break;
    case v1::QUESTION_TYPE_NPS:
      if (!absl::SimpleAtoi(value, &number) || number < 0 || number > 10) {
        AnswerError(what + q.question_id() +
                    " is a likelihood to recommend: answer 0..10");
      }
      a.set_score(number);
      a.set_has_score(true);
      break;
    case v1::QUESTION_TYPE_SINGLE_CHOICE:
    case v1::QUESTION_TYPE_MULTIPLE_CHOICE: {
      const std::vector<std::string> picked =
          q.type() == v1::QUESTION_TYPE_SINGLE_CHOICE
              ? std::vector<std::string>{std::string(
                    absl::StripAsciiWhitespace(value))}
              : SplitChoices(value);
      std::set<std::string> seen;
      for (const std::string& choice : picked) {
        bool known = false;
        for (const std::string& c : q.choices()) known |= c == choice;
        if (!known) {
          AnswerError(what + "'" + choice + "' is not a choice of " +
                      Describe(q) +
                      (q.type() == v1::QUESTION_TYPE_MULTIPLE_CHOICE
                           ? "; separate several with |"
                           : ""));
        }
        if (!seen.insert(choice).second) {
          AnswerError(what + "'" + choice + "' is chosen twice");
        }
        a.add_choices(choice);
      }
      break;
    }
    default:
      a.set_text(value);
      break;
  }
  return a;
}

// The answers in the survey's question order, checked against it: every
// --answer names one of its questions once, every required question is
// answered.
void BuildAnswers(const v1::Survey& survey,
                  const std::vector<std::string>& flags,
                  v1::SurveyResponse* out) {
  std::map<std::string, std::string> given;
  for (const std::string& text : flags) {
    const size_t eq = text.find('=');
    const std::string key = QuestionKey(text.substr(0, eq));
    if (!given.emplace(key, text.substr(eq + 1)).second) {
      AnswerError(key + " is answered twice");
    }
  }
  std::vector<std::string> all, missing;
  for (const v1::Question& q : survey.questions()) {
    all.push_back(Describe(q));
    auto it = given.find(q.question_id());
    if (it == given.end()) {
      if (q.required()) missing.push_back(q.question_id());
      continue;
    }
    *out->add_answers() = BuildAnswer(q, it->second);
    given.erase(it);
  }
  if (!given.empty()) {
    AnswerError("'" + given.begin()->first + "' is not a question of " +
                survey.survey_id() + "; its questions are " +
                absl::StrJoin(all, ", "));
  }
  if (!missing.empty()) {
    AnswerError("required question" +
                std::string(missing.size() > 1 ? "s " : " ") +
                absl::StrJoin(missing, ", ") + " of " + survey.survey_id() +
                " not answered");
  }
}

// ---- Commands
// ------------------------------------------------------------------

void AddCreate(CLI::App& surveys, const GlobalOptions& options) {
  struct Flags {
    std::string title, description, from_file, request_id;
    std::vector<std::string> questions;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = surveys.add_subcommand(
      "create",
      "Create a questionnaire (满意度调查, admin and agent) with typed "
      "questions: rating (1-5, CSAT), nps (0-10 likelihood to recommend), "
      "single and multi (choices), text (free text, analysed). The server "
      "numbers the questions q1, q2, ... in order. Prints the survey as "
      "stored.");
  CLI::Option* file = cmd->add_option(
      "--from-file", flags->from_file,
      "JSON Survey instead of --question: {\"title\": \"...\", "
      "\"description\": \"...\", \"questions\": [{\"type\": \"rating\", "
      "\"text\": \"...\", \"required\": true}, {\"type\": \"single\", "
      "\"text\": \"...\", \"choices\": [\"A\", \"B\"]}]}; types as on "
      "--question or QUESTION_TYPE_...; `-o json surveys get` output works "
      "too (its ids are dropped). --title and --description override the "
      "file's");
  cmd->add_option("--title", flags->title,
                  "The title, 1..200 characters (required without "
                  "--from-file)");
  cmd->add_option("--description", flags->description,
                  "What the survey is for, at most 2000 characters");
  cmd->add_option("--question", flags->questions,
                  "One question, in order (repeat, 1..50): TYPE:TEXT, or "
                  "TYPE:TEXT:A|B|... for single and multi (choices after the "
                  "last ':'); TYPE is " +
                      Types().Help() +
                      ", with a trailing ! when it must be answered "
                      "(rating!:...)")
      ->check(QuestionValidator())
      ->excludes(file);
  AddRequestIdOption(cmd, &flags->request_id);
  AddExample(cmd,
             "  retailctl surveys create --title '门店满意度调查' \\\n"
             "      --question 'rating!:How satisfied were you?' \\\n"
             "      --question 'nps!:Would you recommend us?' \\\n"
             "      --question 'single:Which store?:Nanjing Rd|Huaihai Rd' \\\n"
             "      --question 'multi:What did you buy?:food|clothes|toys' \\\n"
             "      --question 'text:Anything else?'\n"
             "  retailctl surveys create --from-file survey.json\n");
  cmd->callback([&options, flags, cmd] {
    v1::CreateSurveyRequest request;
    v1::Survey* survey = request.mutable_survey();
    if (!flags->from_file.empty()) {
      *survey = ReadSurveyFile(flags->from_file);
    } else {
      if (flags->questions.empty()) {
        throw CLI::ValidationError(
            "--question", "give at least one question, or --from-file");
      }
      for (const std::string& text : flags->questions) {
        std::string why;
        *survey->add_questions() = *ParseQuestion(text, &why);
      }
    }
    if (cmd->count("--title") > 0) survey->set_title(flags->title);
    if (cmd->count("--description") > 0) {
      survey->set_description(flags->description);
    }
    if (survey->title().empty()) {
      throw CLI::ValidationError("--title", "the survey needs a title");
    }
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewFeedbackStub(options), &Stub::CreateSurvey, request);
    Emit(options, response, [&] { PrintSurvey(options, response.survey()); });
  });
}

void AddGet(CLI::App& surveys, const GlobalOptions& options) {
  struct Flags {
    std::string survey_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = surveys.add_subcommand(
      "get",
      "Show one survey: title, description and its questions with their "
      "ids (q1, q2, ... as `respond --answer` names them), types, choices "
      "and whether they must be answered.");
  cmd->add_option(
         "SURVEY_ID,--id", flags->survey_id,
         "The id (srv_...) as create or list print it; as an argument or --id")
      ->required()
      ->type_name("");
  AddExample(cmd, "  retailctl surveys get srv_01JF3Q...\n");
  cmd->callback([&options, flags] {
    v1::GetSurveyRequest request;
    request.set_survey_id(flags->survey_id);
    const auto response =
        Call(options, *NewFeedbackStub(options), &Stub::GetSurvey, request);
    Emit(options, response, [&] { PrintSurvey(options, response.survey()); });
  });
}

void AddList(CLI::App& surveys, const GlobalOptions& options) {
  struct Flags {
    int page_size = 0;
    std::string page_token;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd =
      surveys.add_subcommand("list", "List the chain's surveys, oldest first.");
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddAllPagesFlag(cmd, &flags->all);
  AddExample(cmd, "  retailctl surveys list --all\n");
  cmd->callback([&options, flags] {
    v1::ListSurveysRequest request;
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = NewFeedbackStub(options);
    v1::ListSurveysResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListSurveys, request);
      result.mutable_surveys()->MergeFrom(page.surveys());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] { PrintSurveyList(options, result); });
  });
}

void AddRespond(CLI::App& surveys, const GlobalOptions& options) {
  struct Flags {
    std::string survey_id, customer_id, branch_id, order_id, complaint_id,
        request_id;
    std::vector<std::string> answers;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = surveys.add_subcommand(
      "respond",
      "Record one customer's answers to a survey (问卷回答). The survey is "
      "read first, so each answer is checked against its question and sent "
      "in the right form: a rating 1..5, a score 0..10, one choice or "
      "several separated by |, or free text (which the server analyses). "
      "One response per customer per survey per order or complaint. Prints "
      "the stored response with each free-text answer's sentiment, topics "
      "and keywords.");
  cmd->add_option("--survey", flags->survey_id, "The survey (srv_...)")
      ->check(IdValidator())
      ->required();
  cmd->add_option("--customer", flags->customer_id, "The answering customer")
      ->check(IdValidator())
      ->required();
  cmd->add_option("--branch", flags->branch_id,
                  "The branch it is recorded for; required with an admin or "
                  "agent token (a branch token uses its own)")
      ->check(IdValidator());
  cmd->add_option("--order", flags->order_id,
                  "The order it is about (the customer's)")
      ->check(IdValidator());
  cmd->add_option(
         "--complaint", flags->complaint_id,
         "The complaint it is about (the customer's); not with --order")
      ->check(IdValidator())
      ->excludes("--order");
  cmd->add_option("--answer", flags->answers,
                  "One answer, QUESTION=ANSWER (repeat): q1=5 (rating), "
                  "q2=9 (nps), q3='Nanjing Rd' (single), q4='food|toys' "
                  "(multi), q5='退货太慢了' (text); `surveys get` lists the "
                  "questions. Every required question needs one")
      ->check(AnswerValidator())
      ->required();
  AddRequestIdOption(cmd, &flags->request_id);
  AddExample(cmd,
             "  retailctl surveys respond --survey srv_01JF3Q... --customer "
             "CUSTOMER_ID --branch B001 --order ORDER_ID \\\n"
             "      --answer q1=5 --answer q2=9 --answer 'q3=Nanjing Rd' "
             "--answer 'q4=food|toys' --answer 'q5=退货太慢了'\n");
  cmd->callback([&options, flags] {
    auto stub = NewFeedbackStub(options);
    v1::GetSurveyRequest get;
    get.set_survey_id(flags->survey_id);
    const v1::Survey survey =
        Call(options, *stub, &Stub::GetSurvey, get).survey();
    v1::SubmitSurveyResponseRequest request;
    v1::SurveyResponse* r = request.mutable_response();
    r->set_survey_id(flags->survey_id);
    r->set_customer_id(flags->customer_id);
    r->set_branch_id(flags->branch_id);
    r->set_order_id(flags->order_id);
    r->set_complaint_id(flags->complaint_id);
    BuildAnswers(survey, flags->answers, r);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *stub, &Stub::SubmitSurveyResponse, request);
    Emit(options, response,
         [&] { PrintResponse(options, response.response(), survey); });
  });
}

}  // namespace

void AddSurveysCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* surveys = app.add_subcommand(
      "surveys",
      "Satisfaction surveys (满意度调查): questionnaires and customers' "
      "answers.");
  surveys->require_subcommand(1);
  AddCreate(*surveys, options);
  AddGet(*surveys, options);
  AddList(*surveys, options);
  AddRespond(*surveys, options);
}

}  // namespace retail::cli
