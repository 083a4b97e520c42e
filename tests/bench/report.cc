#include "tests/bench/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

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

// Server CPU time per successful operation, in microseconds: steadier than
// throughput on a shared machine, so the best figure to compare builds by.
double ServerMicrosPerOp(const Report& r, const RunResult& run) {
  if (run.rps <= 0) return 0;
  return run.cpu.server / 100 * r.machine.nproc * 1e6 / run.rps;
}

// The same for this client: on a shared machine, client work per operation
// (e.g. decoding 50 customers) is capacity the server does not get.
double ClientMicrosPerOp(const Report& r, const RunResult& run) {
  if (run.rps <= 0) return 0;
  return run.cpu.client / 100 * r.machine.nproc * 1e6 / run.rps;
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

  out << "cpu: share of all cores used in the window by the server (srv), "
         "this client (cli) and anything else (oth); srv us, cli us: CPU time "
         "per operation\n\n";
  out << absl::StrFormat(
      "%-30s %-6s %9s %9s %9s %6s %8s %8s %8s %7s %6s %4s %4s %4s %7s %7s  "
      "%s\n",
      "workload", "mode", "in-flight", "offered/s", "req/s", "xbase", "p50 ms",
      "p99 ms", "p99.9 ms", "errors", "items", "srv%", "cli%", "oth%", "srv us",
      "cli us", "targets");
  for (const ResultRow& row : r.rows) {
    const RunResult& run = row.run;
    const bool open = run.mode == "open";
    out << absl::StrFormat(
        "%-30s %-6s %9d %9s %9.0f %6s %8.3f %8.3f %8.3f %7d %6.1f %4.0f %4.0f "
        "%4.0f %7.1f %7.1f  %s\n",
        row.name, run.mode, run.in_flight,
        open ? Fmt(run.offered_rps, 0) : std::string("-"), run.rps,
        open ? std::string("-") : Fmt(Ratio(r, row), 2), run.latency.p50_ms,
        run.latency.p99_ms, run.latency.p999_ms, run.errors, run.items_per_op,
        run.cpu.server, run.cpu.client, run.cpu.other,
        ServerMicrosPerOp(r, run), ClientMicrosPerOp(r, run),
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
      << ", \"dataset_feedback\": " << c.dataset_feedback << "},\n";
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
        << ", \"cpu_percent\": {\"server\": " << Fmt(row.run.cpu.server, 1)
        << ", \"client\": " << Fmt(row.run.cpu.client, 1)
        << ", \"other\": " << Fmt(row.run.cpu.other, 1) << "}"
        << ", \"server_cpu_us_per_op\": " << Fmt(ServerMicrosPerOp(r, run), 2)
        << ", \"client_cpu_us_per_op\": " << Fmt(ClientMicrosPerOp(r, run), 2)
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

}  // namespace retail::bench
