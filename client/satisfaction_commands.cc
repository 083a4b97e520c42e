#include "client/satisfaction_commands.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/feedback_commands.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/rpc.h"
#include "client/text_table.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::feedback::v1;
using Stub = v1::FeedbackService::Stub;
using Rows = std::vector<std::vector<std::string>>;

// The contract's target; used only if a server leaves the field out.
constexpr double kDefaultTarget = 0.85;

std::string DateText(const retail::common::v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Percent(double share) {
  return absl::StrFormat("%.1f%%", share * 100);
}

// Figures over no ratings are 0 in the reply; a person should read "-".
std::string CsatText(const v1::RatingFigures& r) {
  return r.count() > 0 ? Percent(r.csat()) : "-";
}
std::string AverageText(const v1::RatingFigures& r) {
  return r.count() > 0 ? absl::StrFormat("%.2f", r.average()) : "-";
}
std::string NpsText(const v1::NpsFigures& n) {
  return n.count() > 0 ? absl::StrFormat("%+.1f", n.nps()) : "-";
}
std::string MetText(bool met, int64_t count) {
  if (count == 0) return "NOT MET 未达标 (no ratings)";
  return met ? "MET 达标" : "NOT MET 未达标";
}

// CSAT as a bar of 20 cells, one per 5%.
std::string Bar(const v1::RatingFigures& r) {
  if (r.count() == 0) return "-";
  const int cells = static_cast<int>(std::lround(r.csat() * 20));
  return std::string(std::max(0, std::min(cells, 20)), '#');
}

std::vector<std::string> SourceRow(const std::string& label,
                                   const v1::RatingFigures& r) {
  return {label, absl::StrCat(r.count()), absl::StrCat(r.satisfied()),
          CsatText(r), AverageText(r)};
}

void PrintTerms(const char* title,
                const google::protobuf::RepeatedPtrField<v1::TermCount>& terms,
                const char* column) {
  std::cout << "\n" << title << ":\n";
  if (terms.empty()) {
    std::cout << "(none)\n";
    return;
  }
  Rows rows = {{"#", column, "Count 次数"}};
  int rank = 0;
  for (const v1::TermCount& t : terms) {
    rows.push_back({absl::StrCat(++rank), t.term(), absl::StrCat(t.count())});
  }
  WriteAligned(rows, std::cout);
}

void PrintReport(const v1::SatisfactionReport& s) {
  const double target = s.target() > 0 ? s.target() : kDefaultTarget;
  std::cout << "Satisfaction 满意度 " << DateText(s.start_date()) << " to "
            << DateText(s.end_date()) << " (business days"
            << (s.time_zone().empty() ? "" : ", " + s.time_zone()) << "), "
            << (s.branch_id().empty() ? "all branches 全部分店"
                                      : "branch " + s.branch_id())
            << "\n\n";

  const v1::RatingFigures& all = s.ratings();
  const v1::NpsFigures& nps = s.nps();
  std::string csat = absl::StrCat(CsatText(all), "  vs target 目标 ",
                                  absl::StrFormat("%.0f%%", target * 100), ": ",
                                  MetText(s.target_met(), all.count()));
  if (all.count() > 0) {
    absl::StrAppend(
        &csat, "  (", all.satisfied(), " of ", all.count(),
        all.count() == 1 ? " rating was 4 or 5)" : " ratings were 4 or 5)");
  }
  std::string nps_text = NpsText(nps);
  if (nps.count() > 0) {
    absl::StrAppend(
        &nps_text, "  (", nps.count(),
        nps.count() == 1 ? " score: " : " scores: ", nps.promoters(),
        " promoters 推荐者, ", nps.detractors(), " detractors 贬损者)");
  }
  WriteAligned({{"CSAT 满意率", csat},
                {"NPS 净推荐值", nps_text},
                {"Average 平均评分",
                 AverageText(all) + (all.count() > 0 ? " of 5" : "")},
                {"Survey responses 问卷回答", absl::StrCat(s.response_count())},
                {"Feedback items 反馈", absl::StrCat(s.feedback_count())}},
               std::cout);

  std::cout << "\nBy source 按来源:\n";
  Rows sources = {{"Source 来源", "Ratings 评分数", "Satisfied 满意",
                   "CSAT 满意率", "Average 平均"}};
  sources.push_back(SourceRow("all 全部", all));
  sources.push_back(SourceRow("surveys 问卷", s.survey_ratings()));
  sources.push_back(SourceRow("feedback 反馈", s.feedback_ratings()));
  WriteAligned(sources, std::cout);

  std::cout
      << "\nWeekly trend 每周趋势 (weeks start on Monday; # = 5% CSAT):\n";
  if (s.weekly().empty()) {
    std::cout << "(none)\n";
  } else {
    Rows weeks = {{"Week of 周一", "Ratings 评分数", "CSAT 满意率",
                   "Average 平均", "CSAT bar"}};
    for (const v1::WeekFigures& w : s.weekly()) {
      weeks.push_back({DateText(w.week_start()),
                       absl::StrCat(w.ratings().count()), CsatText(w.ratings()),
                       AverageText(w.ratings()), Bar(w.ratings())});
    }
    WriteAligned(weeks, std::cout);
  }

  PrintTerms("Top negative topics 负面主题", s.top_negative_topics(),
             "Topic 主题");
  PrintTerms("Top negative keywords 负面关键词", s.top_negative_keywords(),
             "Keyword 关键词");

  std::cout << "\nBy branch 按分店:\n";
  if (s.branches().empty()) {
    std::cout << "(none)\n";
    return;
  }
  Rows branches = {{"Branch 分店", "Ratings 评分数", "CSAT 满意率",
                    "Average 平均", "NPS", "Scores 打分数", "Target 目标"}};
  for (const v1::BranchFigures& b : s.branches()) {
    branches.push_back({b.branch_id(), absl::StrCat(b.ratings().count()),
                        CsatText(b.ratings()), AverageText(b.ratings()),
                        NpsText(b.nps()), absl::StrCat(b.nps().count()),
                        MetText(b.target_met(), b.ratings().count())});
  }
  WriteAligned(branches, std::cout);
}

void AddReport(CLI::App& satisfaction, const GlobalOptions& options) {
  struct Flags {
    std::string branch_id, from, to;
    int top = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = satisfaction.add_subcommand(
      "report",
      "Satisfaction over business days in the chain's time zone (满意度报告): "
      "CSAT (share of 4-5 ratings) against the 85% target, MET or NOT MET, "
      "by source (survey ratings, rated feedback); NPS; the average rating; "
      "how many survey responses and feedback items came in; the weekly "
      "trend; the top negative topics and keywords; each branch's "
      "figures.");
  cmd->add_option("--from", flags->from, "First business day, inclusive")
      ->check(DateValidator())
      ->required();
  cmd->add_option("--to", flags->to,
                  "Last business day, inclusive; at most 366 days after "
                  "--from")
      ->check(DateValidator())
      ->required();
  cmd->add_option("--branch", flags->branch_id,
                  "Only this branch (default: every branch you may see)")
      ->check(IdValidator());
  cmd->add_option("--top", flags->top,
                  "How many negative topics and keywords to list, 1..50 "
                  "(default 10)")
      ->check(CLI::Range(1, 50))
      ->type_name("N");
  AddExample(cmd,
             "  retailctl satisfaction report --from 2026-11-01 --to "
             "2026-11-30\n"
             "  retailctl satisfaction report --from 2026-11-01 --to "
             "2026-11-30 --branch B001 --top 5\n");
  cmd->callback([&options, flags] {
    // Both are YYYY-MM-DD, so text order is date order.
    if (flags->to < flags->from) {
      throw CLI::ValidationError("--to", "is before --from");
    }
    v1::GetSatisfactionReportRequest request;
    request.set_branch_id(flags->branch_id);
    *request.mutable_start_date() = ParseDate(flags->from);
    *request.mutable_end_date() = ParseDate(flags->to);
    request.set_top(flags->top);
    const auto response = Call(options, *NewFeedbackStub(options),
                               &Stub::GetSatisfactionReport, request);
    Emit(options, response, [&] { PrintReport(response.report()); });
  });
}

}  // namespace

void AddSatisfactionCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* satisfaction = app.add_subcommand(
      "satisfaction",
      "Customer satisfaction (满意度): CSAT, NPS and trends from surveys and "
      "feedback.");
  satisfaction->require_subcommand(1);
  AddReport(*satisfaction, options);
}

}  // namespace retail::cli
