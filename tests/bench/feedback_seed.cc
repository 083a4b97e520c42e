#include "tests/bench/feedback_seed.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
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
#include "server/feedback/feedback_manager.h"
#include "server/feedback/feedback_store.h"
#include "server/module.h"
#include "tests/bench/fake_people.h"
#include "tests/bench/load_driver.h"
#include "tests/bench/seed_util.h"

namespace retail::bench {

namespace fv1 = ::retail::feedback::v1;

const std::vector<FeedbackText>& FeedbackTemplates() {
  using T = FeedbackTone;
  static const auto* const kTemplates = new std::vector<FeedbackText>{
      // Praise.
      {T::kPraise, fv1::FEEDBACK_KIND_PRAISE,
       "店员服务态度很好，耐心帮我挑选尺码，下次还会再来。"},
      {T::kPraise, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "衣服质量很好，面料舒服，穿着很合身，非常满意！这次买的两件都很喜欢，"
       "已经推荐给朋友了。"},
      {T::kPraise, fv1::FEEDBACK_KIND_COMMENT,
       "物流很快，下单第二天就收到了，包装也很好。"},
      {T::kPraise, fv1::FEEDBACK_KIND_COMMENT,
       "会员积分兑换很方便，优惠券也很实用，赞一个。店里新到的秋装款式也很"
       "好看，价格实惠，下次还会带家人一起来逛。"},
      {T::kPraise, fv1::FEEDBACK_KIND_PRAISE,
       "門店環境乾淨整潔，店員很熱情，結帳也很快，體驗很好。"},
      {T::kPraise, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "這件外套質量不錯，版型好看，價格也實惠，推薦購買。"},
      {T::kPraise, fv1::FEEDBACK_KIND_PRAISE,
       "導購小姐姐非常專業，幫我搭配了一整套衣服，效果很滿意，謝謝！"},
      {T::kPraise, fv1::FEEDBACK_KIND_PRAISE,
       "Great service today, the staff were friendly and helped me find the "
       "right size quickly."},
      {T::kPraise, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "Love the new jacket, good quality and the price was fair. Will buy "
       "again."},
      {T::kPraise, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "Fast delivery and the dress fits perfectly. Very happy with my order!"},
      // Suggestions and mixed reviews.
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "建议周末多开几个收银台，排队的人有点多。"},
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "希望门店能增加大码的选择，有些款式没有我的尺码。"},
      {T::kNeutral, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "衣服还可以，就是颜色和网上的图片有点差别。"},
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "建議增加更多顏色的選擇，款式可以再多一些。"},
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "希望App上可以看到門店的庫存，這樣就不用白跑一趟了。"},
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "Please add more size options online; some styles only come in S and "
       "M."},
      {T::kNeutral, fv1::FEEDBACK_KIND_COMMENT,
       "The store is fine, but the fitting rooms could be bigger."},
      {T::kNeutral, fv1::FEEDBACK_KIND_SUGGESTION,
       "It would be nice to get a text message when my order is ready for "
       "pickup at the store."},
      // Negative.
      {T::kNegative, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "衣服质量太差了，洗了一次就起球掉色，非常失望。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "店员态度很差，问问题爱理不理，再也不来了。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "退货太麻烦了，等了一个星期还没退款，打客服电话也一直没人接，希望尽快"
       "处理。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "快递太慢了，一个星期才到，客服也不回复。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "价格太贵了，而且结账时和标签上的价格不一样。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "付款扣了两次钱，到现在还没退回来，太差劲了。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "店員態度很差，結帳排隊等了半個小時，非常不滿意。"},
      {T::kNegative, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "質量太差，鞋子穿了兩天就開膠了，要求退貨。"},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "退換貨太慢了，申請了五天還沒有處理，客服態度也不好。"},
      {T::kNegative, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "Terrible quality, the seams came apart after one wash. Very "
       "disappointed."},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "Staff were rude and the queue took forever. Not coming back."},
      {T::kNegative, fv1::FEEDBACK_KIND_COMMENT,
       "I was charged twice at the till and nobody at the store could tell me "
       "when I would get my money back. Very poor service."},
      // Harm or fraud: escalates whatever the rating.
      {T::kSevere, fv1::FEEDBACK_KIND_PRODUCT_REVIEW,
       "收到的鞋子怀疑是假货，和专柜的完全不一样，要求给个说法。"},
  };
  return *kTemplates;
}

