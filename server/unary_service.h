// A gRPC service whose RPCs are unary and answered by a manager (the domain
// layer, no gRPC), built from the generated descriptors instead of the
// generated CallbackService:
//
//   auto service = std::make_unique<UnaryService<CustomerManager>>(
//       *v1::CustomerService::descriptor... , manager, gate);
//   service->Handle(&CustomerManager::GetCustomer);   // one line per RPC
//
// Handle() derives everything from the manager method's request type: the
// method's full name (common/method.h), its access rule, and the arena
// allocator for its request and response. Serve() is the one call path:
// CallGate::Admit, then the manager with the call's CallMeta and a Reply
// that finishes the reactor. Complete() fails start-up if a method of the
// service has no handler, so no RPC can be left unserved or unguarded.
#ifndef RETAIL_SERVER_UNARY_SERVICE_H_
#define RETAIL_SERVER_UNARY_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>

#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/call.h"
#include "common/logging.h"
#include "common/message_parts.h"
#include "common/method.h"
#include "common/reply.h"
#include "common/stream.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.h"
#include "server/call_gate.h"
#include "server/grpc_status.h"

namespace retail {

// Request and response of every call on one protobuf arena.
//
// gRPC's default holder news the two messages and deletes them field by field
// after the call; for a ListCustomers page of 50 that free alone was ~19% of
// the server's CPU (perf, issue 3). On an arena both messages, every nested
// message and string are bump-allocated and released with the arena in one
// go. Managers build answers in place (common/reply.h) so nothing is copied
// onto the arena.
template <typename Request, typename Response>
class ArenaAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder();
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options()) {
      this->set_request(
          google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions options;
      // Most calls fit in the first block; a page of 50 customers takes a
      // few more.
      options.start_block_size = 4096;
      options.max_block_size = 64 * 1024;
      return options;
    }

    google::protobuf::Arena arena_;
  };
};

// One stateless allocator per method signature, alive for the process.
template <typename Request, typename Response>
grpc::MessageAllocator<Request, Response>* ArenaAllocatorFor() {
  static auto* const allocator = new ArenaAllocator<Request, Response>();
  return allocator;
}

// Answers one unary call: admits it, then runs `invoke(meta, reply)`, which
// must fill `reply.out()` and call `reply(status)` once (common/reply.h).
template <typename Response, typename Invoke>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx,
                                     const CallGate& gate,
                                     const AccessRule& rule, Response* response,
                                     Invoke&& invoke) {
  CallTiming timing;
  CallGate::Entry entry = gate.Enter(ctx, rule, &timing);
  grpc::ServerUnaryReactor* reactor = entry.reactor;
  absl::StatusOr<CallMeta>& meta = entry.meta;
  if (!meta.ok()) {
    gate.Report(timing, rule.method_name, meta.status(), /*stream=*/false);
    reactor->Finish(ToGrpcStatus(meta.status()));
    return reactor;
  }
  // Who to name if the call fails before (or without) the write path
  // auditing it.
  CallMeta who;
  who.principal = meta->principal;
  who.staff_id = meta->staff_id;
  if (rule.act != Act::kRead) {
    meta->failure_audit = std::make_shared<FailureAuditMark>();
    who.failure_audit = meta->failure_audit;
  }
  try {
    invoke(std::move(*meta),
           Reply<Response>(
               response, [reactor, &gate, &rule, who = std::move(who),
                          timing = std::move(timing)](absl::Status status) {
                 if (!status.ok())
                   gate.RecordFailure(&who, rule.method_name, status);
                 gate.Report(timing, rule.method_name, status,
                             /*stream=*/false);
                 reactor->Finish(ToGrpcStatus(status));
               }));
  } catch (const std::exception& e) {
    // No exception may cross into gRPC. The Reply, destroyed unanswered on
    // the way out, has already answered INTERNAL.
    RETAIL_LOG(ERROR) << "exception escaped a handler: " << e.what();
  }
  return reactor;
}

