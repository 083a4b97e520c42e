#include "common/filter.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace retail {
namespace {

bool IsWordChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

class Parser {
 public:
  explicit Parser(absl::string_view s) : s_(s) {}

  void SkipSpace() {
    while (pos_ < s_.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(s_[pos_]))) {
      ++pos_;
    }
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  bool Word(std::string* out) {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && IsWordChar(s_[pos_])) ++pos_;
    *out = std::string(s_.substr(start, pos_ - start));
    return !out->empty();
  }
  bool Char(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Value(std::string* out) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      out->clear();
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        *out += s_[pos_++];
      }
      if (pos_ >= s_.size()) return false;
      ++pos_;
      return true;
    }
    return Word(out);
  }
  size_t pos() const { return pos_; }

 private:
  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<FilterTerm>> ParseFilter(
    absl::string_view filter, absl::string_view field_name) {
  std::vector<FilterTerm> terms;
  if (filter.size() > 1024) {
    return InvalidArgument(field_name, "must have at most 1024 characters");
  }
  Parser p(filter);
  absl::flat_hash_set<std::string> seen;
  if (p.AtEnd()) return terms;
  for (;;) {
    FilterTerm term;
    if (!p.Word(&term.field) || !p.Char('=') || !p.Value(&term.value)) {
      return InvalidArgument(
          field_name,
          absl::StrCat(
              "syntax error near character ", p.pos() + 1,
              ": expected terms like field = \"value\" joined by AND"));
    }
    if (!seen.insert(term.field).second) {
      return InvalidArgument(field_name,
                             absl::StrCat("names '", term.field, "' twice"));
    }
    terms.push_back(std::move(term));
    if (p.AtEnd()) return terms;
    std::string conj;
    if (!p.Word(&conj) || absl::AsciiStrToUpper(conj) != "AND") {
      return InvalidArgument(
          field_name, absl::StrCat("expected AND near character ", p.pos() + 1,
                                   " (only AND is supported)"));
    }
  }
}

}  // namespace retail
