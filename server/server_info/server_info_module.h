// retail.server.v1.ServerInfoService: the server's version, currency, time
// zone and loaded modules, for clients that format data as the server does.
#ifndef RETAIL_SERVER_SERVER_INFO_SERVER_INFO_MODULE_H_
#define RETAIL_SERVER_SERVER_INFO_SERVER_INFO_MODULE_H_

#include <string>
#include <vector>

#include "server/module.h"

namespace retail {

// What BuildServer learns while it loads modules; GetServerInfo reports it.
struct ServerDescription {
  std::string version;
  std::vector<std::string> modules;
  std::vector<std::string> services;
};

ModuleSpec ServerInfoModuleSpec();

}  // namespace retail

#endif  // RETAIL_SERVER_SERVER_INFO_SERVER_INFO_MODULE_H_
