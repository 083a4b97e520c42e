#include "tests/bench/complaint_seed.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/text/shared_analyzer.h"
#include "common/text/topics.h"
#include "google/protobuf/util/time_util.h"
#include "server/complaints/business_calendar.h"
#include "server/complaints/complaint_manager.h"
#include "server/complaints/complaint_store.h"
#include "server/complaints/sla_clock.h"
#include "server/module.h"
#include "tests/bench/fake_people.h"
#include "tests/bench/load_driver.h"
#include "tests/bench/seed_util.h"

namespace retail::bench {

namespace cv1 = ::retail::complaints::v1;

const std::vector<ComplaintText>& ComplaintTemplates() {
  static const auto* const kTemplates = new std::vector<ComplaintText>{
      {cv1::COMPLAINT_CATEGORY_LOGISTICS, "快递太慢了",
       "下单一个星期了还没收到货，物流信息也不更新，打客服电话一直说在查，"
       "希望尽快发货。"},
      {cv1::COMPLAINT_CATEGORY_LOGISTICS, "Late delivery",
       "My order was supposed to arrive last Monday but the courier still has "
       "not delivered it and the tracking page has not changed for days."},
      {cv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY, "衣服质量太差",
       "羊毛衫只穿了一次就起球了，洗了之后还严重掉色，面料和页面上描述的完全"
       "不一样。"},
      {cv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY, "鞋子開膠了",
       "上個月買的運動鞋穿了兩個星期就開膠了，質量太差，要求換一雙新的。"},
      {cv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY, "Jacket zip broke",
       "The zip of the windbreaker broke the second time I wore it and a seam "
       "is coming apart. Poor quality for the price."},
      {cv1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE, "店员态度很差",
       "在门店试衣服的时候店员很不耐烦，问尺码也爱理不理，还说我不买就别试，"
       "体验非常糟糕。"},
      {cv1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE, "Rude staff at the counter",
       "The cashier was rude, ignored my question about the member discount "
       "and the manager was not helpful either."},
      {cv1::COMPLAINT_CATEGORY_PAYMENT, "付款扣了两次钱",
       "微信支付的时候显示失败，重新付款后发现银行卡被扣了两次款，要求退还"
       "多扣的钱。"},
      {cv1::COMPLAINT_CATEGORY_PAYMENT, "Charged twice",
       "I paid by card at the till, the payment failed and I paid again, but "
       "my bank statement shows two charges for the same receipt."},
      {cv1::COMPLAINT_CATEGORY_RETURN_EXCHANGE, "退換貨太慢了",
       "退換貨太慢了，申請了五天還沒有處理，客服態度也不好，退款到現在都沒有"
       "收到。"},
      {cv1::COMPLAINT_CATEGORY_RETURN_EXCHANGE, "退款一直没到账",
       "两周前在门店退了一条牛仔裤，说三个工作日退款，到现在还没有到账，"
       "打电话也没人处理。"},
      {cv1::COMPLAINT_CATEGORY_PRICING, "价格和标签不一致",
       "标签上写的是199元，结账的时候却收了259元，促销活动也没有按说明打折，"
       "感觉被骗了。"},
      {cv1::COMPLAINT_CATEGORY_PRICING, "Discount not applied",
       "The shelf said 30% off all jeans but I was charged the full price and "
       "the staff refused to refund the difference."},
      {cv1::COMPLAINT_CATEGORY_OTHER, "积分没有到账",
       "会员积分上个月的消费一直没有到账，优惠券也用不了，门店说要找总部。"},
      {cv1::COMPLAINT_CATEGORY_OTHER, "排队太久",
       "周末门店只开了一个收银台，排队等了四十分钟，试衣间也很乱，体验很差。"},
  };
  return *kTemplates;
}

namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::complaints::BusinessCalendar;
using ::retail::complaints::ClockRow;
using ::retail::complaints::ClockTarget;
using ::retail::complaints::KeywordRow;
using ::retail::complaints::StoredComplaint;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kNever = INT64_MAX;

google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

// A template's analysis, as CreateComplaint makes it: the subject, then
// the description; topics and keywords in order of first appearance, no
// repeats; a keyword row per keyword with the topic it was first found
// under ("" for a sentiment term outside any topic).
struct Analysed {
  std::vector<std::string> topics;
  std::vector<std::string> keywords;
  std::vector<KeywordRow> rows;
};

absl::StatusOr<std::vector<Analysed>> AnalyseTemplates() {
  ASSIGN_OR_RETURN(const text::Analyzer* analyzer, text::SharedAnalyzer());
  std::vector<Analysed> out;
  for (const ComplaintText& t : ComplaintTemplates()) {
    Analysed& a = out.emplace_back();
    absl::flat_hash_set<std::string> topics, keywords;
    for (const char* field : {t.subject, t.description}) {
      ASSIGN_OR_RETURN(text::Analysis r, analyzer->Analyze(field));
      for (const text::TopicHit& hit : r.topics) {
        const std::string topic(text::TopicId(hit.topic));
        if (topics.insert(topic).second) a.topics.push_back(topic);
        for (const std::string& k : hit.keywords) {
          if (keywords.insert(k).second) {
            a.keywords.push_back(k);
            a.rows.push_back({k, topic});
          }
        }
      }
      for (const std::string& k : r.keywords) {
        if (keywords.insert(k).second) {
          a.keywords.push_back(k);
          a.rows.push_back({k, ""});
        }
      }
    }
  }
  return out;
}

// What happens to a complaint after intake, in time order.
enum class Step {
  kAssign,
  kRespond,      // first message to the customer
  kRespondWait,  // ... waiting for their answer (clocks pause)
  kReply,        // the customer replied (clocks resume)
  kContactFailed,
  kPropose,
  kResolve,
  kClose,
  kReopen,
};
struct Event {
  int64_t at;
  Step step;
  cv1::Confirmation confirmation = cv1::CONFIRMATION_UNSPECIFIED;
  int score = 0;
};

// The three targets of the default policy (version 1) for every severity,
// as the manager's TargetsFor reads them.
std::array<ClockTarget, 3> DefaultTargets(const cv1::SlaPolicy& policy) {
  const cv1::SeverityTargets& t = policy.targets(0);
  auto target = [](const cv1::SlaTarget& s) {
    return ClockTarget{absl::Seconds(s.duration().seconds()),
                       s.business_hours()};
  };
  return {target(t.first_response()), target(t.solution()),
          target(t.closure())};
}

constexpr std::array kTeams = {"客服一组", "客服二组", "客服三组", "门店服务组",
                               "售后专线"};

// One complaint's life, replayed through the server's clock rules: each
// step changes what the handler would (status, clocks, revision, update
// time), and before each step, and at the end, the escalation sweep marks
// what came due, at the instant it came due.
class Life {
 public:
  Life(const BusinessCalendar& cal, const cv1::SlaPolicy& policy,
       StoredComplaint& sc)
      : cal_(cal),
        near_(policy.near_breach_percent()),
        targets_(DefaultTargets(policy)),
        sc_(sc) {}

