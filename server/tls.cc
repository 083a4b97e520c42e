#include "server/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail {
namespace {

constexpr char kFlagCert[] = "--tls_cert_file";
constexpr char kFlagKey[] = "--tls_key_file";
constexpr char kFlagClientCa[] = "--tls_client_ca_file";

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using UniqueX509 = std::unique_ptr<X509, X509Deleter>;

// The host part of a listen address; false when it cannot be told apart
// from the port (an unbracketed IPv6 address).
bool ListenHost(absl::string_view listen, std::string* host) {
  if (absl::ConsumePrefix(&listen, "[")) {
    const size_t close = listen.find(']');
    if (close == absl::string_view::npos) return false;
    *host = std::string(listen.substr(0, close));
    return true;
  }
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) {
    *host = std::string(listen);
    return true;
  }
  // "::1:50051" could be host ::1 or host ::1:50051 with no port; gRPC
  // decides differently than a reader would, so it counts as unknown.
  if (listen.substr(0, colon).find(':') != absl::string_view::npos) {
    return false;
  }
  *host = std::string(listen.substr(0, colon));
  return true;
}

// A whole file, or an error naming the flag that gave its path.
absl::StatusOr<std::string> ReadFlagFile(const char* flag,
                                         const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " is empty"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", path, ": cannot read it: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", path, ": cannot read it: ", std::strerror(errno)));
  }
  return text.str();
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();  // NOLINT: OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// Every certificate in a PEM text, in order.
absl::StatusOr<std::vector<UniqueX509>> ParseCertificates(
    const char* flag, const std::string& path, const std::string& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<UniqueX509> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", path,
                     ": no PEM certificate in it (expected '-----BEGIN "
                     "CERTIFICATE-----')"));
  }
  return certs;
}

std::string Asn1TimeText(const ASN1_TIME* t) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), t);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT: OpenSSL's
  return std::string(data, static_cast<size_t>(std::max(0L, n)));
}

// The server's own certificate: a key that matches it, and valid now (a
// server that cannot complete one handshake should not claim to serve).
absl::Status CheckIdentity(const TlsOptions& tls) {
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS needs both ", kFlagCert, " and ", kFlagKey, " (got ", kFlagCert,
        "='", tls.cert_file, "', ", kFlagKey, "='", tls.key_file, "')"));
  }
  ASSIGN_OR_RETURN(const std::string cert_pem,
                   ReadFlagFile(kFlagCert, tls.cert_file));
  ASSIGN_OR_RETURN(std::vector<UniqueX509> chain,
                   ParseCertificates(kFlagCert, tls.cert_file, cert_pem));
  ASSIGN_OR_RETURN(const std::string key_pem,
                   ReadFlagFile(kFlagKey, tls.key_file));
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        kFlagKey, "=", tls.key_file, ": no unencrypted PEM private key in it (",
        OpenSslError(), ")"));
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        kFlagKey, "=", tls.key_file, " is not the key of the certificate in ",
        kFlagCert, "=", tls.cert_file, " (replace both together)"));
  }
  const X509* leaf = chain.front().get();
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        kFlagCert, "=", tls.cert_file, ": the certificate expired on ",
        Asn1TimeText(X509_get0_notAfter(leaf)),
        "; every client would refuse it"));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        kFlagCert, "=", tls.cert_file, ": the certificate is valid only from ",
        Asn1TimeText(X509_get0_notBefore(leaf)),
        " (is this machine's clock right?)"));
  }
  struct stat st;
  if (stat(tls.key_file.c_str(), &st) == 0 &&
      (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    RETAIL_LOG(WARNING) << kFlagKey << "=" << tls.key_file
                        << " may be read by other users (mode " << mode
                        << "); fix: chmod 600 " << tls.key_file;
  }
  return absl::OkStatus();
}

void AddValues(const grpc::AuthContext& context, const char* property,
               CertificateName::Type type, std::vector<CertificateName>* out) {
  for (const grpc::string_ref& value : context.FindPropertyValues(property)) {
    out->push_back({type, std::string(value.data(), value.size())});
  }
}

}  // namespace

bool IsLoopbackListen(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") ||
      absl::StartsWith(listen, "unix-abstract:")) {
    return true;
  }
  std::string host;
  if (!ListenHost(listen, &host)) return false;
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::Status CheckListenSecurity(absl::string_view listen,
                                 const TlsOptions& tls) {
  if (tls.enabled() || IsLoopbackListen(listen)) {
    if (!tls.enabled() && !tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          kFlagClientCa, " needs TLS: set ", kFlagCert, " and ", kFlagKey));
    }
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to serve plaintext on --listen=", listen,
      ": it is not a loopback address, so bearer tokens and customers' "
      "personal data would cross the network unencrypted. Set ",
      kFlagCert, " and ", kFlagKey, " (and ", kFlagClientCa,
      " to require client certificates), or listen on loopback "
      "(127.0.0.1, [::1] or localhost) behind a TLS proxy"));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& tls) {
  RETURN_IF_ERROR(CheckIdentity(tls));
  if (tls.mutual()) {
    ASSIGN_OR_RETURN(const std::string ca_pem,
                     ReadFlagFile(kFlagClientCa, tls.client_ca_file));
    RETURN_IF_ERROR(
        ParseCertificates(kFlagClientCa, tls.client_ca_file, ca_pem).status());
  }
  const auto seconds = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(tls.reload_interval)));
  // The provider reads the files once now and then every `seconds` on its
  // own thread, and hands each change to new handshakes.
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          tls.key_file, tls.cert_file, tls.client_ca_file, seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.mutual()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC could not build TLS server credentials");
  }
  RETAIL_LOG(INFO) << (tls.mutual() ? "mTLS" : "TLS") << " with "
                   << tls.cert_file
                   << (tls.mutual() ? ", client CA " + tls.client_ca_file : "")
                   << "; files re-read every " << seconds << " s";
  return credentials;
}

std::vector<CertificateName> VerifiedPeerNames(const grpc::AuthContext& context,
                                               bool client_certs_verified) {
  std::vector<CertificateName> names;
  if (!client_certs_verified) return names;
  // Set by gRPC's TLS handshakers only ("tls" for TlsServerCredentials,
  // "ssl" for SslServerCredentials); with a client CA configured the
  // handshake fails unless the certificate chains to it.
  const std::vector<grpc::string_ref> type =
      context.FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  if (type.size() != 1 || (type[0] != GRPC_TLS_TRANSPORT_SECURITY_TYPE &&
                           type[0] != GRPC_SSL_TRANSPORT_SECURITY_TYPE)) {
    return names;
  }
  // peer_dns and peer_uri are the certificate's subject alternative names
  // (x509_subject_alternative_name) split by type, so a URI can never pass
  // for a DNS name or the other way round.
  AddValues(context, GRPC_PEER_DNS_PROPERTY_NAME, CertificateName::Type::kDns,
            &names);
  AddValues(context, GRPC_PEER_URI_PROPERTY_NAME, CertificateName::Type::kUri,
            &names);
  return names;
}

}  // namespace retail
