#include "server/feedback/feedback_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/columns.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::feedback {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;
using ::retail::db::Param;
using SI = StoredItem;
using SF = StoredFollowUp;

// The rollups' branch_id for the whole chain.
const std::string& ChainWide() {
  static const std::string* const kChain = new std::string();
  return *kChain;
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}
void SetText(const Field& f, std::string* out) {
  const absl::string_view t = f.Text();
  out->assign(t.data(), t.size());
}
// Topics and keywords are stored one per line: an English keyword may hold
// a space ("not helpful"), never a line break.
template <typename Repeated>
void SplitInto(const Field& f, Repeated* out) {
  for (absl::string_view t : absl::StrSplit(f.Text(), '\n', absl::SkipEmpty()))
    out->Add(std::string(t));
}
template <typename Message>
bool ParseBlob(const Field& f, Message* out) {
  const absl::string_view b = f.Blob();
  return out->ParseFromArray(b.data(), static_cast<int>(b.size()));
}

// feedback_items, listed once.
constexpr db::Column<SI, SI> kItemColumns[] = {
    {"id", nullptr, [](const Field& f, SI& s) { s.row = f.Int64(); }},
    {"feedback_id", [](Param p, const SI& s) { p.Text(s.item.feedback_id()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_feedback_id()); }},
    {"kind", [](Param p, const SI& s) { p.Int(s.item.kind()); },
     [](const Field& f, SI& s) {
       s.item.set_kind(static_cast<v1::FeedbackKind>(f.Int()));
     }},
    {"channel", [](Param p, const SI& s) { p.Int(s.item.channel()); },
     [](const Field& f, SI& s) {
       s.item.set_channel(static_cast<v1::FeedbackChannel>(f.Int()));
     }},
    {"branch_id", [](Param p, const SI& s) { p.Text(s.item.branch_id()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_branch_id()); }},
    {"customer_id", [](Param p, const SI& s) { p.Text(s.item.customer_id()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_customer_id()); }},
    {"sku", [](Param p, const SI& s) { p.Text(s.item.sku()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_sku()); }},
    {"order_id", [](Param p, const SI& s) { p.Text(s.item.order_id()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_order_id()); }},
    {"rating", [](Param p, const SI& s) { p.Int(s.item.rating()); },
     [](const Field& f, SI& s) { s.item.set_rating(f.Int()); }},
    {"text", [](Param p, const SI& s) { p.Text(s.item.text()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_text()); }},
    {"sentiment",
     [](Param p, const SI& s) { p.Int(s.item.sentiment().label()); },
     [](const Field& f, SI& s) {
       s.item.mutable_sentiment()->set_label(
           static_cast<v1::SentimentLabel>(f.Int()));
     }},
    {"sentiment_score",
     [](Param p, const SI& s) { p.Double(s.item.sentiment().score()); },
     [](const Field& f, SI& s) {
       s.item.mutable_sentiment()->set_score(f.Double());
     }},
    {"topics",
     [](Param p, const SI& s) { p.Text(absl::StrJoin(s.item.topics(), "\n")); },
     [](const Field& f, SI& s) { SplitInto(f, s.item.mutable_topics()); }},
    {"keywords",
     [](Param p, const SI& s) {
       p.Text(absl::StrJoin(s.item.keywords(), "\n"));
     },
     [](const Field& f, SI& s) { SplitInto(f, s.item.mutable_keywords()); }},
    {"complaint_id",
     [](Param p, const SI& s) { p.Text(s.item.complaint_id()); },
     [](const Field& f, SI& s) { SetText(f, s.item.mutable_complaint_id()); }},
    {"needs_review",
     [](Param p, const SI& s) { p.Bool(s.item.needs_review()); },
     [](const Field& f, SI& s) { s.item.set_needs_review(f.Bool()); }},
    {"escalation_reason",
     [](Param p, const SI& s) { p.Text(s.item.escalation_reason()); },
     [](const Field& f, SI& s) {
       SetText(f, s.item.mutable_escalation_reason());
     }},
    {"text_erased", [](Param p, const SI& s) { p.Bool(s.item.text_erased()); },
     [](const Field& f, SI& s) { s.item.set_text_erased(f.Bool()); }},
    {"day", [](Param p, const SI& s) { p.Int64(s.day); },
     [](const Field& f, SI& s) { s.day = f.Int64(); }},
    {"create_time_us",
     [](Param p, const SI& s) { p.Int64(Micros(s.item.create_time())); },
     [](const Field& f, SI& s) {
       *s.item.mutable_create_time() = Ts(f.Int64());
     }},
};
using ItemColumns = db::ColumnSet<kItemColumns>;

