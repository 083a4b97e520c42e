#include "common/db/pg_connection.h"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/logging.h"

namespace retail::db {

namespace {

// Type OIDs from pg_type.h (the server's catalog; stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kUnknownOid = 705;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;

StorageErrorKind KindOfSqlstate(absl::string_view state) {
  if (state == "23505") return StorageErrorKind::kUniqueViolation;
  if (absl::StartsWith(state, "23")) return StorageErrorKind::kConstraint;
  if (state == "40001" || state == "40P01") {
    return StorageErrorKind::kSerialization;
  }
  if (state == "55P03" || state == "57014") return StorageErrorKind::kBusy;
  if (state == "53100") return StorageErrorKind::kFull;
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return StorageErrorKind::kUnavailable;
  }
  return StorageErrorKind::kInternal;
}

// Throws the error `result` (may be null) reports, and frees it. The text
// is chosen so that no value reaches the log: the server's DETAIL repeats
// the row or key ("Key (email)=(...)"), and a data exception's (class 22)
// primary message quotes the offending input, so both are left out; the
// SQLSTATE and constraint names still say what happened. Errors libpq makes
// itself (a lost connection) carry no SQLSTATE and no values.
[[noreturn]] void ThrowPgError(PGconn* conn, PGresult* result,
                               absl::string_view context) {
  std::string state;
  std::string message;
  if (result != nullptr) {
    if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) state = s;
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (absl::StartsWith(state, "22")) {
      message = "invalid data for the column's type";
      if (const char* type =
              PQresultErrorField(result, PG_DIAG_DATATYPE_NAME)) {
        absl::StrAppend(&message, " ", type);
      }
    } else if (primary != nullptr) {
      message = primary;
    } else {
      message = PQresultErrorMessage(result);
    }
  }
  if (message.empty()) message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (message.empty()) message = "unknown PostgreSQL error";
  if (!context.empty()) message = absl::StrCat(context, ": ", message);
  StorageErrorKind kind = KindOfSqlstate(state);
  // Whatever the statement said, a connection that is gone took the
  // transaction with it: the owner reconnects and retries.
  if (PQstatus(conn) != CONNECTION_OK) kind = StorageErrorKind::kUnavailable;
  PQclear(result);
  throw StorageError(kind, message, state);
}

// libpq prints server notices to stderr by default, outside the log's
// format; "relation already exists, skipping" and the like are noise, so
// only warnings are kept, without their DETAIL.
void LogNotice(void*, const PGresult* notice) {
  const char* severity =
      PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr || std::strcmp(severity, "WARNING") != 0) return;
  const char* primary = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  const char* state = PQresultErrorField(notice, PG_DIAG_SQLSTATE);
  RETAIL_LOG(WARNING) << "postgresql warning " << (state ? state : "") << ": "
                      << (primary ? primary : "");
}

// `url` with its password (user:PASSWORD@ or a password= parameter) masked,
// and the passwords found, to mask them in libpq's own messages too.
struct RedactedUrl {
  std::string url;
  std::vector<std::string> secrets;
};

RedactedUrl Redact(absl::string_view url) {
  RedactedUrl out{std::string(url), {}};
  std::string& s = out.url;
  const size_t scheme = s.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = std::min(s.find_first_of("/?", start), s.size());
    const size_t at = s.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start) {
      const size_t colon = s.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.secrets.push_back(s.substr(colon + 1, at - colon - 1));
        s.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  for (size_t pos = 0; (pos = s.find("password=", pos)) != std::string::npos;) {
    const size_t value = pos + 9;
    size_t end = s.find_first_of("& \t", value);
    if (end == std::string::npos) end = s.size();
    if (end > value) {
      out.secrets.push_back(s.substr(value, end - value));
      s.replace(value, end - value, "***");
    }
    pos = value;
  }
  return out;
}

