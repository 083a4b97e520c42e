// GetSatisfactionReport: CSAT against the 85% target, NPS, averages, the
// weekly trend, the top negative topics and keywords, and the per-branch
// breakdown, all summed from the daily rollups (feedback_daily,
// feedback_term_daily), which are written with the rows they count.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/validation.h"
#include "server/feedback/feedback_manager.h"
#include "server/feedback/feedback_store.h"

namespace retail::feedback {
namespace {

constexpr double kCsatTarget = 0.85;
constexpr int kMaxReportDays = 366;

const absl::CivilDay kEpoch(1970, 1, 1);

common::v1::Date ToDate(absl::CivilDay d) {
  common::v1::Date out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

void Ratings(int64_t count, int64_t satisfied, int64_t sum,
             v1::RatingFigures* out) {
  out->set_count(count);
  out->set_satisfied(satisfied);
  out->set_csat(count == 0 ? 0
                           : static_cast<double>(satisfied) /
                                 static_cast<double>(count));
  out->set_average(
      count == 0 ? 0 : static_cast<double>(sum) / static_cast<double>(count));
}
void AllRatings(const DailyFigures& f, v1::RatingFigures* out) {
  Ratings(f.survey_ratings + f.feedback_ratings,
          f.survey_satisfied + f.feedback_satisfied,
          f.survey_rating_sum + f.feedback_rating_sum, out);
}
void Nps(const DailyFigures& f, v1::NpsFigures* out) {
  out->set_count(f.nps_count);
  out->set_promoters(f.nps_promoters);
  out->set_detractors(f.nps_detractors);
  out->set_nps(
      f.nps_count == 0
          ? 0
          : 100.0 * static_cast<double>(f.nps_promoters - f.nps_detractors) /
                static_cast<double>(f.nps_count));
}
bool TargetMet(const v1::RatingFigures& r) {
  return r.count() > 0 && r.csat() >= kCsatTarget;
}

void Add(DailyFigures& to, const DailyFigures& f) {
  to.survey_ratings += f.survey_ratings;
  to.survey_satisfied += f.survey_satisfied;
  to.survey_rating_sum += f.survey_rating_sum;
  to.feedback_ratings += f.feedback_ratings;
  to.feedback_satisfied += f.feedback_satisfied;
  to.feedback_rating_sum += f.feedback_rating_sum;
  to.nps_count += f.nps_count;
  to.nps_promoters += f.nps_promoters;
  to.nps_detractors += f.nps_detractors;
  to.responses += f.responses;
  to.feedback_items += f.feedback_items;
}

}  // namespace

void FeedbackManager::GetSatisfactionReport(
    CallMeta call, const v1::GetSatisfactionReportRequest& req,
    Reply<v1::GetSatisfactionReportResponse> reply) {
  const Principal& p = *call.principal;
  ViolationCollector v;
  if (!req.branch_id().empty()) CheckId(v, "branch_id", req.branch_id());
  const std::optional<absl::CivilDay> start =
      CheckDate(v, "start_date", req.has_start_date(), req.start_date());
  const std::optional<absl::CivilDay> end =
      CheckDate(v, "end_date", req.has_end_date(), req.end_date());
  if (start && end) {
    if (*end < *start) {
      v.Add("end_date", "must not be before start_date");
    } else if (*end - *start > kMaxReportDays) {
      v.Add("end_date", absl::StrCat("must be at most ", kMaxReportDays,
                                     " days after start_date"));
    }
  }
  if (req.top() < 0 || req.top() > 50)
    v.Add("top", "must be 1 to 50, or 0 for 10");
  if (!v.empty()) return reply(v.ToStatus());
  std::string branch = req.branch_id();
  if (p.role == Role::kBranch) {
    if (!branch.empty() && branch != p.branch_id) {
      return reply(absl::PermissionDeniedError(
          absl::StrCat("branch_id: branch '", p.branch_id,
                       "' may only read its own satisfaction report")));
    }
    branch = p.branch_id;
  }
  const int top = req.top() == 0 ? 10 : req.top();
  const int64_t from_day = *start - kEpoch;
  const int64_t to_day = *end - kEpoch;

  v1::SatisfactionReport* out = reply.out()->mutable_report();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<DailyRow> rows,
                     ReadDaily(conn, branch, from_day, to_day));
    DailyFigures total;
    std::map<std::string, DailyFigures> by_branch;
    // Weeks start on Monday; keyed by the Monday's day number.
    std::map<int64_t, DailyFigures> by_week;
    auto monday_of = [](int64_t day) {
      const absl::CivilDay d = kEpoch + day;
      int back = 0;
      for (absl::CivilDay m = d; absl::GetWeekday(m) != absl::Weekday::monday;
           --m) {
        ++back;
      }
      return day - back;
    };
    for (int64_t m = monday_of(from_day); m <= to_day; m += 7) by_week[m];
    for (const DailyRow& r : rows) {
      Add(total, r.f);
      Add(by_branch[r.branch_id], r.f);
      Add(by_week[monday_of(r.day)], r.f);
    }
    out->set_branch_id(branch);
    *out->mutable_start_date() = ToDate(*start);
    *out->mutable_end_date() = ToDate(*end);
    out->set_time_zone(std::string(options_.time_zone.name()));
    AllRatings(total, out->mutable_ratings());
    Ratings(total.survey_ratings, total.survey_satisfied,
            total.survey_rating_sum, out->mutable_survey_ratings());
    Ratings(total.feedback_ratings, total.feedback_satisfied,
            total.feedback_rating_sum, out->mutable_feedback_ratings());
    Nps(total, out->mutable_nps());
    out->set_response_count(total.responses);
    out->set_feedback_count(total.feedback_items);
    out->set_target(kCsatTarget);
    out->set_target_met(TargetMet(out->ratings()));
    for (const auto& [monday, f] : by_week) {
      v1::WeekFigures* w = out->add_weekly();
      *w->mutable_week_start() = ToDate(kEpoch + monday);
      AllRatings(f, w->mutable_ratings());
    }
    for (TermKind kind : {TermKind::kTopic, TermKind::kKeyword}) {
      ASSIGN_OR_RETURN(auto terms, TopNegativeTerms(conn, branch, from_day,
                                                    to_day, kind, top));
      for (auto& [term, count] : terms) {
        v1::TermCount* t = kind == TermKind::kTopic
                               ? out->add_top_negative_topics()
                               : out->add_top_negative_keywords();
        t->set_term(std::move(term));
        t->set_count(count);
      }
    }
    for (const auto& [id, f] : by_branch) {
      v1::BranchFigures* b = out->add_branches();
      b->set_branch_id(id);
      AllRatings(f, b->mutable_ratings());
      Nps(f, b->mutable_nps());
      b->set_target_met(TargetMet(b->ratings()));
    }
    return absl::OkStatus();
  }));
}

}  // namespace retail::feedback
