#ifndef RETAIL_CLIENT_DISPLAY_ZONE_H_
#define RETAIL_CLIENT_DISPLAY_ZONE_H_

#include "absl/time/time.h"
#include "client/global_options.h"

namespace retail::cli {

// The zone that table output shows timestamps in: the chain's time zone as
// reported by retail.server.v1.ServerInfoService/GetServerInfo, so that an
// agent reads a purchase at the till's local time. The first call asks the
// server and loads the zone; every later call in the process returns the
// same zone without another round trip (there is one GlobalOptions per
// process, so the first call's `options` are the only ones).
//
// Falls back to UTC, saying so once on stderr, when the call fails (an
// older server answers UNIMPLEMENTED) or the zone is not installed on this
// machine (the tzdata package). The times are still right then, only shown
// with a +00:00 offset.
absl::TimeZone DisplayTimeZone(const GlobalOptions& options);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_DISPLAY_ZONE_H_
