#include "tests/bench/env.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace retail::bench {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Env::Env(EnvOptions options)
    : options_(std::move(options)),
      authorization_(absl::StrCat("Bearer ", options_.token)) {
  run_prefix_ = 10'000 + SplitMix64(options_.seed) % 90'000;
}

absl::Status Env::Connect(absl::Duration timeout) {
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (int i = 0; i < std::max(1, options_.channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("retail.bench.channel", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    auto channel = grpc::CreateCustomChannel(
        options_.addr, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", options_.addr));
    }
    customer_stubs_.push_back(customers::v1::CustomerService::NewStub(channel));
    order_stubs_.push_back(orders::v1::OrderService::NewStub(channel));
    complaint_stubs_.push_back(
        complaints::v1::ComplaintService::NewStub(channel));
    feedback_stubs_.push_back(feedback::v1::FeedbackService::NewStub(channel));
    generic_stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    channels_.push_back(std::move(channel));
  }
  if (options_.tls_addr.empty()) return absl::OkStatus();
  // The handshakes happen here, before any window: the TLS rows measure
  // calls on established connections, as a store's long-lived channel makes
  // them.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options_.tls_ca_pem;
  for (int i = 0; i < std::max(1, options_.channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("retail.bench.tls_channel", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    auto channel = grpc::CreateCustomChannel(options_.tls_addr,
                                             grpc::SslCredentials(ssl), args);
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect over TLS to ", options_.tls_addr,
                       " (wrong --tls_ca_file, or not a TLS listener?)"));
    }
    tls_customer_stubs_.push_back(
        customers::v1::CustomerService::NewStub(channel));
    tls_channels_.push_back(std::move(channel));
  }
  return absl::OkStatus();
}

void Env::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(options_.rpc_deadline));
  ctx->AddMetadata("authorization", authorization_);
}

std::string Env::NextPhone() {
  return absl::StrFormat(
      "+44%05u%08u", run_prefix_,
      static_cast<unsigned>(phone_counter_.fetch_add(1) % 100'000'000));
}

std::string Env::NextRequestId() {
  return absl::StrFormat("bench-%05u-%u", run_prefix_,
                         static_cast<uint64_t>(request_counter_.fetch_add(1)));
}

PeopleGenerator& Env::people() {
  // The n-th thread to ask gets the n-th generator of this seed.
  thread_local PeopleGenerator generator(
      SplitMix64(SplitMix64(options_.seed) + generators_.fetch_add(1)));
  return generator;
}

uint64_t Env::Pick(uint64_t seq, uint64_t salt, uint64_t n) {
  return n == 0 ? 0 : SplitMix64(seq * 0x100000001b3ULL ^ salt) % n;
}

}  // namespace retail::bench
