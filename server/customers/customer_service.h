// gRPC adapter for retail.customers.v1.CustomerService: each RPC is handed
// to CustomerManager through ServeUnary. No rules live here.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_SERVICE_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_SERVICE_H_

#include "common/auth.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/arena_allocator.h"
#include "server/customers/customer_manager.h"
#include "server/unary_call.h"

namespace retail::customers {

class CustomerService final : public v1::CustomerService::CallbackService {
 public:
  CustomerService(CustomerManager& manager, Authenticator& auth)
      : manager_(manager), auth_(auth) {
    SetMessageAllocatorFor_CreateCustomer(
        ArenaAllocatorFor<v1::CreateCustomerRequest,
                          v1::CreateCustomerResponse>());
    SetMessageAllocatorFor_GetCustomer(
        ArenaAllocatorFor<v1::GetCustomerRequest, v1::GetCustomerResponse>());
    SetMessageAllocatorFor_UpdateCustomer(
        ArenaAllocatorFor<v1::UpdateCustomerRequest,
                          v1::UpdateCustomerResponse>());
    SetMessageAllocatorFor_ListCustomers(
        ArenaAllocatorFor<v1::ListCustomersRequest,
                          v1::ListCustomersResponse>());
    SetMessageAllocatorFor_SearchCustomers(
        ArenaAllocatorFor<v1::SearchCustomersRequest,
                          v1::SearchCustomersResponse>());
    SetMessageAllocatorFor_AdjustPoints(
        ArenaAllocatorFor<v1::AdjustPointsRequest, v1::AdjustPointsResponse>());
    SetMessageAllocatorFor_ListPointsTransactions(
        ArenaAllocatorFor<v1::ListPointsTransactionsRequest,
                          v1::ListPointsTransactionsResponse>());
    SetMessageAllocatorFor_ExportCustomerData(
        ArenaAllocatorFor<v1::ExportCustomerDataRequest,
                          v1::ExportCustomerDataResponse>());
    SetMessageAllocatorFor_EraseCustomer(
        ArenaAllocatorFor<v1::EraseCustomerRequest,
                          v1::EraseCustomerResponse>());
  }

  grpc::ServerUnaryReactor* CreateCustomer(
      grpc::CallbackServerContext* ctx, const v1::CreateCustomerRequest* req,
      v1::CreateCustomerResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::CreateCustomer);
  }
  grpc::ServerUnaryReactor* GetCustomer(
      grpc::CallbackServerContext* ctx, const v1::GetCustomerRequest* req,
      v1::GetCustomerResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::GetCustomer);
  }
  grpc::ServerUnaryReactor* UpdateCustomer(
      grpc::CallbackServerContext* ctx, const v1::UpdateCustomerRequest* req,
      v1::UpdateCustomerResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::UpdateCustomer);
  }
  grpc::ServerUnaryReactor* ListCustomers(
      grpc::CallbackServerContext* ctx, const v1::ListCustomersRequest* req,
      v1::ListCustomersResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::ListCustomers);
  }
  grpc::ServerUnaryReactor* SearchCustomers(
      grpc::CallbackServerContext* ctx, const v1::SearchCustomersRequest* req,
      v1::SearchCustomersResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::SearchCustomers);
  }
  grpc::ServerUnaryReactor* AdjustPoints(
      grpc::CallbackServerContext* ctx, const v1::AdjustPointsRequest* req,
      v1::AdjustPointsResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::AdjustPoints);
  }
  grpc::ServerUnaryReactor* ListPointsTransactions(
      grpc::CallbackServerContext* ctx,
      const v1::ListPointsTransactionsRequest* req,
      v1::ListPointsTransactionsResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::ListPointsTransactions);
  }
  grpc::ServerUnaryReactor* ExportCustomerData(
      grpc::CallbackServerContext* ctx,
      const v1::ExportCustomerDataRequest* req,
      v1::ExportCustomerDataResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::ExportCustomerData);
  }
  grpc::ServerUnaryReactor* EraseCustomer(
      grpc::CallbackServerContext* ctx, const v1::EraseCustomerRequest* req,
      v1::EraseCustomerResponse* resp) override {
    return Serve(ctx, req, resp, &CustomerManager::EraseCustomer);
  }

 private:
  template <typename Req, typename Resp>
  grpc::ServerUnaryReactor* Serve(
      grpc::CallbackServerContext* ctx, const Req* req, Resp* resp,
      void (CustomerManager::*method)(PrincipalPtr, const Req&, Reply<Resp>)) {
    return ServeUnary(ctx, auth_, resp,
                      [this, req, method](PrincipalPtr p, Reply<Resp> reply) {
                        (manager_.*method)(std::move(p), *req,
                                           std::move(reply));
                      });
  }

  CustomerManager& manager_;
  Authenticator& auth_;
};

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_SERVICE_H_
