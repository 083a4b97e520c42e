// AnalyzeText, surveys and their responses, feedback items with escalation,
// and a person's data. The satisfaction report is in satisfaction_report.cc,
// follow-ups and their scheduler in follow_ups.cc.
#include "server/feedback/feedback_manager.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/db/mutation.h"
#include "common/ids.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/feedback/feedback_store.h"
#include "server/feedback/feedback_views.h"

namespace retail::feedback {
namespace {

using ::google::protobuf::util::TimeUtil;
using PrincipalPtr = std::shared_ptr<const Principal>;

constexpr int kMaxQuestions = 50;
constexpr int kMinChoices = 2;
constexpr int kMaxChoices = 20;

void ToProto(const text::Sentiment& in, v1::Sentiment* out) {
  switch (in.label) {
    case text::SentimentLabel::kNegative:
      out->set_label(v1::SENTIMENT_LABEL_NEGATIVE);
      break;
    case text::SentimentLabel::kNeutral:
      out->set_label(v1::SENTIMENT_LABEL_NEUTRAL);
      break;
    case text::SentimentLabel::kPositive:
      out->set_label(v1::SENTIMENT_LABEL_POSITIVE);
      break;
  }
  out->set_score(in.score);
}

// A trimmed free text, checked: `min`..`max` characters.
std::string Text(ViolationCollector& v, const std::string& field,
                 const std::string& in, size_t min, size_t max) {
  const absl::string_view t = TrimUnicodeSpace(in);
  CheckText(v, field, t, min, max);
  return std::string(t);
}
// A trimmed one-line label, checked.
std::string Label(ViolationCollector& v, const std::string& field,
                  const std::string& in, size_t min, size_t max) {
  const absl::string_view t = TrimUnicodeSpace(in);
  CheckSingleLineText(v, field, t, min, max);
  return std::string(t);
}

// The topics and keywords of one analysis, each once, in order.
struct Terms {
  std::vector<std::string> topics;
  std::vector<std::string> keywords;
  // (keyword, its topic or "") for a complaint opened from it.
  std::vector<std::pair<std::string, std::string>> keyword_topics;
};
Terms TermsOf(const text::Analysis& a) {
  Terms t;
  absl::flat_hash_set<std::string> seen;
  for (const text::TopicHit& hit : a.topics) {
    const std::string topic(text::TopicId(hit.topic));
    t.topics.push_back(topic);
    for (const std::string& k : hit.keywords) {
      if (seen.insert(k).second) t.keyword_topics.emplace_back(k, topic);
    }
  }
  for (const std::string& k : a.keywords) {
    if (seen.insert(k).second) t.keyword_topics.emplace_back(k, "");
  }
  for (const auto& [k, topic] : t.keyword_topics) t.keywords.push_back(k);
  return t;
}

// The branch a write is for: a branch caller's own (naming another is
// PERMISSION_DENIED), else the request's, which is then required.
std::optional<std::string> WriteBranch(ViolationCollector& v,
                                       const Principal& p,
                                       const std::string& field,
                                       const std::string& requested,
                                       absl::Status* denied) {
  if (p.role == Role::kBranch) {
    if (!requested.empty() && requested != p.branch_id) {
      *denied = absl::PermissionDeniedError(absl::StrCat(
          field, ": branch '", p.branch_id, "' may not record for branch '",
          TruncateUtf8(requested, 64), "'"));
      return std::nullopt;
    }
    return p.branch_id;
  }
  CheckId(v, field, requested);
  return requested;
}

complaints::v1::ComplaintChannel ComplaintChannelOf(v1::FeedbackChannel c) {
  namespace cv1 = complaints::v1;
  switch (c) {
    case v1::FEEDBACK_CHANNEL_IN_STORE:
      return cv1::COMPLAINT_CHANNEL_IN_STORE;
    case v1::FEEDBACK_CHANNEL_ONLINE:
      return cv1::COMPLAINT_CHANNEL_ONLINE;
    case v1::FEEDBACK_CHANNEL_APP:
      return cv1::COMPLAINT_CHANNEL_APP;
    case v1::FEEDBACK_CHANNEL_WECHAT:
      return cv1::COMPLAINT_CHANNEL_WECHAT;
    case v1::FEEDBACK_CHANNEL_SOCIAL_MEDIA:
      return cv1::COMPLAINT_CHANNEL_SOCIAL_MEDIA;
    case v1::FEEDBACK_CHANNEL_PHONE:
      return cv1::COMPLAINT_CHANNEL_PHONE;
    case v1::FEEDBACK_CHANNEL_EMAIL:
      return cv1::COMPLAINT_CHANNEL_EMAIL;
    default:
      return cv1::COMPLAINT_CHANNEL_ONLINE;
  }
}

// The complaint category of the first topic the feedback talks about.
complaints::v1::ComplaintCategory CategoryOf(
    const std::vector<std::string>& topics) {
  namespace cv1 = complaints::v1;
  for (const std::string& id : topics) {
    const std::optional<text::Topic> t = text::TopicFromId(id);
    if (!t) continue;
    switch (*t) {
      case text::Topic::kSizeFit:
      case text::Topic::kQuality:
        return cv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY;
      case text::Topic::kReturnsExchanges:
        return cv1::COMPLAINT_CATEGORY_RETURN_EXCHANGE;
      case text::Topic::kLogisticsDelivery:
        return cv1::COMPLAINT_CATEGORY_LOGISTICS;
      case text::Topic::kStaffAttitude:
      case text::Topic::kQueueingWaiting:
        return cv1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE;
      case text::Topic::kPriceValue:
        return cv1::COMPLAINT_CATEGORY_PRICING;
      case text::Topic::kPayment:
      case text::Topic::kMembershipPoints:
        return cv1::COMPLAINT_CATEGORY_PAYMENT;
      case text::Topic::kStoreEnvironment:
        return cv1::COMPLAINT_CATEGORY_OTHER;
    }
  }
  return cv1::COMPLAINT_CATEGORY_OTHER;
}

std::string KindName(v1::FeedbackKind k) {
  switch (k) {
    case v1::FEEDBACK_KIND_PRODUCT_REVIEW:
      return "product review";
    case v1::FEEDBACK_KIND_SUGGESTION:
      return "suggestion";
    case v1::FEEDBACK_KIND_PRAISE:
      return "praise";
    default:
      return "comment";
  }
}

bool IsChoice(v1::QuestionType t) {
  return t == v1::QUESTION_TYPE_SINGLE_CHOICE ||
         t == v1::QUESTION_TYPE_MULTIPLE_CHOICE;
}

}  // namespace

void ToProto(const text::Analysis& in, v1::TextAnalysis* out) {
  out->set_normalized_text(in.normalized);
  for (const std::string& s : in.segments) out->add_segments(s);
  for (const text::TopicHit& hit : in.topics) {
    v1::TopicAnalysis* t = out->add_topics();
    t->set_topic(std::string(text::TopicId(hit.topic)));
    for (const std::string& k : hit.keywords) t->add_keywords(k);
    ToProto(hit.sentiment, t->mutable_sentiment());
  }
  for (const std::string& k : in.keywords) out->add_keywords(k);
  ToProto(in.overall, out->mutable_sentiment());
}

std::vector<std::string> DefaultEscalationKeywords() {
  return {"食物中毒", "受伤", "过敏", "欺诈", "假货", "报警", "起诉"};
}

FeedbackManager::FeedbackManager(db::Database& db, const Clock& clock,
                                 FeedbackOptions options,
                                 const text::Analyzer& analyzer,
                                 customers::CustomerDirectory* customers,
                                 orders::OrderDirectory* orders,
                                 complaints::ComplaintIntake* complaints)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      analyzer_(analyzer),
      customers_(customers),
      orders_(orders),
      complaints_(complaints),
      tokens_(db.secret()) {}

int64_t FeedbackManager::DayOf(int64_t us) const {
  return absl::ToCivilDay(absl::FromUnixMicros(us), options_.time_zone) -
         absl::CivilDay(1970, 1, 1);
}

void FeedbackManager::AnalyzeText(CallMeta /*call*/,
                                  const v1::AnalyzeTextRequest& req,
                                  Reply<v1::AnalyzeTextResponse> reply) {
  absl::StatusOr<text::Analysis> analysis =
      analyzer_.Analyze(req.text(), "text");
  if (!analysis.ok()) return reply(analysis.status());
  ToProto(*analysis, reply.out()->mutable_analysis());
  reply(absl::OkStatus());
}

// ---- Surveys -------------------------------------------------------------

void FeedbackManager::CreateSurvey(CallMeta call,
                                   const v1::CreateSurveyRequest& req,
                                   Reply<v1::CreateSurveyResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  const v1::Survey& in = req.survey();
  v1::Survey survey;
  survey.set_title(Label(v, "survey.title", in.title(), 1, 200));
  survey.set_description(
      Text(v, "survey.description", in.description(), 0, 2000));
  if (in.questions_size() < 1 || in.questions_size() > kMaxQuestions) {
    v.Add("survey.questions",
          absl::StrCat("must have 1 to ", kMaxQuestions, " questions; it has ",
                       in.questions_size()));
  }
  for (int i = 0; i < in.questions_size() && i < kMaxQuestions; ++i) {
    const v1::Question& q = in.questions(i);
    const std::string f = absl::StrCat("survey.questions[", i, "]");
    v1::Question* out = survey.add_questions();
    out->set_question_id(absl::StrCat("q", i + 1));
    if (!v1::QuestionType_IsValid(q.type()) ||
        q.type() == v1::QUESTION_TYPE_UNSPECIFIED) {
      v.Add(f + ".type",
            "must be one of QUESTION_TYPE_RATING, _NPS, _SINGLE_CHOICE, "
            "_MULTIPLE_CHOICE, _FREE_TEXT");
    }
    out->set_type(q.type());
    out->set_text(Label(v, f + ".text", q.text(), 1, 500));
    out->set_required(q.required());
    if (!IsChoice(q.type())) {
      if (q.choices_size() > 0) {
        v.Add(f + ".choices", "must be empty unless the question is a choice");
      }
      continue;
    }
    if (q.choices_size() < kMinChoices || q.choices_size() > kMaxChoices) {
      v.Add(f + ".choices",
            absl::StrCat("must have ", kMinChoices, " to ", kMaxChoices,
                         " choices; it has ", q.choices_size()));
    }
    absl::flat_hash_set<std::string> seen;
    for (int j = 0; j < q.choices_size() && j < kMaxChoices; ++j) {
      const std::string cf = absl::StrCat(f, ".choices[", j, "]");
      std::string choice = Label(v, cf, q.choices(j), 1, 100);
      if (!seen.insert(choice).second) {
        v.Add(cf, "repeats an earlier choice");
      }
      out->add_choices(std::move(choice));
    }
  }
  if (!v.empty()) return reply(v.ToStatus());
  db::SubmitMutation<v1::CreateSurveyResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "surveys"), req,
      [survey = std::move(survey)](
          db::MutationContext& ctx,
          v1::CreateSurveyResponse* out) mutable -> absl::Status {
        survey.set_survey_id(NewId("srv", ctx.now_micros));
        *survey.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        ctx.meta.resource = absl::StrCat("surveys/", survey.survey_id());
        RETURN_IF_ERROR(InsertSurvey(ctx.conn, survey, ctx.now_micros));
        RETURN_IF_ERROR(AppendFeedbackEvent(
            ctx.conn, ctx.meta, ctx.now_micros, "survey", survey.survey_id(),
            ctx.meta.resource, "CREATED", 1, survey));
        *out->mutable_survey() = survey;  // not moved: the op may run again
        return absl::OkStatus();
      },
      std::move(reply));
}