  // CreateComplaint at `t` (the request's fields are already in sc.c).
  void Create(int64_t t) {
    cv1::Complaint& c = sc_.c;
    c.set_complaint_id(NewId("cmp", t));
    c.set_status(cv1::COMPLAINT_STATUS_NEW);
    c.set_sla_policy_version(1);
    *c.mutable_create_time() = Ts(t);
    *c.mutable_update_time() = c.create_time();
    sc_.revision = 1;
    sc_.resume_status = cv1::COMPLAINT_STATUS_UNSPECIFIED;
    StartClocks(t);
    Refresh();
  }

  // Plays `events` up to `now` (those later have not happened yet).
  void Play(const std::vector<Event>& events, int64_t now,
            const std::string& owner, const std::string& team) {
    for (const Event& e : events) {
      if (e.at > now) break;
      SweepTo(e.at);
      Apply(e, owner, team);
    }
    SweepTo(now);
  }

  // The escalation sweep up to `t`: every near-breach and breach instant
  // at or before `t` is marked at that instant, as the sweep marks it (a
  // level each, one revision per complaint per run).
  void SweepTo(int64_t t) {
    for (int guard = 0; guard < 16; ++guard) {
      if (!sc_.next_sweep_us || *sc_.next_sweep_us > t) return;
      const int64_t at = *sc_.next_sweep_us;
      bool marked = false;
      for (ClockRow& c : sc_.clocks) {
        if (!c.running()) continue;
        const int64_t used = complaints::UsedUs(cal_, at, c);
        if (!c.near_breach && used >= complaints::NearBreachUsedUs(near_, c)) {
          c.near_breach = true;
          Escalate();
          marked = true;
        }
        if (!c.breach_marked && complaints::Breached(cal_, at, c)) {
          c.breach_marked = true;
          Escalate();
          marked = true;
        }
      }
      if (marked) {
        Change(at);
      } else {
        // The sweep's "looked too early" path; never taken on the default
        // calendar.
        Refresh();
        if (sc_.next_sweep_us && *sc_.next_sweep_us <= at) {
          sc_.next_sweep_us = at + kSecond;
        }
      }
    }
  }

