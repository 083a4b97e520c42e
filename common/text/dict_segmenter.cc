// Chinese words by the most probable path through a word list: every way of
// cutting a Han run into dictionary words (the DAG) is scored by the sum of
// log(frequency / total) of its words, and the best is kept. This is the
// segmentation jieba does without its HMM for unknown words, written here
// over jieba's own dict.txt (Debian's python3-jieba) read as data.
//
// jieba's rules are kept so the two agree word for word on Han text:
//   - a position where some word starts offers only the words (not the lone
//     character, unless that is a word too);
//   - a lone character that is no word scores log(1 / total);
//   - equal scores go to the longer word.
// jieba also matches dictionary words that mix Han and ASCII (T恤); here
// ASCII is split before the dictionary sees the text (segmenter.h), so those
// come out as t + 恤, which the lexicon still matches across tokens.
#include <cmath>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/char_class.h"
#include "common/text/segmenter.h"

namespace retail::text::internal {
namespace {

// log probabilities are <= 0, so a positive value marks a node that is only
// a prefix of longer words.
constexpr double kNotWord = 1.0;

class DictSegmenter : public Segmenter {
 public:
  // Reads the word list; an error message without the path (the caller adds
  // it) or "".
  std::string Load(std::istream& in);

  void Segment(absl::string_view text, std::vector<Token>& out) const override {
    SplitNonHan(
        text, out,
        [this](absl::string_view run, bool space, std::vector<Token>& tokens) {
          SegmentHan(run, space, tokens);
        });
  }

 private:
  uint32_t Child(uint32_t node, uint32_t cp) const {
    auto it = children_.find(Key(node, cp));
    return it == children_.end() ? 0 : it->second;
  }
  static uint64_t Key(uint32_t node, uint32_t cp) {
    return (static_cast<uint64_t>(node) << 21) | cp;
  }
  void Insert(absl::string_view word, double log_prob);
  void SegmentHan(absl::string_view run, bool space,
                  std::vector<Token>& out) const;

  // The trie: node 0 is the root, so 0 also means "no child".
  absl::flat_hash_map<uint64_t, uint32_t> children_;
  std::vector<double> log_prob_{kNotWord};
  double unknown_log_prob_ = 0;
};

void DictSegmenter::Insert(absl::string_view word, double log_prob) {
  uint32_t node = 0;
  for (size_t i = 0; i < word.size();) {
    const uint32_t cp = NextCodePoint(word, &i);
    auto [it, added] = children_.try_emplace(
        Key(node, cp), static_cast<uint32_t>(log_prob_.size()));
    if (added) log_prob_.push_back(kNotWord);
    node = it->second;
  }
  log_prob_[node] = log_prob;
}

std::string DictSegmenter::Load(std::istream& in) {
  // Two passes over the lines: the total of all frequencies comes first.
  std::vector<std::pair<std::string, double>> words;
  double total = 0;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    double freq = 0;
    if (f.size() < 2 || f[0].empty() || !absl::SimpleAtod(f[1], &freq) ||
        freq < 0) {
      return absl::StrCat("line ", line_no, " is not \"word frequency [tag]\"");
    }
    total += freq;
    bool han = true;
    for (size_t i = 0; i < f[0].size() && han;) {
      han = Classify(NextCodePoint(f[0], &i)) == CharClass::kHan;
    }
    // Words with other characters can never match a Han run; jieba treats
    // a zero frequency as "not a word".
    if (han && freq > 0) words.emplace_back(std::string(f[0]), freq);
  }
  if (words.size() < 1000 || total <= 0) {
    return absl::StrCat("holds ", words.size(),
                        " Chinese words; expected jieba's word list");
  }
  const double log_total = std::log(total);
  children_.reserve(words.size() * 3 / 2);
  for (const auto& [word, freq] : words) {
    Insert(word, std::log(freq) - log_total);
  }
  unknown_log_prob_ = -log_total;
  return "";
}

void DictSegmenter::SegmentHan(absl::string_view run, bool space,
                               std::vector<Token>& out) const {
  // Code points and their byte offsets (offsets has one more, the end).
  std::vector<uint32_t> cps;
  std::vector<size_t> offsets;
  for (size_t i = 0; i < run.size();) {
    offsets.push_back(i);
    cps.push_back(NextCodePoint(run, &i));
  }
  offsets.push_back(run.size());
  const size_t n = cps.size();

  // best[k]: score of the best cut of cps[k..n); next[k]: where its first
  // word ends.
  std::vector<double> best(n + 1, 0);
  std::vector<size_t> next(n + 1, n);
  for (size_t k = n; k-- > 0;) {
    double k_best = -INFINITY;
    size_t k_end = k + 1;
    uint32_t node = 0;
    for (size_t j = k; j < n; ++j) {
      node = Child(node, cps[j]);
      if (node == 0) break;
      const double lp = log_prob_[node];
      if (lp == kNotWord) continue;
      const double score = lp + best[j + 1];
      if (score >= k_best) {  // >=: a tie goes to the longer word
        k_best = score;
        k_end = j + 1;
      }
    }
    if (k_best == -INFINITY) k_best = unknown_log_prob_ + best[k + 1];
    best[k] = k_best;
    next[k] = k_end;
  }
  for (size_t k = 0; k < n; k = next[k]) {
    out.push_back(
        {run.substr(offsets[k], offsets[next[k]] - offsets[k]), false, space});
    space = false;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Segmenter>> NewDictSegmenter(
    const std::string& dict_path) {
  std::ifstream in(dict_path);
  if (!in.good()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "jieba dictionary ", dict_path,
        " not found or unreadable: install python3-jieba (scripts/setup) or "
        "set AnalyzerOptions.jieba_dict"));
  }
  auto seg = std::make_unique<DictSegmenter>();
  if (std::string error = seg->Load(in); !error.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("jieba dictionary ", dict_path, ": ", error));
  }
  return seg;
}

}  // namespace retail::text::internal
