#include "tests/bench/fake_people.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace retail::bench {
namespace {

constexpr std::array kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄",   "赵",  "吴", "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "高",   "林",  "罗", "郑", "梁",
    "谢", "宋", "唐", "许", "韩", "冯", "邓",   "曹",  "彭", "曾", "肖",
    "田", "董", "袁", "潘", "于", "蒋", "蔡",   "余",  "杜", "叶", "程",
    "苏", "魏", "吕", "丁", "任", "沈", "欧阳", "司马"};
constexpr std::array kGiven = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
    "杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华",
    "玉", "兰", "文", "辉", "建", "国", "红", "梅", "鑫", "宇", "浩", "然",
    "子", "轩", "欣", "怡", "佳", "琪", "思", "雨", "晨", "博", "俊", "嘉",
    "一", "诺", "梓", "涵", "宁", "婷", "雪", "飞", "鹏", "斌", "小", "晓"};
constexpr std::array kEmailDomains = {"qq.com",    "163.com",     "126.com",
                                      "gmail.com", "outlook.com", "example.com",
                                      "sina.com"};
constexpr std::array kSizes = {"XS", "S",  "M",  "L",  "XL", "XXL", "36",
                               "37", "38", "39", "40", "41", "42",  "43"};
constexpr std::array kStyles = {"casual",     "business", "sport",
                                "streetwear", "classic",  "minimalist"};
constexpr std::array kColors = {"navy", "black", "white", "red", "beige",
                                "grey", "green", "camel", "pink"};
constexpr std::array kBrands = {"Uniqlo",    "Li-Ning", "Anta", "Bosideng",
                                "Peacebird", "Semir",   "JNBY", "Nike"};
constexpr std::array kTags = {"student",   "new-parent",   "gift-buyer",
                              "wholesale", "event-invite", "senior"};
constexpr std::array kNotes = {"偏好周末到店", "需要增值税发票", "对羊毛过敏",
                               "喜欢新品到店提醒", "会员日常客"};

// Appends up to `max` distinct entries of `pool` to `out`.
template <typename Pool>
void PickSome(PeopleGenerator& g, const Pool& pool, int max,
              google::protobuf::RepeatedPtrField<std::string>* out) {
  const int n = static_cast<int>(g.Uniform(0, max));
  const int start = static_cast<int>(g.Uniform(0, pool.size() - 1));
  for (int i = 0; i < n; ++i) out->Add(pool[(start + i) % pool.size()]);
}

}  // namespace

std::string BranchId(int n) { return absl::StrFormat("B%03d", n); }

std::string ChineseMobile(uint64_t n, uint64_t salt) {
  // x -> (x * kPrime + salt) mod 7e9 is a bijection on [0, 7e9) because the
  // prime shares no factor with 7e9 = 2^9 * 5^9 * 7.
  constexpr uint64_t kRange = 7'000'000'000ULL;
  constexpr unsigned __int128 kPrime = 2'654'435'761ULL;
  const uint64_t x = static_cast<uint64_t>(
      (static_cast<unsigned __int128>(n % kRange) * kPrime + salt % kRange) %
      kRange);
  return absl::StrFormat("1%d%09d", 3 + x / 1'000'000'000ULL,
                         x % 1'000'000'000ULL);
}

int64_t PeopleGenerator::Uniform(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

bool PeopleGenerator::Chance(double p) {
  return std::bernoulli_distribution(p)(rng_);
}

std::string PeopleGenerator::Name() {
  std::string name = kSurnames[Uniform(0, kSurnames.size() - 1)];
  name += kGiven[Uniform(0, kGiven.size() - 1)];
  if (Chance(0.7)) name += kGiven[Uniform(0, kGiven.size() - 1)];
  return name;
}

void PeopleGenerator::FillProfile(uint64_t n, customers::v1::Customer* c) {
  c->set_display_name(Name());
  if (Chance(0.5)) {
    c->set_email(
        absl::StrCat("u", n, "x", Uniform(10, 99), "@",
                     kEmailDomains[Uniform(0, kEmailDomains.size() - 1)]));
  }
  if (Chance(0.85)) {
    common::v1::Date* d = c->mutable_birthday();
    d->set_year(static_cast<int32_t>(Uniform(1950, 2006)));
    d->set_month(static_cast<int32_t>(Uniform(1, 12)));
    d->set_day(static_cast<int32_t>(Uniform(1, 28)));
  }
  const int64_t g = Uniform(0, 99);
  c->set_gender(g < 48   ? customers::v1::GENDER_FEMALE
                : g < 90 ? customers::v1::GENDER_MALE
                : g < 92 ? customers::v1::GENDER_OTHER
                         : customers::v1::GENDER_UNSPECIFIED);
  customers::v1::Preferences* p = c->mutable_preferences();
  PickSome(*this, kSizes, 2, p->mutable_sizes());
  PickSome(*this, kStyles, 2, p->mutable_styles());
  PickSome(*this, kColors, 3, p->mutable_colors());
  PickSome(*this, kBrands, 2, p->mutable_brands());
  PickSome(*this, kTags, 1, p->mutable_tags());
  c->set_marketing_consent(Chance(0.6));
  if (Chance(0.1)) c->set_notes(kNotes[Uniform(0, kNotes.size() - 1)]);
}

}  // namespace retail::bench