 private:
  void Escalate() { sc_.c.set_escalation_level(sc_.c.escalation_level() + 1); }
  void StartClocks(int64_t t) {
    for (int i = 0; i < 3; ++i) {
      sc_.clocks[i] = complaints::StartClock(
          cal_, static_cast<cv1::ClockKind>(i + 1), targets_[i], t);
    }
  }
  // Save(): revision, update time, the indexed columns.
  void Change(int64_t t) {
    sc_.revision += 1;
    *sc_.c.mutable_update_time() = Ts(t);
    Refresh();
  }
  // The manager's Refresh: earliest due of a running clock, the next sweep
  // instant, and whether any clock has breached as far as stops and the
  // sweep recorded.
  void Refresh() {
    sc_.next_due_us.reset();
    sc_.next_sweep_us.reset();
    sc_.breached = false;
    for (const ClockRow& c : sc_.clocks) {
      if (c.running()) {
        sc_.next_due_us =
            std::min(sc_.next_due_us.value_or(INT64_MAX), c.due_us);
      }
      if (std::optional<int64_t> at = complaints::NextSweepUs(cal_, near_, c)) {
        sc_.next_sweep_us =
            std::min(sc_.next_sweep_us.value_or(INT64_MAX), *at);
      }
      if (c.breach_marked ||
          (!c.running() && complaints::Breached(cal_, /*now_us=*/0, c))) {
        sc_.breached = true;
      }
    }
  }
  void Stop(cv1::ClockKind kind, int64_t t) {
    complaints::StopClock(cal_, t, sc_.clocks[kind - 1]);
  }