std::string MaskSecrets(std::string text, const RedactedUrl& redacted) {
  for (const std::string& secret : redacted.secrets) {
    if (!secret.empty()) absl::StrReplaceAll({{secret, "***"}}, &text);
  }
  return text;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads the digits at sql[*i...], advancing *i; saturates rather than
// overflowing (PostgreSQL refuses a number that large anyway).
int ReadNumber(absl::string_view sql, size_t* i) {
  int n = 0;
  while (*i < sql.size() && IsDigit(sql[*i])) {
    n = n > 100000000 ? n : n * 10 + (sql[*i] - '0');
    ++*i;
  }
  return n;
}

// End of the quoted run opening at sql[i] (a ' or "), past its closing
// quote; a doubled quote is the quote itself, and `backslash` escapes the
// next character (E'...' strings). An unterminated run ends the text.
size_t QuotedEnd(absl::string_view sql, size_t i, bool backslash) {
  const char quote = sql[i];
  for (size_t j = i + 1; j < sql.size(); ++j) {
    if (backslash && sql[j] == '\\') {
      ++j;
    } else if (sql[j] == quote) {
      if (j + 1 < sql.size() && sql[j + 1] == quote) {
        ++j;
      } else {
        return j + 1;
      }
    }
  }
  return sql.size();
}

// PgPlaceholders, also giving the highest parameter number, which is the
// statement's parameter count. $N already in the text count too. Dollar
// quotes ($$...$$, $tag$...$tag$) and nested /* */ comments are skipped as
// PostgreSQL's lexer skips them.
// `used`, if given, gets true at [N - 1] for every parameter N the text
// refers to (sized to the highest one).
std::string RewritePlaceholders(absl::string_view sql, int* highest_out,
                                std::vector<bool>* used = nullptr) {
  std::string out;
  out.reserve(sql.size() + 8);
  int highest = 0;
  const auto mark = [used](int number) {
    // PostgreSQL takes at most 65535 parameters and refuses more itself.
    if (used == nullptr || number < 1 || number > 65535) return;
    if (used->size() < static_cast<size_t>(number)) used->resize(number);
    (*used)[number - 1] = true;
  };
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    const char next = i + 1 < n ? sql[i + 1] : '\0';
    const bool after_word = i > 0 && IsWordChar(sql[i - 1]);
    size_t end = i;  // past a run to copy as it is
    if (c == '\'') {
      const bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !IsWordChar(sql[i - 2]));
      end = QuotedEnd(sql, i, escapes);
    } else if (c == '"') {
      end = QuotedEnd(sql, i, false);
    } else if (c == '-' && next == '-') {
      end = sql.find('\n', i);
      end = end == absl::string_view::npos ? n : end + 1;
    } else if (c == '/' && next == '*') {
      int depth = 1;
      end = i + 2;
      while (end < n && depth > 0) {
        if (sql[end] == '/' && end + 1 < n && sql[end + 1] == '*') {
          ++depth;
          end += 2;
        } else if (sql[end] == '*' && end + 1 < n && sql[end + 1] == '/') {
          --depth;
          end += 2;
        } else {
          ++end;
        }
      }
    } else if (c == '$' && !after_word) {
      if (IsDigit(next)) {
        size_t j = i + 1;
        const int number = ReadNumber(sql, &j);
        highest = std::max(highest, number);
        mark(number);
        end = j;
      } else {
        size_t j = i + 1;
        while (j < n && IsWordChar(sql[j]) && sql[j] != '$') ++j;
        if (j < n && sql[j] == '$') {  // a dollar quote's opening tag
          const absl::string_view tag = sql.substr(i, j + 1 - i);
          const size_t close = sql.find(tag, j + 1);
          end = close == absl::string_view::npos ? n : close + tag.size();
        }
      }
    } else if (c == '?') {
      size_t j = i + 1;
      const int number = IsDigit(next) ? ReadNumber(sql, &j) : highest + 1;
      highest = std::max(highest, number);
      mark(number);
      absl::StrAppend(&out, "$", number);
      i = j;
      continue;
    }
    if (end <= i) end = i + 1;
    out.append(sql.data() + i, end - i);
    i = end;
  }
  if (highest_out != nullptr) *highest_out = highest;
  return out;
}

template <typename T>
T LoadBigEndian(const char* p) {
  if constexpr (sizeof(T) == 1) {
    return static_cast<T>(*p);
  } else if constexpr (sizeof(T) == 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return static_cast<T>(be16toh(v));
  } else if constexpr (sizeof(T) == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<T>(be32toh(v));
  } else {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<T>(be64toh(v));
  }
}