// follow_ups, listed once.
constexpr db::Column<SF, SF> kFollowUpColumns[] = {
    {"id", nullptr, [](const Field& f, SF& s) { s.row = f.Int64(); }},
    {"follow_up_id", [](Param p, const SF& s) { p.Text(s.f.follow_up_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_follow_up_id()); }},
    {"revision", [](Param p, const SF& s) { p.Int64(s.revision); },
     [](const Field& f, SF& s) { s.revision = f.Int64(); }},
    {"customer_id", [](Param p, const SF& s) { p.Text(s.f.customer_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_customer_id()); }},
    {"branch_id", [](Param p, const SF& s) { p.Text(s.f.branch_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_branch_id()); }},
    {"reason", [](Param p, const SF& s) { p.Int(s.f.reason()); },
     [](const Field& f, SF& s) {
       s.f.set_reason(static_cast<v1::FollowUpReason>(f.Int()));
     }},
    {"due_us", [](Param p, const SF& s) { p.Int64(Micros(s.f.due_time())); },
     [](const Field& f, SF& s) { *s.f.mutable_due_time() = Ts(f.Int64()); }},
    {"order_id", [](Param p, const SF& s) { p.Text(s.f.order_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_order_id()); }},
    {"complaint_id", [](Param p, const SF& s) { p.Text(s.f.complaint_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_complaint_id()); }},
    {"owner_id", [](Param p, const SF& s) { p.Text(s.f.owner_id()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_owner_id()); }},
    {"status", [](Param p, const SF& s) { p.Int(s.f.status()); },
     [](const Field& f, SF& s) {
       s.f.set_status(static_cast<v1::FollowUpStatus>(f.Int()));
     }},
    {"outcome", [](Param p, const SF& s) { p.Int(s.f.outcome()); },
     [](const Field& f, SF& s) {
       s.f.set_outcome(static_cast<v1::FollowUpOutcome>(f.Int()));
     }},
    {"satisfaction", [](Param p, const SF& s) { p.Int(s.f.satisfaction()); },
     [](const Field& f, SF& s) { s.f.set_satisfaction(f.Int()); }},
    {"repurchase_intent",
     [](Param p, const SF& s) { p.Int(s.f.repurchase_intent()); },
     [](const Field& f, SF& s) {
       s.f.set_repurchase_intent(static_cast<v1::RepurchaseIntent>(f.Int()));
     }},
    {"notes", [](Param p, const SF& s) { p.Text(s.f.notes()); },
     [](const Field& f, SF& s) { SetText(f, s.f.mutable_notes()); }},
    {"automatic", [](Param p, const SF& s) { p.Bool(s.f.automatic()); },
     [](const Field& f, SF& s) { s.f.set_automatic(f.Bool()); }},
    {"cause",
     [](Param p, const SF& s) {
       if (s.cause) {
         p.Text(*s.cause);
       } else {
         p.Null();
       }
     },
     [](const Field& f, SF& s) {
       if (!f.IsNull()) s.cause = std::string(f.Text());
     }},
    {"create_time_us",
     [](Param p, const SF& s) { p.Int64(Micros(s.f.create_time())); },
     [](const Field& f, SF& s) { *s.f.mutable_create_time() = Ts(f.Int64()); }},
    {"complete_time_us",
     [](Param p, const SF& s) {
       if (s.f.has_complete_time()) {
         p.Int64(Micros(s.f.complete_time()));
       } else {
         p.Null();
       }
     },
     [](const Field& f, SF& s) {
       if (!f.IsNull()) *s.f.mutable_complete_time() = Ts(f.Int64());
     }},
};
using FollowUpColumns = db::ColumnSet<kFollowUpColumns>;

struct Statements {
  std::string insert_survey, get_survey, list_surveys;
  std::string response_exists, insert_response, customer_responses,
      erase_response;
  std::string insert_item, get_item, list_items, list_items_by_term,
      customer_items, erase_item;
  std::string insert_term, add_term_daily, insert_score, add_daily, read_daily,
      read_daily_branch, top_terms;
  std::string insert_follow_up, update_follow_up, get_follow_up,
      list_follow_ups, customer_follow_ups, cause_taken, complaint_follow_up;
  std::string get_scan, put_scan;
};