  void Apply(const Event& e, const std::string& owner,
             const std::string& team) {
    cv1::Complaint& c = sc_.c;
    const int64_t t = e.at;
    switch (e.step) {
      case Step::kAssign:
        if (c.status() == cv1::COMPLAINT_STATUS_NEW) {
          c.set_status(cv1::COMPLAINT_STATUS_ACKNOWLEDGED);
        }
        c.set_owner_id(owner);
        c.set_team(team);
        break;
      case Step::kRespond:
      case Step::kRespondWait:
        if (c.status() == cv1::COMPLAINT_STATUS_ACKNOWLEDGED ||
            c.status() == cv1::COMPLAINT_STATUS_REOPENED) {
          c.set_status(cv1::COMPLAINT_STATUS_IN_PROGRESS);
        }
        Stop(cv1::CLOCK_KIND_FIRST_RESPONSE, t);
        if (e.step == Step::kRespondWait) {
          sc_.resume_status = c.status();
          c.set_status(cv1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
          for (ClockRow& k : sc_.clocks) complaints::PauseClock(cal_, t, k);
        }
        break;
      case Step::kReply:
        c.set_status(sc_.resume_status == cv1::COMPLAINT_STATUS_UNSPECIFIED
                         ? cv1::COMPLAINT_STATUS_IN_PROGRESS
                         : sc_.resume_status);
        sc_.resume_status = cv1::COMPLAINT_STATUS_UNSPECIFIED;
        for (ClockRow& k : sc_.clocks) complaints::ResumeClock(cal_, t, k);
        break;
      case Step::kContactFailed:
        c.set_failed_contact_attempts(c.failed_contact_attempts() + 1);
        break;
      case Step::kPropose: {
        cv1::Solution* s = c.mutable_solution();
        switch (c.category()) {
          case cv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY:
            s->set_remedy(cv1::REMEDY_EXCHANGE);
            s->set_description("为顾客办理换货，并补偿一张50元优惠券");
            break;
          case cv1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE:
            s->set_remedy(cv1::REMEDY_APOLOGY);
            s->set_description("店长致电道歉，已对当班店员进行服务培训");
            break;
          case cv1::COMPLAINT_CATEGORY_LOGISTICS:
            s->set_remedy(cv1::REMEDY_COMPENSATION);
            s->set_description("催促快递加急配送，并补偿运费");
            break;
          case cv1::COMPLAINT_CATEGORY_PRICING:
            s->set_remedy(cv1::REMEDY_REFUND);
            s->set_description("Refund the price difference to the card used");
            break;
          case cv1::COMPLAINT_CATEGORY_OTHER:
            s->set_remedy(cv1::REMEDY_COUPON);
            s->set_description("补发积分并赠送一张优惠券");
            break;
          default:
            s->set_remedy(cv1::REMEDY_REFUND);
            s->set_description("原路退还款项，三个工作日内到账");
        }
        c.set_status(cv1::COMPLAINT_STATUS_SOLUTION_PROPOSED);
        Stop(cv1::CLOCK_KIND_SOLUTION, t);
        break;
      }
      case Step::kResolve:
        c.set_status(cv1::COMPLAINT_STATUS_RESOLVED);
        break;
      case Step::kClose:
        c.set_status(cv1::COMPLAINT_STATUS_CLOSED);
        c.set_confirmation(e.confirmation);
        c.set_satisfaction_score(e.score);
        *c.mutable_close_time() = Ts(t);
        sc_.closed_ever = true;
        for (cv1::ClockKind k :
             {cv1::CLOCK_KIND_FIRST_RESPONSE, cv1::CLOCK_KIND_SOLUTION,
              cv1::CLOCK_KIND_CLOSURE}) {
          Stop(k, t);
        }
        break;
      case Step::kReopen:
        c.set_status(cv1::COMPLAINT_STATUS_REOPENED);
        c.set_reopen_count(c.reopen_count() + 1);
        StartClocks(t);
        break;
    }
    Change(t);
  }

  const BusinessCalendar& cal_;
  const int near_;
  const std::array<ClockTarget, 3> targets_;
  StoredComplaint& sc_;
};

class Seeder {
 public:
  Seeder(const ComplaintSeedOptions& o, std::vector<Analysed> analysed,
         std::vector<std::string> members, absl::TimeZone zone)
      : options_(o),
        analysed_(std::move(analysed)),
        members_(std::move(members)),
        cal_(BusinessCalendar::Default(zone)),
        policy_(complaints::DefaultSlaPolicy()) {}

  // A delay of about `mean`: one in ten is slow (four times the mean);
  // between a minute and twelve means.
  static int64_t Delay(std::mt19937_64& rng, int64_t mean) {
    const double m = std::bernoulli_distribution(0.1)(rng) ? 4.0 * mean : mean;
    const double d = std::exponential_distribution<double>(1.0 / m)(rng);
    return std::clamp<int64_t>(static_cast<int64_t>(d), kMinute, 12 * mean);
  }

