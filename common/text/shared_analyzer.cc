#include "common/text/shared_analyzer.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace retail::text {

absl::StatusOr<const Analyzer*> SharedAnalyzer() {
  static absl::Mutex mu(absl::kConstInit);
  // Never destroyed: modules of servers still shutting down may use it.
  static Analyzer* shared ABSL_GUARDED_BY(mu) = nullptr;
  absl::MutexLock lock(&mu);
  if (shared == nullptr) {
    absl::StatusOr<std::unique_ptr<Analyzer>> created = Analyzer::Create();
    if (!created.ok()) return created.status();
    shared = created->release();
  }
  return shared;
}

}  // namespace retail::text
