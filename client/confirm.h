#ifndef RETAIL_CLIENT_CONFIRM_H_
#define RETAIL_CLIENT_CONFIRM_H_

#include <string>

namespace retail::cli {

// Guards an irreversible change. Returns at once if `assume_yes` (--yes).
// Otherwise, on a terminal, shows `question` on stderr and returns only if
// the agent types "yes"; any other answer throws CLI::RuntimeError
// (exit 1). When stdin is not a terminal it throws CLI::ValidationError
// (exit 2): a script must say --yes itself rather than let a piped line or
// an EOF decide on erasing someone's data.
void RequireConfirmation(const std::string& question, bool assume_yes);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_CONFIRM_H_
