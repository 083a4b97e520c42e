#include "server/server_info/server_info_module.h"

#include <memory>

#include "common/method.h"
#include "retail/server/v1/server_info.pb.h"

namespace retail {
namespace {

class ServerInfoManager {
 public:
  ServerInfoManager(const ChainSettings& chain, const ModuleRegistry& registry)
      : chain_(chain), registry_(registry) {}

  void GetServerInfo(CallMeta call, const server::v1::GetServerInfoRequest& req,
                     Reply<server::v1::GetServerInfoResponse> reply) {
    server::v1::GetServerInfoResponse* out = reply.out();
    out->set_currency_code(chain_.currency_code);
    out->set_time_zone(chain_.time_zone);
    if (const auto* d = registry_.Find<ServerDescription>()) {
      out->set_version(d->version);
      for (const std::string& m : d->modules) out->add_modules(m);
      for (const std::string& s : d->services) out->add_services(s);
    }
    reply(absl::OkStatus());
  }

 private:
  const ChainSettings& chain_;
  const ModuleRegistry& registry_;
};

class ServerInfoModule final : public Module {
 public:
  explicit ServerInfoModule(ModuleEnv& env)
      : manager_(env.chain, env.registry),
        service_(*MethodOf<server::v1::GetServerInfoRequest>().service(),
                 manager_, env.gate) {
    service_.Handle(&ServerInfoManager::GetServerInfo);
  }
  std::vector<ModuleService*> services() override { return {&service_}; }

 private:
  ServerInfoManager manager_;
  UnaryService<ServerInfoManager> service_;
};

}  // namespace

ModuleSpec ServerInfoModuleSpec() {
  return ModuleSpec{
      "server_info",
      /*schema=*/nullptr,
      [] {
        AccessTable t;
        t.AllowAnyAuthenticated<server::v1::GetServerInfoRequest>(Act::kRead);
        return t;
      },
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        return std::make_unique<ServerInfoModule>(env);
      }};
}

}  // namespace retail
