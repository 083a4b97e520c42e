#include "common/db/columns.h"

#include "absl/strings/str_cat.h"

namespace retail::db::internal {

std::string SelectList(std::span<const ColumnSql> columns,
                       absl::string_view qualifier) {
  std::string out;
  for (const ColumnSql& c : columns) {
    if (!c.read) continue;
    if (!out.empty()) out += ", ";
    if (c.select != nullptr) {
      out += c.select;
    } else if (qualifier.empty()) {
      out += c.name;
    } else {
      absl::StrAppend(&out, qualifier, ".", c.name);
    }
  }
  return out;
}

std::string InsertInto(std::span<const ColumnSql> columns,
                       absl::string_view table) {
  std::string names;
  std::string params;
  int n = 0;
  for (const ColumnSql& c : columns) {
    if (!c.bound) continue;
    const char* sep = n == 0 ? "" : ", ";
    absl::StrAppend(&names, sep, c.name);
    absl::StrAppend(&params, sep, "?", ++n);
  }
  return absl::StrCat("INSERT INTO ", table, " (", names, ") VALUES (", params,
                      ")");
}

std::string Assignments(std::span<const ColumnSql> columns) {
  std::string out;
  int n = 0;
  for (const ColumnSql& c : columns) {
    if (!c.bound) continue;
    const char* sep = n == 0 ? "" : ", ";
    absl::StrAppend(&out, sep, c.name, " = ?", ++n);
  }
  return out;
}

}  // namespace retail::db::internal