absl::StatusOr<std::vector<FeedbackAnalysis>> AnalyseFeedbackTemplates() {
  ASSIGN_OR_RETURN(const text::Analyzer* analyzer, text::SharedAnalyzer());
  const std::vector<std::string> escalation =
      feedback::DefaultEscalationKeywords();
  std::vector<FeedbackAnalysis> out;
  for (const FeedbackText& t : FeedbackTemplates()) {
    ASSIGN_OR_RETURN(text::Analysis a, analyzer->Analyze(t.text));
    FeedbackAnalysis& f = out.emplace_back();
    switch (a.overall.label) {
      case text::SentimentLabel::kNegative:
        f.label = fv1::SENTIMENT_LABEL_NEGATIVE;
        break;
      case text::SentimentLabel::kNeutral:
        f.label = fv1::SENTIMENT_LABEL_NEUTRAL;
        break;
      case text::SentimentLabel::kPositive:
        f.label = fv1::SENTIMENT_LABEL_POSITIVE;
        break;
    }
    f.score = a.overall.score;
    // As SubmitFeedback's TermsOf: each hit's topic; keywords of the hits,
    // then those outside any topic, each once.
    absl::flat_hash_set<std::string> seen;
    for (const text::TopicHit& hit : a.topics) {
      f.topics.emplace_back(text::TopicId(hit.topic));
      for (const std::string& k : hit.keywords) {
        if (seen.insert(k).second) f.keywords.push_back(k);
      }
    }
    for (const std::string& k : a.keywords) {
      if (seen.insert(k).second) f.keywords.push_back(k);
    }
    for (const std::string& k : escalation) {
      if (absl::StrContains(a.normalized, k)) {
        f.escalation_keyword = k;
        break;
      }
    }
  }
  return out;
}

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The i-th independent choice in [0, n) of `bits`.
uint64_t Sub(uint64_t bits, uint64_t i, uint64_t n) {
  return n == 0 ? 0 : SplitMix64(bits ^ (i * 0xd1b54a32d192ed03ULL)) % n;
}

}  // namespace

FeedbackDraw DrawFeedback(uint64_t bits) {
  // Templates by tone, once.
  static const auto* const kByTone = [] {
    auto* by = new std::array<std::vector<size_t>, 4>();
    const auto& t = FeedbackTemplates();
    for (size_t i = 0; i < t.size(); ++i) {
      (*by)[static_cast<int>(t[i].tone)].push_back(i);
    }
    return by;
  }();
  FeedbackDraw d;
  const uint64_t tone_draw = Sub(bits, 1, 1000);
  const FeedbackTone tone = tone_draw < 600   ? FeedbackTone::kPraise
                            : tone_draw < 860 ? FeedbackTone::kNeutral
                            : tone_draw < 995 ? FeedbackTone::kNegative
                                              : FeedbackTone::kSevere;
  const std::vector<size_t>& of_tone = (*kByTone)[static_cast<int>(tone)];
  d.text = of_tone[Sub(bits, 2, of_tone.size())];
  const uint64_t r = Sub(bits, 3, 100);
  switch (tone) {
    case FeedbackTone::kPraise:
      d.rating = r < 50 ? 5 : r < 80 ? 4 : 0;
      break;
    case FeedbackTone::kNeutral:
      d.rating = r < 35 ? 3 : r < 60 ? 4 : 0;
      break;
    case FeedbackTone::kNegative:
      d.rating = r < 25 ? 1 : r < 48 ? 2 : r < 70 ? 3 : 0;
      break;
    case FeedbackTone::kSevere:
      d.rating = r < 40 ? 1 : r < 60 ? 2 : 0;
      break;
  }
  d.anonymous = Sub(bits, 4, 100) < 30;
  const uint64_t c = Sub(bits, 5, 100);
  d.channel = c < 30   ? fv1::FEEDBACK_CHANNEL_APP
              : c < 55 ? fv1::FEEDBACK_CHANNEL_WECHAT
              : c < 75 ? fv1::FEEDBACK_CHANNEL_IN_STORE
              : c < 87 ? fv1::FEEDBACK_CHANNEL_ONLINE
              : c < 92 ? fv1::FEEDBACK_CHANNEL_SOCIAL_MEDIA
              : c < 96 ? fv1::FEEDBACK_CHANNEL_PHONE
                       : fv1::FEEDBACK_CHANNEL_EMAIL;
  if (FeedbackTemplates()[d.text].kind == fv1::FEEDBACK_KIND_PRODUCT_REVIEW) {
    d.sku = static_cast<int>(Sub(bits, 6, 1000));
  }
  d.pick = SplitMix64(bits ^ 0x5851f42d4c957f2dULL);
  return d;
}

std::string FeedbackSku(int n) { return absl::StrFormat("SKU-%04d", n); }

