// PostgreSQL and pgbouncer refuse to run as root, so the runner starts them
// (and nginx) as a dedicated system user `stacksim`, created with useradd
// when missing. Never a login account: no shell, no password.
#pragma once

#include "live/os/process.hpp"

namespace stacksim::live {

inline constexpr const char* kServiceUser = "stacksim";

// The ids of the service user, creating it if needed. Throws InputError
// naming the fix when not root or when useradd fails.
UserIds ensure_service_user();

}  // namespace stacksim::live
