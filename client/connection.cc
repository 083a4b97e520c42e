#include "client/connection.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"

namespace retail::cli {
namespace {

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The whole of `path`; on failure says which flag named it and exits with
// the usage status (the file vanished or became unreadable after parsing).
std::string ReadPemFile(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    std::cerr << "error: " << flag << " " << path
              << ": cannot read it: " << std::strerror(errno) << '\n';
    throw CLI::RuntimeError(kExitUsage);
  }
  return text.str();
}

}  // namespace

std::string TokenFilePath() {
  std::string base = GetEnv("XDG_CONFIG_HOME");
  if (base.empty()) {
    const std::string home = GetEnv("HOME");
    if (home.empty()) return "";
    base = home + "/.config";
  }
  return base + "/retailctl/token";
}

std::string ResolveToken(const GlobalOptions& options) {
  if (!options.token.empty()) return options.token;
  const std::string path = TokenFilePath();
  if (path.empty()) return "";
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) return "";
  // Editors and `echo` leave trailing newlines or CRs; they are never part of
  // a token.
  return std::string(absl::StripAsciiWhitespace(line));
}

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& options) {
  if (options.ca_file.empty() && options.cert_file.empty() &&
      options.key_file.empty()) {
    return grpc::CreateChannel(options.addr,
                               grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  // Empty roots: gRPC uses the system's CA store.
  if (!options.ca_file.empty()) {
    ssl.pem_root_certs = ReadPemFile("--ca-file", options.ca_file);
  }
  if (!options.cert_file.empty()) {
    ssl.pem_cert_chain = ReadPemFile("--cert-file", options.cert_file);
  }
  if (!options.key_file.empty()) {
    ssl.pem_private_key = ReadPemFile("--key-file", options.key_file);
  }
  return grpc::CreateChannel(options.addr, grpc::SslCredentials(ssl));
}

std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  const std::string token = ResolveToken(options);
  if (!token.empty()) {
    context->AddMetadata("authorization", "Bearer " + token);
  }
  // A store token is shared by everyone at the till; the staff id says which
  // of them is acting, for the server's checks and audit log. main() has
  // validated it, so it is safe as a metadata value.
  if (!options.staff_id.empty()) {
    context->AddMetadata("x-staff-id", options.staff_id);
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(options.timeout_seconds));
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

}  // namespace retail::cli