// ListFeedback's filters after the keyset. ?1 branch, ?2 kind, ?3 sku,
// ?4 min rating, ?5 max rating, ?6 sentiment, ?7 needs review, ?8 from,
// ?9 to (NULL: open), ?10 after row, ?11 limit, ?12 topic, ?13 keyword.
// The term filters are EXISTS probes into feedback_terms' primary key;
// when one is given the list is driven from feedback_terms instead (below).
constexpr char kItemFilters[] =
    " (?1 = '' OR f.branch_id = ?1) AND (?2 = 0 OR f.kind = ?2)"
    " AND (?3 = '' OR f.sku = ?3) AND (?4 = 0 OR f.rating >= ?4)"
    " AND (?5 = 0 OR (f.rating BETWEEN 1 AND ?5))"
    " AND (?6 = 0 OR f.sentiment = ?6) AND (?7 = 0 OR f.needs_review = 1)"
    " AND (?8 IS NULL OR f.create_time_us >= ?8)"
    " AND (?9 IS NULL OR f.create_time_us < ?9)"
    " AND (?12 = '' OR EXISTS (SELECT 1 FROM feedback_terms t1 WHERE"
    "  t1.source = 2 AND t1.kind = 1 AND t1.term = ?12 AND t1.ref_row = f.id))"
    " AND (?13 = '' OR EXISTS (SELECT 1 FROM feedback_terms t2 WHERE"
    "  t2.source = 2 AND t2.kind = 2 AND t2.term = ?13 AND t2.ref_row = f.id))";

