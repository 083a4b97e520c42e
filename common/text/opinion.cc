#include "common/text/opinion.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "common/text/char_class.h"

namespace retail::text::internal {
namespace {

// The constants below were set on the tune split of tests/data/text/eval.tsv
// only (tests/data/text/README.md).

// Words allowed between a negation and the term it flips: 不是很满意 (是, 很),
// 没有一个店员过来帮忙 (一个, 店员, 过来). Further away it is some other
// clause's business.
constexpr size_t kNegationWindow = 3;
// Words allowed between an intensifier and its term (非常的满意).
constexpr size_t kIntensifierWindow = 1;
// A negated complaint is praise, but faint: 没有问题, "not bad", 不贵.
constexpr double kNegatedNegative = 0.5;
// "X, but Y" where Y has no sentiment word of its own: the contrast itself
// says Y goes against X (价格不贵，但是试衣间只有两个).
constexpr double kImpliedContrast = 0.5;
// 太 or "too" before a word that is no sentiment term: 太少, 太长.
constexpr double kExcessComplaint = -1;
// A negation with no sentiment term to flip (see SettleNegation).
constexpr double kDanglingNegation = -0.5;
// |score| below this is neutral: a faint or balanced opinion.
constexpr double kNeutralBand = 0.25;

// English negation by contraction: don't, wasn't, can't, ... ("n't" after
// the normaliser turned ’ into ').
const LexEntry kContractionNegator = {.modifier = Modifier::kNegator,
                                      .factor = 1};

bool IsClauseBreak(const Token& t) {
  if (!t.punct) return false;
  static constexpr absl::string_view kBreaks[] = {
      ",", ".", "!", "?", ";", ":", "。", "~", "\n", "(", ")", "[", "]"};
  return std::find(std::begin(kBreaks), std::end(kBreaks), t.text) !=
         std::end(kBreaks);
}

bool IsHan(absl::string_view s) {
  size_t i = 0;
  return !s.empty() && Classify(NextCodePoint(s, &i)) == CharClass::kHan;
}

bool IsMarker(Modifier m) {
  return m == Modifier::kContrast || m == Modifier::kReservation ||
         m == Modifier::kConcession;
}

// A Han word that is no lexicon term but is made only of lexicon terms is
// split into them (质量问题 -> 质量 问题, 不好 -> 不 好), so the segmenter's
// choice to keep them together does not hide them. Particles count as terms
// here (ICU glues them on: 都不 -> 都 不, 贵了 -> 贵 了), but a word of
// particles alone stays whole. So does a word with anything else in it
// (快递, 好像, 差不多): 快, 好 and 差 are not found inside other words, which
// is what segmenting is for. One exception: 太 (an "excess" modifier) before
// one character is "too ..." (太长, 太大), whatever the segmenter did.
// Fewest pieces win.
void AppendWord(const Token& t, const Lexicon& lex, std::vector<Token>& out) {
  constexpr size_t kMaxChars = 12;  // longer words are left as they are
  if (t.punct || lex.Find(t.text) != nullptr || !IsHan(t.text)) {
    out.push_back(t);
    return;
  }
  size_t off[kMaxChars + 1];
  size_t n = 0;
  for (size_t i = 0; i < t.text.size() && n <= kMaxChars;) {
    off[n++] = i;
    NextCodePoint(t.text, &i);
  }
  if (n < 2 || n > kMaxChars) {
    out.push_back(t);
    return;
  }
  off[n] = t.text.size();
  const auto piece = [&](size_t k, size_t j) {
    return lex.Find(t.text.substr(off[k], off[j] - off[k]));
  };
  // pieces[k]: fewest lexicon terms covering chars k..n, 0 if none can;
  // content[k]: whether that cover has a term that is no particle.
  int pieces[kMaxChars + 1] = {};
  bool content[kMaxChars + 1] = {};
  size_t next[kMaxChars + 1] = {};
  for (size_t k = n; k-- > 0;) {
    for (size_t j = n; j > k; --j) {
      if (j < n && pieces[j] == 0) continue;
      const LexEntry* e = piece(k, j);
      if (e == nullptr) continue;
      const int p = pieces[j] + 1;
      if (pieces[k] == 0 || p < pieces[k]) {
        pieces[k] = p;
        next[k] = j;
        content[k] = e->modifier != Modifier::kParticle || content[j];
      }
    }
  }
  if (pieces[0] == 0 || !content[0]) {
    const LexEntry* first = piece(0, 1);
    if (n == 2 && first != nullptr && first->modifier == Modifier::kExcess) {
      next[0] = 1;
      next[1] = 2;
    } else {
      out.push_back(t);
      return;
    }
  }
  for (size_t k = 0; k < n; k = next[k]) {
    out.push_back({t.text.substr(off[k], off[next[k]] - off[k]), false,
                   k == 0 && t.space_before});
  }
}

struct Match {
  size_t begin = 0;  // words [begin, end)
  size_t end = 0;
  const LexEntry* entry = nullptr;
  std::string key;
};

// Leftmost-longest matches of lexicon terms over whole words (a term may
// span several words; words apart in the text are joined with one space),
// never across a clause break. `want` picks the side: topic terms and
// sentiment terms are matched separately, so 态度差 can be a sentiment term
// while 态度 stays a topic term.
template <typename Want>
std::vector<Match> MatchTerms(const std::vector<Token>& w, const Lexicon& lex,
                              Want want) {
  std::vector<Match> out;
  std::string key;
  for (size_t i = 0; i < w.size();) {
    if (IsClauseBreak(w[i])) {
      ++i;
      continue;
    }
    key.clear();
    Match best;
    for (size_t j = i; j < w.size() && !IsClauseBreak(w[j]); ++j) {
      if (j > i && w[j].space_before) key.push_back(' ');
      key.append(w[j].text.data(), w[j].text.size());
      if (key.size() > lex.max_key_bytes()) break;
      const LexEntry* e = lex.Find(key);
      if (e != nullptr && want(*e)) best = {i, j + 1, e, key};
    }
    if (best.entry != nullptr) {
      i = best.end;
      out.push_back(std::move(best));
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<Match> MatchSentiment(const std::vector<Token>& w,
                                  const Lexicon& lex) {
  std::vector<Match> found =
      MatchTerms(w, lex, [](const LexEntry& e) { return e.HasSentiment(); });
  // Contractions the lexicon does not list: every word ending in n't that no
  // match covers.
  std::vector<Match> out;
  size_t m = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (m < found.size() && found[m].begin == i) {
      i = found[m].end - 1;
      out.push_back(std::move(found[m++]));
    } else if (!w[i].punct && absl::EndsWith(w[i].text, "n't")) {
      // Its keyword is "not": the word itself is the customer's text.
      out.push_back({i, i + 1, &kContractionNegator, "not"});
    }
  }
  return out;
}

struct Keyword {
  size_t pos;
  std::string text;
};

struct Clause {
  double weight = 1;
  bool question = false;  // ends in ? or 吗/呢
  Modifier marker = Modifier::kNone;
  double score = 0;
  bool has_polar = false;
  uint16_t topics = 0;
  uint16_t weak_topics = 0;
  std::vector<Keyword> polar_keywords;
};

// Clause of each word (-1 for clause breaks): a new clause after each break
// and at each contrast, reservation or concession word, which also sets the
// new clause's weight.
std::vector<int> AssignClauses(const std::vector<Token>& w,
                               const std::vector<Match>& sentiment,
                               std::vector<Clause>& clauses) {
  std::vector<int> clause_of(w.size(), -1);
  clauses.assign(1, Clause());
  bool has_words = false;
  size_t m = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (IsClauseBreak(w[i])) {
      if (w[i].text == "?") clauses.back().question = true;
      if (has_words) {
        clauses.emplace_back();
        has_words = false;
      }
      continue;
    }
    if (w[i].text == "吗" || w[i].text == "呢") clauses.back().question = true;
    while (m < sentiment.size() && sentiment[m].begin < i) ++m;
    if (m < sentiment.size() && sentiment[m].begin == i &&
        IsMarker(sentiment[m].entry->modifier)) {
      if (has_words) clauses.emplace_back();
      clauses.back().weight = sentiment[m].entry->factor;
      clauses.back().marker = sentiment[m].entry->modifier;
    }
    clause_of[i] = static_cast<int>(clauses.size()) - 1;
    has_words = true;
  }
  return clause_of;
}

// Adds each clause's sentiment: terms, flipped by a negation shortly before,
// scaled by intensifiers right before or "after" modifiers right after.
class ClauseScorer {
 public:
  ClauseScorer(const std::vector<Token>& w, const std::vector<Match>& sentiment,
               const std::vector<int>& clause_of, std::vector<Clause>& clauses)
      : w_(w), s_(sentiment), clause_of_(clause_of), clauses_(clauses) {}

  void Run() {
    for (size_t i = 0; i < s_.size(); ++i) {
      const Match& m = s_[i];
      const int c = clause_of_[m.begin];
      if (c != current_) {
        if (current_ >= 0) SettleNegation();
        current_ = c;
        intensity_ = 1;
        has_last_ = false;
      }
      if (negator_ != nullptr && m.begin - negator_->end > kNegationWindow) {
        SettleNegation();
      }
      Step(m, i + 1 < s_.size() ? &s_[i + 1] : nullptr);
    }
    if (current_ >= 0) SettleNegation();
    for (size_t c = 1; c < clauses_.size(); ++c) {
      Clause& cl = clauses_[c];
      if (cl.marker == Modifier::kContrast && !cl.has_polar &&
          clauses_[c - 1].score != 0) {
        cl.score +=
            clauses_[c - 1].score > 0 ? -kImpliedContrast : kImpliedContrast;
      }
    }
  }

 private:
  Clause& clause() { return clauses_[current_]; }

  void Step(const Match& m, const Match* next) {
    const LexEntry& e = *m.entry;
    switch (e.modifier) {
      case Modifier::kNegator:
        if (negator_ == nullptr) {
          negated_ = true;
          neg_factor_ = e.factor;
        } else {
          negated_ = !negated_;  // 不是不好: two negations cancel
          neg_factor_ *= e.factor;
        }
        negator_ = &m;
        return;
      case Modifier::kExcess:
        // Before a sentiment term it only strengthens it (太好了, 太慢);
        // before a plain word it is the complaint (太少, 太长, too long).
        if (next != nullptr && next->entry->modifier == Modifier::kNone &&
            clause_of_[next->begin] == current_ &&
            next->begin - m.end <= kIntensifierWindow) {
          Intensify(m);
        } else if (m.end < w_.size() && !IsClauseBreak(w_[m.end]) &&
                   (next == nullptr || next->begin != m.end)) {
          Add(m, kExcessComplaint, "");
        }
        return;
      case Modifier::kIntensifier:
        Intensify(m);
        return;
      case Modifier::kAfter:
        if (has_last_ && m.begin == last_end_) {
          clause().score += last_value_ * (e.factor - 1);
          last_value_ *= e.factor;
        }
        return;
      case Modifier::kNone:
        Add(m, e.polarity, m.key);
        return;
      default:  // clause markers and neutral phrases carry no sentiment
        return;
    }
  }

  void Intensify(const Match& m) {
    if (m.begin - intensity_end_ > kIntensifierWindow) intensity_ = 1;
    intensity_ *= m.entry->factor;
    intensity_end_ = m.end;
  }

  // A sentiment of `polarity` at `m`; `key` is its keyword ("" for none).
  void Add(const Match& m, double polarity, const std::string& key) {
    double v = polarity;
    if (intensity_ != 1 && m.begin - intensity_end_ <= kIntensifierWindow) {
      v *= intensity_;
    }
    size_t pos = m.begin;
    std::string keyword = key;
    if (negator_ != nullptr && negated_) {
      v = -v * neg_factor_ * (polarity < 0 ? kNegatedNegative : 1.0);
      if (!key.empty()) {
        // Latin words keep the space between them ("not helpful").
        const bool latin =
            static_cast<unsigned char>(negator_->key.back()) < 0x80 &&
            static_cast<unsigned char>(key.front()) < 0x80;
        keyword = negator_->key + (latin ? " " : "") + key;
      }
      pos = negator_->begin;
    }
    negator_ = nullptr;  // used, even when two negations cancelled
    Clause& cl = clause();
    cl.score += v;
    cl.has_polar = true;
    if (!keyword.empty())
      cl.polar_keywords.push_back({pos, std::move(keyword)});
    has_last_ = true;
    last_value_ = v;
    last_end_ = m.end;
    intensity_ = 1;
  }

  // A negation that flipped nothing: "X didn't happen" (没收到, 没更新,
  // "hasn't arrived", "no staff on the floor") is how most complaints say
  // it. Not in a question (会员积分不能和折扣同时使用吗?).
  void SettleNegation() {
    if (negator_ != nullptr && negated_ && !clause().question) {
      clause().score += kDanglingNegation * neg_factor_;
    }
    negator_ = nullptr;
  }

  const std::vector<Token>& w_;
  const std::vector<Match>& s_;
  const std::vector<int>& clause_of_;
  std::vector<Clause>& clauses_;
  int current_ = -1;
  const Match* negator_ = nullptr;  // a negation waiting for its term
  bool negated_ = false;
  double neg_factor_ = 1;
  double intensity_ = 1;
  size_t intensity_end_ = 0;
  bool has_last_ = false;  // a sentiment term earlier in this clause
  double last_value_ = 0;
  size_t last_end_ = 0;
};

Sentiment ToSentiment(double sum) {
  Sentiment s;
  s.score = std::tanh(sum);
  s.label = s.score > kNeutralBand    ? SentimentLabel::kPositive
            : s.score < -kNeutralBand ? SentimentLabel::kNegative
                                      : SentimentLabel::kNeutral;
  return s;
}

// Sorted by position, each text once (its first appearance).
std::vector<std::string> Ordered(std::vector<Keyword> k) {
  std::stable_sort(k.begin(), k.end(), [](const Keyword& a, const Keyword& b) {
    return a.pos < b.pos;
  });
  std::vector<std::string> out;
  for (Keyword& kw : k) {
    if (std::find(out.begin(), out.end(), kw.text) == out.end()) {
      out.push_back(std::move(kw.text));
    }
  }
  return out;
}

}  // namespace

Opinion FindOpinion(const std::vector<Token>& tokens, const Lexicon& lexicon) {
  std::vector<Token> w;
  w.reserve(tokens.size());
  for (const Token& t : tokens) AppendWord(t, lexicon, w);

  const std::vector<Match> sentiment = MatchSentiment(w, lexicon);
  const std::vector<Match> topic_terms =
      MatchTerms(w, lexicon, [](const LexEntry& e) { return e.HasTopic(); });
  std::vector<Clause> clauses;
  const std::vector<int> clause_of = AssignClauses(w, sentiment, clauses);
  ClauseScorer(w, sentiment, clause_of, clauses).Run();

  for (const Match& m : topic_terms) {
    Clause& c = clauses[clause_of[m.begin]];
    c.topics |= m.entry->topics;
    c.weak_topics |= m.entry->weak_topics;
  }
  // A clause's topics: its own topic terms, or, in a clause that gives an
  // opinion about nothing else, its weak terms (衣服不错 is about quality).
  std::vector<uint16_t> used(clauses.size());
  for (size_t c = 0; c < clauses.size(); ++c) {
    used[c] = clauses[c].topics != 0  ? clauses[c].topics
              : clauses[c].score != 0 ? clauses[c].weak_topics
                                      : 0;
  }

  struct Acc {
    bool found = false;
    size_t first = 0;
    double sum = 0;
    std::vector<Keyword> keywords;
  };
  // A term that is both (helpful, 干净) is reported once, as the sentiment
  // keyword, which carries its negation: "not helpful", never also "helpful".
  std::vector<bool> polar_at(w.size() + 1, false);
  for (const Match& m : sentiment) {
    if (m.entry->modifier == Modifier::kNone) polar_at[m.begin] = true;
  }
  Acc acc[kTopicCount];
  std::vector<Keyword> all;
  for (const Match& m : topic_terms) {
    const int c = clause_of[m.begin];
    const uint16_t bits = used[c] & (m.entry->topics | m.entry->weak_topics);
    const bool keyword = !(polar_at[m.begin] && m.entry->polarity != 0);
    for (int t = 0; t < kTopicCount; ++t) {
      if ((bits >> t & 1) == 0) continue;
      if (!acc[t].found) acc[t] = {true, m.begin, 0, {}};
      if (keyword) acc[t].keywords.push_back({m.begin, m.key});
    }
    if (bits != 0 && keyword) all.push_back({m.begin, m.key});
  }
  double overall = 0;
  for (size_t c = 0; c < clauses.size(); ++c) {
    const Clause& cl = clauses[c];
    overall += cl.score * cl.weight;
    for (const Keyword& k : cl.polar_keywords) all.push_back(k);
    for (int t = 0; t < kTopicCount; ++t) {
      if ((used[c] >> t & 1) == 0) continue;
      acc[t].sum += cl.score;
      for (const Keyword& k : cl.polar_keywords) acc[t].keywords.push_back(k);
    }
  }

  Opinion out;
  std::vector<int> order;
  for (int t = 0; t < kTopicCount; ++t) {
    if (acc[t].found) order.push_back(t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return acc[a].first < acc[b].first; });
  for (int t : order) {
    out.topics.push_back({static_cast<Topic>(t),
                          Ordered(std::move(acc[t].keywords)),
                          ToSentiment(acc[t].sum)});
  }
  out.keywords = Ordered(std::move(all));
  out.overall = ToSentiment(overall);
  return out;
}

}  // namespace retail::text::internal