// Drives a StreamSource over one gRPC server stream: pulls a message
// whenever the previous one has been written, so at most one message per
// stream waits on a slow client, and the source's producers never block.
// One mutex per stream orders Next(), StartWrite() and Finish() between the
// gRPC threads (OnWriteDone, OnCancel) and the source's wake-ups.
template <typename Response>
class SourceReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  // Told how the stream ended, once, before its Finish.
  using OnEnd = absl::AnyInvocable<void(const absl::Status&)>;

  // `source` null: the stream ends at once with `status`.
  SourceReactor(std::unique_ptr<StreamSource<Response>> source,
                absl::Status status, OnEnd on_end = nullptr)
      : core_(std::make_shared<Core>()),
        source_(std::move(source)),
        status_(std::move(status)),
        on_end_(std::move(on_end)) {
    core_->reactor = this;
    if (source_ == nullptr) {
      finished_ = true;
      if (on_end_) on_end_(status_);
      this->Finish(ToGrpcStatus(status_));
      return;
    }
    // The source may wake us from its own threads after we are gone: the
    // wake holds the core, never the reactor.
    source_->Start([core = core_] {
      std::lock_guard<std::mutex> lock(core->mu);
      if (core->reactor != nullptr) core->reactor->PumpLocked(/*woken=*/true);
    });
    std::lock_guard<std::mutex> lock(core_->mu);
    PumpLocked(/*woken=*/false);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    writing_ = false;
    if (!ok) {
      // The client is gone; OnCancel or OnDone follows.
      EndLocked(absl::CancelledError("the client went away"));
      return;
    }
    PumpLocked(/*woken=*/false);
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(core_->mu);
    EndLocked(absl::CancelledError("cancelled by the client"));
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->reactor = nullptr;
    }
    if (source_ != nullptr && !cancelled_) source_->Cancel();
    delete this;
  }

 private:
  struct Core {
    std::mutex mu;
    SourceReactor* reactor = nullptr;  // null once done
  };

  void PumpLocked(bool woken) {
    if (finished_ || writing_) return;
    if (woken != waiting_) return;  // a stale wake, or not waiting for one
    waiting_ = false;
    message_.Clear();
    switch (source_->Next(&message_)) {
      case StreamSource<Response>::Step::kMessage:
        writing_ = true;
        this->StartWrite(&message_);
        return;
      case StreamSource<Response>::Step::kWait:
        waiting_ = true;
        return;
      case StreamSource<Response>::Step::kEnd:
        EndLocked(source_->status());
        return;
    }
  }

  void EndLocked(absl::Status status) {
    if (finished_) return;
    finished_ = true;
    if (source_ != nullptr && !cancelled_) {
      cancelled_ = true;
      source_->Cancel();
    }
    if (on_end_) on_end_(status);
    this->Finish(ToGrpcStatus(status));
  }

  std::shared_ptr<Core> core_;
  std::unique_ptr<StreamSource<Response>> source_;
  absl::Status status_;
  OnEnd on_end_;
  Response message_;
  bool writing_ = false;
  bool waiting_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
};

// The parts of one answer, sent as a stream (common/message_parts.h): the
// manager answers through a Reply as for a unary call, possibly later (after
// a reveal's audit row is durable); the parts are cut when it does.
template <typename Response>
class PartsSource final : public StreamSource<Response> {
 public:
  static constexpr size_t kMaxPartBytes = 1 << 20;

  void Deliver(absl::Status status, const Response& whole) {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status.ok()) {
        for (auto& part : SplitIntoParts(whole, kMaxPartBytes)) {
          parts_.push_back(std::unique_ptr<Response>(
              static_cast<Response*>(part.release())));
        }
      }
      status_ = std::move(status);
      ready_ = true;
      wake = wake_;
    }
    if (wake) wake();
  }

  void Start(std::function<void()> wake) override {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = std::move(wake);
  }
  typename StreamSource<Response>::Step Next(Response* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ready_) return StreamSource<Response>::Step::kWait;
    if (parts_.empty()) return StreamSource<Response>::Step::kEnd;
    out->Swap(parts_.front().get());
    parts_.pop_front();
    return StreamSource<Response>::Step::kMessage;
  }
  absl::Status status() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = nullptr;
    parts_.clear();
  }

 private:
  mutable std::mutex mu_;
  bool ready_ = false;
  absl::Status status_;
  std::deque<std::unique_ptr<Response>> parts_;
  std::function<void()> wake_;
};

// Lets the reactor own a source that the manager's Reply also holds.
template <typename Response>
class SharedSource final : public StreamSource<Response> {
 public:
  explicit SharedSource(std::shared_ptr<StreamSource<Response>> source)
      : source_(std::move(source)) {}
  void Start(std::function<void()> wake) override {
    source_->Start(std::move(wake));
  }
  typename StreamSource<Response>::Step Next(Response* out) override {
    return source_->Next(out);
  }
  absl::Status status() const override { return source_->status(); }
  void Cancel() override { source_->Cancel(); }

 private:
  std::shared_ptr<StreamSource<Response>> source_;
};

// Full names of the methods a service serves, with their allocator type
// recorded: what the tests walk to check every method of every service.
struct ServedMethod {
  const google::protobuf::MethodDescriptor* method;
  bool arena_allocated;
};