void FeedbackManager::GetSurvey(CallMeta call, const v1::GetSurveyRequest& req,
                                Reply<v1::GetSurveyResponse> reply) {
  ViolationCollector v;
  CheckId(v, "survey_id", req.survey_id());
  if (!v.empty()) return reply(v.ToStatus());
  v1::Survey* out = reply.out()->mutable_survey();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(*out, feedback::GetSurvey(conn, req.survey_id()));
    return absl::OkStatus();
  }));
}

void FeedbackManager::ListSurveys(CallMeta call,
                                  const v1::ListSurveysRequest& req,
                                  Reply<v1::ListSurveysResponse> reply) {
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  const std::string scope = PageTokenScope(call.method, *call.principal, "");
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  v1::ListSurveysResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows,
                     feedback::ListSurveys(conn, *after, *page_size + 1));
    const bool more = static_cast<int>(rows.size()) > *page_size;
    if (more) rows.resize(*page_size);
    for (auto& [row, survey] : rows) *out->add_surveys() = std::move(survey);
    if (more)
      out->set_next_page_token(tokens_.Encode(scope, rows.back().first));
    return absl::OkStatus();
  }));
}

void FeedbackManager::SubmitSurveyResponse(
    CallMeta call, const v1::SubmitSurveyResponseRequest& req,
    Reply<v1::SubmitSurveyResponseResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  const v1::SurveyResponse& in = req.response();
  v1::SurveyResponse r;
  CheckId(v, "response.survey_id", in.survey_id());
  r.set_survey_id(in.survey_id());
  CheckId(v, "response.customer_id", in.customer_id());
  r.set_customer_id(in.customer_id());
  absl::Status denied;
  std::optional<std::string> branch =
      WriteBranch(v, *p, "response.branch_id", in.branch_id(), &denied);
  if (!denied.ok()) return reply(denied);
  r.set_branch_id(*branch);
  if (!in.order_id().empty()) CheckId(v, "response.order_id", in.order_id());
  r.set_order_id(in.order_id());
  if (!in.complaint_id().empty()) {
    CheckId(v, "response.complaint_id", in.complaint_id());
    if (!in.order_id().empty()) {
      v.Add("response.complaint_id",
            "must be empty when order_id is set: a response is about one "
            "order or one complaint");
    }
  }
  r.set_complaint_id(in.complaint_id());
  if (in.answers_size() < 1 || in.answers_size() > kMaxQuestions) {
    v.Add("response.answers",
          absl::StrCat("must have 1 to ", kMaxQuestions, " answers"));
  }
  if (!v.empty()) return reply(v.ToStatus());

  // Surveys never change once created: check the answers against the
  // survey here, so every bad answer is named before the writer is asked.
  absl::StatusOr<v1::Survey> survey = db_.Read(
      call.wait, [&](db::Connection& conn) -> absl::StatusOr<v1::Survey> {
        return feedback::GetSurvey(conn, in.survey_id(), "response.survey_id");
      });
  if (!survey.ok()) return reply(survey.status());
  absl::flat_hash_map<std::string, const v1::Question*> questions;
  for (const v1::Question& q : survey->questions()) {
    questions[q.question_id()] = &q;
  }
  // Free-text answers' terms; negative answers' first, so a term a
  // negative answer mentions counts as negative once per response.
  Terms negative_terms, other_terms;
  absl::flat_hash_set<std::string> answered;
  for (int i = 0; i < in.answers_size(); ++i) {
    const v1::Answer& a = in.answers(i);
    const std::string f = absl::StrCat("response.answers[", i, "]");
    auto q = questions.find(a.question_id());
    if (q == questions.end()) {
      v.Add(f + ".question_id",
            absl::StrCat("must name a question of survey '", in.survey_id(),
                         "' (q1 to q", survey->questions_size(), ")"));
      continue;
    }
    if (!answered.insert(a.question_id()).second) {
      v.Add(f + ".question_id", "answers a question an earlier answer answers");
      continue;
    }
    const v1::QuestionType type = q->second->type();
    v1::Answer* out = r.add_answers();
    out->set_question_id(a.question_id());
    const std::string type_name(v1::QuestionType_Name(type));
    auto must_be_empty = [&](bool set, absl::string_view field) {
      if (set) {
        v.Add(absl::StrCat(f, ".", field),
              absl::StrCat("must not be set for a ", type_name, " question"));
      }
    };
    must_be_empty(type != v1::QUESTION_TYPE_RATING && a.rating() != 0,
                  "rating");
    must_be_empty(
        type != v1::QUESTION_TYPE_NPS && (a.has_score() || a.score() != 0),
        "score");
    must_be_empty(!IsChoice(type) && a.choices_size() > 0, "choices");
    must_be_empty(type != v1::QUESTION_TYPE_FREE_TEXT && !a.text().empty(),
                  "text");
    switch (type) {
      case v1::QUESTION_TYPE_RATING:
        if (a.rating() < 1 || a.rating() > 5) {
          v.Add(f + ".rating", "must be 1 to 5");
        }
        out->set_rating(a.rating());
        break;
      case v1::QUESTION_TYPE_NPS:
        if (!a.has_score()) {
          v.Add(f + ".has_score",
                "must be true: an NPS answer is a score of 0 to 10");
        } else if (a.score() < 0 || a.score() > 10) {
          v.Add(f + ".score", "must be 0 to 10");
        }
        out->set_score(a.score());
        out->set_has_score(true);
        break;
      case v1::QUESTION_TYPE_SINGLE_CHOICE:
      case v1::QUESTION_TYPE_MULTIPLE_CHOICE: {
        const bool single = type == v1::QUESTION_TYPE_SINGLE_CHOICE;
        if (single ? a.choices_size() != 1 : a.choices_size() < 1) {
          v.Add(f + ".choices", single ? "must hold exactly one choice"
                                       : "must hold at least one choice");
        }
        absl::flat_hash_set<std::string> picked;
        for (int j = 0; j < a.choices_size() && j < kMaxChoices + 1; ++j) {
          const std::string& c = a.choices(j);
          const auto& allowed = q->second->choices();
          if (std::find(allowed.begin(), allowed.end(), c) == allowed.end()) {
            v.Add(absl::StrCat(f, ".choices[", j, "]"),
                  absl::StrCat("must be one of the choices of question ",
                               a.question_id()));
          } else if (!picked.insert(c).second) {
            v.Add(absl::StrCat(f, ".choices[", j, "]"),
                  "repeats an earlier choice");
          }
          out->add_choices(c);
        }
        break;
      }
      case v1::QUESTION_TYPE_FREE_TEXT: {
        // Analysed only once it is known to be good: the analyser would
        // name a text that is too long a second time.
        ViolationCollector text_v;
        out->set_text(
            Text(text_v, f + ".text", a.text(), 1, text::kMaxTextChars));
        if (!text_v.empty()) {
          v.Merge(text_v.ToStatus());
          break;
        }
        absl::StatusOr<text::Analysis> an =
            analyzer_.Analyze(out->text(), f + ".text");
        if (!an.ok()) {
          v.Merge(an.status());
          break;
        }
        ToProto(an->overall, out->mutable_sentiment());
        Terms t = TermsOf(*an);
        for (const std::string& s : t.topics) out->add_topics(s);
        for (const std::string& s : t.keywords) out->add_keywords(s);
        Terms& into = an->overall.label == text::SentimentLabel::kNegative
                          ? negative_terms
                          : other_terms;
        into.topics.insert(into.topics.end(), t.topics.begin(), t.topics.end());
        into.keywords.insert(into.keywords.end(), t.keywords.begin(),
                             t.keywords.end());
        break;
      }
      default:
        break;
    }
  }
  for (const v1::Question& q : survey->questions()) {
    if (q.required() && !answered.contains(q.question_id())) {
      v.Add("response.answers",
            absl::StrCat("must answer question ", q.question_id(),
                         ", which is required"));
    }
  }
  if (!v.empty()) return reply(v.ToStatus());

  db::SubmitMutation<v1::SubmitSurveyResponseResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "survey-responses"),
      req,
      [this, r = std::move(r), negative_terms = std::move(negative_terms),
       other_terms = std::move(other_terms)](
          db::MutationContext& ctx,
          v1::SubmitSurveyResponseResponse* out) mutable -> absl::Status {
        if (customers_ == nullptr) {
          return absl::NotFoundError(
              absl::StrCat("response.customer_id: customer '", r.customer_id(),
                           "' not found"));
        }
        RETURN_IF_ERROR(
            customers_->CheckCustomerActive(ctx.conn, r.customer_id()));
        if (!r.order_id().empty()) {
          if (orders_ == nullptr) {
            return absl::NotFoundError(absl::StrCat(
                "response.order_id: order '", r.order_id(), "' not found"));
          }
          RETURN_IF_ERROR(
              orders_
                  ->CheckOrderOfCustomer(ctx.conn, r.order_id(),
                                         r.customer_id(), "response.order_id",
                                         BranchScope(*ctx.meta.principal))
                  .status());
        }
        if (!r.complaint_id().empty()) {
          if (complaints_ == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("response.complaint_id: complaint '",
                             r.complaint_id(), "' not found"));
          }
          RETURN_IF_ERROR(complaints_
                              ->CheckComplaintOfCustomer(
                                  ctx.conn, r.complaint_id(), r.customer_id(),
                                  "response.complaint_id",
                                  BranchScope(*ctx.meta.principal))
                              .status());
        }
        ASSIGN_OR_RETURN(const bool exists, ResponseExists(ctx.conn, r));
        if (exists) {
          return ErrorWithReason(
              absl::StatusCode::kAlreadyExists, "RESPONSE_EXISTS",
              absl::StrCat(
                  "response: customer '", r.customer_id(),
                  "' already answered survey '", r.survey_id(), "'",
                  r.order_id().empty()
                      ? ""
                      : absl::StrCat(" about order '", r.order_id(), "'"),
                  r.complaint_id().empty()
                      ? ""
                      : absl::StrCat(" about complaint '", r.complaint_id(),
                                     "'")),
              {{"survey_id", r.survey_id()}});
        }
        StoredResponse sr;
        r.set_response_id(NewId("srp", ctx.now_micros));
        *r.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        sr.day = DayOf(ctx.now_micros);
        sr.r = r;
        ctx.meta.resource = SurveyResponseName(r.response_id());
        RETURN_IF_ERROR(InsertResponse(ctx.conn, sr));
        RETURN_IF_ERROR(InsertTerms(
            ctx.conn, Source::kSurveyAnswer, sr.row, r.branch_id(), sr.day,
            /*negative=*/true, negative_terms.topics, negative_terms.keywords));
        RETURN_IF_ERROR(InsertTerms(ctx.conn, Source::kSurveyAnswer, sr.row,
                                    r.branch_id(), sr.day, /*negative=*/false,
                                    other_terms.topics, other_terms.keywords));
        DailyFigures daily;
        daily.responses = 1;
        for (const v1::Answer& a : r.answers()) {
          if (a.rating() != 0) {
            RETURN_IF_ERROR(InsertScore(ctx.conn, Source::kSurveyAnswer,
                                        ScoreKind::kRating, a.rating(), sr.row,
                                        r.branch_id(), sr.day, daily));
          } else if (a.has_score()) {
            RETURN_IF_ERROR(InsertScore(ctx.conn, Source::kSurveyAnswer,
                                        ScoreKind::kNps, a.score(), sr.row,
                                        r.branch_id(), sr.day, daily));
          }
        }
        RETURN_IF_ERROR(AddDaily(ctx.conn, r.branch_id(), sr.day, daily));
        RETURN_IF_ERROR(AppendFeedbackEvent(ctx.conn, ctx.meta, ctx.now_micros,
                                            "survey_response", r.response_id(),
                                            SurveyResponseName(r.response_id()),
                                            "CREATED", 1, r));
        *out->mutable_response() = r;  // not moved: the op may run again
        return absl::OkStatus();
      },
      std::move(reply));
}

