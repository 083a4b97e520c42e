// Scale-out on one machine (issue 16): scripts/cluster starts PostgreSQL,
// three retail_server replicas on it and nginx in front of them (mTLS to the
// replicas, the bearer token as identity). Writes go through nginx from a
// crash-test ledger (tests/crash/ledger.h: creates, points, orders,
// payments, returns, complaints, feedback), each with a request_id, and
// three WatchEvents streams follow the change feed through nginx. One
// replica is killed with SIGKILL mid-load and writing goes on. Then:
//   - every write was acknowledged, every retry (same request_id, same
//     payload, after UNAVAILABLE) and every deliberate replay got the first
//     answer byte for byte;
//   - every acknowledged customer exists once, with the points its
//     acknowledged writes add up to; every acknowledged order exists once;
//   - each watcher, resuming through nginx after its last sequence when its
//     stream broke (at least one stream was on the killed replica), got
//     every event exactly once, in order, with no gap, up to the final head.
// Skips only when nginx or the PostgreSQL server binaries are not installed
// (scripts/setup installs both).
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/crash/ledger.h"
#include "tests/crash/load_client.h"

namespace retail::cluster {
namespace {

using ::retail::crash::Entry;
using ::retail::crash::Kind;
using ::retail::crash::Ledger;
using ::retail::crash::LoadClient;
using ::retail::crash::NewChannel;
using ::retail::events::v1::Event;
using ::retail::events::v1::EventService;

constexpr uint64_t kSeed = 16016;
// Writes in flight at once, over one connection to nginx (which spreads
// the calls over the replicas).
constexpr int kInFlight = 16;
constexpr int kReplicas = 3;
constexpr int kKilledReplica = 2;
constexpr absl::Duration kLoadBeforeKill = absl::Seconds(5);
constexpr absl::Duration kLoadAfterKill = absl::Seconds(8);
// Time the retries of the unacknowledged and the final replay get.
constexpr absl::Duration kDrainBudget = absl::Seconds(60);
// One watcher per replica: nginx hands consecutive calls to the replicas
// in turn, so one stream is on the replica that is killed.
constexpr int kWatchers = kReplicas;
constexpr int kMaxWatchReconnects = 50;
constexpr absl::Duration kWatchRetryDelay = absl::Milliseconds(200);
constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` through the shell; its output goes to the test's.
int Shell(const std::string& command) {
  std::cout << "[cluster] $ " << command << std::endl;
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Quiet(const std::string& command) {
  return std::system(("{ " + command + "; } >/dev/null 2>&1").c_str()) == 0;
}

// As scripts/pg and scripts/cluster look for them.
bool HavePostgres() {
  return Quiet(
      "{ d=\"$(pg_config --bindir 2>/dev/null)\"; test -x \"$d/initdb\"; } "
      "|| test -x /usr/lib/postgresql/15/bin/initdb");
}
bool HaveNginx() {
  return Quiet("command -v nginx || test -x /usr/sbin/nginx");
}

// A replica killed after nginx passed on its answer's headers but before
// its trailers reaches the client as nginx's RST_STREAM (INTERNAL, "Received
// RST_STREAM with error code 2"), not UNAVAILABLE: a transport failure all
// the same, after which nobody knows whether the write committed. The
// crash ledger retries only UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED,
// so this says UNAVAILABLE for the transport's own failures. A server's
// INTERNAL answer has a status of its own and is left alone.
class TransportErrorsAreUnavailable : public grpc::experimental::Interceptor {
 public:
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_STATUS)) {
      grpc::Status* status = methods->GetRecvStatus();
      if (status != nullptr && IsTransportFailure(*status)) {
        *status = grpc::Status(
            grpc::StatusCode::UNAVAILABLE,
            absl::StrCat("transport failure: ", status->error_message()));
      }
    }
    methods->Proceed();
  }

  static bool IsTransportFailure(const grpc::Status& status) {
    if (status.error_code() != grpc::StatusCode::INTERNAL &&
        status.error_code() != grpc::StatusCode::UNKNOWN) {
      return false;
    }
    const std::string& m = status.error_message();
    return absl::StartsWith(m, "Received RST_STREAM") ||
           absl::StartsWith(m, "Stream removed") ||
           absl::StartsWith(m, "Received http2 header with status");
  }
};

class TransportErrorsAreUnavailableFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TransportErrorsAreUnavailable;
  }
};

// crash::NewChannel's settings (a connection of its own, short reconnect
// backoff), with transport failures mapped as above.
std::shared_ptr<grpc::Channel> NewRetryingChannel(const std::string& address) {
  static std::atomic<int> counter{0};
  grpc::ChannelArguments args;
  args.SetInt("retail.cluster.channel", counter++);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<TransportErrorsAreUnavailableFactory>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, grpc::InsecureChannelCredentials(), args,
      std::move(interceptors));
}

void AddToken(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
}

// Follows WatchEvents through nginx on a thread of its own. When a stream
// ends (its replica died, nginx cut it), it opens another after the last
// sequence it received, as README's consumers do, bounded in attempts.
class Watcher {
 public:
  Watcher(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(EventService::NewStub(std::move(channel))),
        token_(std::move(token)) {}
  ~Watcher() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Until the first message of a stream arrived (it comes at once).
  bool WaitLive(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] {
      return live_ || done_;
    }) && live_;
  }

  // Until the last event received is `head` or later.
  bool WaitFor(int64_t head, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      return last_ >= head || done_;
    }) && last_ >= head;
  }

  std::vector<int64_t> Sequences() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sequences_;
  }
  // Events received again after a resume (must be none).
  std::vector<int64_t> Repeated() const {
    std::lock_guard<std::mutex> lock(mu_);
    return repeated_;
  }
  int Reconnects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reconnects_;
  }
  std::vector<std::string> Errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  bool GaveUp() const {
    std::lock_guard<std::mutex> lock(mu_);
    return gave_up_;
  }

 private:
  void Run() {
    while (true) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
      events::v1::WatchEventsRequest request;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
        context_ = &context;
        request.set_after_sequence(last_);
      }
      std::unique_ptr<grpc::ClientReader<events::v1::WatchEventsResponse>>
          reader = stub_->WatchEvents(&context, request);
      events::v1::WatchEventsResponse response;
      while (reader->Read(&response)) {
        std::lock_guard<std::mutex> lock(mu_);
        live_ = true;
        for (const Event& e : response.events()) {
          if (e.sequence() <= last_) {
            repeated_.push_back(e.sequence());
            continue;
          }
          last_ = e.sequence();
          sequences_.push_back(e.sequence());
        }
        cv_.notify_all();
      }
      const grpc::Status status = reader->Finish();
      std::unique_lock<std::mutex> lock(mu_);
      context_ = nullptr;
      if (stop_) break;
      errors_.push_back(absl::StrCat("after ", last_, ": code ",
                                     status.error_code(), " ",
                                     status.error_message()));
      if (++reconnects_ > kMaxWatchReconnects) {
        gave_up_ = true;
        break;
      }
      // A pause (cut short by Stop), so a replica that refuses at once is
      // not asked in a tight loop.
      cv_.wait_for(lock, absl::ToChronoNanoseconds(kWatchRetryDelay),
                   [this] { return stop_; });
    }
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  std::unique_ptr<EventService::Stub> stub_;
  const std::string token_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  grpc::ClientContext* context_ = nullptr;
  bool stop_ = false;
  bool live_ = false;
  bool done_ = false;
  bool gave_up_ = false;
  int64_t last_ = 0;
  int reconnects_ = 0;
  std::vector<int64_t> sequences_;
  std::vector<int64_t> repeated_;
  std::vector<std::string> errors_;
};

// Every page of a List RPC from the start, 1000 rows a page: `call` sends
// one request (a stub method), `on_page` sees each answer. Page tokens are
// signed with the database's secret, so nginx may send each page to
// another replica. Bounded, so a listing that never ends fails.
template <typename Request, typename Response, typename Call, typename OnPage>
absl::Status ListEveryPage(const std::string& token, absl::string_view what,
                           Call call, OnPage on_page) {
  std::string page_token;
  for (int page = 0; page < 100000; ++page) {
    grpc::ClientContext context;
    AddToken(context, token);
    Request request;
    request.set_page_size(1000);
    request.set_page_token(page_token);
    Response response;
    const grpc::Status status = call(&context, request, &response);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat(
          what, ": code ", status.error_code(), " ", status.error_message()));
    }
    on_page(response);
    page_token = response.next_page_token();
    if (page_token.empty()) return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat(what, ": too many pages"));
}

// Every event from the oldest.
absl::StatusOr<std::vector<Event>> ListAllEvents(EventService::Stub& stub,
                                                 const std::string& token) {
  std::vector<Event> all;
  const absl::Status listed = ListEveryPage<events::v1::ListEventsRequest,
                                            events::v1::ListEventsResponse>(
      token, "ListEvents",
      [&](auto* context, const auto& request, auto* response) {
        return stub.ListEvents(context, request, response);
      },
      [&](const events::v1::ListEventsResponse& response) {
        all.insert(all.end(), response.events().begin(),
                   response.events().end());
      });
  if (!listed.ok()) return listed;
  return all;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HavePostgres()) {
      GTEST_SKIP() << "PostgreSQL's server binaries (initdb) are not "
                      "installed: apt-get install postgresql (scripts/setup "
                      "does)";
    }
    if (!HaveNginx()) {
      GTEST_SKIP() << "nginx is not installed: apt-get install nginx "
                      "(scripts/setup does)";
    }
    script_ = Env("RETAIL_CLUSTER_SCRIPT");
    const std::string server = Env("RETAIL_SERVER_BINARY");
    ASSERT_FALSE(script_.empty() || server.empty())
        << "run through ctest: RETAIL_CLUSTER_SCRIPT and RETAIL_SERVER_BINARY "
           "are set there";
    bin_dir_ = std::filesystem::path(server).parent_path().string();
    // Under /tmp: PostgreSQL and nginx run as their own users under root,
    // and must reach the directory.
    char tmpl[] = "/tmp/retail-cluster-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    start_ = absl::Now();
    // Before the start: a start that fails half-way leaves parts running,
    // and TearDown's stop takes down whatever runs.
    started_ = true;
    ASSERT_EQ(Shell(absl::StrCat(Quote(script_), " start ", Quote(dir_),
                                 " --bin-dir ", Quote(bin_dir_))),
              0)
        << "scripts/cluster start failed";
    std::cout << "[cluster] started in "
              << absl::FormatDuration(
                     absl::Trunc(absl::Now() - start_, absl::Milliseconds(1)))
              << std::endl;
    address_ =
        std::string(absl::StripAsciiWhitespace(ReadFile(dir_ + "/addr")));
    token_ = std::string(
        absl::StripAsciiWhitespace(ReadFile(dir_ + "/admin.token")));
    ASSERT_FALSE(address_.empty());
    ASSERT_FALSE(token_.empty());
  }

  void TearDown() override {
    if (!started_) return;
    const bool failed = HasFailure();
    if (failed) {
      // What the parts said, for the failure report.
      for (int n = 1; n <= kReplicas; ++n) {
        Shell(absl::StrCat("tail -n 15 ", Quote(ReplicaDir(n) + "/log")));
      }
      Shell(absl::StrCat("tail -n 30 ", Quote(dir_ + "/nginx/error.log")));
    }
    EXPECT_EQ(Shell(absl::StrCat(Quote(script_), " stop ", Quote(dir_))), 0);
    if (failed) {
      std::cout << "[cluster] kept " << dir_ << " (logs, database)"
                << std::endl;
    } else {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  std::string ReplicaDir(int n) const {
    return absl::StrCat(dir_, "/replica-", n);
  }

  // SIGKILLs replica `n`, after checking that the pid in its pid file is
  // that replica (a retail_server with its --port_file).
  void KillReplica(int n) {
    const std::string pid_text(
        absl::StripAsciiWhitespace(ReadFile(ReplicaDir(n) + "/pid")));
    const pid_t pid = static_cast<pid_t>(std::atoll(pid_text.c_str()));
    ASSERT_GT(pid, 0) << "no pid in " << ReplicaDir(n) << "/pid";
    std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    ASSERT_TRUE(absl::StrContains(cmdline, "retail_server") &&
                absl::StrContains(cmdline, ReplicaDir(n) + "/port"))
        << "pid " << pid << " is not replica-" << n << ": " << cmdline;
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    // Not our child (scripts/cluster started it): wait until it is gone,
    // or a zombie (empty cmdline) where nobody reaps it promptly.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (kill(pid, 0) == 0 &&
           !ReadFile(absl::StrCat("/proc/", pid, "/cmdline")).empty() &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    std::cout << "[cluster] SIGKILL replica-" << n << " (pid " << pid << ")"
              << std::endl;
  }

  std::string script_, bin_dir_, dir_, address_, token_;
  absl::Time start_;
  bool started_ = false;
};

TEST_F(ClusterTest, KillOneReplicaUnderLoadLosesNothing) {
  auto ledger = std::make_shared<Ledger>(kSeed);

  // The watchers first, on one connection, one after another: nginx gives
  // each to the next replica.
  auto watch_channel = NewChannel(address_);
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(watch_channel, token_));
    watchers.back()->Start();
    ASSERT_TRUE(watchers.back()->WaitLive(kRpcTimeout))
        << "watcher " << i << " got no first message: "
        << absl::StrJoin(watchers.back()->Errors(), "; ");
  }

  // The load, on a thread, while this one kills a replica.
  auto client = std::make_unique<LoadClient>(
      ledger, NewRetryingChannel(address_), token_, kInFlight);
  const absl::Time load_end = absl::Now() + kLoadBeforeKill + kLoadAfterKill;
  std::thread load(
      [&] { client->Drive(load_end, /*allow_new=*/true, /*round=*/1); });
  absl::SleepFor(kLoadBeforeKill);
  const crash::LedgerStats before_kill = ledger->Stats();
  KillReplica(kKilledReplica);
  load.join();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
  const crash::LedgerStats after_load = ledger->Stats();

  // Every write not yet acknowledged is sent again (same request_id, same
  // payload) until it is; then every one once more, to compare the replayed
  // answer with the first.
  client->Drive(absl::Now() + kDrainBudget, /*allow_new=*/false, 2);
  ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
  EXPECT_EQ(ledger->Unacknowledged(), 0u)
      << "writes still unacknowledged after the retries";
  ledger->QueueAllForReplay();
  client->Drive(absl::Now() + kDrainBudget, /*allow_new=*/false, 3);
  ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
  ASSERT_TRUE(ledger->Settled());
  const std::vector<std::string> problems = ledger->Problems();
  for (size_t i = 0; i < problems.size() && i < 20; ++i) {
    ADD_FAILURE() << problems[i];
  }
  EXPECT_EQ(problems.size(), 0u) << "unexpected answers (first 20 above)";

  // --- every acknowledged write, once ---------------------------------------
  const std::vector<Entry> entries = ledger->Entries();
  std::map<std::string, int64_t> balances;  // customer -> points
  // Acknowledged ids: customers; orders created, and made by exchanges.
  std::set<std::string> customers, orders;
  for (const Entry& e : entries) {
    if (e.acks == 0) continue;
    switch (e.kind) {
      case Kind::kCreate:
        EXPECT_TRUE(customers.insert(e.customer_id).second)
            << "two creates acknowledged with customer " << e.customer_id;
        break;
      case Kind::kCreateOrder:
        EXPECT_TRUE(orders.insert(e.customer_id).second)
            << "two orders acknowledged as " << e.customer_id;
        break;
      case Kind::kAdjust:
        balances[e.adjust.customer_id()] += e.adjust.delta();
        break;
      case Kind::kPay: {
        // The tender that made an order paid carries the points it earned.
        orders::v1::PayOrderResponse ack;
        ASSERT_TRUE(ack.ParseFromString(e.first_ack));
        if (ack.has_settlement() && !ack.order().customer_id().empty()) {
          balances[ack.order().customer_id()] += ack.order().points_earned();
        }
        break;
      }
      case Kind::kCompleteReturn: {
        // A completed return took back the points it reports; an exchange
        // made the order that sends out the replacements.
        orders::v1::CompleteReturnResponse ack;
        ASSERT_TRUE(ack.ParseFromString(e.first_ack));
        if (!ack.order_return().exchange_order_id().empty()) {
          EXPECT_TRUE(
              orders.insert(ack.order_return().exchange_order_id()).second)
              << "exchange order " << ack.order_return().exchange_order_id()
              << " acknowledged twice";
        }
        if (!ack.order().customer_id().empty()) {
          balances[ack.order().customer_id()] -=
              ack.order_return().points_reversed();
        }
        break;
      }
      default:
        break;
    }
  }

  auto customers_stub =
      customers::v1::CustomerService::NewStub(NewChannel(address_));
  auto orders_stub = orders::v1::OrderService::NewStub(NewChannel(address_));
  auto events_stub = EventService::NewStub(watch_channel);

  // Listed: each acknowledged customer once, and no other.
  std::map<std::string, customers::v1::Customer> listed;
  {
    const absl::Status status =
        ListEveryPage<customers::v1::ListCustomersRequest,
                      customers::v1::ListCustomersResponse>(
            token_, "ListCustomers",
            [&](auto* context, const auto& request, auto* response) {
              return customers_stub->ListCustomers(context, request, response);
            },
            [&](const customers::v1::ListCustomersResponse& response) {
              for (const customers::v1::Customer& c : response.customers()) {
                EXPECT_TRUE(listed.emplace(c.customer_id(), c).second)
                    << "customer " << c.customer_id() << " listed twice";
              }
            });
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(listed.size(), customers.size());
  std::set<std::string> phones;
  int mismatches = 0;
  for (const Entry& e : entries) {
    if (e.kind != Kind::kCreate || e.acks == 0) continue;
    customers::v1::CreateCustomerResponse ack;
    ASSERT_TRUE(ack.ParseFromString(e.first_ack));
    const auto it = listed.find(e.customer_id);
    const auto balance = balances.find(e.customer_id);
    const int64_t want = balance == balances.end() ? 0 : balance->second;
    const bool ok =
        it != listed.end() && it->second.phone() == ack.customer().phone() &&
        it->second.display_name() == ack.customer().display_name() &&
        it->second.points_balance() == want;
    if (!ok && ++mismatches <= 10) {
      ADD_FAILURE() << e.request_id << ": customer " << e.customer_id
                    << (it == listed.end()
                            ? std::string(" not listed")
                            : absl::StrCat(" listed {",
                                           it->second.ShortDebugString(), "}"))
                    << "; acknowledged {" << ack.customer().ShortDebugString()
                    << "} with points " << want;
    }
    EXPECT_TRUE(phones.insert(ack.customer().phone()).second);
  }
  EXPECT_EQ(mismatches, 0);
  for (const auto& [id, c] : listed) {
    EXPECT_TRUE(customers.count(id))
        << "customer " << id << " was never acknowledged";
  }

  // Orders likewise.
  std::set<std::string> listed_orders;
  {
    const absl::Status status = ListEveryPage<orders::v1::ListOrdersRequest,
                                              orders::v1::ListOrdersResponse>(
        token_, "ListOrders",
        [&](auto* context, const auto& request, auto* response) {
          return orders_stub->ListOrders(context, request, response);
        },
        [&](const orders::v1::ListOrdersResponse& response) {
          for (const orders::v1::Order& o : response.orders()) {
            EXPECT_TRUE(listed_orders.insert(o.order_id()).second)
                << "order " << o.order_id() << " listed twice";
          }
        });
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(listed_orders, orders);

  // --- the change feed
  // -------------------------------------------------------- The head once
  // every watcher has caught up with a listing that did not grow meanwhile (the
  // last commits' events are numbered just after them).
  std::vector<Event> all;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::vector<Event>> listed_events =
        ListAllEvents(*events_stub, token_);
    ASSERT_TRUE(listed_events.ok()) << listed_events.status();
    const bool same = listed_events->size() == all.size();
    all = std::move(*listed_events);
    ASSERT_FALSE(all.empty());
    for (auto& w : watchers) {
      ASSERT_TRUE(w->WaitFor(all.back().sequence(), absl::Seconds(30)))
          << "a watcher did not reach sequence " << all.back().sequence()
          << "; its errors: " << absl::StrJoin(w->Errors(), "; ");
    }
    if (same) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::vector<int64_t> want_sequences;
  for (const Event& e : all) want_sequences.push_back(e.sequence());
  // On PostgreSQL the sequencer numbers committed events densely from 1:
  // a gap would be an event numbered and then lost.
  for (size_t i = 0; i < want_sequences.size(); ++i) {
    ASSERT_EQ(want_sequences[i], static_cast<int64_t>(i + 1))
        << "the listed events are not 1.." << want_sequences.size();
  }
  // One event per acknowledged creation of a customer (revision 1), and
  // per resource the revisions only grow.
  std::map<std::string, int> created;
  std::map<std::string, int64_t> revision;
  for (const Event& e : all) {
    if (e.revision() == 1) ++created[e.resource()];
    auto [it, fresh] = revision.emplace(e.resource(), e.revision());
    if (!fresh) {
      EXPECT_GT(e.revision(), it->second)
          << e.resource() << " at sequence " << e.sequence();
      it->second = e.revision();
    }
  }
  for (const std::string& id : customers) {
    EXPECT_EQ(created[absl::StrCat("customers/", id)], 1)
        << "creation events of customer " << id;
  }

  int resumed = 0;
  for (size_t i = 0; i < watchers.size(); ++i) {
    Watcher& w = *watchers[i];
    w.Stop();
    EXPECT_FALSE(w.GaveUp())
        << "watcher " << i << " gave up: " << absl::StrJoin(w.Errors(), "; ");
    EXPECT_TRUE(w.Repeated().empty())
        << "watcher " << i << " got " << w.Repeated().size()
        << " events twice, the first " << w.Repeated().front();
    EXPECT_EQ(w.Sequences(), want_sequences)
        << "watcher " << i << " (" << w.Sequences().size()
        << " events) differs from the listing (" << want_sequences.size()
        << ")";
    if (w.Reconnects() > 0) ++resumed;
    std::cout << "[cluster] watcher " << i << ": " << w.Sequences().size()
              << " events, " << w.Reconnects() << " reconnects"
              << (w.Errors().empty()
                      ? ""
                      : absl::StrCat(" (", w.Errors().front(), ")"))
              << std::endl;
  }
  EXPECT_GE(resumed, 1) << "no watcher's stream was on the killed replica";

  const crash::LedgerStats stats = ledger->Stats();
  std::cout << "[cluster] summary: seed " << kSeed << "; " << entries.size()
            << " writes (" << stats.creates << " creates, " << stats.adjusts
            << " adjusts, " << stats.orders << " orders, " << stats.payments
            << " payments, " << stats.return_steps << " return steps, "
            << stats.complaint_steps << " complaint steps, "
            << stats.feedback_items + stats.feedback_steps
            << " feedback writes), " << stats.sends << " sends; "
            << before_kill.acked << " acknowledged before the kill, "
            << after_load.acked << " by the end of the load; " << stats.retried
            << " needed a retry; " << stats.acked_twice
            << " answered twice or more, byte for byte; " << listed.size()
            << " customers, " << listed_orders.size() << " orders, "
            << all.size() << " events; " << resumed
            << " watchers resumed on another replica; "
            << absl::FormatDuration(
                   absl::Trunc(absl::Now() - start_, absl::Milliseconds(1)))
            << std::endl;
  client.reset();
}

}  // namespace
}  // namespace retail::cluster