std::string EscalationReason(const FeedbackAnalysis& a, int rating) {
  if (!a.escalation_keyword.empty()) {
    return absl::StrCat("keyword ", a.escalation_keyword);
  }
  // --feedback_escalation_max_rating's default.
  if (a.negative() && rating >= 1 && rating <= 2) {
    return absl::StrCat("rating ", rating, " with negative sentiment");
  }
  return "";
}

namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::feedback::DailyFigures;
using ::retail::feedback::ScoreKind;
using ::retail::feedback::Source;
using ::retail::feedback::StoredItem;
using ::retail::feedback::StoredResponse;

const absl::CivilDay kEpoch(1970, 1, 1);

int32_t Yyyymmdd(absl::CivilDay d) {
  return static_cast<int32_t>(d.year() * 10000 + d.month() * 100 + d.day());
}

// A transaction's rollup deltas, by (day, branch), written with AddDaily
// before it commits.
using DailyDeltas = std::map<std::pair<int64_t, std::string>, DailyFigures>;

absl::Status WriteDaily(db::Connection& conn, const DailyDeltas& deltas) {
  for (const auto& [key, f] : deltas) {
    RETURN_IF_ERROR(feedback::AddDaily(conn, key.second, key.first, f));
  }
  return absl::OkStatus();
}

// The weekly survey: a required 1..5 rating, an NPS question and a single
// choice, as an admin would create it with CreateSurvey.
fv1::Survey WeeklySurvey(int week, absl::CivilDay first, int64_t at_us) {
  fv1::Survey s;
  s.set_survey_id(NewId("srv", at_us));
  s.set_title(absl::StrFormat("门店满意度周调查 %04d-%02d-%02d", first.year(),
                              first.month(), first.day()));
  s.set_description(absl::StrCat("第", week + 1, "周顾客满意度回访"));
  fv1::Question* q = s.add_questions();
  q->set_question_id("q1");
  q->set_type(fv1::QUESTION_TYPE_RATING);
  q->set_text("您对本次购物的整体满意度如何？");
  q->set_required(true);
  q = s.add_questions();
  q->set_question_id("q2");
  q->set_type(fv1::QUESTION_TYPE_NPS);
  q->set_text("您有多大可能向朋友推荐我们的门店？");
  q = s.add_questions();
  q->set_question_id("q3");
  q->set_type(fv1::QUESTION_TYPE_SINGLE_CHOICE);
  q->set_text("您这次主要购买的是？");
  for (const char* c : {"上衣", "裤装", "鞋履", "配饰"}) q->add_choices(c);
  *s.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(at_us);
  return s;
}

}  // namespace