  // The story of a complaint received at `t`, every step (see the header).
  // `complete`: no stall, and a reopened one is always closed again.
  static std::vector<Event> Story(std::mt19937_64& rng, int64_t t,
                                  bool complete) {
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
    auto uniform = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    std::vector<Event> ev;
    auto add = [&](int64_t mean, Step step) {
      t += Delay(rng, mean);
      ev.push_back({t, step});
    };
    auto close = [&](double satisfied, double unsatisfied) {
      const double r = std::uniform_real_distribution<double>(0, 1)(rng);
      Event e{0, Step::kClose};
      if (r < satisfied) {
        e.confirmation = cv1::CONFIRMATION_SATISFIED;
        e.score = chance(0.7) ? uniform(4, 5) : chance(0.5) ? 3 : 0;
      } else if (r < satisfied + unsatisfied) {
        e.confirmation = cv1::CONFIRMATION_UNSATISFIED;
        e.score = chance(0.8) ? uniform(1, 2) : 0;
      } else {
        e.confirmation = cv1::CONFIRMATION_UNREACHABLE;
        for (int i = 0; i < 3; ++i) add(6 * kHour, Step::kContactFailed);
      }
      t += Delay(rng, 24 * kHour);
      e.at = t;
      ev.push_back(e);
      return e.confirmation;
    };
    add(2 * kHour, Step::kAssign);
    const bool wait = chance(0.25);
    add(4 * kHour, wait ? Step::kRespondWait : Step::kRespond);
    if (wait) {
      // A customer who never answers leaves it waiting for good.
      if (!complete && chance(0.02)) return ev;
      add(20 * kHour, Step::kReply);
    }
    add(24 * kHour, Step::kPropose);
    add(12 * kHour, Step::kResolve);
    if (close(0.80, 0.12) == cv1::CONFIRMATION_UNSATISFIED && chance(0.4)) {
      add(24 * kHour, Step::kReopen);
      add(4 * kHour, Step::kRespond);
      add(24 * kHour, Step::kPropose);
      add(12 * kHour, Step::kResolve);
      close(complete ? 1.0 : 0.75, complete ? 0.0 : 0.25);
    }
    // A stall: some step never comes (an owner never assigned, an answer
    // never given, ...); the complaint stays open and its clocks breach.
    if (!complete && chance(0.01)) {
      ev.resize(
          static_cast<size_t>(uniform(0, static_cast<int>(ev.size()) - 1)));
    }
    return ev;
  }

  // Fills the request fields of a complaint received at `t` and plays
  // `events` up to `now`.
  void Make(std::mt19937_64& rng, int64_t t, const std::vector<Event>& events,
            int64_t now, StoredComplaint& sc, const Analysed** analysed) {
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    sc = StoredComplaint();
    cv1::Complaint& c = sc.c;
    const int branch = static_cast<int>(uniform(1, options_.branches));
    c.set_branch_id(BranchId(branch));
    c.set_customer_id(members_.empty()
                          ? NewId("cus", t - uniform(kDay, 700 * kDay))
                          : members_[uniform(0, members_.size() - 1)]);
    const int64_t ch = uniform(0, 99);
    c.set_channel(ch < 30   ? cv1::COMPLAINT_CHANNEL_PHONE
                  : ch < 55 ? cv1::COMPLAINT_CHANNEL_WECHAT
                  : ch < 70 ? cv1::COMPLAINT_CHANNEL_IN_STORE
                  : ch < 82 ? cv1::COMPLAINT_CHANNEL_APP
                  : ch < 90 ? cv1::COMPLAINT_CHANNEL_ONLINE
                  : ch < 96 ? cv1::COMPLAINT_CHANNEL_EMAIL
                            : cv1::COMPLAINT_CHANNEL_SOCIAL_MEDIA);
    const int64_t sev = uniform(0, 99);
    c.set_severity(sev < 50   ? cv1::COMPLAINT_SEVERITY_MINOR
                   : sev < 88 ? cv1::COMPLAINT_SEVERITY_MODERATE
                              : cv1::COMPLAINT_SEVERITY_SEVERE);
    const size_t k = static_cast<size_t>(uniform(0, analysed_.size() - 1));
    const ComplaintText& text = ComplaintTemplates()[k];
    c.set_category(text.category);
    c.set_subject(text.subject);
    c.set_description(text.description);
    for (const std::string& s : analysed_[k].topics) c.add_topics(s);
    for (const std::string& s : analysed_[k].keywords) c.add_keywords(s);
    *analysed = &analysed_[k];
    const std::string owner =
        absl::StrFormat("agent-%03d-%d", branch, uniform(1, 4));
    const std::string team = kTeams[uniform(0, kTeams.size() - 1)];
    Life life(cal_, policy_, sc);
    life.Create(t);
    life.Play(events, now, owner, team);
  }