// ---- Feedback items ------------------------------------------------------

void FeedbackManager::SubmitFeedback(CallMeta call,
                                     const v1::SubmitFeedbackRequest& req,
                                     Reply<v1::SubmitFeedbackResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  const v1::FeedbackItem& in = req.feedback();
  StoredItem si;
  v1::FeedbackItem& item = si.item;
  if (!v1::FeedbackKind_IsValid(in.kind()) ||
      in.kind() == v1::FEEDBACK_KIND_UNSPECIFIED) {
    v.Add("feedback.kind",
          "must be one of FEEDBACK_KIND_COMMENT, _PRODUCT_REVIEW, "
          "_SUGGESTION, _PRAISE");
  }
  item.set_kind(in.kind());
  if (!v1::FeedbackChannel_IsValid(in.channel()) ||
      in.channel() == v1::FEEDBACK_CHANNEL_UNSPECIFIED) {
    v.Add("feedback.channel",
          "must be one of FEEDBACK_CHANNEL_IN_STORE, _ONLINE, _APP, _WECHAT, "
          "_SOCIAL_MEDIA, _PHONE, _EMAIL");
  }
  item.set_channel(in.channel());
  absl::Status denied;
  std::optional<std::string> branch =
      WriteBranch(v, *p, "feedback.branch_id", in.branch_id(), &denied);
  if (!denied.ok()) return reply(denied);
  item.set_branch_id(*branch);
  if (!in.customer_id().empty()) {
    CheckId(v, "feedback.customer_id", in.customer_id());
  }
  item.set_customer_id(in.customer_id());
  if (!in.sku().empty()) {
    item.set_sku(Label(v, "feedback.sku", in.sku(), 1, 64));
  }
  if (!in.order_id().empty()) {
    CheckId(v, "feedback.order_id", in.order_id());
    if (in.customer_id().empty()) {
      v.Add("feedback.order_id",
            "needs feedback.customer_id: an order is about its customer");
    }
  }
  item.set_order_id(in.order_id());
  if (in.rating() < 0 || in.rating() > 5) {
    v.Add("feedback.rating", "must be 1 to 5, or 0 for no rating");
  }
  item.set_rating(in.rating());
  item.set_text(Text(v, "feedback.text", in.text(), 1, text::kMaxTextChars));
  if (!v.empty()) return reply(v.ToStatus());

  // The analysis and the escalation rule, on the calling thread.
  absl::StatusOr<text::Analysis> analysis =
      analyzer_.Analyze(item.text(), "feedback.text");
  if (!analysis.ok()) return reply(analysis.status());
  ToProto(analysis->overall, item.mutable_sentiment());
  Terms terms = TermsOf(*analysis);
  for (const std::string& t : terms.topics) item.add_topics(t);
  for (const std::string& k : terms.keywords) item.add_keywords(k);
  const bool negative =
      analysis->overall.label == text::SentimentLabel::kNegative;
  bool severe = false;
  for (const std::string& k : options_.escalation_keywords) {
    if (absl::StrContains(analysis->normalized, k)) {
      item.set_escalation_reason(absl::StrCat("keyword ", k));
      severe = true;
      break;
    }
  }
  if (!severe && negative && item.rating() >= 1 &&
      item.rating() <= options_.escalation_max_rating) {
    item.set_escalation_reason(
        absl::StrCat("rating ", item.rating(), " with negative sentiment"));
  }
  const bool escalate = !item.escalation_reason().empty();

  db::SubmitMutation<v1::SubmitFeedbackResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "feedback"), req,
      [this, si = std::move(si), terms = std::move(terms), negative, escalate,
       severe](db::MutationContext& ctx,
               v1::SubmitFeedbackResponse* out) mutable -> absl::Status {
        v1::FeedbackItem& item = si.item;
        if (!item.customer_id().empty()) {
          if (customers_ == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("feedback.customer_id: customer '",
                             item.customer_id(), "' not found"));
          }
          RETURN_IF_ERROR(
              customers_->CheckCustomerActive(ctx.conn, item.customer_id()));
        }
        if (!item.order_id().empty()) {
          if (orders_ == nullptr) {
            return absl::NotFoundError(absl::StrCat(
                "feedback.order_id: order '", item.order_id(), "' not found"));
          }
          RETURN_IF_ERROR(orders_
                              ->CheckOrderOfCustomer(
                                  ctx.conn, item.order_id(), item.customer_id(),
                                  "feedback.order_id",
                                  BranchScope(*ctx.meta.principal))
                              .status());
        }
        item.set_feedback_id(NewId("fbk", ctx.now_micros));
        *item.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        si.day = DayOf(ctx.now_micros);
        ctx.meta.resource = FeedbackName(item.feedback_id());
        if (escalate) {
          // Anonymous feedback has nobody to answer: a person reviews it.
          if (item.customer_id().empty() || complaints_ == nullptr) {
            item.set_needs_review(true);
          } else {
            complaints::ComplaintIntake::Opening o;
            o.customer_id = item.customer_id();
            o.branch_id = item.branch_id();
            o.order_id = item.order_id();
            o.channel = ComplaintChannelOf(item.channel());
            o.category = CategoryOf(terms.topics);
            o.severity = severe ? complaints::v1::COMPLAINT_SEVERITY_SEVERE
                                : complaints::v1::COMPLAINT_SEVERITY_MODERATE;
            // No free text in the subject: the description carries the
            // customer's words, and erasure empties it.
            // The topics that fit in a complaint subject (200 characters,
            // all ASCII here).
            o.subject = absl::StrCat("Negative ", KindName(item.kind()), " ",
                                     item.feedback_id());
            for (size_t i = 0; i < terms.topics.size(); ++i) {
              const std::string more =
                  absl::StrCat(i == 0 ? ": " : ", ", terms.topics[i]);
              if (o.subject.size() + more.size() > 200) break;
              o.subject += more;
            }
            o.description = item.text();
            o.topics = terms.topics;
            o.keywords = terms.keyword_topics;
            o.feedback_id = item.feedback_id();
            ASSIGN_OR_RETURN(std::string complaint_id,
                             complaints_->OpenComplaint(ctx, o));
            item.set_complaint_id(std::move(complaint_id));
            // OpenComplaint names its own resource; the answer is ours.
            ctx.meta.resource = FeedbackName(item.feedback_id());
          }
        }
        RETURN_IF_ERROR(InsertItem(ctx.conn, si));
        RETURN_IF_ERROR(InsertTerms(ctx.conn, Source::kFeedbackItem, si.row,
                                    item.branch_id(), si.day, negative,
                                    terms.topics, terms.keywords));
        DailyFigures daily;
        daily.feedback_items = 1;
        if (item.rating() != 0) {
          RETURN_IF_ERROR(InsertScore(ctx.conn, Source::kFeedbackItem,
                                      ScoreKind::kRating, item.rating(), si.row,
                                      item.branch_id(), si.day, daily));
        }
        RETURN_IF_ERROR(AddDaily(ctx.conn, item.branch_id(), si.day, daily));
        RETURN_IF_ERROR(AppendFeedbackEvent(
            ctx.conn, ctx.meta, ctx.now_micros, "feedback", item.feedback_id(),
            FeedbackName(item.feedback_id()), "CREATED", 1, item));
        *out->mutable_feedback() = std::move(item);
        return absl::OkStatus();
      },
      std::move(reply));
}