class ModuleService : public grpc::Service {
 public:
  explicit ModuleService(const google::protobuf::ServiceDescriptor& descriptor)
      : descriptor_(descriptor) {}
  const google::protobuf::ServiceDescriptor& descriptor() const {
    return descriptor_;
  }
  const std::vector<ServedMethod>& served() const { return served_; }

  // OK when every method of the descriptor has a handler.
  absl::Status Complete() const {
    absl::flat_hash_set<const google::protobuf::MethodDescriptor*> served;
    for (const ServedMethod& m : served_) served.insert(m.method);
    std::vector<std::string> missing;
    for (int i = 0; i < descriptor_.method_count(); ++i) {
      if (!served.contains(descriptor_.method(i)))
        missing.push_back(descriptor_.method(i)->name());
    }
    if (missing.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(descriptor_.full_name(), " has no handler for ",
                     absl::StrJoin(missing, ", ")));
  }

 protected:
  // Registers a callback handler for `method`, with its arena allocator.
  template <typename Req, typename Resp, typename Fn>
  void AddUnary(const google::protobuf::MethodDescriptor& method, Fn fn) {
    if (method.service() != &descriptor_) std::abort();  // wrong service
    auto* handler =
        new grpc::internal::CallbackUnaryHandler<Req, Resp>(std::move(fn));
    handler->SetMessageAllocator(ArenaAllocatorFor<Req, Resp>());
    // grpc keeps the name's pointer: the deque never moves its strings.
    route_names_.push_back(absl::StrCat("/", FullMethodName(method)));
    AddMethod(new grpc::internal::RpcServiceMethod(
        route_names_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        nullptr));
    MarkMethodCallback(static_cast<int>(served_.size()), handler);
    served_.push_back({&method, /*arena_allocated=*/true});
  }

  // Registers a callback handler for server-streaming `method`. Stream
  // messages are long-lived and written one at a time: no arena.
  template <typename Req, typename Resp, typename Fn>
  void AddServerStream(const google::protobuf::MethodDescriptor& method,
                       Fn fn) {
    if (method.service() != &descriptor_) std::abort();  // wrong service
    if (!method.server_streaming() || method.client_streaming()) std::abort();
    auto* handler =
        new grpc::internal::CallbackServerStreamingHandler<Req, Resp>(
            std::move(fn));
    route_names_.push_back(absl::StrCat("/", FullMethodName(method)));
    AddMethod(new grpc::internal::RpcServiceMethod(
        route_names_.back().c_str(),
        grpc::internal::RpcMethod::SERVER_STREAMING, nullptr));
    MarkMethodCallback(static_cast<int>(served_.size()), handler);
    served_.push_back({&method, /*arena_allocated=*/false});
  }

 private:
  const google::protobuf::ServiceDescriptor& descriptor_;
  std::deque<std::string> route_names_;
  std::vector<ServedMethod> served_;
};

template <typename Manager>
class UnaryService final : public ModuleService {
 public:
  UnaryService(const google::protobuf::ServiceDescriptor& descriptor,
               Manager& manager, const CallGate& gate)
      : ModuleService(descriptor), manager_(manager), gate_(gate) {}

  // Serves the RPC whose request is Req with `fn`. The method must have a
  // rule in the gate's access table (a missing one aborts at start-up).
  template <typename Req, typename Resp>
  UnaryService& Handle(void (Manager::*fn)(CallMeta, const Req&, Reply<Resp>)) {
    const google::protobuf::MethodDescriptor& method = MethodOf<Req>();
    const AccessRule* found = gate_.access().Find(FullMethodName(method));
    if (found == nullptr) std::abort();  // BuildServer checks coverage first
    // A copy: the table may grow (and move its rules) as modules register.
    AddUnary<Req, Resp>(
        method, [this, fn, rule = *found](grpc::CallbackServerContext* ctx,
                                          const Req* req, Resp* resp) {
          return ServeUnary(ctx, gate_, rule, resp,
                            [this, fn, req](CallMeta meta, Reply<Resp> reply) {
                              (manager_.*fn)(std::move(meta), *req,
                                             std::move(reply));
                            });
        });
    return *this;
  }