Statements Build() {
  Statements s;
  s.insert_survey =
      "INSERT INTO surveys (survey_id, body, create_time_us) VALUES (?1, ?2, "
      "?3)";
  s.get_survey = "SELECT body FROM surveys WHERE survey_id = ?1";
  s.list_surveys =
      "SELECT id, body FROM surveys WHERE id > ?1 ORDER BY id LIMIT ?2";
  s.response_exists =
      "SELECT 1 FROM survey_responses WHERE survey_id = ?1 AND customer_id = ?2"
      " AND order_id = ?3 AND complaint_id = ?4 AND customer_id <> ''";
  s.insert_response =
      "INSERT INTO survey_responses (response_id, survey_id, customer_id,"
      " branch_id, order_id, complaint_id, body, text_erased, day,"
      " create_time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  s.customer_responses =
      "SELECT id, body, text_erased, day FROM survey_responses"
      " WHERE customer_id = ?1 AND customer_id <> '' ORDER BY id";
  s.erase_response =
      "UPDATE survey_responses SET customer_id = '', body = ?2,"
      " text_erased = 1 WHERE id = ?1";

  const std::string cols = ItemColumns::SelectList("f");
  s.insert_item = ItemColumns::InsertInto("feedback_items");
  s.get_item = absl::StrCat("SELECT ", cols,
                            " FROM feedback_items f WHERE f.feedback_id = ?1"
                            " AND (?2 = '' OR f.branch_id = ?2)");
  s.list_items =
      absl::StrCat("SELECT ", cols, " FROM feedback_items f WHERE",
                   kItemFilters, " AND f.id > ?10 ORDER BY f.id LIMIT ?11");
  // A topic or keyword filter: walk that term's rows (an index range in
  // item order), not every item. ?14 kind, ?15 term.
  s.list_items_by_term = absl::StrCat(
      "SELECT ", cols,
      " FROM feedback_terms t JOIN feedback_items f ON f.id = t.ref_row"
      " WHERE t.source = 2 AND t.kind = ?14 AND t.term = ?15"
      " AND t.ref_row > ?10 AND",
      kItemFilters, " ORDER BY t.ref_row LIMIT ?11");
  s.customer_items = absl::StrCat(
      "SELECT ", cols,
      " FROM feedback_items f WHERE f.customer_id = ?1 AND f.customer_id <> ''"
      " ORDER BY f.id");
  s.erase_item =
      "UPDATE feedback_items SET text = '', customer_id = '', text_erased = 1"
      " WHERE id = ?1";

  s.insert_term =
      "INSERT INTO feedback_terms (source, kind, term, ref_row,"
      " negative, branch_id, day) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
      " ON CONFLICT DO NOTHING";
  s.add_term_daily =
      "INSERT INTO feedback_term_daily (branch_id, day, kind, term, count)"
      " VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT (branch_id, day, kind, term)"
      " DO UPDATE SET count = feedback_term_daily.count + 1";
  s.insert_score =
      "INSERT INTO feedback_scores (source, kind, value, ref_row, branch_id,"
      " day) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  s.add_daily =
      "INSERT INTO feedback_daily (day, branch_id, survey_ratings,"
      " survey_satisfied, survey_rating_sum, feedback_ratings,"
      " feedback_satisfied, feedback_rating_sum, nps_count, nps_promoters,"
      " nps_detractors, responses, feedback_items) VALUES (?1, ?2, ?3, ?4, ?5,"
      " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (day, branch_id) DO"
      " UPDATE SET survey_ratings = feedback_daily.survey_ratings + ?3,"
      " survey_satisfied = feedback_daily.survey_satisfied + ?4,"
      " survey_rating_sum = feedback_daily.survey_rating_sum + ?5,"
      " feedback_ratings = feedback_daily.feedback_ratings + ?6,"
      " feedback_satisfied = feedback_daily.feedback_satisfied + ?7,"
      " feedback_rating_sum = feedback_daily.feedback_rating_sum + ?8,"
      " nps_count = feedback_daily.nps_count + ?9,"
      " nps_promoters = feedback_daily.nps_promoters + ?10,"
      " nps_detractors = feedback_daily.nps_detractors + ?11,"
      " responses = feedback_daily.responses + ?12,"
      " feedback_items = feedback_daily.feedback_items + ?13";
  constexpr char kDailyCols[] =
      "day, branch_id, survey_ratings, survey_satisfied, survey_rating_sum,"
      " feedback_ratings, feedback_satisfied, feedback_rating_sum, nps_count,"
      " nps_promoters, nps_detractors, responses, feedback_items";
  s.read_daily = absl::StrCat("SELECT ", kDailyCols,
                              " FROM feedback_daily WHERE day BETWEEN ?1 AND"
                              " ?2 ORDER BY day, branch_id");
  s.read_daily_branch =
      absl::StrCat("SELECT ", kDailyCols,
                   " FROM feedback_daily WHERE day BETWEEN ?1 AND ?2"
                   " AND branch_id = ?3 ORDER BY day");
  s.top_terms =
      "SELECT term, CAST(SUM(count) AS BIGINT) AS n FROM feedback_term_daily"
      " WHERE branch_id = ?1 AND day BETWEEN ?2 AND ?3 AND kind = ?4"
      " GROUP BY term ORDER BY n DESC, term LIMIT ?5";

  const std::string fcols = FollowUpColumns::SelectList();
  s.insert_follow_up = FollowUpColumns::InsertInto("follow_ups");
  s.update_follow_up = absl::StrCat(
      "UPDATE follow_ups SET ", FollowUpColumns::Assignments(), " WHERE id = ?",
      FollowUpColumns::kParams + 1, " AND revision = ?",
      FollowUpColumns::ParamOf("revision"), " - 1");
  s.get_follow_up = absl::StrCat("SELECT ", fcols,
                                 " FROM follow_ups WHERE follow_up_id = ?1"
                                 " AND (?2 = '' OR branch_id = ?2)");
  // Earliest due first: (due_us, id) keyset. ?1 branch, ?2 status, ?3
  // owner, ?4 due from, ?5 due to (NULL: open), ?6 after due, ?7 after
  // row, ?8 limit.
  s.list_follow_ups = absl::StrCat(
      "SELECT ", fcols,
      " FROM follow_ups WHERE (?1 = '' OR branch_id = ?1)"
      " AND (?2 = 0 OR status = ?2) AND (?3 = '' OR owner_id = ?3)"
      " AND (?4 IS NULL OR due_us >= ?4) AND (?5 IS NULL OR due_us < ?5)"
      " AND (due_us > ?6 OR (due_us = ?6 AND id > ?7))"
      " ORDER BY due_us, id LIMIT ?8");
  s.customer_follow_ups =
      absl::StrCat("SELECT ", fcols,
                   " FROM follow_ups WHERE customer_id = ?1 AND customer_id"
                   " <> '' ORDER BY id");
  s.cause_taken = "SELECT 1 FROM follow_ups WHERE cause = ?1";
  s.complaint_follow_up =
      "SELECT 1 FROM follow_ups WHERE complaint_id = ?1 AND reason = 2";
  s.get_scan =
      "SELECT after_us, after_row FROM follow_up_scans WHERE name = ?1";
  s.put_scan =
      "INSERT INTO follow_up_scans (name, after_us, after_row) VALUES (?1, ?2,"
      " ?3) ON CONFLICT (name) DO UPDATE SET after_us = excluded.after_us,"
      " after_row = excluded.after_row";
  return s;
}

const Statements& Sql() {
  static const Statements* const s = new Statements(Build());
  return *s;
}

void BindOpt(db::Stmt& s, int index, const std::optional<int64_t>& v) {
  if (v) {
    s->Bind(index, static_cast<int64_t>(*v));
  } else {
    s->Bind(index);
  }
}

}  // namespace

// ---- Surveys and responses ----------------------------------------------