void FeedbackManager::GetFeedback(CallMeta call,
                                  const v1::GetFeedbackRequest& req,
                                  Reply<v1::GetFeedbackResponse> reply) {
  ViolationCollector v;
  CheckId(v, "feedback_id", req.feedback_id());
  if (!v.empty()) return reply(v.ToStatus());
  v1::FeedbackItem* out = reply.out()->mutable_feedback();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(StoredItem si, GetItem(conn, req.feedback_id(),
                                            BranchScope(*call.principal)));
    *out = std::move(si.item);
    return absl::OkStatus();
  }));
}

void FeedbackManager::ListFeedback(CallMeta call,
                                   const v1::ListFeedbackRequest& req,
                                   Reply<v1::ListFeedbackResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  ItemQuery q;
  q.branch_scope = BranchScope(*p);
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  q.branch_id = req.branch_id();
  if (!v1::FeedbackKind_IsValid(req.kind()))
    v.Add("kind", "must be a FeedbackKind value");
  q.kind = req.kind();
  if (!req.sku().empty()) q.sku = Label(v, "sku", req.sku(), 1, 64);
  if (req.min_rating() < 0 || req.min_rating() > 5)
    v.Add("min_rating", "must be 1 to 5, or 0 for any");
  if (req.max_rating() < 0 || req.max_rating() > 5)
    v.Add("max_rating", "must be 1 to 5, or 0 for any");
  if (req.min_rating() > 0 && req.max_rating() > 0 &&
      req.min_rating() > req.max_rating())
    v.Add("max_rating", "must not be below min_rating");
  q.min_rating = req.min_rating();
  q.max_rating = req.max_rating();
  if (!v1::SentimentLabel_IsValid(req.sentiment()))
    v.Add("sentiment", "must be a SentimentLabel value");
  q.sentiment = req.sentiment();
  if (!req.topic().empty()) {
    if (!text::TopicFromId(req.topic())) {
      v.Add("topic", absl::StrCat("must be one of ",
                                  absl::StrJoin(text::kTopicIds, ", ")));
    }
    q.topic = req.topic();
  }
  if (!req.keyword().empty()) {
    const std::string keyword = Label(v, "keyword", req.keyword(), 1, 64);
    // Stored keywords are normalised (simplified, lower case): so is this.
    absl::StatusOr<text::Analysis> a = analyzer_.Analyze(keyword, "keyword");
    if (a.ok()) {
      q.keyword = a->normalized;
    } else {
      v.Merge(a.status());
    }
  }
  q.needs_review = req.needs_review();
  if (req.has_create_time_start())
    q.from_us = CheckTimestamp(v, "create_time_start", req.create_time_start());
  if (req.has_create_time_end())
    q.to_us = CheckTimestamp(v, "create_time_end", req.create_time_end());
  const std::string scope = PageTokenScope(
      call.method, *p,
      absl::StrCat("branch=", q.branch_id, "&kind=", static_cast<int>(q.kind),
                   "&sku=", q.sku, "&rating=", q.min_rating, "-", q.max_rating,
                   "&sentiment=", static_cast<int>(q.sentiment),
                   "&topic=", q.topic, "&keyword=", q.keyword,
                   "&review=", q.needs_review, "&from=", q.from_us.value_or(0),
                   "&to=", q.to_us.value_or(0)));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  q.after_row = *after;
  q.limit = *page_size + 1;
  v1::ListFeedbackResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<StoredItem> rows, ListItems(conn, q));
    const bool more = static_cast<int>(rows.size()) > *page_size;
    if (more) rows.resize(*page_size);
    for (StoredItem& si : rows) *out->add_feedback() = std::move(si.item);
    if (more) out->set_next_page_token(tokens_.Encode(scope, rows.back().row));
    return absl::OkStatus();
  }));
}

