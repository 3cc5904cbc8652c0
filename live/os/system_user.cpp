#include "live/os/system_user.hpp"

#include <pwd.h>
#include <unistd.h>

#include "common/input_error.hpp"

namespace stacksim::live {
namespace {

std::optional<UserIds> lookup(const char* name) {
  passwd* pw = ::getpwnam(name);
  if (pw == nullptr) return std::nullopt;
  return UserIds{pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : "/"};
}

}  // namespace

UserIds ensure_service_user() {
  if (auto ids = lookup(kServiceUser)) return *ids;
  if (::geteuid() != 0) {
    throw InputError(std::string("the service user `") + kServiceUser +
                     "` does not exist and only root can create it: run stacksim live as root");
  }
  const std::string useradd =
      find_executable("useradd").empty() ? "/usr/sbin/useradd" : find_executable("useradd");
  const auto r =
      run_and_capture({useradd, "--system", "--user-group", "--no-create-home", "--home-dir",
                       "/nonexistent", "--shell", "/usr/sbin/nologin", kServiceUser});
  if (auto ids = lookup(kServiceUser)) return *ids;
  throw InputError(std::string("could not create the service user `") + kServiceUser +
                   "` with useradd (" + r.output + "): create it by hand");
}

}  // namespace stacksim::live
