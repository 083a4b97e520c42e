// LD_PRELOAD entry point: installs the fault VFS in an unmodified process
// (the real retail_server) before main() runs, configured from the
// environment:
//   RETAIL_FAULTFS_DIR      the database's directory (required; unset: no-op)
//   RETAIL_FAULTFS_JOURNAL  the undo journal, outside that directory
//   RETAIL_FAULTFS_CONTROL  the shared control block (optional)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/faultfs/fault_vfs.h"

namespace {

__attribute__((constructor)) void InstallFromEnvironment() {
  const char* dir = std::getenv("RETAIL_FAULTFS_DIR");
  const char* journal = std::getenv("RETAIL_FAULTFS_JOURNAL");
  const char* control = std::getenv("RETAIL_FAULTFS_CONTROL");
  if (dir == nullptr || *dir == '\0') return;
  if (journal == nullptr || *journal == '\0') {
    std::fprintf(stderr, "faultfs: RETAIL_FAULTFS_JOURNAL is not set\n");
    std::abort();
  }
  retail::faultfs::Options options;
  options.scope_dir = dir;
  options.journal_path = journal;
  if (control != nullptr && *control != '\0') {
    options.control = retail::faultfs::MapControl(control, /*create=*/false);
    if (options.control == nullptr) std::abort();
  }
  // A test that believes it runs on the shim must not silently run without.
  if (!retail::faultfs::Install(options)) std::abort();
  std::fprintf(stderr, "faultfs: installed for %s\n", dir);
}

}  // namespace
