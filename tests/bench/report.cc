#include "tests/bench/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace retail::bench {
namespace {

constexpr double kPointReadRatio = 0.7;
constexpr double kListRatio = 0.3;
constexpr double kCreateRatio = 0.3;
constexpr double kCreateTimesOneCommitPerSync = 3.0;
constexpr double kReadP99Ms = 2.0;
constexpr double kWriteP99OverFsyncMs = 3.0;
constexpr double kScaleListP99Ms = 10.0;
// Two durable writes in a row (Category::kDurableTwoStep): the create
// targets, for two commits.
constexpr double kTwoStepRatio = kCreateRatio / 2;
constexpr double kTwoStepTimesOneCommitPerSync =
    kCreateTimesOneCommitPerSync / 2;
constexpr int64_t kScaleRows = 1'000'000;

bool IsRead(Category c) {
  return c == Category::kPointRead || c == Category::kListPage ||
         c == Category::kLookup;
}

std::string Fmt(double v, int decimals) {
  return absl::StrFormat("%.*f", decimals, v);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

double Ratio(const Report& r, const ResultRow& row) {
  return r.baseline_rps > 0 ? row.run.rps / r.baseline_rps : 0;
}

// CPU time per successful operation, in microseconds, of a share.
double MicrosPerOp(const Report& r, const RunResult& run, double share) {
  if (run.rps <= 0) return 0;
  return share / 100 * r.machine.nproc * 1e6 / run.rps;
}

// Server CPU time per successful operation, in microseconds: steadier than
// throughput on a shared machine, so the best figure to compare builds by.
double ServerMicrosPerOp(const Report& r, const RunResult& run) {
  return MicrosPerOp(r, run, run.cpu.server);
}

// The same for this client: on a shared machine, client work per operation
// (e.g. decoding 50 customers) is capacity the server does not get.
double ClientMicrosPerOp(const Report& r, const RunResult& run) {
  return MicrosPerOp(r, run, run.cpu.client);
}

std::string ChecksOf(const std::vector<TargetCheck>& checks,
                     const ResultRow& row) {
  std::vector<std::string> parts;
  for (const TargetCheck& c : checks) {
    if (c.workload == row.name && c.mode == row.run.mode) {
      parts.push_back(absl::StrCat(c.what, " ", c.pass ? "PASS" : "MISS"));
    }
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

MachineFacts ReadMachineFacts() {
  MachineFacts m;
  m.nproc = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (absl::StartsWith(line, "model name")) {
      m.cpu_model = std::string(
          absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (absl::StartsWith(line, "MemTotal:")) {
      std::istringstream fields(line.substr(9));
      double kib = 0;
      fields >> kib;
      m.memory_gib = kib / (1024 * 1024);
      break;
    }
  }
  utsname u;
  if (uname(&u) == 0) m.kernel = absl::StrCat(u.sysname, " ", u.release);
  m.load_average_1m = LoadAverage1m();
  m.time_utc =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  return m;
}

std::vector<TargetCheck> EvaluateTargets(const Report& r) {
  std::vector<TargetCheck> checks;
  auto add = [&](const ResultRow& row, std::string what, double value,
                 double limit, bool at_least) {
    TargetCheck c;
    c.workload = row.name;
    c.mode = row.run.mode;
    c.what = std::move(what);
    c.value = value;
    c.limit = limit;
    c.at_least = at_least;
    // A run with failed calls, or none that succeeded, meets no target.
    c.pass = (at_least ? value >= limit : value <= limit) &&
             row.run.errors == 0 && row.run.ok > 0;
    checks.push_back(std::move(c));
  };
  const double fsync_p99 = r.machine.fsync.p99_ms;
  const double per_sync_rate = r.machine.fsync.one_commit_per_sync_rate();
  for (const ResultRow& row : r.rows) {
    // A later issue's targets, marked with the issue.
    for (const Target& t : row.targets) {
      const bool closed = row.run.mode == "closed";
      switch (t.kind) {
        case Target::Kind::kMinRatio:
          if (closed) {
            add(row, absl::StrCat(">=", t.limit, "x base ", t.issue),
                Ratio(r, row), t.limit, true);
          }
          break;
        case Target::Kind::kMinTimesFsync:
          if (closed && per_sync_rate > 0) {
            add(row, absl::StrCat(">=", t.limit, "x 1/fsync ", t.issue),
                row.run.rps / per_sync_rate, t.limit, true);
          }
          break;
        case Target::Kind::kMaxOpenP99Ms:
          if (!closed) {
            add(row, absl::StrCat("p99<=", t.limit, "ms ", t.issue),
                row.run.latency.p99_ms, t.limit, false);
          }
          break;
        case Target::Kind::kMaxClosedP99Ms:
          if (closed) {
            add(row, absl::StrCat("p99<=", t.limit, "ms ", t.issue),
                row.run.latency.p99_ms, t.limit, false);
          }
          break;
      }
    }
    const int64_t table_rows =
        row.table == Table::kOrders       ? r.config.dataset_orders
        : row.table == Table::kComplaints ? r.config.dataset_complaints
        : row.table == Table::kFeedback   ? r.config.dataset_feedback
                                          : r.config.dataset_rows;
    if (row.run.mode == "closed") {
      const double ratio = Ratio(r, row);
      switch (row.category) {
        case Category::kPointRead:
          add(row, absl::StrCat(">=", kPointReadRatio, "x base"), ratio,
              kPointReadRatio, true);
          break;
        case Category::kListPage:
          add(row, absl::StrCat(">=", kListRatio, "x base"), ratio, kListRatio,
              true);
          break;
        case Category::kDurableCreate:
          add(row, absl::StrCat(">=", kCreateRatio, "x base"), ratio,
              kCreateRatio, true);
          if (per_sync_rate > 0) {
            add(row,
                absl::StrCat(">=", kCreateTimesOneCommitPerSync, "x 1/fsync"),
                row.run.rps / per_sync_rate, kCreateTimesOneCommitPerSync,
                true);
          }
          break;
        case Category::kDurableTwoStep:
          add(row, absl::StrCat(">=", kTwoStepRatio, "x base"), ratio,
              kTwoStepRatio, true);
          if (per_sync_rate > 0) {
            add(row,
                absl::StrCat(">=", kTwoStepTimesOneCommitPerSync, "x 1/fsync"),
                row.run.rps / per_sync_rate, kTwoStepTimesOneCommitPerSync,
                true);
          }
          break;
        default:
          break;
      }
    } else if (row.run.mode == "open") {
      if (IsRead(row.category)) {
        add(row, absl::StrCat("p99<=", kReadP99Ms, "ms"),
            row.run.latency.p99_ms, kReadP99Ms, false);
      }
      if (row.category == Category::kListPage && table_rows >= kScaleRows) {
        add(row,
            absl::StrCat("p99<=", kScaleListP99Ms, "ms@",
                         table_rows / 1'000'000, "M"),
            row.run.latency.p99_ms, kScaleListP99Ms, false);
      }
      if (row.category == Category::kDurableCreate) {
        const double limit = fsync_p99 + kWriteP99OverFsyncMs;
        add(row, absl::StrFormat("p99<=fsync p99+%.0fms", kWriteP99OverFsyncMs),
            row.run.latency.p99_ms, limit, false);
      }
      if (row.category == Category::kDurableTwoStep) {
        const double limit = 2 * fsync_p99 + kWriteP99OverFsyncMs;
        add(row,
            absl::StrFormat("p99<=2x fsync p99+%.0fms", kWriteP99OverFsyncMs),
            row.run.latency.p99_ms, limit, false);
      }
    }
  }
  return checks;
}

void PrintReport(std::ostream& out, const Report& r,
                 const std::vector<TargetCheck>& checks) {
  const MachineFacts& m = r.machine;
  out << "\nretail_bench " << m.time_utc << " against " << r.config.addr
      << (r.config.label.empty() ? "" : absl::StrCat(" (", r.config.label, ")"))
      << "\n";
  out << absl::StrFormat(
      "machine: %d cpus, %s, %.1f GiB, %s, load average %.2f at start\n",
      m.nproc, m.cpu_model, m.memory_gib, m.kernel, m.load_average_1m);
  out << absl::StrFormat(
      "disk: fdatasync of 4 KiB appends on %s (%s), %d runs: p50 %.3f ms, "
      "p99 %.3f ms => one commit per fsync = %.0f commits/s\n",
      m.fsync.dir, m.fsync.filesystem, m.fsync.iterations, m.fsync.p50_ms,
      m.fsync.p99_ms, m.fsync.one_commit_per_sync_rate());
  out << absl::StrFormat(
      "load: %d channels (TCP connections), %d in flight (closed loop), "
      "warm-up %.1f s, window %.1f s; open loop at %.0f%% of each "
      "workload's closed-loop max (or the workload's own fixed rate, see "
      "offered/s), Poisson arrivals, latency from the scheduled start\n",
      r.config.channels, r.config.in_flight, r.config.warmup_seconds,
      r.config.duration_seconds, r.config.open_loop_fraction * 100);
  out << absl::StrFormat(
      "data: %d customers in the database%s; reads pick from %d known "
      "customers; %d orders%s; %d complaints (seeded); %d feedback items "
      "(seeded)\n\n",
      r.config.dataset_rows, r.config.seeded ? " (seeded)" : " (API fixture)",
      r.config.sample_customers, r.config.dataset_orders,
      r.config.orders_seeded ? " (seeded)" : "", r.config.dataset_complaints,
      r.config.dataset_feedback);

  const bool db = r.config.db_measured;
  const bool proxy = r.config.proxy_measured;
  out << "cpu: share of all cores used in the window by the server (srv"
      << (r.config.server_processes > 1
              ? absl::StrCat(": its ", r.config.server_processes,
                             " replicas together")
              : "")
      << "), " << (db ? "the database (db: every process of its tree), " : "")
      << (proxy ? "the proxy (nx: every process of its tree), " : "")
      << "this client (cli) and anything else (oth); srv us, "
      << (db ? "db us, " : "") << (proxy ? "nx us, " : "")
      << "cli us: CPU time per operation\n\n";
  // The database and proxy columns only when measured: a plain run's table
  // stays as it was.
  auto extra_header = [&](const char* share, const char* per_op) {
    return absl::StrFormat(" %4s", share)
        .append(absl::StrFormat(" %7s", per_op));
  };
  out << absl::StrFormat(
      "%-30s %-6s %9s %9s %9s %6s %8s %8s %8s %7s %6s %4s %4s %4s %7s %7s%s%s "
      " %s\n",
      "workload", "mode", "in-flight", "offered/s", "req/s", "xbase", "p50 ms",
      "p99 ms", "p99.9 ms", "errors", "items", "srv%", "cli%", "oth%", "srv us",
      "cli us", db ? extra_header("db%", "db us") : "",
      proxy ? extra_header("nx%", "nx us") : "", "targets");
  for (const ResultRow& row : r.rows) {
    const RunResult& run = row.run;
    const bool open = run.mode == "open";
    auto extra = [&](double share) {
      return absl::StrFormat(" %4.0f %7.1f", share, MicrosPerOp(r, run, share));
    };
    out << absl::StrFormat(
        "%-30s %-6s %9d %9s %9.0f %6s %8.3f %8.3f %8.3f %7d %6.1f %4.0f %4.0f "
        "%4.0f %7.1f %7.1f%s%s  %s\n",
        row.name, run.mode, run.in_flight,
        open ? Fmt(run.offered_rps, 0) : std::string("-"), run.rps,
        open ? std::string("-") : Fmt(Ratio(r, row), 2), run.latency.p50_ms,
        run.latency.p99_ms, run.latency.p999_ms, run.errors, run.items_per_op,
        run.cpu.server, run.cpu.client, run.cpu.other,
        ServerMicrosPerOp(r, run), ClientMicrosPerOp(r, run),
        db ? extra(run.cpu.db) : "", proxy ? extra(run.cpu.proxy) : "",
        ChecksOf(checks, row));
  }

  out << "\ntargets (issue 3; those marked #10, #11, #12, #13 are those "
         "issues'):\n";
  int missed = 0;
  for (const TargetCheck& c : checks) {
    missed += c.pass ? 0 : 1;
    out << absl::StrFormat("  %-4s %-30s %-6s %-24s value %.3f, limit %.3f\n",
                           c.pass ? "PASS" : "MISS", c.workload, c.mode, c.what,
                           c.value, c.limit);
  }
  out << absl::StrFormat("  %d of %d targets met\n", checks.size() - missed,
                         checks.size());

  std::vector<std::string> notes;
  for (const ResultRow& row : r.rows) {
    const RunResult& run = row.run;
    if (run.errors > 0) {
      std::vector<std::string> codes;
      for (const auto& [code, n] : run.errors_by_code) {
        codes.push_back(absl::StrCat(code, " x", n));
      }
      notes.push_back(absl::StrCat(row.name, " ", run.mode, ": ", run.errors,
                                   " errors (", absl::StrJoin(codes, ", "),
                                   "), first: ", run.first_error));
    }
    if (run.mode == "open" && run.rps < 0.9 * run.offered_rps) {
      notes.push_back(absl::StrFormat(
          "%s open: achieved %.0f of %.0f req/s offered: saturated, latency "
          "includes queueing",
          row.name, run.rps, run.offered_rps));
    }
    if (run.retries > 0) {
      notes.push_back(absl::StrFormat(
          "%s %s: %d calls answered UNAVAILABLE were sent again "
          "(--retry_unavailable; warm-up and window)",
          row.name, run.mode, run.retries));
    }
    if (run.late_starts > 0) {
      notes.push_back(absl::StrFormat(
          "%s %s: %d requests started > 1 ms after their schedule (client "
          "or CPU busy; counted in latency)",
          row.name, run.mode, run.late_starts));
    }
    const CpuShares& cpu = row.run.cpu;
    if (run.mode == "open" && cpu.server + cpu.client + cpu.other > 85) {
      notes.push_back(absl::StrFormat(
          "%s open: the CPU was %.0f%% busy at this rate (server %.0f%%, "
          "client %.0f%%, other %.0f%%); without closed-loop batching each "
          "call costs more CPU, so half of max is near saturation",
          row.name, cpu.server + cpu.client + cpu.other, cpu.server, cpu.client,
          cpu.other));
    }
    if (row.run.cpu.other > 10) {
      notes.push_back(absl::StrFormat(
          "%s %s: other processes used %.0f%% of the machine during the run; "
          "repeat it on a quiet machine",
          row.name, run.mode, row.run.cpu.other));
    }
    if (!run.drained) {
      notes.push_back(absl::StrCat(row.name, " ", run.mode,
                                   ": calls still running after the drain "
                                   "timeout"));
    }
  }
  if (!notes.empty()) {
    out << "\nnotes:\n";
    for (const std::string& n : notes) out << "  " << n << "\n";
  }
}

absl::Status WriteJson(const std::string& path, const Report& r,
                       const std::vector<TargetCheck>& checks) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  const MachineFacts& m = r.machine;
  out << "{\n  \"machine\": {"
      << "\"nproc\": " << m.nproc
      << ", \"cpu_model\": " << JsonString(m.cpu_model)
      << ", \"memory_gib\": " << Fmt(m.memory_gib, 1)
      << ", \"kernel\": " << JsonString(m.kernel)
      << ", \"time_utc\": " << JsonString(m.time_utc)
      << ", \"load_average_1m\": " << Fmt(m.load_average_1m, 2) << "},\n";
  out << "  \"fsync\": {\"dir\": " << JsonString(m.fsync.dir)
      << ", \"filesystem\": " << JsonString(m.fsync.filesystem)
      << ", \"iterations\": " << m.fsync.iterations
      << ", \"p50_ms\": " << Fmt(m.fsync.p50_ms, 4)
      << ", \"p99_ms\": " << Fmt(m.fsync.p99_ms, 4)
      << ", \"mean_ms\": " << Fmt(m.fsync.mean_ms, 4)
      << ", \"max_ms\": " << Fmt(m.fsync.max_ms, 4)
      << ", \"one_commit_per_fsync_per_s\": "
      << Fmt(m.fsync.one_commit_per_sync_rate(), 1) << "},\n";
  const BenchConfig& c = r.config;
  out << "  \"config\": {\"addr\": " << JsonString(c.addr)
      << ", \"channels\": " << c.channels << ", \"in_flight\": " << c.in_flight
      << ", \"warmup_s\": " << c.warmup_seconds
      << ", \"duration_s\": " << c.duration_seconds
      << ", \"open_loop_fraction\": " << c.open_loop_fraction
      << ", \"dataset_rows\": " << c.dataset_rows
      << ", \"seeded\": " << (c.seeded ? "true" : "false")
      << ", \"sample_customers\": " << c.sample_customers
      << ", \"dataset_orders\": " << c.dataset_orders
      << ", \"orders_seeded\": " << (c.orders_seeded ? "true" : "false")
      << ", \"dataset_complaints\": " << c.dataset_complaints
      << ", \"dataset_feedback\": " << c.dataset_feedback
      << ", \"label\": " << JsonString(c.label)
      << ", \"server_processes\": " << c.server_processes
      << ", \"db_measured\": " << (c.db_measured ? "true" : "false")
      << ", \"proxy_measured\": " << (c.proxy_measured ? "true" : "false")
      << "},\n";
  out << "  \"baseline_rps\": " << Fmt(r.baseline_rps, 1) << ",\n";
  out << "  \"results\": [\n";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const ResultRow& row = r.rows[i];
    const RunResult& run = row.run;
    out << "    {\"workload\": " << JsonString(row.key)
        << ", \"name\": " << JsonString(row.name)
        << ", \"mode\": " << JsonString(run.mode)
        << ", \"in_flight\": " << run.in_flight
        << ", \"offered_rps\": " << Fmt(run.offered_rps, 1)
        << ", \"rps\": " << Fmt(run.rps, 1) << ", \"ratio_to_baseline\": "
        << (run.mode == "closed" ? Fmt(Ratio(r, row), 4) : "null")
        << ", \"seconds\": " << Fmt(run.seconds, 3) << ", \"ok\": " << run.ok
        << ", \"errors\": " << run.errors << ", \"errors_by_code\": {";
    bool first = true;
    for (const auto& [code, n] : run.errors_by_code) {
      out << (first ? "" : ", ") << JsonString(code) << ": " << n;
      first = false;
    }
    out << "}, \"first_error\": " << JsonString(run.first_error)
        << ", \"items_per_op\": " << Fmt(run.items_per_op, 2)
        << ", \"late_starts\": " << run.late_starts
        << ", \"retries\": " << run.retries
        << ", \"cpu_percent\": {\"server\": " << Fmt(row.run.cpu.server, 1)
        << ", \"client\": " << Fmt(row.run.cpu.client, 1)
        << ", \"other\": " << Fmt(row.run.cpu.other, 1)
        << ", \"db\": " << Fmt(row.run.cpu.db, 1)
        << ", \"proxy\": " << Fmt(row.run.cpu.proxy, 1) << "}"
        << ", \"server_cpu_us_per_op\": " << Fmt(ServerMicrosPerOp(r, run), 2)
        << ", \"client_cpu_us_per_op\": " << Fmt(ClientMicrosPerOp(r, run), 2)
        << ", \"db_cpu_us_per_op\": " << Fmt(MicrosPerOp(r, run, run.cpu.db), 2)
        << ", \"proxy_cpu_us_per_op\": "
        << Fmt(MicrosPerOp(r, run, run.cpu.proxy), 2)
        << ", \"latency_ms\": {\"mean\": " << Fmt(run.latency.mean_ms, 4)
        << ", \"p50\": " << Fmt(run.latency.p50_ms, 4)
        << ", \"p90\": " << Fmt(run.latency.p90_ms, 4)
        << ", \"p99\": " << Fmt(run.latency.p99_ms, 4)
        << ", \"p999\": " << Fmt(run.latency.p999_ms, 4)
        << ", \"max\": " << Fmt(run.latency.max_ms, 4) << "}}"
        << (i + 1 < r.rows.size() ? "," : "") << "\n";
  }
  out << "  ],\n  \"targets\": [\n";
  for (size_t i = 0; i < checks.size(); ++i) {
    const TargetCheck& t = checks[i];
    out << "    {\"workload\": " << JsonString(t.workload)
        << ", \"mode\": " << JsonString(t.mode)
        << ", \"target\": " << JsonString(t.what)
        << ", \"value\": " << Fmt(t.value, 4)
        << ", \"limit\": " << Fmt(t.limit, 4)
        << ", \"pass\": " << (t.pass ? "true" : "false") << "}"
        << (i + 1 < checks.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Field access on a parsed results file; absent fields read as 0 or "".
const Value* Field(const Struct& s, const std::string& name) {
  const auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}
double Num(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_number_value() ? v->number_value() : 0;
}
std::string Str(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_string_value() ? v->string_value() : "";
}
bool Bool(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_bool_value() && v->bool_value();
}
const Struct& Obj(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_struct_value() ? v->struct_value()
                                               : Struct::default_instance();
}

// One setup's figures of one workload and mode.
struct CompareCell {
  double rps = 0, offered_rps = 0, p50 = 0, p99 = 0;
  double server_us = 0, db_us = 0, proxy_us = 0, client_us = 0;
  double server_pct = 0, db_pct = 0, proxy_pct = 0, client_pct = 0,
         other_pct = 0;
  int64_t errors = 0;
  int64_t retries = 0;
};

struct CompareRow {
  std::string key, name, mode;
  std::vector<const CompareCell*> cells;  // one per setup; null: not run
};

struct Setup {
  std::string label, file;
  Struct json;
  std::map<std::pair<std::string, std::string>, CompareCell> cells;
};

std::string Truncate(const std::string& s, size_t width) {
  return s.size() <= width ? s : s.substr(0, width);
}

}  // namespace

absl::Status CompareRuns(std::ostream& out,
                         const std::vector<std::string>& files,
                         const std::vector<std::string>& labels,
                         const std::string& json_out) {
  if (files.size() < 2) {
    return absl::InvalidArgumentError("--compare_json needs two files or more");
  }
  if (!labels.empty() && labels.size() != files.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--compare_labels names ", labels.size(), " setups for ",
                     files.size(), " files"));
  }
  std::vector<Setup> setups(files.size());
  std::vector<CompareRow> rows;
  std::map<std::pair<std::string, std::string>, size_t> row_of;
  for (size_t i = 0; i < files.size(); ++i) {
    Setup& setup = setups[i];
    setup.file = files[i];
    std::ifstream in(files[i]);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", files[i]));
    // auto: older protobuf answers its own util::Status, newer absl's.
    if (const auto s = google::protobuf::util::JsonStringToMessage(text.str(),
                                                                   &setup.json);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(files[i], ": not a results file: ", s.ToString()));
    }
    const Struct& config = Obj(setup.json, "config");
    setup.label = labels.empty() ? Str(config, "label") : labels[i];
    if (setup.label.empty()) setup.label = files[i];
    const Value* results = Field(setup.json, "results");
    if (results == nullptr || !results->has_list_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(files[i], ": no \"results\""));
    }
    for (const Value& v : results->list_value().values()) {
      const Struct& r = v.struct_value();
      const Struct& latency = Obj(r, "latency_ms");
      const Struct& cpu = Obj(r, "cpu_percent");
      // The name, not the key: the baseline's second run shares its key.
      const std::pair<std::string, std::string> id(Str(r, "name"),
                                                   Str(r, "mode"));
      CompareCell& c = setup.cells[id];
      c.rps = Num(r, "rps");
      c.offered_rps = Num(r, "offered_rps");
      c.p50 = Num(latency, "p50");
      c.p99 = Num(latency, "p99");
      c.server_us = Num(r, "server_cpu_us_per_op");
      c.db_us = Num(r, "db_cpu_us_per_op");
      c.proxy_us = Num(r, "proxy_cpu_us_per_op");
      c.client_us = Num(r, "client_cpu_us_per_op");
      c.server_pct = Num(cpu, "server");
      c.db_pct = Num(cpu, "db");
      c.proxy_pct = Num(cpu, "proxy");
      c.client_pct = Num(cpu, "client");
      c.other_pct = Num(cpu, "other");
      c.errors = static_cast<int64_t>(Num(r, "errors"));
      c.retries = static_cast<int64_t>(Num(r, "retries"));
      if (!row_of.contains(id)) {
        row_of[id] = rows.size();
        rows.push_back({Str(r, "workload"), id.first, id.second, {}});
      }
    }
  }
  for (CompareRow& row : rows) {
    for (const Setup& setup : setups) {
      const auto it = setup.cells.find({row.name, row.mode});
      row.cells.push_back(it == setup.cells.end() ? nullptr : &it->second);
    }
  }

  // Throughput and latency: per setup req/s, p50, p99, and after the first
  // setup its req/s as a multiple of the first's.
  constexpr int kCell = 26, kRatio = 6;
  out << "\nside by side (closed: the most req/s at a fixed number in "
         "flight; open: latency at half of each setup's own closed-loop "
         "max, so the rate differs between setups; x1st: req/s over the "
         "first setup's)\n\n";
  std::string header = absl::StrFormat("%-30s %-6s", "", "");
  std::string header2 = absl::StrFormat("%-30s %-6s", "workload", "mode");
  for (size_t i = 0; i < setups.size(); ++i) {
    const int width = kCell + (i > 0 ? kRatio : 0);
    header +=
        absl::StrFormat(" | %-*s", width, Truncate(setups[i].label, width));
    header2 += absl::StrFormat(" | %9s %7s %8s", "req/s", "p50 ms", "p99 ms");
    if (i > 0) header2 += absl::StrFormat(" %5s", "x1st");
  }
  out << header << "\n" << header2 << "\n";
  for (const CompareRow& row : rows) {
    std::string line = absl::StrFormat("%-30s %-6s", row.name, row.mode);
    const CompareCell* first = row.cells[0];
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const CompareCell* c = row.cells[i];
      if (c == nullptr) {
        line += absl::StrFormat(" | %9s %7s %8s", "-", "-", "-");
        if (i > 0) line += absl::StrFormat(" %5s", "-");
        continue;
      }
      line += absl::StrFormat(" | %9.0f %7.3f %8.3f", c->rps, c->p50, c->p99);
      if (i > 0) {
        line += first != nullptr && first->rps > 0
                    ? absl::StrFormat(" %5.2f", c->rps / first->rps)
                    : absl::StrFormat(" %5s", "-");
      }
    }
    out << line << "\n";
  }

