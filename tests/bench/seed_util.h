// What the seeders that write on their own connection share (complaint and
// feedback seeds): a transaction around a batch, and a spread of the
// database's customers to name.
#ifndef RETAIL_TESTS_BENCH_SEED_UTIL_H_
#define RETAIL_TESTS_BENCH_SEED_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "common/status.h"

namespace retail::bench {

// Up to `limit` customer ids of the database, evenly spread.
inline absl::StatusOr<std::vector<std::string>> MemberIds(db::Connection& conn,
                                                          int64_t limit) {
  return db::Guard(
      "member ids", [&]() -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        db::Stmt count =
            conn.Prepare("SELECT COALESCE(MAX(id), 0) FROM customers");
        count->Step();
        const int64_t stride = std::max<int64_t>(1, count->Int64(0) / limit);
        db::Stmt s = conn.Prepare(
            "SELECT customer_id FROM customers WHERE id % ?1 = 0 ORDER BY id");
        s->Bind(1, static_cast<int64_t>(stride));
        while (s->Step()) ids.push_back(s->String(0));
        return ids;
      });
}

// Runs `fn` in one transaction of `conn`: BEGIN IMMEDIATE, COMMIT if it
// succeeds, else ROLLBACK. Seeders batch thousands of rows per transaction
// on their own connection: the writer's savepoint per operation makes one
// huge operation quadratic in SQLite's statement journal.
template <typename Fn>
absl::Status InTransaction(db::Connection& conn, Fn fn) {
  RETURN_IF_ERROR(db::Guard("begin", [&] {
    conn.Exec("BEGIN IMMEDIATE");
    return absl::OkStatus();
  }));
  absl::Status status = fn(conn);
  if (!status.ok()) {
    db::Guard("rollback", [&] {
      conn.Exec("ROLLBACK");
      return absl::OkStatus();
    }).IgnoreError();
    return status;
  }
  return db::Guard("commit", [&] {
    conn.Exec("COMMIT");
    return absl::OkStatus();
  });
}

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_SEED_UTIL_H_
