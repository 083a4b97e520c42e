// retail_bench: the load generator behind scripts/bench (issue 3, part 1).
//
//   retail_bench --addr HOST:PORT --token TOKEN [--workloads get,list,...]
//       measures the disk's fdatasync, then each workload in closed loop
//       (max throughput) and open loop (latency at a fixed rate), against the
//       gRPC health check as baseline; prints the table, writes JSON.
//   retail_bench --seed_customers N --db FILE [--sample_file F]
//       writes N realistic customers into FILE before the server starts.
//   retail_bench --seed_orders N --seed_recon_orders M --db FILE
//                [--order_sample_file F]
//       writes N orders over 500 branches and the last 90 days, and a
//       reconciliation day of M paid orders, into FILE (order_seed.h).
//   retail_bench --seed_complaints N --db FILE [--complaint_sample_file F]
//       writes N complaints over 500 branches and the last year into FILE,
//       with the figures of the stats window (complaint_seed.h).
//   retail_bench --seed_feedback N --db FILE [--feedback_sample_file F]
//       writes N feedback items (and N/5 survey responses) over 500 branches
//       and the last 90 days into FILE, with the figures of the
//       satisfaction report over those days (feedback_seed.h).
//   retail_bench --probe_health --addr HOST:PORT [--tls_ca_file F]
//       exits 0 once the server answers SERVING (scripts/bench waits on it);
//       over TLS verified with F when given.
//   retail_bench --compare_json A.json,B.json,... [--compare_labels a,b,...]
//                [--compare_out OUT]
//       prints the runs of those files side by side (req/s, p50, p99 and CPU
//       per operation of each workload; scripts/bench --db postgresql: SQLite,
//       PostgreSQL with one replica, three behind nginx) and writes them
//       combined to OUT.
//
// With --tls_addr (a TLS listener on the same database; scripts/bench starts
// one unless --no-tls) the get_tls workload runs GetCustomer over TLS right
// after get, and the report ends with the two side by side.
//
// scripts/bench wraps them all with a throwaway server and database.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "tests/bench/complaint_seed.h"
#include "tests/bench/cpu_usage.h"
#include "tests/bench/disk_probe.h"
#include "tests/bench/env.h"
#include "tests/bench/feedback_seed.h"
#include "tests/bench/fixture.h"
#include "tests/bench/load_driver.h"
#include "tests/bench/order_seed.h"
#include "tests/bench/report.h"
#include "tests/bench/seed.h"
#include "tests/bench/workloads.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, tls_addr, "",
          "a TLS listener serving the same database as --addr, for get_tls; "
          "empty: TLS workloads are skipped");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA that signed the certificate of --tls_addr (or of --addr "
          "with --probe_health)");
ABSL_FLAG(int32_t, tls_server_pid, 0,
          "process id of the server behind --tls_addr, for its CPU share");
ABSL_FLAG(std::string, token, "",
          "bearer token of an admin principal (default: $RETAIL_TOKEN)");
ABSL_FLAG(std::vector<std::string>, workloads, {},
          "comma-separated workloads to run (default: all that apply): get, "
          "get_tls (with --tls_addr), list, list_vip, list_branch_vip, "
          "search_phone, search_name, create, "
          "order_get, order_list, order_list_range, order_reconcile, "
          "order_create, order_create_member, order_pay, order_pay_member, "
          "analyze, complaint_list_breached, complaint_stats, "
          "complaint_create, feedback_report, feedback_submit. "
          "The baseline always runs; --workloads=baseline runs only it.");
ABSL_FLAG(std::vector<std::string>, modes,
          std::vector<std::string>({"closed", "open"}),
          "closed (max throughput) and/or open (latency at a fixed rate)");
ABSL_FLAG(int32_t, channels, 4, "client channels, each its own TCP connection");
ABSL_FLAG(int32_t, in_flight, 64, "closed loop: operations always outstanding");
ABSL_FLAG(double, warmup_seconds, 2, "unmeasured warm-up before each window");
ABSL_FLAG(double, duration_seconds, 5, "measured window per run");
ABSL_FLAG(double, long_window_seconds, 20,
          "measured window of workloads with few, slow calls (complaint_stats) "
          "when longer than --duration_seconds");
ABSL_FLAG(double, open_loop_fraction, 0.5,
          "open-loop rate as a fraction of the workload's closed-loop max "
          "measured in this run");
ABSL_FLAG(double, open_loop_rate, 0,
          "fixed open-loop rate (req/s) for every workload; 0: use "
          "--open_loop_fraction");
ABSL_FLAG(int32_t, open_loop_threads, 2,
          "threads starting open-loop requests (one tops out near 40k/s)");