  // Where the CPU went, closed loop: per operation, in microseconds.
  out << "\nCPU per operation, closed loop, in us (srv: the server, all "
         "replicas together; db: the database's processes; nx: nginx; cli: "
         "this client) and the machine's busy share (all cores = 100%)\n\n";
  header = absl::StrFormat("%-30s", "");
  header2 = absl::StrFormat("%-30s", "workload");
  for (const Setup& setup : setups) {
    header += absl::StrFormat(" | %-33s", Truncate(setup.label, 33));
    header2 += absl::StrFormat(" | %6s %6s %6s %6s %5s", "srv", "db", "nx",
                               "cli", "busy%");
  }
  out << header << "\n" << header2 << "\n";
  for (const CompareRow& row : rows) {
    if (row.mode != "closed") continue;
    std::string line = absl::StrFormat("%-30s", row.name);
    for (const CompareCell* c : row.cells) {
      if (c == nullptr) {
        line +=
            absl::StrFormat(" | %6s %6s %6s %6s %5s", "-", "-", "-", "-", "-");
        continue;
      }
      line += absl::StrFormat(" | %6.0f %6.0f %6.0f %6.0f %5.0f", c->server_us,
                              c->db_us, c->proxy_us, c->client_us,
                              c->server_pct + c->db_pct + c->proxy_pct +
                                  c->client_pct + c->other_pct);
    }
    out << line << "\n";
  }

