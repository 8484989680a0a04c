// The one time zone of the system: villages, periods, deadlines and printed times are all in
// Asia/Shanghai.
#pragma once

#include "absl/time/time.h"

namespace jifen::time {

// China has kept UTC+8 without daylight saving since 1991, so a fixed zone is exact for every
// date the system handles and needs no tz database on the machine.
inline absl::TimeZone ShanghaiTime() { return absl::FixedTimeZone(8 * 60 * 60); }

}  // namespace jifen::time