ABSL_FLAG(int32_t, rpc_deadline_ms, 10'000, "deadline of every RPC");
ABSL_FLAG(int32_t, retry_unavailable, 0,
          "send a call answered UNAVAILABLE again (same request, same "
          "request_id) up to this many times, as clients are told to; its "
          "latency includes every attempt, and the report counts them. "
          "PostgreSQL answers UNAVAILABLE when a write's serialization "
          "retries run out");
ABSL_FLAG(std::string, fsync_dir, ".",
          "directory of the server's database, for the fdatasync probe");
ABSL_FLAG(int32_t, fsync_iterations, 200, "fdatasync probe: measured syncs");
ABSL_FLAG(std::string, json, "build/bench/results.json", "JSON results file");
ABSL_FLAG(std::string, sample_file, "",
          "customers to read, written by --seed_customers; empty: create an "
          "API fixture first");
ABSL_FLAG(int64_t, dataset_rows, 0,
          "customers in the database (for the report and the 1M-row target); "
          "0: the fixture's size");
ABSL_FLAG(int32_t, fixture_customers, 2000,
          "without --sample_file: customers created through the API first");
ABSL_FLAG(int32_t, fixture_branches, 20, "branches the fixture spreads over");
ABSL_FLAG(int32_t, fixture_orders, 2000,
          "orders created through the API first (half for members, half "
          "paid in cash), for GetOrder and ListOrders; 0: none, and those "
          "workloads are skipped");
ABSL_FLAG(bool, fail_on_errors, true,
          "exit 3 if any measured RPC failed (target misses never fail)");
ABSL_FLAG(int64_t, seed_customers, 0,
          "seeding mode: insert this many customers into --db and exit");
ABSL_FLAG(std::string, db, "", "seeding mode: the database file");
ABSL_FLAG(int32_t, seed_branches, 500, "seeding mode: branches B001..");
ABSL_FLAG(int32_t, seed_batch, 10'000, "seeding mode: rows per transaction");
ABSL_FLAG(int64_t, seed_orders, 0,
          "seeding mode: insert this many orders (with their tenders, slips, "
          "refunds and returns) over --seed_branches and --seed_days into "
          "--db and exit");
ABSL_FLAG(int64_t, seed_recon_orders, 0,
          "seeding mode: insert one branch-day of this many paid orders "
          "(yesterday in --time_zone) for GetDailyReconciliation");
ABSL_FLAG(int32_t, seed_days, 90, "seeding mode: days of order history");
ABSL_FLAG(std::string, time_zone, "Asia/Shanghai",
          "seeding mode: the server's --time_zone (business days)");
ABSL_FLAG(std::string, currency, "CNY",
          "seeding mode: the server's --currency");
ABSL_FLAG(std::string, order_sample_file, "",
          "seeding mode: where to write the seeded reconciliation day and a "
          "sample of the seeded orders; measuring: where to read them (then "
          "no orders fixture is created through the API if it holds orders)");
ABSL_FLAG(int64_t, seed_complaints, 0,
          "seeding mode: insert this many complaints (with their clocks and "
          "keywords) over --seed_branches and --seed_complaint_days into --db "
          "and exit");
ABSL_FLAG(int32_t, seed_complaint_days, 365,
          "seeding mode: days of complaint history");
ABSL_FLAG(std::string, complaint_sample_file, "",
          "seeding mode: where to write the seeded complaints' figures (the "
          "stats window's); measuring: where to read them (the complaint list "
          "and stats workloads run only with them)");
ABSL_FLAG(int64_t, seed_feedback, 0,
          "seeding mode: insert this many feedback items (with their terms, "
          "scores and daily rollups) and --seed_feedback_responses survey "
          "responses over --seed_branches and --seed_feedback_days into --db "
          "and exit");
ABSL_FLAG(int32_t, seed_feedback_days, 90,
          "seeding mode: whole days of feedback before the seeding day");
ABSL_FLAG(int64_t, seed_feedback_responses, -1,
          "seeding mode: survey responses; -1: a fifth of --seed_feedback");
ABSL_FLAG(std::string, feedback_sample_file, "",
          "seeding mode: where to write the seeded feedback's figures (the "
          "satisfaction report's over the seeded days); measuring: where to "
          "read them (the satisfaction report workload runs only with them)");
ABSL_FLAG(int32_t, server_pid, 0,
          "the server's process id, to separate its CPU use in the report");
ABSL_FLAG(std::vector<std::string>, server_pids, {},
          "more server processes (replicas behind a proxy), comma-separated: "
          "their CPU is added to --server_pid's");
ABSL_FLAG(int32_t, db_pid, 0,
          "the database server's parent process (PostgreSQL's postmaster): "
          "its CPU and every descendant's is reported as db%");
ABSL_FLAG(int32_t, proxy_pid, 0,
          "a proxy's parent process (nginx's master): its CPU and every "
          "descendant's is reported as nx%");
ABSL_FLAG(std::string, label, "",
          "what this run measures, e.g. \"PostgreSQL, 1 replica\": printed "
          "and kept in the JSON for --compare_json");
ABSL_FLAG(std::vector<std::string>, compare_json, {},
          "compare mode: results files of earlier runs, comma-separated; "
          "prints them side by side, writes the combined figures to "
          "--compare_out and exits");
ABSL_FLAG(std::vector<std::string>, compare_labels, {},
          "compare mode: one label per --compare_json file (default: each "
          "file's --label)");
ABSL_FLAG(std::string, compare_out, "",
          "compare mode: the combined JSON file; empty: none");
ABSL_FLAG(bool, baseline, true,
          "measure the baseline (first and last); off only for profiling one "
          "workload, since every ratio needs it");
ABSL_FLAG(std::string, seed, "",
          "seed of every random choice: open-loop arrival times, generated "
          "profiles, the run's phone and request_id prefix, and the seeder's "
          "data set; empty: $RETAIL_TEST_SEED, else 1. Printed at start. A "
          "second run against the same database needs another seed (its "
          "created phones would repeat)");
ABSL_FLAG(bool, probe_health, false,
          "check once that the server at --addr is SERVING; exit 0 if so");

namespace retail::bench {
namespace {

// --seed, else $RETAIL_TEST_SEED, else 1: a run is repeatable unless told
// otherwise. Printed, so any run can be repeated.
uint64_t RunSeed() {
  std::string text = absl::GetFlag(FLAGS_seed);
  const char* from = "--seed";
  if (text.empty() && std::getenv("RETAIL_TEST_SEED") != nullptr) {
    text = std::getenv("RETAIL_TEST_SEED");
    from = "RETAIL_TEST_SEED";
  }
  uint64_t seed = 1;
  if (text.empty()) {
    from = "default; set --seed or RETAIL_TEST_SEED to change";
  } else if (!absl::SimpleAtoi(text, &seed)) {
    std::cerr << "retail_bench: " << from << " must be a whole number, not '"
              << text << "'\n";
    std::exit(2);
  }
  std::cerr << "bench: seed " << seed << " (" << from << ")\n";
  return seed;
}

int SeedOrdersMain() {
  OrderSeedOptions o;
  o.seed = RunSeed();
  o.db_path = absl::GetFlag(FLAGS_db);
  o.orders = absl::GetFlag(FLAGS_seed_orders);
  o.recon_orders = absl::GetFlag(FLAGS_seed_recon_orders);
  o.branches = absl::GetFlag(FLAGS_seed_branches);
  o.days = absl::GetFlag(FLAGS_seed_days);
  o.batch = absl::GetFlag(FLAGS_seed_batch);
  o.time_zone = absl::GetFlag(FLAGS_time_zone);
  o.currency = absl::GetFlag(FLAGS_currency);
  o.sample_path = absl::GetFlag(FLAGS_order_sample_file);
  if (o.db_path.empty()) {
    std::cerr << "retail_bench: --seed_orders needs --db\n";
    return 2;
  }
  absl::StatusOr<OrderSeedResult> r = SeedOrders(o);
  if (!r.ok()) {
    std::cerr << "retail_bench: seeding orders failed: " << r.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "seeded %d orders (%d tender attempts, %d slips, %d refunds, %d "
      "returns) in %.1f s; statuses: %d pending, %d paid, %d completed, %d "
      "cancelled, %d partly returned, %d returned; %d orders in the "
      "database; %d sampled to %s\n",
      r->orders, r->payments, r->slips, r->refunds, r->returns, r->seconds,
      r->status_counts[1], r->status_counts[2], r->status_counts[3],
      r->status_counts[4], r->status_counts[5], r->status_counts[6],
      r->orders_in_db, r->sampled,
      o.sample_path.empty() ? "(none)" : o.sample_path);
  if (o.recon_orders > 0) {
    const ReconDay& d = r->recon;
    std::cout << absl::StrFormat(
        "reconciliation day: branch %s, %d: %d slips, %d tenders = %d, %d "
        "refunds = %d (%d orders)\n",
        d.branch, d.date, d.slips, d.sales_count, d.sales_minor, d.refund_count,
        d.refund_minor, d.refunded_orders);
  }
  return 0;
}

int SeedComplaintsMain() {
  ComplaintSeedOptions o;
  o.seed = RunSeed();
  o.db_path = absl::GetFlag(FLAGS_db);
  o.complaints = absl::GetFlag(FLAGS_seed_complaints);
  o.branches = absl::GetFlag(FLAGS_seed_branches);
  o.days = absl::GetFlag(FLAGS_seed_complaint_days);
  o.batch = absl::GetFlag(FLAGS_seed_batch);
  o.time_zone = absl::GetFlag(FLAGS_time_zone);
  o.sample_path = absl::GetFlag(FLAGS_complaint_sample_file);
  if (o.db_path.empty()) {
    std::cerr << "retail_bench: --seed_complaints needs --db\n";
    return 2;
  }
  absl::StatusOr<ComplaintSeedResult> r = SeedComplaints(o);
  if (!r.ok()) {
    std::cerr << "retail_bench: seeding complaints failed: " << r.status()
              << "\n";
    return 1;
  }
  const auto& n = r->status_counts;
  std::cout << absl::StrFormat(
      "seeded %d complaints (%d keyword rows) in %.1f s (%.0f/s); statuses: "
      "%d new, %d acknowledged, %d in progress, %d waiting, %d solution "
      "proposed, %d resolved, %d closed, %d reopened; %d open, %d breached, "
      "%d with a running clock past due, %d reopened at least once; %d "
      "complaints in the database\n",
      r->complaints, r->keywords, r->seconds,
      r->complaints / std::max(r->seconds, 1e-9), n[1], n[2], n[3], n[4], n[5],
      n[6], n[7], n[8], r->open, r->breached, r->running_overdue, r->reopened,
      r->in_db);
  const ComplaintFacts& f = r->facts;
  std::cout << absl::StrFormat(
      "stats window (%d days): %d complaints, %d closed, %d scored, %d "
      "reopened; figures in %s\n",
      o.stats_days, f.total, f.by_status[7], f.scored, f.reopened,
      o.sample_path.empty() ? "(none)" : o.sample_path);
  return 0;
}

int SeedFeedbackMain() {
  FeedbackSeedOptions o;
  o.seed = RunSeed();
  o.db_path = absl::GetFlag(FLAGS_db);
  o.items = absl::GetFlag(FLAGS_seed_feedback);
  o.responses = absl::GetFlag(FLAGS_seed_feedback_responses);
  o.branches = absl::GetFlag(FLAGS_seed_branches);
  o.days = absl::GetFlag(FLAGS_seed_feedback_days);
  o.batch = absl::GetFlag(FLAGS_seed_batch);
  o.time_zone = absl::GetFlag(FLAGS_time_zone);
  o.sample_path = absl::GetFlag(FLAGS_feedback_sample_file);
  if (o.db_path.empty()) {
    std::cerr << "retail_bench: --seed_feedback needs --db\n";
    return 2;
  }
  absl::StatusOr<FeedbackSeedResult> r = SeedFeedback(o);
  if (!r.ok()) {
    std::cerr << "retail_bench: seeding feedback failed: " << r.status()
              << "\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "seeded %d feedback items (%d term rows; %d negative, %d anonymous, %d "
      "that would open a complaint (%.1f%%), %d flagged for review) and %d "
      "survey responses to %d weekly surveys in %.1f s (%.0f records/s), "
      "naming %d customers of the database; %d items, %d responses and %d "
      "daily rollup rows in the database\n",
      r->items, r->terms, r->negative, r->anonymous, r->escalated,
      100.0 * r->escalated / std::max<int64_t>(1, r->items), r->needs_review,
      r->responses, r->surveys, r->seconds,
      (r->items + r->responses) / std::max(r->seconds, 1e-9), r->members,
      r->items_in_db, r->responses_in_db, r->daily_rows);
  const FeedbackFacts& f = r->facts;
  std::cout << absl::StrFormat(
      "report window %d..%d (%d days, %d branches): %d feedback items, %d "
      "responses; %d ratings (%d survey, %d feedback), %d satisfied (CSAT "
      "%.3f); NPS %d scores, %d promoters, %d detractors; figures in %s\n",
      f.start_date, f.end_date, o.days, f.branches, f.feedback_count,
      f.response_count, f.ratings, f.survey_ratings, f.feedback_ratings,
      f.satisfied,
      static_cast<double>(f.satisfied) / std::max<int64_t>(1, f.ratings),
      f.nps_count, f.nps_promoters, f.nps_detractors,
      o.sample_path.empty() ? "(none)" : o.sample_path);
  return 0;
}

int Seed() {
  SeedOptions o;
  o.seed = RunSeed();
  o.db_path = absl::GetFlag(FLAGS_db);
  o.customers = absl::GetFlag(FLAGS_seed_customers);
  o.branches = absl::GetFlag(FLAGS_seed_branches);
  o.batch = absl::GetFlag(FLAGS_seed_batch);
  o.sample_path = absl::GetFlag(FLAGS_sample_file);
  if (o.db_path.empty()) {
    std::cerr << "retail_bench: --seed_customers needs --db\n";
    return 2;
  }
  absl::StatusOr<SeedResult> r = SeedCustomers(o);
  if (!r.ok()) {
    std::cerr << "retail_bench: seeding failed: " << r.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "seeded %d customers over %d branches in %.1f s (%.0f rows/s); tiers: "
      "%d potential, %d regular, %d VIP; %d sampled to %s\n",
      r->rows, o.branches, r->seconds, r->rows / std::max(r->seconds, 1e-9),
      r->tier_counts[1], r->tier_counts[2], r->tier_counts[3], r->sampled,
      o.sample_path.empty() ? "(none)" : o.sample_path);
  return 0;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  return text.str();
}

// GetCustomer over TLS against plaintext, from the rows of this run.
void PrintTlsComparison(std::ostream& out, const Report& report) {
  for (const char* mode : {"closed", "open"}) {
    const ResultRow* plain = nullptr;
    const ResultRow* tls = nullptr;
    for (const ResultRow& row : report.rows) {
      if (row.run.mode != mode) continue;
      if (row.key == "get") plain = &row;
      if (row.key == "get_tls") tls = &row;
    }
    if (plain == nullptr || tls == nullptr) continue;
    out << absl::StrFormat(
        "TLS vs plaintext, GetCustomer %s loop: %.0f vs %.0f req/s (%.2fx); "
        "p50 %.3f vs %.3f ms; p99 %.3f vs %.3f ms; server CPU %.0f%% vs "
        "%.0f%%\n",
        mode, tls->run.rps, plain->run.rps,
        plain->run.rps > 0 ? tls->run.rps / plain->run.rps : 0,
        tls->run.latency.p50_ms, plain->run.latency.p50_ms,
        tls->run.latency.p99_ms, plain->run.latency.p99_ms, tls->run.cpu.server,
        plain->run.cpu.server);
  }
}

// One health check; true if the server answered SERVING.
bool ProbeHealth(const std::string& addr, const std::string& ca_file) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadWholeFile(ca_file);
    if (!ca.ok()) {
      std::cerr << "retail_bench: --tls_ca_file: " << ca.status() << "\n";
      return false;
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(addr, credentials);
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> result;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&result](grpc::Status s) { result.set_value(std::move(s)); });
  const grpc::Status status = result.get_future().get();
  std::vector<grpc::Slice> slices;
  if (!status.ok() || !response.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes == std::string("\x08\x01", 2);  // status: SERVING
}

ResultRow Run(Env& env, const Workload& w, const std::string& mode,
              const DriverOptions& options, double rate, std::string name) {
  IssueFn issue = [&env, &w](int channel, uint64_t seq, Done done) {
    w.issue(env, channel, seq, std::move(done));
  };
  DriverOptions run_options = options;
  if (w.needs_tls) run_options.server_pid = absl::GetFlag(FLAGS_tls_server_pid);
  ResultRow row;
  row.key = w.key;
  row.name = name.empty() ? w.name : std::move(name);
  row.kind = w.kind;
  row.category = w.category;
  row.table = w.table;
  row.targets = w.targets;
  const uint64_t retries_before = env.retries();
  row.run = mode == "closed" ? RunClosedLoop(issue, run_options)
                             : RunOpenLoop(issue, run_options, rate);
  row.run.retries = env.retries() - retries_before;
  std::cerr << absl::StrFormat(
      "bench: %-30s %-6s %9.0f req/s  p50 %.3f ms  p99 %.3f ms  errors %d  "
      "cpu srv %.0f%% cli %.0f%% other %.0f%%%s\n",
      row.name, mode, row.run.rps, row.run.latency.p50_ms,
      row.run.latency.p99_ms, row.run.errors, row.run.cpu.server,
      row.run.cpu.client, row.run.cpu.other,
      row.run.retries > 0 ? absl::StrCat("  retried ", row.run.retries)
                          : std::string());
  return row;
}

int Bench() {
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("RETAIL_TOKEN") != nullptr) {
    token = std::getenv("RETAIL_TOKEN");
  }
  if (token.empty()) {
    std::cerr << "retail_bench: --token (or RETAIL_TOKEN) is required\n";
    return 2;
  }
  const std::vector<std::string> modes = absl::GetFlag(FLAGS_modes);
  const bool closed = std::count(modes.begin(), modes.end(), "closed") > 0;
  const bool open = std::count(modes.begin(), modes.end(), "open") > 0;
  const double fixed_rate = absl::GetFlag(FLAGS_open_loop_rate);
  if (open && !closed && fixed_rate <= 0) {
    std::cerr << "retail_bench: open loop alone needs --open_loop_rate\n";
    return 2;
  }

  Report report;
  report.machine = ReadMachineFacts();
  // The disk first, while nothing else runs.
  absl::StatusOr<FsyncStats> fsync = MeasureFdatasync(
      absl::GetFlag(FLAGS_fsync_dir), absl::GetFlag(FLAGS_fsync_iterations));
  if (!fsync.ok()) {
    std::cerr << "retail_bench: " << fsync.status() << "\n";
    return 1;
  }
  report.machine.fsync = *fsync;
  std::cerr << absl::StrFormat("bench: fdatasync p50 %.3f ms, p99 %.3f ms\n",
                               fsync->p50_ms, fsync->p99_ms);

  EnvOptions env_options;
  env_options.addr = absl::GetFlag(FLAGS_addr);
  env_options.tls_addr = absl::GetFlag(FLAGS_tls_addr);
  if (!env_options.tls_addr.empty()) {
    absl::StatusOr<std::string> ca =
        ReadWholeFile(absl::GetFlag(FLAGS_tls_ca_file));
    if (!ca.ok()) {
      std::cerr << "retail_bench: --tls_addr needs --tls_ca_file: "
                << ca.status() << "\n";
      return 2;
    }
    env_options.tls_ca_pem = *ca;
  }
  env_options.token = token;
  env_options.channels = absl::GetFlag(FLAGS_channels);
  env_options.rpc_deadline =
      absl::Milliseconds(absl::GetFlag(FLAGS_rpc_deadline_ms));
  env_options.seed = RunSeed();
  env_options.retry_unavailable = absl::GetFlag(FLAGS_retry_unavailable);
  Env env(env_options);
  if (absl::Status s = env.Connect(absl::Seconds(10)); !s.ok()) {
    std::cerr << "retail_bench: " << s << "\n";
    return 1;
  }

  absl::StatusOr<Dataset> data;
  if (!absl::GetFlag(FLAGS_sample_file).empty()) {
    data = LoadSample(absl::GetFlag(FLAGS_sample_file),
                      absl::GetFlag(FLAGS_dataset_rows));
  } else {
    data = CreateFixture(env, absl::GetFlag(FLAGS_fixture_customers),
                         absl::GetFlag(FLAGS_fixture_branches),
                         absl::GetFlag(FLAGS_in_flight));
  }
  if (!data.ok()) {
    std::cerr << "retail_bench: preparing data: " << data.status() << "\n";
    return 1;
  }
  if (data->customers.empty()) {
    std::cerr << "retail_bench: no customers to read\n";
    return 1;
  }
  if (absl::GetFlag(FLAGS_dataset_rows) > 0) {
    data->rows = absl::GetFlag(FLAGS_dataset_rows);
  }
  report.config.addr = env_options.addr;
  report.config.channels = env_options.channels;
  report.config.in_flight = absl::GetFlag(FLAGS_in_flight);
  report.config.warmup_seconds = absl::GetFlag(FLAGS_warmup_seconds);
  report.config.duration_seconds = absl::GetFlag(FLAGS_duration_seconds);
  report.config.open_loop_fraction =
      fixed_rate > 0 ? 0 : absl::GetFlag(FLAGS_open_loop_fraction);
  report.config.dataset_rows = data->rows;
  report.config.seeded = data->seeded;
  report.config.sample_customers = static_cast<int>(data->customers.size());
  const bool seeded = data->seeded;
  if (!absl::GetFlag(FLAGS_order_sample_file).empty()) {
    if (absl::Status s =
            LoadOrderSample(absl::GetFlag(FLAGS_order_sample_file), *data);
        !s.ok()) {
      std::cerr << "retail_bench: " << s << "\n";
      return 1;
    }
  }
  if (!absl::GetFlag(FLAGS_complaint_sample_file).empty()) {
    if (absl::Status s = LoadComplaintFacts(
            absl::GetFlag(FLAGS_complaint_sample_file), *data);
        !s.ok()) {
      std::cerr << "retail_bench: " << s << "\n";
      return 1;
    }
  }
  if (!absl::GetFlag(FLAGS_feedback_sample_file).empty()) {
    if (absl::Status s =
            LoadFeedbackFacts(absl::GetFlag(FLAGS_feedback_sample_file), *data);
        !s.ok()) {
      std::cerr << "retail_bench: " << s << "\n";
      return 1;
    }
  }
  // The orders fixture, unless no workload that reads orders is wanted or
  // seeded orders are there to read.
  const std::vector<std::string> wanted_keys = absl::GetFlag(FLAGS_workloads);
  auto wanted_key = [&](const char* key) {
    return std::count(wanted_keys.begin(), wanted_keys.end(), key) > 0;
  };
  const bool wants_orders = wanted_keys.empty() || wanted_key("order_get") ||
                            wanted_key("order_list") ||
                            wanted_key("order_list_range");
  if (wants_orders && !data->orders_seeded &&
      absl::GetFlag(FLAGS_fixture_orders) > 0) {
    if (absl::Status s =
            CreateOrderFixture(env, absl::GetFlag(FLAGS_fixture_orders),
                               absl::GetFlag(FLAGS_in_flight), *data);
        !s.ok()) {
      std::cerr << "retail_bench: preparing orders: " << s << "\n";
      return 1;
    }
  }
  const bool have_orders = !data->orders.empty();
  const bool have_recon_day = data->recon.date != 0;
  const bool have_complaints = data->complaints.rows > 0;
  const bool have_feedback = data->feedback.items > 0;
  report.config.dataset_complaints = data->complaints.rows;
  report.config.dataset_feedback = data->feedback.items;
  report.config.dataset_orders =
      data->order_rows > 0 ? data->order_rows
                           : static_cast<int64_t>(data->orders.size());
  report.config.orders_seeded = data->orders_seeded;
  env.set_data(*std::move(data));

  // Which workloads: the named ones, or all that make sense on this data.
  const std::vector<std::string> wanted = absl::GetFlag(FLAGS_workloads);
  std::vector<Workload> all = AllWorkloads();
  std::vector<Workload> selected;
  for (const std::string& key : wanted) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const Workload& w) { return w.key == key; });
    if (it == all.end() && key != "baseline") {
      std::vector<std::string> keys;
      for (const Workload& w : all) keys.push_back(w.key);
      std::cerr << "retail_bench: unknown workload '" << key
                << "'; known: " << absl::StrJoin(keys, ", ") << "\n";
      return 2;
    }
  }
  for (Workload& w : all) {
    const bool named =
        std::find(wanted.begin(), wanted.end(), w.key) != wanted.end();
    if (w.needs_orders && !have_orders) continue;
    if (w.needs_recon_day && !have_recon_day) continue;
    if (w.needs_complaints && !have_complaints) continue;
    if (w.needs_feedback && !have_feedback) continue;
    if (w.needs_tls && !env.has_tls()) continue;
    if (wanted.empty() ? (!w.needs_seeded_data || seeded) : named) {
      selected.push_back(std::move(w));
    }
  }
  // Reads first: writes grow the table the reads would then measure.
  std::stable_partition(
      selected.begin(), selected.end(),
      [](const Workload& w) { return w.kind != Kind::kWrite; });

  DriverOptions options;
  options.channels = env.channels();
  options.in_flight = report.config.in_flight;
  options.warmup = absl::Seconds(report.config.warmup_seconds);
  options.duration = absl::Seconds(report.config.duration_seconds);
  options.server_pid = absl::GetFlag(FLAGS_server_pid);
  for (const std::string& text : absl::GetFlag(FLAGS_server_pids)) {
    int pid = 0;
    if (!absl::SimpleAtoi(text, &pid) || pid <= 0) {
      std::cerr << "retail_bench: --server_pids: '" << text
                << "' is not a process id\n";
      return 2;
    }
    options.more_cpu.server_pids.push_back(pid);
  }
  options.more_cpu.db_tree = absl::GetFlag(FLAGS_db_pid);
  options.more_cpu.proxy_tree = absl::GetFlag(FLAGS_proxy_pid);
  report.config.label = absl::GetFlag(FLAGS_label);
  report.config.server_processes =
      std::max<int>(1, static_cast<int>(options.more_cpu.server_pids.size()) +
                           (options.server_pid > 0 ? 1 : 0));
  report.config.db_measured = options.more_cpu.db_tree > 0;
  report.config.proxy_measured = options.more_cpu.proxy_tree > 0;
  options.open_loop_threads = absl::GetFlag(FLAGS_open_loop_threads);
  options.seed = env_options.seed;
  const Workload baseline = BaselineWorkload();

  // What a workload consumes is made before each run, outside its window.
  const double run_seconds =
      report.config.warmup_seconds + report.config.duration_seconds;
  bool prepared = true;
  auto prepare = [&](const Workload& w, double rate) {
    if (!w.prepare) return true;
    if (!prepared) return false;
    const int64_t start = MonotonicNanos();
    if (absl::Status s = w.prepare(env, run_seconds, rate); !s.ok()) {
      std::cerr << "retail_bench: preparing " << w.name << ": " << s << "\n";
      prepared = false;
    } else {
      std::cerr << absl::StrFormat("bench: prepared %s in %.1f s\n", w.name,
                                   (MonotonicNanos() - start) / 1e9);
    }
    return prepared;
  };
  // The baseline runs first and again last: on a shared machine the drift
  // between the two says how far to trust small differences.
  auto run_both = [&](const Workload& w, const std::string& name) {
    double max_rps = 0;
    DriverOptions run_options = options;
    if (w.long_window) {
      run_options.duration =
          std::max(options.duration,
                   absl::Seconds(absl::GetFlag(FLAGS_long_window_seconds)));
    }
    if (closed && prepare(w, 0)) {
      DriverOptions o = run_options;
      if (w.in_flight > 0) o.in_flight = w.in_flight;
      report.rows.push_back(Run(env, w, "closed", o, 0, name));
      max_rps = report.rows.back().run.rps;
    }
    if (open) {
      // A workload's own fixed rate is never more than the fraction of
      // its closed-loop max: an open loop past saturation measures only
      // the queue (and its calls run into their deadlines).
      const double fraction_of_max = max_rps * report.config.open_loop_fraction;
      const double rate =
          fixed_rate > 0 ? fixed_rate
          : w.open_loop_rate > 0
              ? (max_rps > 0 ? std::min(w.open_loop_rate, fraction_of_max)
                             : w.open_loop_rate)
              : fraction_of_max;
      if (prepare(w, rate)) {
        report.rows.push_back(Run(env, w, "open", run_options, rate, name));
      }
    }
  };
  const bool with_baseline = absl::GetFlag(FLAGS_baseline);
  if (with_baseline) run_both(baseline, "");
  for (const Workload& w : selected) run_both(w, "");
  if (closed && with_baseline) {
    report.rows.push_back(
        Run(env, baseline, "closed", options, 0, "Health/Check (again)"));
  }
  double baseline_sum = 0;
  int baseline_runs = 0;
  for (const ResultRow& row : report.rows) {
    if (row.kind == Kind::kBaseline && row.run.mode == "closed") {
      baseline_sum += row.run.rps;
      ++baseline_runs;
    }
  }
  report.baseline_rps = baseline_runs ? baseline_sum / baseline_runs : 0;

  const std::vector<TargetCheck> checks = EvaluateTargets(report);
  PrintReport(std::cout, report, checks);
  PrintTlsComparison(std::cout, report);
  const std::string json = absl::GetFlag(FLAGS_json);
  if (!json.empty()) {
    if (absl::Status s = WriteJson(json, report, checks); !s.ok()) {
      std::cerr << "retail_bench: " << s << "\n";
      return 1;
    }
    std::cout << "\nJSON: " << json << "\n";
  }
  if (!prepared) return 1;
  uint64_t errors = 0;
  for (const ResultRow& row : report.rows) errors += row.run.errors;
  if (errors > 0 && absl::GetFlag(FLAGS_fail_on_errors)) {
    std::cerr << "retail_bench: " << errors << " RPCs failed (see notes)\n";
    return 3;
  }
  return 0;
}

}  // namespace
}  // namespace retail::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load generator for retail_server; see scripts/bench");
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock
  // detection: a global lock-graph update on every lock of gRPC's mutexes.
  // It is a debugging aid that cost ~10% of CPU in profiles, and this client
  // shares the cores with the server it measures.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (absl::GetFlag(FLAGS_seed_customers) > 0) return retail::bench::Seed();
  if (absl::GetFlag(FLAGS_seed_orders) > 0 ||
      absl::GetFlag(FLAGS_seed_recon_orders) > 0) {
    return retail::bench::SeedOrdersMain();
  }
  if (absl::GetFlag(FLAGS_seed_complaints) > 0) {
    return retail::bench::SeedComplaintsMain();
  }
  if (absl::GetFlag(FLAGS_seed_feedback) > 0) {
    return retail::bench::SeedFeedbackMain();
  }
  if (!absl::GetFlag(FLAGS_compare_json).empty()) {
    const absl::Status s = retail::bench::CompareRuns(
        std::cout, absl::GetFlag(FLAGS_compare_json),
        absl::GetFlag(FLAGS_compare_labels), absl::GetFlag(FLAGS_compare_out));
    if (!s.ok()) {
      std::cerr << "retail_bench: " << s << "\n";
      return 1;
    }
    return 0;
  }
  if (absl::GetFlag(FLAGS_probe_health)) {
    return retail::bench::ProbeHealth(absl::GetFlag(FLAGS_addr),
                                      absl::GetFlag(FLAGS_tls_ca_file))
               ? 0
               : 1;
  }
  return retail::bench::Bench();
}