  out << "\nsetups:\n";
  for (const Setup& setup : setups) {
    const Struct& config = Obj(setup.json, "config");
    const Struct& machine = Obj(setup.json, "machine");
    const Struct& fsync = Obj(setup.json, "fsync");
    const int servers = static_cast<int>(Num(config, "server_processes"));
    out << absl::StrFormat(
        "  %s: %s, against %s at %s; srv = %s%s%s; load average %.2f at "
        "start; fdatasync p50 %.3f ms; baseline %.0f req/s\n",
        setup.label, setup.file, Str(config, "addr"), Str(machine, "time_utc"),
        servers > 1 ? absl::StrCat(servers, " server processes")
                    : std::string("the server process"),
        Bool(config, "db_measured") ? ", db measured" : ", no db measured",
        Bool(config, "proxy_measured") ? ", nx measured" : "",
        Num(machine, "load_average_1m"), Num(fsync, "p50_ms"),
        Num(setup.json, "baseline_rps"));
  }
  for (const CompareRow& row : rows) {
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const CompareCell* c = row.cells[i];
      if (c != nullptr && (c->errors > 0 || c->retries > 0)) {
        out << absl::StrFormat(
            "  %s %s on %s: %d errors, %d calls sent again after UNAVAILABLE "
            "(see %s)\n",
            row.name, row.mode, setups[i].label, c->errors, c->retries,
            setups[i].file);
      }
    }
  }

  if (json_out.empty()) return absl::OkStatus();
  std::error_code ec;
  const auto parent = std::filesystem::path(json_out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream j(json_out, std::ios::trunc);
  if (!j)
    return absl::UnavailableError(absl::StrCat("cannot write ", json_out));
  j << "{\n  \"setups\": [\n";
  for (size_t i = 0; i < setups.size(); ++i) {
    const Setup& setup = setups[i];
    const Struct& config = Obj(setup.json, "config");
    j << "    {\"label\": " << JsonString(setup.label)
      << ", \"file\": " << JsonString(setup.file)
      << ", \"addr\": " << JsonString(Str(config, "addr")) << ", \"time_utc\": "
      << JsonString(Str(Obj(setup.json, "machine"), "time_utc"))
      << ", \"server_processes\": " << Num(config, "server_processes")
      << ", \"baseline_rps\": " << Fmt(Num(setup.json, "baseline_rps"), 1)
      << "}" << (i + 1 < setups.size() ? "," : "") << "\n";
  }
  j << "  ],\n  \"rows\": [\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    const CompareRow& row = rows[r];
    j << "    {\"workload\": " << JsonString(row.key)
      << ", \"name\": " << JsonString(row.name)
      << ", \"mode\": " << JsonString(row.mode) << ", \"by_setup\": [";
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const CompareCell* c = row.cells[i];
      j << (i > 0 ? ", " : "");
      if (c == nullptr) {
        j << "null";
        continue;
      }
      j << "{\"rps\": " << Fmt(c->rps, 1)
        << ", \"offered_rps\": " << Fmt(c->offered_rps, 1)
        << ", \"p50_ms\": " << Fmt(c->p50, 4)
        << ", \"p99_ms\": " << Fmt(c->p99, 4) << ", \"errors\": " << c->errors
        << ", \"retries\": " << c->retries
        << ", \"server_cpu_us_per_op\": " << Fmt(c->server_us, 2)
        << ", \"db_cpu_us_per_op\": " << Fmt(c->db_us, 2)
        << ", \"proxy_cpu_us_per_op\": " << Fmt(c->proxy_us, 2)
        << ", \"client_cpu_us_per_op\": " << Fmt(c->client_us, 2) << "}";
    }
    j << "]}" << (r + 1 < rows.size() ? "," : "") << "\n";
  }
  j << "  ]\n}\n";
  j.close();
  if (!j)
    return absl::UnavailableError(absl::StrCat("cannot write ", json_out));
  out << "\nJSON: " << json_out << "\n";
  return absl::OkStatus();
}

}  // namespace retail::bench
