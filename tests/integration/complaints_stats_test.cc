// GetComplaintStats and the supervisor's lists on a seeded data set, each
// figure checked against numbers this test computes on its own: from what
// it sent (branch, category, severity, channel, texts, every step and its
// instant on the FakeClock) and the default SLA policy (24 h / 3 days /
// 7 days of wall-clock time), never from the server's own answers. The
// expected keywords come from the shared text analyser run here on the
// texts sent.
//
// The seed: 40 complaints created in pairs 37 minutes apart from
// 2026-06-01 00:00Z, in both branches, over every category, severity and
// channel, taken through every state (untouched, assigned, answered,
// waiting on the customer, proposed, resolved, closed satisfied with and
// without a score, closed unsatisfied and reopened, closed unreachable),
// some on time and some late, some with a pause; three more half a day
// before the statistics are read, and two created exactly at the range's
// end. The range starts at the second pair's creation instant, so the first
// pair is outside it.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/analyzer.h"
#include "common/text/shared_analyzer.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/complaints/complaint_manager.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::complaints::v1::ComplaintService;
using ::retail::customers::v1::CustomerService;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
namespace v1 = ::retail::complaints::v1;
namespace cv1 = ::retail::customers::v1;
using Stub = ComplaintService::Stub;

constexpr int64_t kMinute = 60 * kMicrosPerSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// The default policy's targets, by clock (index kind - 1).
constexpr int64_t kTargets[3] = {24 * kHour, 72 * kHour, 168 * kHour};

int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
int64_t Us(const google::protobuf::Duration& d) {
  return TimeUtil::DurationToMicroseconds(d);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}
std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

// The subject and description of each text of the seed.
struct Text {
  const char* subject;
  const char* description;
};
constexpr Text kTexts[] = {
    {"物流太慢", "快递三天还没到，物流太慢了"},
    {"衣服质量差", "衣服质量太差了，穿一次就破了"},
    {"客服态度差", "客服态度很差，不理人"},
    {"退款太慢", "退货一周了退款还没到账"},
    {"价格太贵", "同样的衣服比别家贵很多"},
    {"付款失败", "付款失败但是钱被扣了"},
    {"太慢了", "等了很久，太慢了"},
    {"尺码偏小", "尺码偏小，穿不上"},
};

// One clock as the test sees it: started, stopped, paused in between.
struct ClockModel {
  int64_t start = 0;
  int64_t target = 0;
  std::optional<int64_t> stop;
  std::vector<std::pair<int64_t, std::optional<int64_t>>> pauses;

  bool paused() const {
    return !stop && !pauses.empty() && !pauses.back().second;
  }
  // Time counted from its start until its stop (or `now`), pauses left out.
  int64_t Used(int64_t now) const {
    const int64_t end = stop.value_or(now);
    int64_t used = end - start;
    for (const auto& [from, to] : pauses) {
      const int64_t a = std::max(from, start);
      const int64_t b = std::min(to.value_or(end), end);
      if (b > a) used -= b - a;
    }
    return used;
  }
  bool Breached(int64_t now) const { return Used(now) > target; }
  // While it runs: when it is due.
  int64_t Due() const {
    int64_t paused = 0;
    for (const auto& [from, to] : pauses) paused += *to - from;
    return start + target + paused;
  }
};

struct ComplaintModel {
  std::string id;
  int index = 0;  // creation order (the server's row order)
  std::string branch;
  v1::ComplaintCategory category;
  v1::ComplaintSeverity severity;
  v1::ComplaintChannel channel;
  int64_t created = 0;
  v1::ComplaintStatus status = v1::COMPLAINT_STATUS_NEW;
  int reopens = 0;
  bool closed_ever = false;
  int score = 0;  // at the last close
  std::array<ClockModel, 3> clocks;
  std::set<std::string> keywords;

