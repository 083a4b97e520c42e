#include "tests/bench/dataset.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace retail::bench {

void WriteSampleLine(std::ostream& out, const CustomerRef& c) {
  out << c.id << '\t' << c.phone << '\t' << c.branch << '\t' << c.name << '\n';
}

absl::StatusOr<Dataset> LoadSample(const std::string& path, int64_t rows) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  Dataset d;
  d.rows = rows;
  d.seeded = true;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": bad sample line: ", line));
    }
    d.customers.push_back(CustomerRef{f[0], f[1], f[2], f[3]});
  }
  if (d.customers.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " holds no customers"));
  }
  CollectBranches(d);
  return d;
}

void CollectBranches(Dataset& d) {
  absl::flat_hash_set<std::string> seen;
  for (const CustomerRef& c : d.customers) seen.insert(c.branch);
  d.branches.assign(seen.begin(), seen.end());
  std::sort(d.branches.begin(), d.branches.end());
}

void WriteOrderSampleLine(std::ostream& out, const OrderRef& o) {
  out << o.id << '\t' << o.branch << '\t' << o.status << '\t' << o.create_us
      << '\n';
}

void WriteReconLine(std::ostream& out, const ReconDay& r) {
  out << "#recon\t" << r.branch << '\t' << r.date << '\t' << r.slips << '\t'
      << r.sales_count << '\t' << r.sales_minor << '\t' << r.refund_count
      << '\t' << r.refund_minor << '\t' << r.refunded_orders << '\n';
}

absl::Status LoadOrderSample(const std::string& path, Dataset& d) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  auto bad = [&](const std::string& line) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": bad order sample line: ", line));
  };
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f[0] == "#orders") {
      if (f.size() != 2 || !absl::SimpleAtoi(f[1], &d.order_rows))
        return bad(line);
    } else if (f[0] == "#recon") {
      ReconDay& r = d.recon;
      if (f.size() != 9 || !absl::SimpleAtoi(f[2], &r.date) ||
          !absl::SimpleAtoi(f[3], &r.slips) ||
          !absl::SimpleAtoi(f[4], &r.sales_count) ||
          !absl::SimpleAtoi(f[5], &r.sales_minor) ||
          !absl::SimpleAtoi(f[6], &r.refund_count) ||
          !absl::SimpleAtoi(f[7], &r.refund_minor) ||
          !absl::SimpleAtoi(f[8], &r.refunded_orders)) {
        return bad(line);
      }
      r.branch = f[1];
    } else {
      OrderRef o;
      if (f.size() != 4 || !absl::SimpleAtoi(f[2], &o.status) ||
          !absl::SimpleAtoi(f[3], &o.create_us)) {
        return bad(line);
      }
      o.id = std::move(f[0]);
      o.branch = std::move(f[1]);
      d.orders.push_back(std::move(o));
    }
  }
  d.orders_seeded = !d.orders.empty();
  return absl::OkStatus();
}

void WriteComplaintFacts(std::ostream& out, const ComplaintFacts& f) {
  out << "#complaints\t" << f.rows << '\t' << f.stats_start_us << '\t'
      << f.stats_end_us << '\t' << f.total << '\t' << f.scored << '\t'
      << f.closed_ever << '\t' << f.reopened;
  for (int64_t n : f.by_status) out << '\t' << n;
  for (int64_t n : f.by_category) out << '\t' << n;
  out << '\n';
}

absl::Status LoadComplaintFacts(const std::string& path, Dataset& d) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ComplaintFacts c;
    int64_t* const scalars[] = {&c.rows,    &c.stats_start_us, &c.stats_end_us,
                                &c.total,   &c.scored,         &c.closed_ever,
                                &c.reopened};
    const size_t fields =
        1 + std::size(scalars) + c.by_status.size() + c.by_category.size();
    if (f[0] != "#complaints" || f.size() != fields) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": bad complaint sample line: ", line));
    }
    size_t i = 1;
    bool ok = true;
    for (int64_t* s : scalars) ok = ok && absl::SimpleAtoi(f[i++], s);
    for (int64_t& n : c.by_status) ok = ok && absl::SimpleAtoi(f[i++], &n);
    for (int64_t& n : c.by_category) ok = ok && absl::SimpleAtoi(f[i++], &n);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": bad complaint sample line: ", line));
    }
    d.complaints = c;
  }
  return absl::OkStatus();
}

namespace {

// FeedbackFacts' fields in declaration order (the two dates are read
// through int64 and narrowed).
std::vector<int64_t*> FeedbackFields(FeedbackFacts& f, int64_t* start,
                                     int64_t* end) {
  return {&f.items,
          start,
          end,
          &f.feedback_count,
          &f.response_count,
          &f.ratings,
          &f.satisfied,
          &f.survey_ratings,
          &f.feedback_ratings,
          &f.nps_count,
          &f.nps_promoters,
          &f.nps_detractors,
          &f.branches};
}

}  // namespace

void WriteFeedbackFacts(std::ostream& out, const FeedbackFacts& f) {
  FeedbackFacts copy = f;
  int64_t start = f.start_date, end = f.end_date;
  out << "#feedback";
  for (int64_t* v : FeedbackFields(copy, &start, &end)) out << '\t' << *v;
  out << '\n';
}

absl::Status LoadFeedbackFacts(const std::string& path, Dataset& d) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    FeedbackFacts facts;
    int64_t start = 0, end = 0;
    const std::vector<int64_t*> fields = FeedbackFields(facts, &start, &end);
    bool ok = f[0] == "#feedback" && f.size() == 1 + fields.size();
    for (size_t i = 0; ok && i < fields.size(); ++i) {
      ok = absl::SimpleAtoi(f[i + 1], fields[i]);
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": bad feedback sample line: ", line));
    }
    facts.start_date = static_cast<int32_t>(start);
    facts.end_date = static_cast<int32_t>(end);
    d.feedback = facts;
  }
  return absl::OkStatus();
}

}  // namespace retail::bench