absl::StatusOr<FeedbackSeedResult> SeedFeedback(
    const FeedbackSeedOptions& options) {
  const int64_t start_ns = MonotonicNanos();
  const int64_t now_us =
      options.now_us != 0 ? options.now_us : SystemClock::Get()->NowMicros();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(options.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", options.time_zone, "'"));
  }
  const int days = std::max(1, options.days);
  const int branches = std::max(1, options.branches);
  ASSIGN_OR_RETURN(std::vector<FeedbackAnalysis> analysed,
                   AnalyseFeedbackTemplates());

  // Migrate as the server's start-up does, then write on a connection of
  // the seeder's own (see the header).
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
  RETURN_IF_ERROR(db::Guard("seeding cache", [&] {
    conn->Exec("PRAGMA cache_size=-1048576");  // 1 GiB
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(std::vector<std::string> members, MemberIds(*conn, 200'000));

  FeedbackSeedResult result;
  result.members = static_cast<int64_t>(members.size());
  FeedbackFacts& facts = result.facts;
  // The window: the `days` whole days before the seeding day.
  const absl::CivilDay today =
      absl::ToCivilDay(absl::FromUnixMicros(now_us), zone);
  const absl::CivilDay first_day = today - days;
  const absl::CivilDay last_day = today - 1;
  const int64_t first_us = absl::ToUnixMicros(absl::FromCivil(first_day, zone));
  const int64_t end_us = absl::ToUnixMicros(absl::FromCivil(today, zone));
  facts.start_date = Yyyymmdd(first_day);
  facts.end_date = Yyyymmdd(last_day);
  auto day_of = [&](int64_t us) {
    return absl::ToCivilDay(absl::FromUnixMicros(us), zone) - kEpoch;
  };
  absl::flat_hash_set<int> branches_used;
  std::mt19937_64 rng(options.seed);
  const int batch = std::max(1, options.batch);
  // Record i of n at an even share of the window, jittered within it: in
  // time order, so row ids rise with creation time as the server's do.
  auto time_of = [&](int64_t i, int64_t n) {
    const int64_t span = end_us - first_us;
    return first_us +
           static_cast<int64_t>(static_cast<__int128>(span) * i / n) +
           std::uniform_int_distribution<int64_t>(
               0, std::max<int64_t>(0, span / n - 1))(rng);
  };

  // ---- Feedback items.
  const int64_t n = options.items;
  for (int64_t done = 0; done < n;) {
    const int64_t count = std::min<int64_t>(batch, n - done);
    RETURN_IF_ERROR(InTransaction(*conn, [&](db::Connection& c) {
      DailyDeltas deltas;
      StoredItem si;
      for (int64_t i = done; i < done + count; ++i) {
        const int64_t t = time_of(i, n);
        const FeedbackDraw d = DrawFeedback(rng());
        const FeedbackText& tpl = FeedbackTemplates()[d.text];
        const FeedbackAnalysis& a = analysed[d.text];
        const int branch_n = 1 + static_cast<int>(d.pick % branches);
        branches_used.insert(branch_n);
        si = StoredItem();
        fv1::FeedbackItem& item = si.item;
        item.set_feedback_id(NewId("fbk", t));
        item.set_kind(tpl.kind);
        item.set_channel(d.channel);
        item.set_branch_id(BranchId(branch_n));
        if (!d.anonymous) {
          item.set_customer_id(members.empty()
                                   ? NewId("cus", t - 400LL * 86'400'000'000 *
                                                          (d.pick % 97) / 97)
                                   : members[(d.pick >> 20) % members.size()]);
        }
        if (d.sku >= 0) item.set_sku(FeedbackSku(d.sku));
        item.set_rating(d.rating);
        item.set_text(tpl.text);
        item.mutable_sentiment()->set_label(a.label);
        item.mutable_sentiment()->set_score(a.score);
        for (const std::string& s : a.topics) item.add_topics(s);
        for (const std::string& s : a.keywords) item.add_keywords(s);
        item.set_escalation_reason(EscalationReason(a, d.rating));
        if (!item.escalation_reason().empty()) {
          if (d.anonymous) {
            item.set_needs_review(true);
            ++result.needs_review;
          } else {
            ++result.escalated;
          }
        }
        *item.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(t);
        si.day = day_of(t);
        RETURN_IF_ERROR(feedback::InsertItem(c, si));
        RETURN_IF_ERROR(feedback::InsertTerms(
            c, Source::kFeedbackItem, si.row, item.branch_id(), si.day,
            a.negative(), a.topics, a.keywords));
        DailyFigures& daily = deltas[{si.day, item.branch_id()}];
        daily.feedback_items += 1;
        if (d.rating != 0) {
          RETURN_IF_ERROR(feedback::InsertScore(
              c, Source::kFeedbackItem, ScoreKind::kRating, d.rating, si.row,
              item.branch_id(), si.day, daily));
          ++facts.ratings;
          ++facts.feedback_ratings;
          facts.satisfied += d.rating >= 4;
        }
        ++facts.feedback_count;
        ++result.items;
        result.terms +=
            static_cast<int64_t>(a.topics.size() + a.keywords.size());
        result.negative += a.negative();
        result.anonymous += d.anonymous;
      }
      return WriteDaily(c, deltas);
    }));
    done += count;
    if (done % 200'000 < count || done == n) {
      std::cerr << "seed: " << done << " / " << n << " feedback items, "
                << (MonotonicNanos() - start_ns) / 1e9 << " s\n";
    }
  }

  // ---- Weekly surveys and their responses.
  const int64_t m = options.responses >= 0 ? options.responses : n / 5;
  if (m > 0) {
    const int weeks = (days + 6) / 7;
    std::vector<std::string> survey_ids;
    RETURN_IF_ERROR(InTransaction(*conn, [&](db::Connection& c) {
      for (int w = 0; w < weeks; ++w) {
        const absl::CivilDay first = first_day + 7 * w;
        const int64_t at = absl::ToUnixMicros(absl::FromCivil(first, zone)) -
                           3'600'000'000LL;  // the evening before
        const fv1::Survey s = WeeklySurvey(w, first, at);
        RETURN_IF_ERROR(feedback::InsertSurvey(c, s, at));
        survey_ids.push_back(s.survey_id());
      }
      return absl::OkStatus();
    }));
    result.surveys = weeks;
    // Each week's k-th response names member (offset + k * stride) mod M:
    // distinct while k < M; past that (or without members), made-up ids.
    const uint64_t msize = members.size();
    uint64_t stride = msize > 1 ? 1'000'003 % msize : 1;
    while (msize > 1 && (stride == 0 || std::gcd(stride, msize) != 1)) ++stride;
    std::vector<uint64_t> offsets(weeks), counts(weeks, 0);
    for (uint64_t& o : offsets) o = msize > 0 ? rng() % msize : 0;
    for (int64_t done = 0; done < m;) {
      const int64_t count = std::min<int64_t>(batch, m - done);
      RETURN_IF_ERROR(InTransaction(*conn, [&](db::Connection& c) {
        DailyDeltas deltas;
        StoredResponse sr;
        for (int64_t i = done; i < done + count; ++i) {
          const int64_t t = time_of(i, m);
          const int64_t day = day_of(t);
          const int w = static_cast<int>(
              std::min<int64_t>(weeks - 1, (day - (first_day - kEpoch)) / 7));
          const uint64_t bits = rng();
          const int branch_n = 1 + static_cast<int>(Sub(bits, 1, branches));
          branches_used.insert(branch_n);
          const uint64_t k = counts[w]++;
          sr = StoredResponse();
          fv1::SurveyResponse& r = sr.r;
          r.set_response_id(NewId("srp", t));
          r.set_survey_id(survey_ids[w]);
          r.set_customer_id(k < msize
                                ? members[(offsets[w] + k * stride) % msize]
                                : NewId("cus", t - 86'400'000'000LL));
          r.set_branch_id(BranchId(branch_n));
          const uint64_t rr = Sub(bits, 2, 100);
          const int rating = rr < 38   ? 5
                             : rr < 74 ? 4
                             : rr < 88 ? 3
                             : rr < 95 ? 2
                                       : 1;
          fv1::Answer* a = r.add_answers();
          a->set_question_id("q1");
          a->set_rating(rating);
          int nps = -1;
          if (Sub(bits, 3, 100) < 80) {
            const uint64_t s = Sub(bits, 4, 100);
            nps = s < 20   ? 10
                  : s < 40 ? 9
                  : s < 58 ? 8
                  : s < 72 ? 7
                  : s < 80 ? 6
                  : s < 86 ? 5
                           : static_cast<int>(Sub(bits, 5, 5));
            a = r.add_answers();
            a->set_question_id("q2");
            a->set_score(nps);
            a->set_has_score(true);
          }
          if (Sub(bits, 6, 100) < 60) {
            static constexpr const char* kChoices[] = {"上衣", "裤装", "鞋履",
                                                       "配饰"};
            a = r.add_answers();
            a->set_question_id("q3");
            a->add_choices(kChoices[Sub(bits, 7, 4)]);
          }
          *r.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(t);
          sr.day = day;
          RETURN_IF_ERROR(feedback::InsertResponse(c, sr));
          DailyFigures& daily = deltas[{day, r.branch_id()}];
          daily.responses += 1;
          RETURN_IF_ERROR(feedback::InsertScore(
              c, Source::kSurveyAnswer, ScoreKind::kRating, rating, sr.row,
              r.branch_id(), day, daily));
          ++facts.ratings;
          ++facts.survey_ratings;
          facts.satisfied += rating >= 4;
          if (nps >= 0) {
            RETURN_IF_ERROR(feedback::InsertScore(c, Source::kSurveyAnswer,
                                                  ScoreKind::kNps, nps, sr.row,
                                                  r.branch_id(), day, daily));
            ++facts.nps_count;
            facts.nps_promoters += nps >= 9;
            facts.nps_detractors += nps <= 6;
          }
          ++facts.response_count;
          ++result.responses;
        }
        return WriteDaily(c, deltas);
      }));
      done += count;
    }
  }
  facts.branches = static_cast<int64_t>(branches_used.size());

  RETURN_IF_ERROR(db::Guard("count feedback", [&] {
    db::Stmt s = conn->Prepare(
        "SELECT (SELECT COUNT(*) FROM feedback_items),"
        " (SELECT COUNT(*) FROM survey_responses),"
        " (SELECT COUNT(*) FROM feedback_daily)");
    s->Step();
    result.items_in_db = s->Int64(0);
    result.responses_in_db = s->Int64(1);
    result.daily_rows = s->Int64(2);
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(db::Guard("checkpoint", [&] {
    conn->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return absl::OkStatus();
  }));
  conn.reset();
  facts.items = result.items_in_db;
  if (!options.sample_path.empty()) {
    std::ofstream sample(options.sample_path, std::ios::trunc);
    WriteFeedbackFacts(sample, facts);
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
