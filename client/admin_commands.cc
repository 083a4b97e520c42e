#include "client/admin_commands.h"

#include <fcntl.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "client/migrate_db.h"
#include "client/output.h"
#include "client/rpc.h"
#include "retail/admin/v1/admin.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::admin::v1;

// SHA-256 (FIPS 180-4), here because retailctl links no crypto library.
class Sha256 {
 public:
  void Update(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      block_[fill_++] = static_cast<uint8_t>(data[i]);
      if (fill_ == 64) {
        Compress();
        fill_ = 0;
      }
    }
    bits_ += static_cast<uint64_t>(n) * 8;
  }

  std::string HexDigest() {
    const uint64_t bits = bits_;
    const char pad = static_cast<char>(0x80);
    Update(&pad, 1);
    const char zero = 0;
    while (fill_ != 56) Update(&zero, 1);
    for (int i = 7; i >= 0; --i) {
      const char b = static_cast<char>((bits >> (i * 8)) & 0xff);
      Update(&b, 1);
    }
    std::string hex;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (uint32_t word : h_) {
      for (int i = 7; i >= 0; --i)
        hex.push_back(kDigits[(word >> (i * 4)) & 0xf]);
    }
    return hex;
  }

 private:
  static uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void Compress() {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
        0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
        0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t{block_[i * 4]} << 24) |
             (uint32_t{block_[i * 4 + 1]} << 16) |
             (uint32_t{block_[i * 4 + 2]} << 8) | uint32_t{block_[i * 4 + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 =
          Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 =
          Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5],
             g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
      const uint32_t ch = (e & f) ^ (~e & g);
      const uint32_t t1 = h + s1 + ch + k[i] + w[i];
      const uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
      const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const uint32_t t2 = s0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t block_[64] = {};
  size_t fill_ = 0;
  uint64_t bits_ = 0;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  throw CLI::RuntimeError(kExitFailure);
}

struct BackupArgs {
  std::string to;
  bool force = false;
  double deadline_seconds = 3600;
};

void RunBackup(const GlobalOptions& options, const BackupArgs& args) {
  struct stat st {};
  if (!args.force && ::stat(args.to.c_str(), &st) == 0) {
    Fail(absl::StrCat(args.to, " exists; pass --force to overwrite it"));
  }
  const std::string tmp = args.to + ".tmp";
  // Owner-only: the backup holds every customer's personal data.
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    Fail(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  auto fail = [&](const std::string& message) {
    ::close(fd);
    ::unlink(tmp.c_str());
    Fail(message);
  };

  auto stub = v1::AdminService::NewStub(MakeChannel(options));
  std::unique_ptr<grpc::ClientContext> context = MakeContext(options);
  // A backup takes longer than one call's --timeout: its own deadline.
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(
                            args.deadline_seconds * 1000)));
  auto reader =
      stub->BackupDatabase(context.get(), v1::BackupDatabaseRequest());
  Sha256 hash;
  int64_t written = 0;
  v1::BackupDatabaseResponse message;
  v1::BackupSummary summary;
  bool have_summary = false;
  std::string problem;
  while (reader->Read(&message)) {
    if (!problem.empty()) continue;  // drain; the status still matters
    if (message.offset() != written) {
      problem = absl::StrCat("chunk at offset ", message.offset(),
                             ", expected ", written);
      context->TryCancel();
      continue;
    }
    const std::string& data = message.data();
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        problem =
            absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno));
        context->TryCancel();
        break;
      }
      done += static_cast<size_t>(n);
    }
    hash.Update(data.data(), data.size());
    written += static_cast<int64_t>(data.size());
    if (message.has_summary()) {
      summary = message.summary();
      have_summary = true;
    }
  }
  const grpc::Status status = reader->Finish();
  if (!problem.empty()) fail(problem);
  if (!status.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    FailRpc(options, status);
  }
  if (!have_summary) fail("the server ended the backup without its summary");
  if (::fsync(fd) != 0) {
    fail(absl::StrCat("cannot sync ", tmp, ": ", std::strerror(errno)));
  }
  ::close(fd);
  const std::string sha = hash.HexDigest();
  if (written != summary.size_bytes() || sha != summary.sha256()) {
    ::unlink(tmp.c_str());
    Fail(absl::StrCat("the copy does not match the server's snapshot: got ",
                      written, " bytes, sha256 ", sha, "; expected ",
                      summary.size_bytes(), " bytes, sha256 ",
                      summary.sha256()));
  }
  if (::rename(tmp.c_str(), args.to.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    Fail(absl::StrCat("cannot rename ", tmp, " to ", args.to, ": ", err));
  }
  if (options.output == OutputFormat::kJson) {
    PrintJson(summary);
    return;
  }
  const absl::Time when =
      absl::FromUnixSeconds(summary.snapshot_time().seconds()) +
      absl::Nanoseconds(summary.snapshot_time().nanos());
  std::cout << "backup written: " << args.to << "\n"
            << "size:            " << summary.size_bytes() << " bytes\n"
            << "sha256:          " << summary.sha256() << " (verified)\n"
            << "snapshot time:   "
            << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", when, absl::UTCTimeZone())
            << "\n"
            << "last event seq:  " << summary.last_event_sequence() << "\n"
            << "last audit id:   " << summary.last_audit_id() << "\n";
}

}  // namespace

void AddAdminCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* admin = app.add_subcommand(
      "admin",
      "Running the server (运维): online backups (admin only), moving a "
      "database to PostgreSQL.");
  admin->require_subcommand(1);
  auto args = std::make_shared<BackupArgs>();
  CLI::App* backup = admin->add_subcommand(
      "backup",
      "Take a consistent snapshot of the serving database and write it to "
      "FILE, checked against the server's size and SHA-256. Restore with "
      "scripts/restore.");
  backup->add_option("--to", args->to, "The file to write")->required();
  backup->add_flag("--force", args->force, "Overwrite FILE if it exists");
  backup
      ->add_option("--deadline", args->deadline_seconds,
                   "Seconds the whole backup may take")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  backup->callback([&options, args] { RunBackup(options, *args); });
  AddMigrateDbCommand(*admin);
}

}  // namespace retail::cli