// As SQLite converts a REAL read as an integer: toward zero, saturating.
int64_t DoubleToInt64(double d) {
  if (std::isnan(d)) return 0;
  if (d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  if (d >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(d);
}

// The name under which a variant that failed to prepare is retried inside
// a transaction (PrepareVariant).
constexpr char kPrepareSavepoint[] = "retail_prepare";

class PgStatement final : public Statement {
 public:
  // `sql` is in PostgreSQL's $N form, with `params` parameters of which
  // `used` marks those the text refers to; `next_name` is the connection's
  // counter of statement names. Nothing reaches the server until the first
  // run.
  PgStatement(PGconn* conn, int* next_name, std::string sql, int params,
              const std::vector<bool>& used)
      : conn_(conn),
        next_name_(next_name),
        sql_(std::move(sql)),
        params_(params),
        storage_(params),
        values_(params, nullptr),
        lengths_(params, 0),
        formats_(params, 0),
        types_(params, 0) {
    // A parameter the text never mentions (?1 skipped) leaves the server
    // nothing to infer its type from; any type does, as it is never read.
    for (int i = 0; i < params; ++i) {
      if (static_cast<size_t>(i) >= used.size() || !used[i]) {
        types_[i] = kTextOid;
      }
    }
  }
  // No DEALLOCATE: statements live as long as their connection (the cache
  // never evicts), and PQfinish drops them all with the session.
  ~PgStatement() override { PQclear(result_); }

  // A NULL keeps the parameter's type from its last non-NULL binding
  // (types_), so a run with a NULL where the last had a number reuses that
  // run's server-side statement.
  void BindNull(int index) override { values_[Slot(index)] = nullptr; }
  // Numbers go as text, to parameters typed int8 / float8: exact, and no
  // byte order to mind. The server casts them where the SQL needs another
  // type (an int4 column, a numeric); a BOOLEAN column takes no bigint, so
  // flags are 0/1 integers, as in the schemas.
  void BindInt64(int index, int64_t value) override {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    SetText(index, absl::string_view(buffer, end - buffer), kInt8Oid);
  }
  void BindDouble(int index, double value) override {
    if (std::isnan(value)) return SetText(index, "NaN", kFloat8Oid);
    if (std::isinf(value)) {
      return SetText(index, value > 0 ? "Infinity" : "-Infinity", kFloat8Oid);
    }
    // Shortest text that reads back as the same double.
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    SetText(index, absl::string_view(buffer, end - buffer), kFloat8Oid);
  }
  void BindText(int index, absl::string_view value) override {
    // Text parameters travel NUL-terminated: a NUL would silently cut the
    // value short (and PostgreSQL's text cannot hold one anyway).
    if (value.find('\0') != absl::string_view::npos) {
      throw StorageError(
          StorageErrorKind::kInternal,
          absl::StrCat("text parameter ", index, " contains a NUL byte"));
    }
    SetText(index, value, kTextOid);
  }
  // Bytes go in binary: exact, and no escaping on either side.
  void BindBlob(int index, absl::string_view bytes) override {
    const int slot = Slot(index);
    storage_[slot].assign(bytes.data() != nullptr ? bytes.data() : "",
                          bytes.size());
    values_[slot] = storage_[slot].data();  // never null: empty is not NULL
    lengths_[slot] = static_cast<int>(bytes.size());
    formats_[slot] = 1;
    types_[slot] = kByteaOid;
  }

  bool Step() override {
    if (result_ == nullptr) Run();
    if (row_ < rows_) ++row_;  // once past the end, stays done until Reset
    return row_ < rows_;
  }
  int Exec() override {
    if (Step()) {
      throw StorageError(StorageErrorKind::kInternal,
                         "Exec() on a statement that returns rows");
    }
    const char* count = PQcmdTuples(result_);
    int64_t changed = 0;
    std::from_chars(count, count + std::strlen(count), changed);
    return static_cast<int>(
        std::min<int64_t>(changed, std::numeric_limits<int>::max()));
  }
  void Reset() override {
    PQclear(result_);
    result_ = nullptr;
    rows_ = row_ = columns_ = 0;
    // Bindings go back to NULL, as sqlite3_clear_bindings; the buffers keep
    // their capacity for the next run, the parameters their types.
    std::fill(values_.begin(), values_.end(), nullptr);
  }

  bool IsNull(int column) const override {
    Check(column);
    return PQgetisnull(result_, row_, column) != 0;
  }
  int64_t Int64(int column) const override {
    Check(column);
    const Oid type = PQftype(result_, column);
    switch (type) {
      case kInt8Oid:
      case kInt4Oid:
      case kInt2Oid:
      case kBoolOid:
        if (PQgetisnull(result_, row_, column)) return 0;
        return IntegerAt(column, type);
      case kFloat8Oid:
      case kFloat4Oid:
        if (PQgetisnull(result_, row_, column)) return 0;
        return DoubleToInt64(FloatAt(column, type));
      default:
        TypeError(column, type, "Int64");
    }
  }
  double Double(int column) const override {
    Check(column);
    const Oid type = PQftype(result_, column);
    switch (type) {
      case kFloat8Oid:
      case kFloat4Oid:
        if (PQgetisnull(result_, row_, column)) return 0;
        return FloatAt(column, type);
      case kInt8Oid:
      case kInt4Oid:
      case kInt2Oid:
      case kBoolOid:
        if (PQgetisnull(result_, row_, column)) return 0;
        return static_cast<double>(IntegerAt(column, type));
      default:
        TypeError(column, type, "Double");
    }
  }
  // Text and bytea are both raw bytes in binary results, so either getter
  // reads either type, as SQLite's do.
  absl::string_view Text(int column) const override {
    return Bytes(column, "Text");
  }
  absl::string_view Blob(int column) const override {
    return Bytes(column, "Blob");
  }

 private:
  int Slot(int index) const {
    if (index < 1 || index > params_) {
      throw StorageError(StorageErrorKind::kInternal,
                         absl::StrCat("parameter index ", index,
                                      " out of range 1..", params_));
    }
    return index - 1;
  }
  void SetText(int index, absl::string_view text, Oid type) {
    const int slot = Slot(index);
    storage_[slot].assign(text.data(), text.size());
    values_[slot] = storage_[slot].c_str();
    lengths_[slot] = 0;
    formats_[slot] = 0;
    types_[slot] = type;
  }

  // The server-side statement for the parameter types bound now. The same
  // types as the last run (the common case) cost one compare; others find
  // or prepare their own variant.
  const std::string& PreparedName() {
    if (current_ < variants_.size() && variants_[current_].types == types_) {
      return variants_[current_].name;
    }
    for (current_ = 0; current_ < variants_.size(); ++current_) {
      if (variants_[current_].types == types_) return variants_[current_].name;
    }
    std::string name = PrepareVariant();  // throws before anything is kept
    variants_.push_back({types_, std::move(name)});
    current_ = variants_.size() - 1;
    return variants_.back().name;
  }

  // Prepares the text for types_ under a new name and returns the name.
  //
  // A parameter of type 0 is a NULL never bound to a value on this
  // statement, left to the server to infer; it cannot always
  // ("?1 IS NULL OR t < ?1" types ?1 only at the comparison: 42P08, and a
  // parameter used nowhere else: 42P18). Then such parameters are tried as
  // bigint, then as text, and the first that prepares serves this set of
  // types from now on (a NULL's type does not change its value). Inside a
  // transaction those tries run under a savepoint, so a failed one does not
  // abort it.
  std::string PrepareVariant() {
    std::string name = absl::StrCat("s", ++*next_name_);
    const bool untyped =
        std::find(types_.begin(), types_.end(), Oid{0}) != types_.end();
    const bool savepoint =
        untyped && PQtransactionStatus(conn_) == PQTRANS_INTRANS;
    if (savepoint) Command(absl::StrCat("SAVEPOINT ", kPrepareSavepoint));
    PGresult* r =
        PQprepare(conn_, name.c_str(), sql_.c_str(), params_, types_.data());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && untyped &&
        IsIndeterminateType(r)) {
      std::vector<Oid> guess(types_.size());
      for (const Oid type : {kInt8Oid, kTextOid}) {
        if (savepoint) {
          Command(absl::StrCat("ROLLBACK TO SAVEPOINT ", kPrepareSavepoint));
        }
        for (size_t i = 0; i < types_.size(); ++i) {
          guess[i] = types_[i] == 0 ? type : types_[i];
        }
        PGresult* retry =
            PQprepare(conn_, name.c_str(), sql_.c_str(), params_, guess.data());
        if (PQresultStatus(retry) == PGRES_COMMAND_OK) {
          std::swap(r, retry);
          PQclear(retry);
          break;
        }
        PQclear(retry);  // the first error is the one to report
      }
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      if (savepoint && PQstatus(conn_) == CONNECTION_OK) {
        // Undo the failed PREPARE's abort, as SQLite's failed prepare
        // leaves its transaction alone.
        PQclear(PQexec(conn_,
                       absl::StrCat("ROLLBACK TO SAVEPOINT ", kPrepareSavepoint,
                                    "; RELEASE ", kPrepareSavepoint)
                           .c_str()));
      }
      ThrowPgError(conn_, r, absl::StrCat("preparing \"", sql_, "\""));
    }
    PQclear(r);
    if (savepoint) Command(absl::StrCat("RELEASE ", kPrepareSavepoint));
    return name;
  }

  static bool IsIndeterminateType(const PGresult* r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return state != nullptr && (std::strcmp(state, "42P08") == 0 ||
                                std::strcmp(state, "42P18") == 0);
  }

  void Command(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) ThrowPgError(conn_, r, sql);
    PQclear(r);
  }

  void Run() {
    const std::string& name = PreparedName();
    // resultFormat 1: every column in binary, decoded below by its type.
    PGresult* r =
        PQexecPrepared(conn_, name.c_str(), params_, values_.data(),
                       lengths_.data(), formats_.data(), /*resultFormat=*/1);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      ThrowPgError(conn_, r, "");
    }
    result_ = r;
    rows_ = PQntuples(r);
    columns_ = PQnfields(r);
    row_ = -1;
  }

  // libpq would answer a bad index with a null pointer and a notice.
  void Check(int column) const {
    if (row_ < 0 || row_ >= rows_ || column < 0 || column >= columns_) {
      throw StorageError(
          StorageErrorKind::kInternal,
          absl::StrCat("no column ", column, " in the current row"));
    }
  }

  int64_t IntegerAt(int column, Oid type) const {
    const char* p = PQgetvalue(result_, row_, column);
    switch (type) {
      case kInt8Oid:
        return LoadBigEndian<int64_t>(p);
      case kInt4Oid:
        return LoadBigEndian<int32_t>(p);
      case kInt2Oid:
        return LoadBigEndian<int16_t>(p);
      default:  // bool: one byte, 0 or 1
        return *p != 0;
    }
  }
  double FloatAt(int column, Oid type) const {
    const char* p = PQgetvalue(result_, row_, column);
    if (type == kFloat4Oid) {
      const uint32_t bits = LoadBigEndian<uint32_t>(p);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    const uint64_t bits = LoadBigEndian<uint64_t>(p);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  absl::string_view Bytes(int column, const char* getter) const {
    Check(column);
    const Oid type = PQftype(result_, column);
    switch (type) {
      case kTextOid:
      case kVarcharOid:
      case kBpcharOid:
      case kNameOid:
      case kUnknownOid:
      case kByteaOid:
        // A NULL is an empty string here, as SQLite's empty view.
        return absl::string_view(
            PQgetvalue(result_, row_, column),
            static_cast<size_t>(PQgetlength(result_, row_, column)));
      default:
        TypeError(column, type, getter);
    }
  }
  [[noreturn]] void TypeError(int column, Oid type, const char* getter) const {
    throw StorageError(
        StorageErrorKind::kInternal,
        absl::StrCat(getter, "() on column ", column, " (",
                     PQfname(result_, column), ") of type OID ", type,
                     ", which it cannot read; cast it in the SQL"));
  }

  // One server-side statement of this text: the parameter types it was
  // prepared for (0: inferred) and its name.
  struct Variant {
    std::vector<Oid> types;
    std::string name;
  };

  PGconn* conn_;
  int* const next_name_;
  const std::string sql_;
  const int params_;
  // Per parameter: the bound value's bytes, and the arrays PQexecPrepared
  // takes (a null value is SQL NULL).
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  // Per parameter: the type of its last non-NULL binding, 0 if none yet
  // (text for a parameter the SQL never mentions). The key of variants_.
  std::vector<Oid> types_;
  std::vector<Variant> variants_;  // usually one
  size_t current_ = 0;             // the last run's, if any
  PGresult* result_ = nullptr;
  int rows_ = 0;
  int row_ = 0;
  int columns_ = 0;
};

}  // namespace