  absl::Status Insert(db::Connection& conn, StoredComplaint& sc,
                      const Analysed& a, int64_t now,
                      ComplaintSeedResult& result) {
    RETURN_IF_ERROR(complaints::InsertComplaint(conn, sc));
    RETURN_IF_ERROR(complaints::InsertKeywords(conn, sc, a.rows));
    ++result.complaints;
    result.keywords += static_cast<int64_t>(a.rows.size());
    ++result.status_counts[sc.c.status()];
    if (sc.c.status() != cv1::COMPLAINT_STATUS_CLOSED) ++result.open;
    if (sc.breached) ++result.breached;
    if (sc.next_due_us && *sc.next_due_us < now) ++result.running_overdue;
    if (sc.c.reopen_count() > 0) ++result.reopened;
    return absl::OkStatus();
  }

  const BusinessCalendar& cal() const { return cal_; }
  const cv1::SlaPolicy& policy() const { return policy_; }

 private:
  const ComplaintSeedOptions& options_;
  const std::vector<Analysed> analysed_;
  const std::vector<std::string> members_;
  const BusinessCalendar cal_;
  const cv1::SlaPolicy policy_;
};

// One complaint of the sweep set, before it is played: when it was
// received, the seed of its story, and, for the due ones, which instant
// falls in the window (0..5: near breach and breach of the first-response,
// solution and closure clocks) and when.
struct SweepPlan {
  int64_t create_us = 0;
  uint64_t seed = 0;
  int due_kind = -1;
  int64_t due_at = 0;
};

// The story of a due complaint of the sweep set: created so that instant
// `kind` of its clocks is `at`, and stalled just before the step that
// would stop that clock. No step pauses a clock, so each instant is the
// creation plus its share of the target.
std::vector<Event> DueStory(std::mt19937_64& rng, int kind, int64_t create) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<Event> ev;
  const int clock = kind / 2;  // 0 first response, 1 solution, 2 closure
  if (clock == 0) {
    if (uniform(0, 1) == 1) {
      ev.push_back({create + uniform(kMinute, 2 * kHour), Step::kAssign});
    }
    return ev;
  }
  ev.push_back({create + uniform(10 * kMinute, 2 * kHour), Step::kAssign});
  ev.push_back({create + uniform(3 * kHour, 10 * kHour), Step::kRespond});
  if (clock == 2) {
    const int64_t propose = create + uniform(20 * kHour, 50 * kHour);
    ev.push_back({propose, Step::kPropose});
    if (uniform(0, 1) == 1) {
      ev.push_back({propose + uniform(kHour, 20 * kHour), Step::kResolve});
    }
  }
  return ev;
}

}  // namespace