// ---- A person's data -----------------------------------------------------

absl::Status FeedbackManager::ExportPerson(
    db::Connection& conn, const std::string& customer_id,
    google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) {
  ASSIGN_OR_RETURN(std::vector<StoredItem> items,
                   ListCustomerItems(conn, customer_id));
  for (const StoredItem& si : items) out->Add()->PackFrom(si.item);
  ASSIGN_OR_RETURN(std::vector<StoredResponse> responses,
                   ListCustomerResponses(conn, customer_id));
  for (const StoredResponse& sr : responses) out->Add()->PackFrom(sr.r);
  ASSIGN_OR_RETURN(std::vector<StoredFollowUp> follow_ups,
                   ListCustomerFollowUps(conn, customer_id));
  for (const StoredFollowUp& sf : follow_ups) {
    v1::FollowUp f = sf.f;
    RETURN_IF_ERROR(
        FillContact(conn, customers_, customers::ContactView::kFull, &f));
    out->Add()->PackFrom(f);
  }
  return absl::OkStatus();
}

absl::Status FeedbackManager::ErasePerson(db::MutationContext& ctx,
                                          const std::string& customer_id) {
  const auto scrub = [&customer_id](google::protobuf::Message* m) {
    ScrubPerson(m, customer_id);
  };
  ASSIGN_OR_RETURN(std::vector<StoredItem> items,
                   ListCustomerItems(ctx.conn, customer_id));
  for (const StoredItem& si : items) {
    RETURN_IF_ERROR(EraseItem(ctx.conn, si.row));
    v1::FeedbackItem erased = si.item;
    ScrubPerson(&erased, customer_id);
    RETURN_IF_ERROR(AppendFeedbackEvent(
        ctx.conn, ctx.meta, ctx.now_micros, "feedback", si.item.feedback_id(),
        FeedbackName(si.item.feedback_id()), "TEXT_ERASED", 2, erased));
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, FeedbackName(si.item.feedback_id()), scrub));
  }
  ASSIGN_OR_RETURN(std::vector<StoredResponse> responses,
                   ListCustomerResponses(ctx.conn, customer_id));
  for (StoredResponse& sr : responses) {
    ScrubPerson(&sr.r, customer_id);
    RETURN_IF_ERROR(EraseResponse(ctx.conn, sr));
    RETURN_IF_ERROR(AppendFeedbackEvent(ctx.conn, ctx.meta, ctx.now_micros,
                                        "survey_response", sr.r.response_id(),
                                        SurveyResponseName(sr.r.response_id()),
                                        "TEXT_ERASED", 2, sr.r));
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, SurveyResponseName(sr.r.response_id()), scrub));
  }
  ASSIGN_OR_RETURN(std::vector<StoredFollowUp> follow_ups,
                   ListCustomerFollowUps(ctx.conn, customer_id));
  for (StoredFollowUp& sf : follow_ups) {
    ScrubPerson(&sf.f, customer_id);
    // Nobody is left to call: a pending visit is closed, with no outcome.
    if (sf.f.status() == v1::FOLLOW_UP_STATUS_PENDING) {
      sf.f.set_status(v1::FOLLOW_UP_STATUS_DONE);
      *sf.f.mutable_complete_time() =
          TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
    }
    sf.revision += 1;
    RETURN_IF_ERROR(UpdateFollowUp(ctx.conn, sf));
    RETURN_IF_ERROR(AppendFeedbackEvent(
        ctx.conn, ctx.meta, ctx.now_micros, "follow_up", sf.f.follow_up_id(),
        FollowUpName(sf.f.follow_up_id()), "TEXT_ERASED", sf.revision, sf.f));
    RETURN_IF_ERROR(db::RewriteStoredResponses(
        ctx.conn, FollowUpName(sf.f.follow_up_id()), scrub));
  }
  return absl::OkStatus();
}

}  // namespace retail::feedback