std::string DisplayDatabase(absl::string_view db) {
  return IsPostgresUrl(db) ? Redact(db).url : std::string(db);
}

bool IsPostgresUrl(absl::string_view db) {
  return absl::StartsWith(db, "postgresql://") ||
         absl::StartsWith(db, "postgres://");
}

std::string PgPlaceholders(absl::string_view sql) {
  return RewritePlaceholders(sql, nullptr);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(
    const std::string& url) {
  const RedactedUrl redacted = Redact(url);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    RETAIL_LOG(ERROR) << "PostgreSQL URL " << redacted.url << ": "
                      << MaskSecrets(
                             parse_error ? parse_error : "out of memory",
                             redacted);
    PQfreemem(parse_error);
    return absl::InvalidArgumentError("invalid PostgreSQL URL " + redacted.url);
  }
  PQconninfoFree(options);

  // Keywords after dbname override what the URL says, those before it are
  // defaults the URL may override: UTF8 is what every store binds and
  // reads; a bounded connect, so an unreachable server fails rather than
  // hangs for the kernel's TCP timeout.
  const char* const keywords[] = {"connect_timeout", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {"10", url.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    RETAIL_LOG(ERROR) << "connecting to " << redacted.url << ": "
                      << MaskSecrets(
                             conn ? PQerrorMessage(conn) : "out of memory",
                             redacted);
    PQfinish(conn);
    return absl::UnavailableError("cannot connect to the database at " +
                                  redacted.url);
  }
  // A SQL_ASCII or LATIN1 database would store unchecked or unconvertible
  // bytes where the stores write UTF-8.
  const char* encoding = PQparameterStatus(conn, "server_encoding");
  if (encoding == nullptr || std::strcmp(encoding, "UTF8") != 0) {
    RETAIL_LOG(ERROR) << "database at " << redacted.url << " has encoding "
                      << (encoding ? encoding : "(unknown)") << ", not UTF8";
    PQfinish(conn);
    return absl::FailedPreconditionError("the database at " + redacted.url +
                                         " is not UTF8-encoded");
  }
  PQsetNoticeReceiver(conn, LogNotice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() {
  ClearStatements();
  PQfinish(conn_);
}

Stmt PgConnection::PrepareInsert(absl::string_view insert_sql) {
  return Prepare(absl::StrCat(insert_sql, " RETURNING id"));
}

int64_t PgConnection::ExecInsert(Stmt& insert) {
  if (!insert->Step()) {
    throw StorageError(StorageErrorKind::kInternal,
                       "an INSERT ... RETURNING id returned no row");
  }
  return insert->Int64(0);
}

void PgConnection::Exec(const char* sql) {
  PGresult* r = PQexec(conn_, sql);
  switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      PQclear(r);
      return;
    default:
      ThrowPgError(conn_, r, "");
  }
}

bool PgConnection::ok() const {
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  // libpq learns that the server closed the connection (a restart, an
  // immediate shutdown, a terminated backend) only when it is next used, so
  // a connection idle in a pool would fail the next read or write handed to
  // it, though nothing was wrong by then. The kernel knows already.
  pollfd fd{PQsocket(conn_), POLLRDHUP, 0};
  return poll(&fd, 1, 0) <= 0 ||
         (fd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

std::unique_ptr<Statement> PgConnection::NewStatement(const std::string& sql) {
  int params = 0;
  std::vector<bool> used;
  std::string pg_sql = RewritePlaceholders(sql, &params, &used);
  // Prepared at the first run, when the bindings give the parameter types.
  return std::make_unique<PgStatement>(conn_, &next_statement_,
                                       std::move(pg_sql), params, used);
}

PgConnection& AsPostgres(Connection& conn) {
  if (conn.engine() != Engine::kPostgres) {
    RETAIL_LOG(ERROR) << "AsPostgres: not a PostgreSQL connection";
    std::abort();
  }
  return static_cast<PgConnection&>(conn);
}

}  // namespace retail::db
