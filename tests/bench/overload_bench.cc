// overload_bench: what a flooding client costs a well-behaved one (issue 15,
// "Overload"), in process over TCP loopback.
//
// Builds a server (BuildServer, the real call path) on a fresh database in
// a temp directory, with auth.conf principals "good" (agent, unlimited) and
// "abuser" (agent, `--abuser_rate`/s burst the same). The good client reads
// one customer (GetCustomer) in a closed loop, one call at a time, for
// `--seconds`; its latencies give p50/p99/max. Three phases:
//   alone:           the good client only;
//   limited abuser:  beside `--abuser_threads` threads calling GetCustomer
//                    as the abuser as fast as they can (mostly refused
//                    RESOURCE_EXHAUSTED by its rate limit);
//   unlimited abuser: the same flood after auth.conf is rewritten with
//                    rate=none for the abuser (reloaded without restart):
//                    what the limit saves.
// With --abuser_writes the abuser floods with CreateCustomer (each a new
// customer and request_id) instead of reads: the writer and its fsyncs.
// Every loop is bounded by count and time. Prints one line per phase.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/server.h"

ABSL_FLAG(int32_t, seconds, 5, "length of each phase");
ABSL_FLAG(int32_t, abuser_threads, 2, "threads flooding as the abuser");
ABSL_FLAG(int32_t, abuser_rate, 50, "the abuser's limit, calls per second");
ABSL_FLAG(int32_t, max_calls, 200'000, "bound on the good client's calls");
ABSL_FLAG(bool, abuser_writes, false,
          "the abuser floods with writes (CreateCustomer, a new customer "
          "each) instead of reads");

namespace retail {
namespace {

namespace cv1 = ::retail::customers::v1;

constexpr char kGoodToken[] = "bench-good-token";
constexpr char kAbuserToken[] = "bench-abuser-token";
constexpr char kAdminToken[] = "bench-admin-token";

void WriteAuth(const std::string& path, const std::string& abuser_options) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << "sha256:" << Sha256Hex(kAdminToken) << " admin admin\n";
    out << "sha256:" << Sha256Hex(kGoodToken) << " good agent\n";
    out << "sha256:" << Sha256Hex(kAbuserToken) << " abuser agent "
        << abuser_options << "\n";
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
}

std::unique_ptr<grpc::ClientContext> Context(const char* token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  return ctx;
}

std::shared_ptr<grpc::Channel> NewChannel(int port, int n) {
  grpc::ChannelArguments args;
  args.SetInt("retail.bench.channel", n);  // a connection of its own
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

struct Phase {
  std::string name;
  std::vector<double> latencies_ms;
  int good_errors = 0;
  int64_t abuser_ok = 0;
  int64_t abuser_refused = 0;
  int64_t abuser_other = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Phase Run(const std::string& name, int port, const std::string& customer_id,
          int abusers) {
  Phase phase;
  phase.name = name;
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> a_ok{0}, a_refused{0}, a_other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < abusers; ++t) {
    threads.emplace_back([&, t] {
      auto stub = cv1::CustomerService::NewStub(NewChannel(port, 100 + t));
      cv1::GetCustomerRequest req;
      req.set_customer_id(customer_id);
      const absl::Time end = absl::Now() + length + absl::Seconds(2);
      const bool writes = absl::GetFlag(FLAGS_abuser_writes);
      static std::atomic<int64_t> next_customer{0};
      for (int i = 0; i < 10'000'000 && !stop.load() && absl::Now() < end;
           ++i) {
        grpc::Status s;
        auto ctx = Context(kAbuserToken);
        if (writes) {
          const int64_t n = next_customer++;
          cv1::CreateCustomerRequest create;
          create.set_request_id(absl::StrCat("bench-abuse-", getpid(), "-", n));
          create.mutable_customer()->set_display_name("Flood");
          create.mutable_customer()->set_phone(absl::StrCat(13000000000LL + n));
          create.mutable_customer()->set_branch_id("B001");
          cv1::CreateCustomerResponse resp;
          s = stub->CreateCustomer(ctx.get(), create, &resp);
        } else {
          cv1::GetCustomerResponse resp;
          s = stub->GetCustomer(ctx.get(), req, &resp);
        }
        if (s.ok()) {
          ++a_ok;
        } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++a_refused;
        } else {
          ++a_other;
        }
      }
    });
  }
  if (abusers > 0) absl::SleepFor(absl::Milliseconds(300));  // flood first
  auto stub = cv1::CustomerService::NewStub(NewChannel(port, 1));
  cv1::GetCustomerRequest req;
  req.set_customer_id(customer_id);
  const absl::Time end = absl::Now() + length;
  const int max_calls = absl::GetFlag(FLAGS_max_calls);
  for (int i = 0; i < max_calls && absl::Now() < end; ++i) {
    cv1::GetCustomerResponse resp;
    auto ctx = Context(kGoodToken);
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub->GetCustomer(ctx.get(), req, &resp);
    const auto took = std::chrono::steady_clock::now() - start;
    if (!s.ok()) {
      ++phase.good_errors;
      continue;
    }
    phase.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(took).count());
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  phase.abuser_ok = a_ok;
  phase.abuser_refused = a_refused;
  phase.abuser_other = a_other;
  return phase;
}

void Print(Phase& p, double seconds) {
  const size_t n = p.latencies_ms.size();
  std::printf(
      "%-17s good: %6zu calls (%7.0f/s) p50 %6.3f ms  p99 %6.3f ms  max "
      "%7.3f ms  errors %d | abuser: ok %lld (%.0f/s) refused %lld other "
      "%lld\n",
      p.name.c_str(), n, static_cast<double>(n) / seconds,
      Percentile(p.latencies_ms, 0.50), Percentile(p.latencies_ms, 0.99),
      Percentile(p.latencies_ms, 1.0), p.good_errors,
      static_cast<long long>(p.abuser_ok),
      static_cast<double>(p.abuser_ok) / seconds,
      static_cast<long long>(p.abuser_refused),
      static_cast<long long>(p.abuser_other));
  std::fflush(stdout);
}

int Main() {
  const std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/overload_bench_", getpid());
  std::filesystem::create_directories(dir);
  const std::string auth = dir + "/auth.conf";
  const int rate = absl::GetFlag(FLAGS_abuser_rate);
  WriteAuth(auth, absl::StrCat("rate=", rate, "/s burst=", rate));

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = dir + "/retail.db";
  options.auth_config = auth;
  options.maintenance_interval = absl::ZeroDuration();
  auto server = BuildServer(options);
  if (!server.ok()) {
    std::cerr << "server: " << server.status() << "\n";
    return 1;
  }
  const int port = (*server)->port();

  auto admin = cv1::CustomerService::NewStub(NewChannel(port, 0));
  cv1::CreateCustomerRequest create;
  create.set_request_id("bench-overload-customer");
  create.mutable_customer()->set_display_name("Bench");
  create.mutable_customer()->set_phone("13900009999");
  create.mutable_customer()->set_branch_id("B001");
  cv1::CreateCustomerResponse created;
  auto ctx = Context(kAdminToken);
  grpc::Status s = admin->CreateCustomer(ctx.get(), create, &created);
  if (!s.ok()) {
    std::cerr << "create: " << s.error_message() << "\n";
    return 1;
  }
  const std::string id = created.customer().customer_id();
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int abusers = absl::GetFlag(FLAGS_abuser_threads);
  std::printf(
      "overload_bench: %d s per phase, %d abuser threads (%s), abuser limit "
      "%d/s burst %d, %u cores\n",
      absl::GetFlag(FLAGS_seconds), abusers,
      absl::GetFlag(FLAGS_abuser_writes) ? "CreateCustomer" : "GetCustomer",
      rate, rate, std::thread::hardware_concurrency());

  Phase alone = Run("alone", port, id, 0);
  Print(alone, seconds);
  Phase limited = Run("limited abuser", port, id, abusers);
  Print(limited, seconds);
  // Lift the abuser's limit: the server re-reads auth.conf within a second.
  WriteAuth(auth, "rate=none");
  std::filesystem::last_write_time(
      auth, std::filesystem::last_write_time(auth) + std::chrono::seconds(5));
  absl::SleepFor(absl::Milliseconds(1500));
  Phase unlimited = Run("unlimited abuser", port, id, abusers);
  Print(unlimited, seconds);

  const absl::Status closed = (*server)->Shutdown(absl::Seconds(5));
  server->reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  const bool good_ok = alone.good_errors == 0 && limited.good_errors == 0 &&
                       unlimited.good_errors == 0;
  return closed.ok() && good_ok ? 0 : 1;
}

}  // namespace
}  // namespace retail

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return retail::Main();
}