  void StartClocks(int64_t now) {
    for (int k = 0; k < 3; ++k) {
      clocks[k] = ClockModel{};
      clocks[k].start = now;
      clocks[k].target = kTargets[k];
    }
  }
  void Stop(int k, int64_t now) {
    if (!clocks[k].stop) clocks[k].stop = now;
  }
  void Pause(int64_t now) {
    for (ClockModel& c : clocks) {
      if (!c.stop) c.pauses.push_back({now, std::nullopt});
    }
  }
  void Resume(int64_t now) {
    for (ClockModel& c : clocks) {
      if (c.paused()) c.pauses.back().second = now;
    }
  }
  bool Breached(int64_t now) const {
    for (const ClockModel& c : clocks) {
      if (c.Breached(now)) return true;
    }
    return false;
  }
  std::optional<int64_t> NextDue() const {
    std::optional<int64_t> next;
    for (const ClockModel& c : clocks) {
      if (c.stop || c.paused()) continue;
      next = std::min(next.value_or(INT64_MAX), c.Due());
    }
    return next;
  }
};

// Nearest rank: the smallest value with at least `percent`% of the values
// at or below it (the median of an even count is the lower middle one).
int64_t NearestRank(std::vector<int64_t> v, int percent) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = (v.size() * percent + 99) / 100;
  return v[std::max<size_t>(rank, 1) - 1];
}

class ComplaintStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(
        TestServerOptions{.configure = [](ServerOptions& o) {
          o.maintenance_interval = absl::ZeroDuration();
        }});
    t0_ = server_->clock().NowMicros();
    stub_ = ComplaintService::NewStub(server_->Channel());
    customers_ = CustomerService::NewStub(server_->Channel());
    for (const char* branch : {"B001", "B002"}) {
      for (int i = 0; i < 3; ++i) {
        cv1::CreateCustomerRequest req;
        req.set_request_id(NewRequestId());
        req.mutable_customer()->set_display_name("统计客户");
        req.mutable_customer()->set_phone(
            absl::StrCat("1370000", 1000 + request_counter_));
        req.mutable_customer()->set_branch_id(branch);
        cv1::CreateCustomerResponse resp;
        grpc::Status s =
            testing::Call(*customers_, &CustomerService::Stub::CreateCustomer,
                          kAdmin, req, &resp);
        ASSERT_TRUE(s.ok()) << Describe(s);
        customer_ids_.push_back(resp.customer().customer_id());
      }
    }
  }

  std::string NewRequestId() {
    return absl::StrCat("cmp-stats-", ++request_counter_);
  }
  int64_t Now() const { return server_->clock().NowMicros(); }
  void AdvanceTo(int64_t at) {
    ASSERT_GE(at, Now());
    server_->clock().Advance(at - Now());
  }

  // One escalation sweep now (ComplaintManager::SweepSlice until nothing
  // more is due), as the maintenance scheduler runs it; the server runs
  // without its maintenance thread (complaints_integration_test.cc says
  // why).
  void Sweep() {
    complaints::ComplaintManager* manager = nullptr;
    for (PersonDataPart* p : server_->server().registry().person_data_parts()) {
      if (auto* m = dynamic_cast<complaints::ComplaintManager*>(p)) manager = m;
    }
    ASSERT_NE(manager, nullptr);
    for (int slice = 0; slice < 100; ++slice) {
      absl::StatusOr<bool> more = manager->SweepSlice();
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) return;
    }
    ADD_FAILURE() << "the sweep still had work after 100 slices";
  }

  v1::Complaint Get(const std::string& id) {
    v1::GetComplaintRequest req;
    req.set_complaint_id(id);
    v1::GetComplaintResponse resp;
    grpc::Status s =
        testing::Call(*stub_, &Stub::GetComplaint, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.complaint();
  }

  // Creates complaint number `index` of the seed, now.
  ComplaintModel& Create(int index, const std::string& branch) {
    ComplaintModel m;
    m.index = static_cast<int>(models_.size());
    m.branch = branch;
    m.category = static_cast<v1::ComplaintCategory>(1 + index % 7);
    m.severity = static_cast<v1::ComplaintSeverity>(1 + (index / 2) % 3);
    m.channel = static_cast<v1::ComplaintChannel>(1 + (index * 3) % 7);
    m.created = Now();
    m.StartClocks(m.created);
    const Text& text = kTexts[(index * 5) % 8];
    v1::CreateComplaintRequest req;
    req.set_request_id(NewRequestId());
    v1::Complaint* c = req.mutable_complaint();
    c->set_customer_id(customer_ids_[(branch == "B001" ? 0 : 3) + index % 3]);
    c->set_branch_id(branch);
    c->set_category(m.category);
    c->set_severity(m.severity);
    c->set_channel(m.channel);
    c->set_subject(text.subject);
    c->set_description(text.description);
    v1::CreateComplaintResponse resp;
    grpc::Status s =
        testing::Call(*stub_, &Stub::CreateComplaint, kAgent, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    m.id = resp.complaint().complaint_id();
    // The keywords the analyser finds in what was sent.
    absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
    EXPECT_TRUE(analyzer.ok()) << analyzer.status();
    for (const char* t : {text.subject, text.description}) {
      absl::StatusOr<text::Analysis> a = (*analyzer)->Analyze(t);
      EXPECT_TRUE(a.ok()) << a.status();
      for (const text::TopicHit& hit : a->topics) {
        m.keywords.insert(hit.keywords.begin(), hit.keywords.end());
      }
      m.keywords.insert(a->keywords.begin(), a->keywords.end());
    }
    const std::set<std::string> stored(resp.complaint().keywords().begin(),
                                       resp.complaint().keywords().end());
    EXPECT_EQ(stored, m.keywords) << "complaint " << index;
    models_.push_back(std::move(m));
    return models_.back();
  }

  // One step of the seed at `at` on complaint `m`.
  struct Step {
    int64_t at;
    int seq;  // keeps a complaint's steps in order at equal instants
    int model;
    std::function<void(ComplaintModel&)> run;
  };

  template <typename Req, typename Resp>
  void Change(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                           Resp*),
              ComplaintModel& m, Req req) {
    req.set_request_id(NewRequestId());
    req.set_complaint_id(m.id);
    req.set_etag(Get(m.id).etag());
    Resp resp;
    grpc::Status s = testing::Call(*stub_, method, kAgent, req, &resp);
    ASSERT_TRUE(s.ok()) << m.index << ": " << Describe(s);
    ASSERT_EQ(resp.complaint().status(), m.status)
        << m.index << ": " << req.ShortDebugString();
  }

  void Assign(ComplaintModel& m) {
    m.status = v1::COMPLAINT_STATUS_ACKNOWLEDGED;
    v1::AssignComplaintRequest req;
    req.set_owner_id(absl::StrCat("agent-", m.index % 4));
    req.set_team("售后");
    Change(&Stub::AssignComplaint, m, req);
  }
  void Respond(ComplaintModel& m, bool wait) {
    const int64_t now = Now();
    if (m.status == v1::COMPLAINT_STATUS_ACKNOWLEDGED ||
        m.status == v1::COMPLAINT_STATUS_REOPENED) {
      m.status = v1::COMPLAINT_STATUS_IN_PROGRESS;
    }
    m.Stop(0, now);
    if (wait) {
      m.status = v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER;
      m.Pause(now);
    }
    v1::RespondToComplaintRequest req;
    req.set_message("您好，我们正在处理");
    req.set_visibility(v1::MESSAGE_VISIBILITY_CUSTOMER);
    req.set_wait_for_customer(wait);
    Change(&Stub::RespondToComplaint, m, req);
  }
  void Reply(ComplaintModel& m) {
    m.status = v1::COMPLAINT_STATUS_IN_PROGRESS;
    m.Resume(Now());
    v1::RecordCustomerContactRequest req;
    req.set_outcome(v1::CONTACT_OUTCOME_REPLIED);
    Change(&Stub::RecordCustomerContact, m, req);
  }
  void FailedContact(ComplaintModel& m) {
    v1::RecordCustomerContactRequest req;
    req.set_outcome(v1::CONTACT_OUTCOME_FAILED);
    Change(&Stub::RecordCustomerContact, m, req);
  }
  void Propose(ComplaintModel& m) {
    m.status = v1::COMPLAINT_STATUS_SOLUTION_PROPOSED;
    m.Stop(1, Now());
    v1::ProposeSolutionRequest req;
    req.mutable_solution()->set_remedy(v1::REMEDY_APOLOGY);
    req.mutable_solution()->set_description("致歉并补偿");
    Change(&Stub::ProposeSolution, m, req);
  }
  void Resolve(ComplaintModel& m) {
    m.status = v1::COMPLAINT_STATUS_RESOLVED;
    Change(&Stub::ResolveComplaint, m, v1::ResolveComplaintRequest());
  }
  void Close(ComplaintModel& m, v1::Confirmation confirmation, int score) {
    const int64_t now = Now();
    m.status = v1::COMPLAINT_STATUS_CLOSED;
    m.closed_ever = true;
    m.score = score;
    for (int k = 0; k < 3; ++k) m.Stop(k, now);
    v1::CloseComplaintRequest req;
    req.set_confirmation(confirmation);
    req.set_satisfaction_score(score);
    Change(&Stub::CloseComplaint, m, req);
  }
  void Reopen(ComplaintModel& m) {
    m.status = v1::COMPLAINT_STATUS_REOPENED;
    m.reopens += 1;
    m.StartClocks(Now());
    v1::ReopenComplaintRequest req;
    req.set_reason("客户不满意");
    Change(&Stub::ReopenComplaint, m, req);
  }

  // Seeds the set (module comment) and returns when it is done, at
  // t0 + 14 days + 1 hour.
  void Seed() {
    std::vector<Step> steps;
    int seq = 0;
    auto at = [&](int model, int64_t when,
                  std::function<void(ComplaintModel&)> run) {
      steps.push_back({when, seq++, model, std::move(run)});
    };
    // Creations first (pairs share an instant), so at any instant a
    // complaint is created before anything is done to it.
    for (int i = 0; i < 40; ++i) {
      at(i, t0_ + (i / 2) * 37 * kMinute, [this, i](ComplaintModel&) {
        Create(i, i % 3 == 0 ? "B002" : "B001");
      });
    }
    for (int i = 0; i < 40; ++i) {
      const int64_t c = t0_ + (i / 2) * 37 * kMinute;
      const int r = i % 10;
      if (r == 0) continue;  // untouched
      int64_t t = c + 30 * kMinute;
      at(i, t, [this](ComplaintModel& m) { Assign(m); });
      if (r == 1) continue;
      t = c + (1 + (i * 7) % 30) * kHour;  // 1..30 h: some late
      at(i, t, [this, r](ComplaintModel& m) { Respond(m, r == 3); });
      if (r <= 3) continue;
      if (i % 4 == 0) {
        // A wait on the customer before the solution.
        t += 30 * kMinute;
        at(i, t, [this](ComplaintModel& m) { Respond(m, true); });
        t += (i % 5 + 1) * 5 * kHour;
        at(i, t, [this](ComplaintModel& m) { Reply(m); });
      }
      t += (1 + (i * 11) % 80) * kHour;  // some past 72 h
      at(i, t, [this](ComplaintModel& m) { Propose(m); });
      if (r == 4) continue;
      t += kHour;
      at(i, t, [this](ComplaintModel& m) { Resolve(m); });
      if (r == 5) continue;
      if (r == 9) {
        for (int k = 0; k < 3; ++k) {
          t += 10 * kMinute;
          at(i, t, [this](ComplaintModel& m) { FailedContact(m); });
        }
      }
      t += (1 + (i * 13) % 120) * kHour;  // some past 168 h
      if (r == 6 || r == 7) {
        const int score = r == 6 ? i % 5 + 1 : 0;
        at(i, t, [this, score](ComplaintModel& m) {
          Close(m, v1::CONFIRMATION_SATISFIED, score);
        });
      } else if (r == 8) {
        at(i, t, [this](ComplaintModel& m) {
          Close(m, v1::CONFIRMATION_UNSATISFIED, 2);
        });
        t += 5 * kHour;
        at(i, t, [this](ComplaintModel& m) { Reopen(m); });
        if (i == 38) {  // the second round, closed satisfied
          t += kHour;
          at(i, t, [this](ComplaintModel& m) { Respond(m, false); });
          t += kHour;
          at(i, t, [this](ComplaintModel& m) { Propose(m); });
          t += kHour;
          at(i, t, [this](ComplaintModel& m) { Resolve(m); });
          t += kHour;
          at(i, t, [this](ComplaintModel& m) {
            Close(m, v1::CONFIRMATION_SATISFIED, 4);
          });
        }
      } else if (r == 9) {
        at(i, t, [this](ComplaintModel& m) {
          Close(m, v1::CONFIRMATION_UNREACHABLE, 0);
        });
      }
    }
    std::sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
    });
    ASSERT_LT(steps.back().at, t0_ + 13 * kDay);
    for (const Step& s : steps) {
      AdvanceTo(s.at);
      if (static_cast<size_t>(s.model) < models_.size()) {
        s.run(models_[s.model]);
      } else {
        ComplaintModel none;
        s.run(none);  // the creation, which adds models_[s.model]
        ASSERT_EQ(models_.size(), static_cast<size_t>(s.model) + 1);
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Three more, half a day before the figures are read.
    AdvanceTo(t0_ + 13 * kDay + 13 * kHour);
    for (int i = 40; i < 43; ++i) Create(i, i % 2 == 0 ? "B001" : "B002");
    // Two exactly at the end of the range (outside it).
    AdvanceTo(t0_ + 14 * kDay);
    for (int i = 43; i < 45; ++i) Create(i, "B001");
    AdvanceTo(t0_ + 14 * kDay + kHour);
  }

  // The range the statistics are asked for: from the second pair's
  // creation (inclusive) to 14 days after t0 (exclusive).
  int64_t RangeStart() const { return t0_ + 37 * kMinute; }
  int64_t RangeEnd() const { return t0_ + 14 * kDay; }

  v1::ComplaintStats Stats(const std::string& branch,
                           const std::string& token = kAdmin, int top = 50) {
    v1::GetComplaintStatsRequest req;
    req.set_branch_id(branch);
    *req.mutable_start_time() = Ts(RangeStart());
    *req.mutable_end_time() = Ts(RangeEnd());
    req.set_top_problems(top);
    v1::GetComplaintStatsResponse resp;
    grpc::Status s =
        testing::Call(*stub_, &Stub::GetComplaintStats, token, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.stats();
  }

  // The figures for the complaints of `branch` ("" for all) in range, as
  // of `now`, compared with `got`.
  void ExpectStats(const v1::ComplaintStats& got, const std::string& branch) {
    const int64_t now = Now();
    std::vector<const ComplaintModel*> in;
    for (const ComplaintModel& m : models_) {
      if (m.created >= RangeStart() && m.created < RangeEnd() &&
          (branch.empty() || m.branch == branch)) {
        in.push_back(&m);
      }
    }
    SCOPED_TRACE(absl::StrCat("branch '", branch, "', ", in.size(),
                              " complaints in range"));
    EXPECT_EQ(got.total(), static_cast<int64_t>(in.size()));
    EXPECT_EQ(got.branch_id(), branch);
    EXPECT_EQ(Us(got.start_time()), RangeStart());
    EXPECT_EQ(Us(got.end_time()), RangeEnd());

    auto counts = [&](auto key, const google::protobuf::EnumDescriptor* e,
                      const auto& labels, const char* what) {
      std::map<int, int64_t> want;
      for (const ComplaintModel* m : in) want[key(*m)] += 1;
      std::vector<std::pair<std::string, int64_t>> want_labels, got_labels;
      for (const auto& [value, n] : want) {
        want_labels.push_back({e->FindValueByNumber(value)->name(), n});
      }
      for (const v1::LabelCount& l : labels) {
        got_labels.push_back({l.label(), l.count()});
      }
      EXPECT_THAT(got_labels, ElementsAreArray(want_labels)) << what;
    };
    counts([](const ComplaintModel& m) { return static_cast<int>(m.category); },
           v1::ComplaintCategory_descriptor(), got.by_category(), "category");
    counts([](const ComplaintModel& m) { return static_cast<int>(m.severity); },
           v1::ComplaintSeverity_descriptor(), got.by_severity(), "severity");
    counts([](const ComplaintModel& m) { return static_cast<int>(m.channel); },
           v1::ComplaintChannel_descriptor(), got.by_channel(), "channel");
    counts([](const ComplaintModel& m) { return static_cast<int>(m.status); },
           v1::ComplaintStatus_descriptor(), got.by_status(), "status");

    ASSERT_EQ(got.clocks_size(), 3);
    for (int k = 0; k < 3; ++k) {
      SCOPED_TRACE(v1::ClockKind_Name(static_cast<v1::ClockKind>(k + 1)));
      int64_t met = 0, breached = 0, running = 0;
      std::vector<int64_t> times;
      for (const ComplaintModel* m : in) {
        const ClockModel& c = m->clocks[k];
        if (c.stop) {
          times.push_back(c.Used(now));
          (c.Breached(now) ? breached : met) += 1;
        } else {
          (c.Breached(now) ? breached : running) += 1;
        }
      }
      const v1::ClockStats& s = got.clocks(k);
      EXPECT_EQ(s.kind(), static_cast<v1::ClockKind>(k + 1));
      EXPECT_EQ(s.met(), met);
      EXPECT_EQ(s.breached(), breached);
      EXPECT_EQ(s.running(), running);
      EXPECT_DOUBLE_EQ(s.met_share(),
                       met + breached == 0
                           ? 0.0
                           : static_cast<double>(met) / (met + breached));
      EXPECT_EQ(Us(s.median()), NearestRank(times, 50));
      EXPECT_EQ(Us(s.p90()), NearestRank(times, 90));
    }

    int64_t reopened = 0, closed = 0, scored = 0, score_sum = 0;
    for (const ComplaintModel* m : in) {
      if (m->reopens > 0) ++reopened;
      if (m->closed_ever) ++closed;
      if (m->score > 0) {
        ++scored;
        score_sum += m->score;
      }
    }
    EXPECT_DOUBLE_EQ(
        got.reopen_rate(),
        closed == 0 ? 0.0 : static_cast<double>(reopened) / closed);
    EXPECT_EQ(got.satisfaction_count(), scored);
    EXPECT_DOUBLE_EQ(
        got.average_satisfaction(),
        scored == 0 ? 0.0 : static_cast<double>(score_sum) / scored);

    // Recurring problems: complaints with both the category and the
    // keyword, most frequent first, then by category, then by keyword.
    std::map<std::pair<int, std::string>, int64_t> pairs;
    for (const ComplaintModel* m : in) {
      for (const std::string& k : m->keywords) {
        pairs[{static_cast<int>(m->category), k}] += 1;
      }
    }
    std::vector<std::tuple<int64_t, int, std::string>> want;
    for (const auto& [key, n] : pairs)
      want.push_back({-n, key.first, key.second});
    std::sort(want.begin(), want.end());
    std::vector<std::string> want_rows, got_rows;
    for (size_t i = 0; i < want.size() && i < 50; ++i) {
      const auto& [neg, category, keyword] = want[i];
      want_rows.push_back(
          absl::StrCat(v1::ComplaintCategory_Name(
                           static_cast<v1::ComplaintCategory>(category)),
                       " ", keyword, " ", -neg));
    }
    std::string with_topics;
    for (const v1::RecurringProblem& p : got.top_problems()) {
      got_rows.push_back(absl::StrCat(v1::ComplaintCategory_Name(p.category()),
                                      " ", p.keyword(), " ", p.count()));
      absl::StrAppend(&with_topics, "\n  ", got_rows.back(), " (topic '",
                      p.topic(), "')");
      if (p.keyword() == "物流") EXPECT_EQ(p.topic(), "logistics_delivery");
    }
    EXPECT_THAT(got_rows, ElementsAreArray(want_rows))
        << "the server's rows with their topics:" << with_topics;
  }

  std::vector<std::string> ListIds(v1::ListComplaintsRequest req,
                                   std::vector<v1::Complaint>* out = nullptr,
                                   const std::string& token = kAdmin) {
    std::vector<std::string> ids;
    std::set<std::string> tokens;
    for (int page = 0; page < 200; ++page) {
      v1::ListComplaintsResponse resp;
      grpc::Status s =
          testing::Call(*stub_, &Stub::ListComplaints, token, req, &resp);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok()) break;
      EXPECT_LE(resp.complaints_size(),
                req.page_size() == 0 ? 50 : req.page_size());
      for (const v1::Complaint& c : resp.complaints()) {
        ids.push_back(c.complaint_id());
        if (out != nullptr) out->push_back(c);
      }
      if (resp.next_page_token().empty()) break;
      EXPECT_TRUE(tokens.insert(resp.next_page_token()).second);
      req.set_page_token(resp.next_page_token());
    }
    return ids;
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::vector<std::string> customer_ids_;
  std::vector<ComplaintModel> models_;
  int64_t t0_ = 0;
  int request_counter_ = 0;
};

TEST_F(ComplaintStatsTest, FiguresMatchTheSeededComplaints) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  // The seed reaches every state.
  std::set<v1::ComplaintStatus> states;
  for (const ComplaintModel& m : models_) states.insert(m.status);
  EXPECT_EQ(states.size(), 8u);
  // What the server shows of each complaint agrees with the model.
  for (const ComplaintModel& m : models_) {
    const v1::Complaint c = Get(m.id);
    SCOPED_TRACE(absl::StrCat("complaint ", m.index, " ", m.id));
    EXPECT_EQ(c.status(), m.status);
    EXPECT_EQ(c.reopen_count(), m.reopens);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(Us(c.clocks(k).remaining()),
                m.clocks[k].target - m.clocks[k].Used(Now()))
          << c.clocks(k).ShortDebugString();
    }
  }
  ExpectStats(Stats(""), "");
  ExpectStats(Stats("B001"), "B001");
  ExpectStats(Stats("B002"), "B002");
  // A branch gets its own figures without naming itself.
  ExpectStats(Stats("", kBranch1), "B001");
  // The figures do not depend on the sweep having run (nor change it).
  Sweep();
  ExpectStats(Stats(""), "");

  // Fewer recurring problems when asked.
  const v1::ComplaintStats three = Stats("", kAdmin, 3);
  ASSERT_EQ(three.top_problems_size(), 3);
  const v1::ComplaintStats all = Stats("", kAdmin, 50);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(three.top_problems(i).ShortDebugString(),
              all.top_problems(i).ShortDebugString());
  }
}