  // Serves the server-streaming RPC whose request is Req with a manager
  // method of the unary shape: its one answer is streamed in parts of at
  // most 1 MiB (PartsSource), so no message nears a client's 4 MiB limit.
  template <typename Req, typename Resp>
  UnaryService& HandleParts(void (Manager::*fn)(CallMeta, const Req&,
                                                Reply<Resp>)) {
    const google::protobuf::MethodDescriptor& method = MethodOf<Req>();
    const AccessRule* found = gate_.access().Find(FullMethodName(method));
    if (found == nullptr) std::abort();  // BuildServer checks coverage first
    AddServerStream<Req, Resp>(
        method,
        [this, fn, rule = *found](
            grpc::CallbackServerContext* ctx,
            const Req* req) -> grpc::ServerWriteReactor<Resp>* {
          auto timing = std::make_shared<CallTiming>();
          absl::StatusOr<CallMeta> meta = gate_.Admit(ctx, rule, timing.get());
          if (!meta.ok()) {
            return new SourceReactor<Resp>(nullptr, meta.status(),
                                           ReportEnd(timing, rule, false));
          }
          gate_.ReportStreamOpened(rule.method_name);
          CallMeta who;
          who.principal = meta->principal;
          who.staff_id = meta->staff_id;
          if (rule.act != Act::kRead) {
            meta->failure_audit = std::make_shared<FailureAuditMark>();
            who.failure_audit = meta->failure_audit;
          }
          auto parts = std::make_shared<PartsSource<Resp>>();
          auto whole = std::make_shared<Resp>();
          Resp* out = whole.get();
          try {
            (manager_.*fn)(
                std::move(*meta), *req,
                Reply<Resp>(out, [this, parts, whole, rule,
                                  who = std::move(who)](absl::Status status) {
                  if (!status.ok()) {
                    gate_.RecordFailure(&who, rule.method_name, status);
                  }
                  parts->Deliver(std::move(status), *whole);
                }));
          } catch (const std::exception& e) {
            // The Reply, destroyed unanswered, has already answered INTERNAL.
            RETAIL_LOG(ERROR) << "exception escaped a handler: " << e.what();
          }
          return new SourceReactor<Resp>(
              std::make_unique<SharedSource<Resp>>(parts), absl::OkStatus(),
              ReportEnd(timing, rule, true));
        });
    return *this;
  }

  // Serves the server-streaming RPC whose request is Req: the manager
  // validates and answers with a StreamSource (or the status to end with at
  // once). Admission is the unary path's (CallGate::Admit); the bound on
  // calls in flight does not apply to streams, which the manager bounds.
  template <typename Req, typename Resp>
  UnaryService& HandleStream(
      absl::StatusOr<std::unique_ptr<StreamSource<Resp>>> (Manager::*fn)(
          CallMeta, const Req&)) {
    const google::protobuf::MethodDescriptor& method = MethodOf<Req>();
    const AccessRule* found = gate_.access().Find(FullMethodName(method));
    if (found == nullptr) std::abort();  // BuildServer checks coverage first
    AddServerStream<Req, Resp>(
        method,
        [this, fn, rule = *found](
            grpc::CallbackServerContext* ctx,
            const Req* req) -> grpc::ServerWriteReactor<Resp>* {
          auto timing = std::make_shared<CallTiming>();
          absl::StatusOr<CallMeta> meta = gate_.Admit(ctx, rule, timing.get());
          if (meta.ok()) gate_.ReportStreamOpened(rule.method_name);
          absl::StatusOr<std::unique_ptr<StreamSource<Resp>>> source = meta.ok()
              ? [&]() -> absl::StatusOr<std::unique_ptr<StreamSource<Resp>>> {
            try {
              return (manager_.*fn)(*meta, *req);
            } catch (const std::exception& e) {
              RETAIL_LOG(ERROR) << "exception escaped a handler: " << e.what();
              return absl::InternalError("internal error");
            }
          }()
              : meta.status();
          if (!source.ok()) {
            // Admit() audits its own refusals.
            if (meta.ok()) {
              gate_.RecordFailure(&*meta, rule.method_name, source.status());
            }
            return new SourceReactor<Resp>(nullptr, source.status(),
                                           ReportEnd(timing, rule, meta.ok()));
          }
          return new SourceReactor<Resp>(std::move(*source), absl::OkStatus(),
                                         ReportEnd(timing, rule, true));
        });
    return *this;
  }

 private:
  // Reports a stream's end to the gate's observers. `opened`: it was
  // reported opened (ReportStreamOpened), so its end closes it; a stream
  // refused at admission is reported as a plain call.
  absl::AnyInvocable<void(const absl::Status&)> ReportEnd(
      std::shared_ptr<CallTiming> timing, const AccessRule& rule, bool opened) {
    return [this, timing = std::move(timing), method = rule.method_name,
            opened](const absl::Status& status) {
      gate_.Report(*timing, method, status, /*stream=*/opened);
    };
  }

  Manager& manager_;
  const CallGate& gate_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_UNARY_SERVICE_H_