absl::Status InsertSurvey(db::Connection& conn, const v1::Survey& survey,
                          int64_t now_us) {
  return db::Guard("insert survey", [&] {
    db::Stmt s = conn.Prepare(Sql().insert_survey);
    s->Bind(1, survey.survey_id());
    const std::string body = survey.SerializeAsString();
    s->Bind(2, body.data(), static_cast<int>(body.size()));
    s->Bind(3, static_cast<int64_t>(now_us));
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Survey> GetSurvey(db::Connection& conn,
                                     const std::string& survey_id,
                                     absl::string_view field) {
  return db::Guard("get survey", [&]() -> absl::StatusOr<v1::Survey> {
    db::Stmt s = conn.Prepare(Sql().get_survey);
    s->Bind(1, survey_id);
    if (!s->Step()) {
      return absl::NotFoundError(
          absl::StrCat(field, ": survey '", survey_id, "' not found"));
    }
    v1::Survey out;
    if (!ParseBlob(Field(*s, 0), &out)) {
      return absl::DataLossError(
          absl::StrCat("survey '", survey_id, "' cannot be read"));
    }
    return out;
  });
}

absl::StatusOr<std::vector<std::pair<int64_t, v1::Survey>>> ListSurveys(
    db::Connection& conn, int64_t after, int limit) {
  using Out = std::vector<std::pair<int64_t, v1::Survey>>;
  return db::Guard("list surveys", [&]() -> absl::StatusOr<Out> {
    db::Stmt s = conn.Prepare(Sql().list_surveys);
    s->Bind(1, static_cast<int64_t>(after));
    s->Bind(2, limit);
    Out out;
    while (s->Step()) {
      auto& [row, survey] = out.emplace_back();
      row = s->Int64(0);
      if (!ParseBlob(Field(*s, 1), &survey)) {
        return absl::DataLossError("a survey cannot be read");
      }
    }
    return out;
  });
}

absl::StatusOr<bool> ResponseExists(db::Connection& conn,
                                    const v1::SurveyResponse& r) {
  return db::Guard("survey response exists", [&]() -> absl::StatusOr<bool> {
    db::Stmt s = conn.Prepare(Sql().response_exists);
    s->Bind(1, r.survey_id());
    s->Bind(2, r.customer_id());
    s->Bind(3, r.order_id());
    s->Bind(4, r.complaint_id());
    return s->Step();
  });
}

absl::Status InsertResponse(db::Connection& conn, StoredResponse& sr) {
  return db::Guard("insert survey response", [&] {
    const v1::SurveyResponse& r = sr.r;
    db::Stmt s = conn.PrepareInsert(Sql().insert_response);
    s->Bind(1, r.response_id());
    s->Bind(2, r.survey_id());
    s->Bind(3, r.customer_id());
    s->Bind(4, r.branch_id());
    s->Bind(5, r.order_id());
    s->Bind(6, r.complaint_id());
    const std::string body = r.SerializeAsString();
    s->Bind(7, body.data(), static_cast<int>(body.size()));
    s->Bind(8, sr.text_erased ? 1 : 0);
    s->Bind(9, static_cast<int64_t>(sr.day));
    s->Bind(10, static_cast<int64_t>(Micros(r.create_time())));
    sr.row = conn.ExecInsert(s);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StoredResponse>> ListCustomerResponses(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard(
      "customer survey responses",
      [&]() -> absl::StatusOr<std::vector<StoredResponse>> {
        db::Stmt s = conn.Prepare(Sql().customer_responses);
        s->Bind(1, customer_id);
        std::vector<StoredResponse> out;
        while (s->Step()) {
          StoredResponse& sr = out.emplace_back();
          sr.row = s->Int64(0);
          if (!ParseBlob(Field(*s, 1), &sr.r)) {
            return absl::DataLossError("a survey response cannot be read");
          }
          sr.text_erased = s->Int(2) != 0;
          sr.day = s->Int64(3);
        }
        return out;
      });
}

absl::Status EraseResponse(db::Connection& conn, const StoredResponse& sr) {
  return db::Guard("erase survey response", [&] {
    db::Stmt s = conn.Prepare(Sql().erase_response);
    s->Bind(1, static_cast<int64_t>(sr.row));
    const std::string body = sr.r.SerializeAsString();
    s->Bind(2, body.data(), static_cast<int>(body.size()));
    s->Exec();
    return absl::OkStatus();
  });
}

// ---- Feedback items ------------------------------------------------------

absl::Status InsertItem(db::Connection& conn, StoredItem& si) {
  return db::Guard("insert feedback", [&] {
    db::Stmt s = conn.PrepareInsert(Sql().insert_item);
    ItemColumns::Bind(s, si);
    si.row = conn.ExecInsert(s);
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredItem> GetItem(db::Connection& conn,
                                   const std::string& feedback_id,
                                   const std::string& branch_scope) {
  return db::Guard("get feedback", [&]() -> absl::StatusOr<StoredItem> {
    db::Stmt s = conn.Prepare(Sql().get_item);
    s->Bind(1, feedback_id);
    s->Bind(2, branch_scope);
    if (!s->Step()) {
      // Same answer for "missing" and "another branch's".
      return absl::NotFoundError(
          absl::StrCat("feedback '", feedback_id, "' not found"));
    }
    StoredItem si;
    ItemColumns::Read(s, si);
    return si;
  });
}

absl::StatusOr<std::vector<StoredItem>> ListItems(db::Connection& conn,
                                                  const ItemQuery& q) {
  return db::Guard(
      "list feedback", [&]() -> absl::StatusOr<std::vector<StoredItem>> {
        std::string branch = q.branch_id;
        if (!q.branch_scope.empty()) {
          if (!branch.empty() && branch != q.branch_scope) {
            return std::vector<StoredItem>{};
          }
          branch = q.branch_scope;
        }
        const bool by_term = !q.keyword.empty() || !q.topic.empty();
        db::Stmt s =
            conn.Prepare(by_term ? Sql().list_items_by_term : Sql().list_items);
        s->Bind(1, branch);
        s->Bind(2, static_cast<int>(q.kind));
        s->Bind(3, q.sku);
        s->Bind(4, q.min_rating);
        s->Bind(5, q.max_rating);
        s->Bind(6, static_cast<int>(q.sentiment));
        s->Bind(7, q.needs_review ? 1 : 0);
        BindOpt(s, 8, q.from_us);
        BindOpt(s, 9, q.to_us);
        s->Bind(10, static_cast<int64_t>(q.after_row));
        s->Bind(11, q.limit);
        s->Bind(12, q.topic);
        s->Bind(13, q.keyword);
        if (by_term) {
          // Drive from the keyword (the rarer term); the topic, if also
          // given, is the EXISTS probe.
          const bool keyword = !q.keyword.empty();
          s->Bind(14, static_cast<int>(keyword ? TermKind::kKeyword
                                               : TermKind::kTopic));
          s->Bind(15, keyword ? q.keyword : q.topic);
        }
        std::vector<StoredItem> out;
        while (s->Step()) {
          StoredItem& si = out.emplace_back();
          ItemColumns::Read(s, si);
        }
        return out;
      });
}

absl::StatusOr<std::vector<StoredItem>> ListCustomerItems(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard("customer feedback",
                   [&]() -> absl::StatusOr<std::vector<StoredItem>> {
                     db::Stmt s = conn.Prepare(Sql().customer_items);
                     s->Bind(1, customer_id);
                     std::vector<StoredItem> out;
                     while (s->Step()) {
                       StoredItem& si = out.emplace_back();
                       ItemColumns::Read(s, si);
                     }
                     return out;
                   });
}

absl::Status EraseItem(db::Connection& conn, int64_t row) {
  return db::Guard("erase feedback", [&] {
    db::Stmt s = conn.Prepare(Sql().erase_item);
    s->Bind(1, static_cast<int64_t>(row));
    s->Exec();
    return absl::OkStatus();
  });
}

// ---- Terms, scores, rollups ----------------------------------------------

absl::Status InsertTerms(db::Connection& conn, Source source, int64_t ref_row,
                         const std::string& branch_id, int64_t day,
                         bool negative, const std::vector<std::string>& topics,
                         const std::vector<std::string>& keywords) {
  return db::Guard("insert feedback terms", [&] {
    for (TermKind kind : {TermKind::kTopic, TermKind::kKeyword}) {
      for (const std::string& term :
           kind == TermKind::kTopic ? topics : keywords) {
        db::Stmt s = conn.Prepare(Sql().insert_term);
        s->Bind(1, static_cast<int>(source));
        s->Bind(2, static_cast<int>(kind));
        s->Bind(3, term);
        s->Bind(4, static_cast<int64_t>(ref_row));
        s->Bind(5, negative ? 1 : 0);
        s->Bind(6, branch_id);
        s->Bind(7, static_cast<int64_t>(day));
        // A repeated term of one record counts once.
        if (s->Exec() == 0 || !negative) continue;
        for (const std::string* branch : {&branch_id, &ChainWide()}) {
          db::Stmt d = conn.Prepare(Sql().add_term_daily);
          d->Bind(1, *branch);
          d->Bind(2, static_cast<int64_t>(day));
          d->Bind(3, static_cast<int>(kind));
          d->Bind(4, term);
          d->Exec();
        }
      }
    }
    return absl::OkStatus();
  });
}

absl::Status InsertScore(db::Connection& conn, Source source, ScoreKind kind,
                         int value, int64_t ref_row,
                         const std::string& branch_id, int64_t day,
                         DailyFigures& daily) {
  RETURN_IF_ERROR(db::Guard("insert feedback score", [&] {
    db::Stmt s = conn.Prepare(Sql().insert_score);
    s->Bind(1, static_cast<int>(source));
    s->Bind(2, static_cast<int>(kind));
    s->Bind(3, value);
    s->Bind(4, static_cast<int64_t>(ref_row));
    s->Bind(5, branch_id);
    s->Bind(6, static_cast<int64_t>(day));
    s->Exec();
    return absl::OkStatus();
  }));
  if (kind == ScoreKind::kNps) {
    daily.nps_count += 1;
    daily.nps_promoters += value >= 9;
    daily.nps_detractors += value <= 6;
  } else if (source == Source::kSurveyAnswer) {
    daily.survey_ratings += 1;
    daily.survey_satisfied += value >= 4;
    daily.survey_rating_sum += value;
  } else {
    daily.feedback_ratings += 1;
    daily.feedback_satisfied += value >= 4;
    daily.feedback_rating_sum += value;
  }
  return absl::OkStatus();
}

absl::Status AddDaily(db::Connection& conn, const std::string& branch_id,
                      int64_t day, const DailyFigures& d) {
  return db::Guard("add feedback daily figures", [&] {
    db::Stmt s = conn.Prepare(Sql().add_daily);
    s->Bind(1, static_cast<int64_t>(day));
    s->Bind(2, branch_id);
    int i = 3;
    for (int64_t v : {d.survey_ratings, d.survey_satisfied, d.survey_rating_sum,
                      d.feedback_ratings, d.feedback_satisfied,
                      d.feedback_rating_sum, d.nps_count, d.nps_promoters,
                      d.nps_detractors, d.responses, d.feedback_items}) {
      s->Bind(i++, static_cast<int64_t>(v));
    }
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<DailyRow>> ReadDaily(db::Connection& conn,
                                                const std::string& branch_id,
                                                int64_t from_day,
                                                int64_t to_day) {
  return db::Guard(
      "read feedback daily figures",
      [&]() -> absl::StatusOr<std::vector<DailyRow>> {
        db::Stmt s = conn.Prepare(branch_id.empty() ? Sql().read_daily
                                                    : Sql().read_daily_branch);
        s->Bind(1, static_cast<int64_t>(from_day));
        s->Bind(2, static_cast<int64_t>(to_day));
        if (!branch_id.empty()) s->Bind(3, branch_id);
        std::vector<DailyRow> out;
        while (s->Step()) {
          DailyRow& r = out.emplace_back();
          r.day = s->Int64(0);
          r.branch_id = s->String(1);
          int i = 2;
          for (int64_t* v :
               {&r.f.survey_ratings, &r.f.survey_satisfied,
                &r.f.survey_rating_sum, &r.f.feedback_ratings,
                &r.f.feedback_satisfied, &r.f.feedback_rating_sum,
                &r.f.nps_count, &r.f.nps_promoters, &r.f.nps_detractors,
                &r.f.responses, &r.f.feedback_items}) {
            *v = s->Int64(i++);
          }
        }
        return out;
      });
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TopNegativeTerms(
    db::Connection& conn, const std::string& branch_id, int64_t from_day,
    int64_t to_day, TermKind kind, int top) {
  using Out = std::vector<std::pair<std::string, int64_t>>;
  return db::Guard("top negative terms", [&]() -> absl::StatusOr<Out> {
    db::Stmt s = conn.Prepare(Sql().top_terms);
    s->Bind(1, branch_id);
    s->Bind(2, static_cast<int64_t>(from_day));
    s->Bind(3, static_cast<int64_t>(to_day));
    s->Bind(4, static_cast<int>(kind));
    s->Bind(5, top);
    Out out;
    while (s->Step()) {
      out.emplace_back(s->String(0), s->Int64(1));
    }
    return out;
  });
}

// ---- Follow-ups ------------------------------------------------------------

absl::Status InsertFollowUp(db::Connection& conn, StoredFollowUp& sf) {
  return db::Guard("insert follow-up", [&] {
    db::Stmt s = conn.PrepareInsert(Sql().insert_follow_up);
    FollowUpColumns::Bind(s, sf);
    sf.row = conn.ExecInsert(s);
    return absl::OkStatus();
  });
}

absl::Status UpdateFollowUp(db::Connection& conn, const StoredFollowUp& sf) {
  return db::Guard("update follow-up", [&] {
    db::Stmt s = conn.Prepare(Sql().update_follow_up);
    FollowUpColumns::Bind(s, sf);
    s->Bind(FollowUpColumns::kParams + 1, static_cast<int64_t>(sf.row));
    if (s->Exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("follow-up changed concurrently");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredFollowUp> GetFollowUp(db::Connection& conn,
                                           const std::string& follow_up_id,
                                           const std::string& branch_scope) {
  return db::Guard("get follow-up", [&]() -> absl::StatusOr<StoredFollowUp> {
    db::Stmt s = conn.Prepare(Sql().get_follow_up);
    s->Bind(1, follow_up_id);
    s->Bind(2, branch_scope);
    if (!s->Step()) {
      return absl::NotFoundError(
          absl::StrCat("follow-up '", follow_up_id, "' not found"));
    }
    StoredFollowUp sf;
    FollowUpColumns::Read(s, sf);
    return sf;
  });
}

absl::StatusOr<std::vector<StoredFollowUp>> ListFollowUps(
    db::Connection& conn, const FollowUpQuery& q) {
  return db::Guard("list follow-ups",
                   [&]() -> absl::StatusOr<std::vector<StoredFollowUp>> {
                     std::string branch = q.branch_id;
                     if (!q.branch_scope.empty()) {
                       if (!branch.empty() && branch != q.branch_scope) {
                         return std::vector<StoredFollowUp>{};
                       }
                       branch = q.branch_scope;
                     }
                     db::Stmt s = conn.Prepare(Sql().list_follow_ups);
                     s->Bind(1, branch);
                     s->Bind(2, static_cast<int>(q.status));
                     s->Bind(3, q.owner_id);
                     BindOpt(s, 4, q.due_from_us);
                     BindOpt(s, 5, q.due_to_us);
                     s->Bind(6, static_cast<int64_t>(q.after_due_us));
                     s->Bind(7, static_cast<int64_t>(q.after_row));
                     s->Bind(8, q.limit);
                     std::vector<StoredFollowUp> out;
                     while (s->Step()) {
                       StoredFollowUp& sf = out.emplace_back();
                       FollowUpColumns::Read(s, sf);
                     }
                     return out;
                   });
}

absl::StatusOr<std::vector<StoredFollowUp>> ListCustomerFollowUps(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard("customer follow-ups",
                   [&]() -> absl::StatusOr<std::vector<StoredFollowUp>> {
                     db::Stmt s = conn.Prepare(Sql().customer_follow_ups);
                     s->Bind(1, customer_id);
                     std::vector<StoredFollowUp> out;
                     while (s->Step()) {
                       StoredFollowUp& sf = out.emplace_back();
                       FollowUpColumns::Read(s, sf);
                     }
                     return out;
                   });
}

absl::StatusOr<bool> CauseTaken(db::Connection& conn,
                                const std::string& cause) {
  return db::Guard("follow-up cause", [&]() -> absl::StatusOr<bool> {
    db::Stmt s = conn.Prepare(Sql().cause_taken);
    s->Bind(1, cause);
    return s->Step();
  });
}

absl::StatusOr<bool> ComplaintFollowUpExists(db::Connection& conn,
                                             const std::string& complaint_id) {
  return db::Guard("complaint follow-up", [&]() -> absl::StatusOr<bool> {
    db::Stmt s = conn.Prepare(Sql().complaint_follow_up);
    s->Bind(1, complaint_id);
    return s->Step();
  });
}

absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> GetScan(
    db::Connection& conn, const std::string& name) {
  using Out = std::optional<std::pair<int64_t, int64_t>>;
  return db::Guard("get follow-up scan", [&]() -> absl::StatusOr<Out> {
    db::Stmt s = conn.Prepare(Sql().get_scan);
    s->Bind(1, name);
    if (!s->Step()) return Out();
    return Out(std::in_place, s->Int64(0), s->Int64(1));
  });
}

absl::Status PutScan(db::Connection& conn, const std::string& name,
                     int64_t after_us, int64_t after_row) {
  return db::Guard("put follow-up scan", [&] {
    db::Stmt s = conn.Prepare(Sql().put_scan);
    s->Bind(1, name);
    s->Bind(2, static_cast<int64_t>(after_us));
    s->Bind(3, static_cast<int64_t>(after_row));
    s->Exec();
    return absl::OkStatus();
  });
}

}  // namespace retail::feedback