TEST_F(ComplaintStatsTest, AnEmptyRangeHasZeroFigures) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  v1::GetComplaintStatsRequest req;
  *req.mutable_start_time() = Ts(t0_ + 20 * kDay);
  *req.mutable_end_time() = Ts(t0_ + 21 * kDay);
  v1::GetComplaintStatsResponse resp;
  ASSERT_TRUE(
      testing::Call(*stub_, &Stub::GetComplaintStats, kAuditor, req, &resp)
          .ok());
  const v1::ComplaintStats& s = resp.stats();
  EXPECT_EQ(s.total(), 0);
  EXPECT_THAT(s.by_category(), IsEmpty());
  EXPECT_THAT(s.by_status(), IsEmpty());
  EXPECT_THAT(s.top_problems(), IsEmpty());
  EXPECT_EQ(s.reopen_rate(), 0);
  EXPECT_EQ(s.average_satisfaction(), 0);
  ASSERT_EQ(s.clocks_size(), 3);
  for (const v1::ClockStats& c : s.clocks()) {
    EXPECT_EQ(c.met() + c.breached() + c.running(), 0);
    EXPECT_EQ(c.met_share(), 0);
    EXPECT_EQ(Us(c.median()), 0);
  }
}

// The supervisor's views after the sweep has run: breached or not, and
// "what burns next" (earliest next due time first), page by page.
TEST_F(ComplaintStatsTest, BreachedFilterAndByDueOrderWithPaging) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  Sweep();  // marks what is past due
  const int64_t now = Now();
  std::vector<std::string> breached, not_breached;
  for (const ComplaintModel& m : models_) {
    (m.Breached(now) ? breached : not_breached).push_back(m.id);
  }
  ASSERT_FALSE(breached.empty());
  ASSERT_FALSE(not_breached.empty());
  for (int page_size : {1, 4, 7, 50}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    v1::ListComplaintsRequest req;
    req.set_page_size(page_size);
    req.set_breached(true);
    std::vector<v1::Complaint> shown;
    EXPECT_THAT(ListIds(req, &shown), ElementsAreArray(breached));
    for (const v1::Complaint& c : shown) EXPECT_TRUE(c.breached());
    req.set_breached(false);
    shown.clear();
    EXPECT_THAT(ListIds(req, &shown), ElementsAreArray(not_breached));
    for (const v1::Complaint& c : shown) EXPECT_FALSE(c.breached());
  }

  // What burns next: complaints with a running clock, by next due time,
  // then by creation; those with none (closed, waiting) left out.
  auto by_due = [&](std::function<bool(const ComplaintModel&)> keep) {
    std::vector<const ComplaintModel*> v;
    for (const ComplaintModel& m : models_) {
      if (m.NextDue() && keep(m)) v.push_back(&m);
    }
    std::sort(v.begin(), v.end(),
              [](const ComplaintModel* a, const ComplaintModel* b) {
                return std::make_pair(*a->NextDue(), a->index) <
                       std::make_pair(*b->NextDue(), b->index);
              });
    std::vector<std::string> ids;
    for (const ComplaintModel* m : v) ids.push_back(m->id);
    return ids;
  };
  const std::vector<std::string> all_due =
      by_due([](const ComplaintModel&) { return true; });
  ASSERT_GT(all_due.size(), 10u);
  ASSERT_LT(all_due.size(), models_.size());
  for (int page_size : {1, 3, 10}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    v1::ListComplaintsRequest req;
    req.set_order_by(v1::COMPLAINT_ORDER_NEXT_DUE);
    req.set_page_size(page_size);
    std::vector<v1::Complaint> shown;
    EXPECT_THAT(ListIds(req, &shown), ElementsAreArray(all_due));
    for (size_t i = 0; i < shown.size(); ++i) {
      const ComplaintModel* m = nullptr;
      for (const ComplaintModel& each : models_) {
        if (each.id == shown[i].complaint_id()) m = &each;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(Us(shown[i].next_due_time()), *m->NextDue());
    }
    // Breached ones only, the most overdue first.
    req.set_breached(true);
    EXPECT_THAT(ListIds(req),
                ElementsAreArray(by_due(
                    [&](const ComplaintModel& m) { return m.Breached(now); })));
    // Due before now: the overdue ones.
    req.clear_breached();
    *req.mutable_due_before() = Ts(now);
    EXPECT_THAT(ListIds(req),
                ElementsAreArray(by_due([&](const ComplaintModel& m) {
                  return *m.NextDue() < now;
                })));
    // One branch.
    req.clear_due_before();
    req.set_branch_id("B002");
    EXPECT_THAT(ListIds(req),
                ElementsAreArray(by_due([](const ComplaintModel& m) {
                  return m.branch == "B002";
                })));
    // And as the branch itself sees it.
    req.clear_branch_id();
    EXPECT_THAT(ListIds(req, nullptr, kBranch2),
                ElementsAreArray(by_due([](const ComplaintModel& m) {
                  return m.branch == "B002";
                })));
  }
}

// Between sweeps a clock can pass its due time; the list filtered on
// breached must still agree with the complaints it shows.
TEST_F(ComplaintStatsTest, BreachedFilterAgreesWithTheComplaintsItShows) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Create(i, "B001").id);
  AdvanceTo(t0_ + 25 * kHour);  // every first response is an hour overdue
  v1::ListComplaintsRequest req;
  req.set_breached(false);
  std::vector<v1::Complaint> shown;
  ListIds(req, &shown);
  for (const v1::Complaint& c : shown) {
    EXPECT_FALSE(c.breached())
        << c.complaint_id() << " is listed as not breached and shown "
        << "breached: " << c.clocks(0).ShortDebugString();
  }
  req.set_breached(true);
  EXPECT_THAT(ListIds(req), ElementsAreArray(ids));
}

}  // namespace
}  // namespace retail::testing
