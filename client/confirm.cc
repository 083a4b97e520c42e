#include "client/confirm.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "absl/strings/ascii.h"
#include "client/global_options.h"

namespace retail::cli {

void RequireConfirmation(const std::string& question, bool assume_yes) {
  if (assume_yes) return;
  if (!isatty(STDIN_FILENO)) {
    throw CLI::ValidationError(
        "--yes",
        "stdin is not a terminal, so cannot ask for confirmation; "
        "pass --yes to proceed");
  }
  std::cerr << question
            << " This cannot be undone. Type 'yes' to continue: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (absl::StripAsciiWhitespace(answer) != "yes") {
    std::cerr << "aborted; nothing was changed\n";
    throw CLI::RuntimeError(kExitFailure);
  }
}

}  // namespace retail::cli
