// Turns runs into the benchmark's answer: a table on stdout, the target
// checks of issue 3 (PASS/MISS, never a failure exit), and a JSON file with
// the same numbers plus the machine they were measured on.
#ifndef RETAIL_TESTS_BENCH_REPORT_H_
#define RETAIL_TESTS_BENCH_REPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/bench/disk_probe.h"
#include "tests/bench/load_driver.h"
#include "tests/bench/workloads.h"

namespace retail::bench {

struct MachineFacts {
  int nproc = 0;
  std::string cpu_model;
  std::string kernel;
  double memory_gib = 0;
  std::string time_utc;        // when the run started
  double load_average_1m = 0;  // at the start: other work on the machine
  FsyncStats fsync;
};

// Reads /proc and uname(2).
MachineFacts ReadMachineFacts();

struct ResultRow {
  std::string key;
  std::string name;
  Kind kind = Kind::kRead;
  Category category = Category::kReportOnly;
  Table table = Table::kCustomers;
  std::vector<Target> targets;  // a later issue's (Workload::targets)
  RunResult run;
};

struct BenchConfig {
  std::string addr;
  int channels = 0;
  int in_flight = 0;
  double warmup_seconds = 0;
  double duration_seconds = 0;
  double open_loop_fraction = 0;
  int64_t dataset_rows = 0;  // customers in the database
  bool seeded = false;
  int sample_customers = 0;    // known customers the reads pick from
  int64_t dataset_orders = 0;  // orders in the database (seeded or fixture)
  bool orders_seeded = false;
  int64_t dataset_complaints = 0;  // seeded complaints in the database
  int64_t dataset_feedback = 0;    // seeded feedback items in the database
  // What was measured, e.g. "PostgreSQL, 3 replicas behind nginx"; empty
  // for a plain run.
  std::string label;
  int server_processes = 1;     // replicas whose CPU is the "srv" share
  bool db_measured = false;     // a database process tree (--db_pid)
  bool proxy_measured = false;  // a proxy's process tree (--proxy_pid)
};

struct TargetCheck {
  std::string workload;
  std::string mode;
  std::string what;  // e.g. ">= 0.7 x baseline"
  double value = 0;
  double limit = 0;
  bool at_least = true;  // value >= limit passes (else value <= limit)
  bool pass = false;
};

struct Report {
  BenchConfig config;
  MachineFacts machine;
  std::vector<ResultRow> rows;
  // Closed-loop baseline throughput: the mean of its runs (measured at the
  // start and at the end, so drift of a shared machine shows).
  double baseline_rps = 0;
};

// The checks that apply to each row (see Category).
std::vector<TargetCheck> EvaluateTargets(const Report& report);

// The table, the target list and notes (errors, open loop falling behind).
void PrintReport(std::ostream& out, const Report& report,
                 const std::vector<TargetCheck>& checks);

absl::Status WriteJson(const std::string& path, const Report& report,
                       const std::vector<TargetCheck>& checks);

// Reads the JSON files WriteJson wrote for one run each (the same workloads
// on different setups), prints them side by side under `labels` (one per
// file; empty: each file's own label) and writes the combined figures to
// `json_out` (skipped if empty).
absl::Status CompareRuns(std::ostream& out,
                         const std::vector<std::string>& files,
                         const std::vector<std::string>& labels,
                         const std::string& json_out);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_REPORT_H_