absl::StatusOr<ComplaintSeedResult> SeedComplaints(
    const ComplaintSeedOptions& options) {
  const int64_t start_ns = MonotonicNanos();
  const int64_t now_us =
      options.now_us != 0 ? options.now_us : SystemClock::Get()->NowMicros();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(options.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", options.time_zone, "'"));
  }
  if (options.closed_only && options.days <= 120) {
    return absl::InvalidArgumentError(
        "closed-only history needs more than 120 days");
  }
  ASSIGN_OR_RETURN(std::vector<Analysed> analysed, AnalyseTemplates());
  // Database::Open creates the file and runs every module's migrations,
  // as the server's start-up does; then the rows go in on a connection of
  // the seeder's own. Not through the writer: it runs each operation in a
  // SAVEPOINT, and with an outer savepoint open, every statement's end
  // truncates the in-memory statement journal to where the statement began
  // by walking the journal's chunk list from its start, so a batch of
  // 10,000 complaints (tens of thousands of pages journaled) became
  // quadratic: 300,000 rows took 14 minutes. In a plain transaction each
  // statement's journal is its own.
  {
    db::DatabaseOptions db_options;
    db_options.path = options.db_path;
    db_options.reader_connections = 1;
    db_options.now_micros = now_us;
    db_options.schemas = AllSchemas();
    ASSIGN_OR_RETURN(std::unique_ptr<db::Database> database,
                     db::Database::Open(db_options));
    RETURN_IF_ERROR(database->Close());
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<db::Connection> conn,
      db::SqliteConnection::Open(options.db_path,
                                 db::SqliteConnection::Mode::kReadWrite));
  // A batch inserts into five indexes with random keys (customer, branch,
  // owner, branch and creation, branch and due), so at a million rows it
  // dirties tens of thousands of pages; a cache that holds them all keeps
  // SQLite from spilling them to the WAL mid-transaction.
  RETURN_IF_ERROR(db::Guard("seeding cache", [&] {
    conn->Exec("PRAGMA cache_size=-1048576");  // 1 GiB
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(std::vector<std::string> members, MemberIds(*conn, 200'000));
  Seeder seeder(options, std::move(analysed), std::move(members), zone);
  ComplaintSeedResult result;
  result.now_us = now_us;
  const int batch = std::max(1, options.batch);
  std::mt19937_64 rng(options.seed);

  // The spread, oldest first, so row ids rise with creation time.
  ComplaintFacts& facts = result.facts;
  facts.stats_end_us = now_us;
  facts.stats_start_us = now_us - int64_t{options.stats_days} * kDay;
  const int64_t n = options.complaints;
  const int64_t first_us = now_us - std::max(1, options.days) * kDay;
  const int64_t last_us =
      options.closed_only ? now_us - 120 * kDay : now_us - kMinute;
  for (int64_t done = 0; done < n;) {
    const int64_t count = std::min<int64_t>(batch, n - done);
    RETURN_IF_ERROR(InTransaction(*conn, [&](db::Connection& conn) {
      StoredComplaint sc;
      for (int64_t i = done; i < done + count; ++i) {
        // In 128 bits: a year in microseconds times a million overflows.
        const int64_t t =
            first_us +
            static_cast<int64_t>(static_cast<__int128>(last_us - first_us) * i /
                                 n) +
            std::uniform_int_distribution<int64_t>(
                0, std::max<int64_t>(0, (last_us - first_us) / n - 1))(rng);
        const std::vector<Event> story =
            Seeder::Story(rng, t, options.closed_only);
        const Analysed* a = nullptr;
        seeder.Make(rng, t, story, now_us, sc, &a);
        if (options.closed_only &&
            sc.c.status() != cv1::COMPLAINT_STATUS_CLOSED) {
          return absl::InternalError("a closed-only complaint is open");
        }
        RETURN_IF_ERROR(seeder.Insert(conn, sc, *a, now_us, result));
        if (t >= facts.stats_start_us && t < facts.stats_end_us) {
          ++facts.total;
          ++facts.by_status[sc.c.status()];
          ++facts.by_category[sc.c.category()];
          if (sc.c.satisfaction_score() > 0) ++facts.scored;
          if (sc.closed_ever) ++facts.closed_ever;
          if (sc.c.reopen_count() > 0) ++facts.reopened;
        }
      }
      return absl::OkStatus();
    }));
    done += count;
    if (done % 100'000 < count || done == n) {
      std::cerr << "seed: " << done << " / " << n << " complaints, "
                << (MonotonicNanos() - start_ns) / 1e9 << " s\n";
    }
  }

  // The sweep set: open complaints received over the last two weeks, a
  // share of them due in (now, now + window].
  if (options.sweep_open > 0) {
    const int64_t m = options.sweep_open;
    const int64_t due = std::llround(m * options.sweep_due_share);
    const int64_t window = std::max<int64_t>(1, options.sweep_window_us);
    // One complaint of the set, played from its plan up to now. The same
    // plan plays the same story (only the random bits of its ids differ).
    auto play = [&](const SweepPlan& p, StoredComplaint& sc,
                    const Analysed** a) {
      std::mt19937_64 own(p.seed);
      const std::vector<Event> story =
          p.due_kind >= 0 ? DueStory(own, p.due_kind, p.create_us)
                          : Seeder::Story(own, p.create_us, /*complete=*/false);
      seeder.Make(own, p.create_us, story, now_us, sc, a);
      return sc.next_sweep_us && *sc.next_sweep_us > now_us &&
             *sc.next_sweep_us <= now_us + window;
    };
    // Plans first, so the rows go in in creation order. The due ones are
    // made so (creation = the instant less its share of the target); the
    // others are drawn, each at a random instant of the last two weeks,
    // until one is still open now by its own story and has no instant in
    // the window: the open ones are then mostly recent, as in a real
    // queue.
    std::vector<SweepPlan> plans;
    plans.reserve(m);
    int due_made = 0;
    StoredComplaint sc;
    const Analysed* a = nullptr;
    for (int64_t i = 0; i < m; ++i) {
      SweepPlan p;
      // Due ones evenly among the rest, the six kinds in turn.
      if ((i + 1) * due / m != i * due / m) {
        p.seed = rng();
        p.due_kind = due_made++ % 6;
        p.due_at = now_us + 1 +
                   std::uniform_int_distribution<int64_t>(0, window - 1)(rng);
        const ClockTarget t = DefaultTargets(seeder.policy())[p.due_kind / 2];
        const int64_t target = absl::ToInt64Microseconds(t.amount);
        // Near breach at 80% of the target; breach strictly after due.
        p.create_us = p.due_kind % 2 == 0 ? p.due_at - target * 80 / 100
                                          : p.due_at - 1 - target;
      } else {
        for (int attempt = 0;; ++attempt) {
          if (attempt == 10'000) {
            return absl::InternalError(
                "no open complaint of the sweep set outside the window");
          }
          p.seed = rng();
          p.create_us = now_us - std::uniform_int_distribution<int64_t>(
                                     kMinute, 14 * kDay)(rng);
          if (!play(p, sc, &a) &&
              sc.c.status() != cv1::COMPLAINT_STATUS_CLOSED) {
            break;
          }
        }
      }
      plans.push_back(p);
    }
    std::sort(plans.begin(), plans.end(),
              [](const SweepPlan& a, const SweepPlan& b) {
                return a.create_us < b.create_us;
              });
    for (size_t done = 0; done < plans.size();) {
      const size_t count = std::min<size_t>(batch, plans.size() - done);
      RETURN_IF_ERROR(InTransaction(*conn, [&](db::Connection& conn) {
        for (size_t i = done; i < done + count; ++i) {
          const SweepPlan& p = plans[i];
          const bool in_window = play(p, sc, &a);
          if (sc.c.status() == cv1::COMPLAINT_STATUS_CLOSED ||
              in_window != (p.due_kind >= 0) ||
              (in_window && *sc.next_sweep_us != p.due_at)) {
            return absl::InternalError(absl::StrCat(
                "a complaint of the sweep set (due kind ", p.due_kind,
                ", due at ", p.due_at, ") is ",
                cv1::ComplaintStatus_Name(sc.c.status()),
                " with its next sweep at ", sc.next_sweep_us.value_or(-1)));
          }
          if (in_window) {
            result.sweep_due_ids.push_back(sc.c.complaint_id());
            ++(p.due_kind % 2 == 0 ? result.sweep_due_near
                                   : result.sweep_due_breach);
          }
          RETURN_IF_ERROR(seeder.Insert(conn, sc, *a, now_us, result));
        }
        return absl::OkStatus();
      }));
      done += count;
    }
  }

  RETURN_IF_ERROR(db::Guard("count complaints", [&] {
    db::Stmt s = conn->Prepare("SELECT COUNT(*) FROM complaints");
    s->Step();
    result.in_db = s->Int64(0);
    return absl::OkStatus();
  }));
  // As Database::Close: the WAL checkpointed into the file and truncated.
  RETURN_IF_ERROR(db::Guard("checkpoint", [&] {
    conn->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return absl::OkStatus();
  }));
  conn.reset();
  facts.rows = result.in_db;
  if (!options.sample_path.empty()) {
    std::ofstream sample(options.sample_path, std::ios::trunc);
    WriteComplaintFacts(sample, facts);
    sample.close();
    if (!sample) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", options.sample_path));
    }
  }
  result.seconds = (MonotonicNanos() - start_ns) / 1e9;
  return result;
}

}  // namespace retail::bench
