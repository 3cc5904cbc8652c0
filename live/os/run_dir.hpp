// The private directory of one run: config files, logs, pid files and the
// generated credentials of pgbouncer live here. Mode 0700, owned by the
// service user (root reads it anyway); removed at the end unless kept.
#pragma once

#include <string>

#include "live/os/process.hpp"

namespace stacksim::live {

class RunDir {
 public:
  RunDir(const UserIds& owner, bool keep);
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  ~RunDir();

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Creates a subdirectory owned by the service user, mode 0700.
  std::string subdir(const std::string& name) const;
  // Writes a file (mode 0600, owned by the service user).
  void write(const std::string& name, const std::string& content) const;
  void keep() { keep_ = true; }

 private:
  std::string path_;
  UserIds owner_;
  bool keep_ = false;
};

// A random password of URL- and ini-safe characters, from /dev/urandom.
std::string generate_password(int length = 24);

// Writes a file with mode 0600 owned by `owner` (throws on failure).
void write_private_file(const std::string& path, const std::string& content, const UserIds& owner);

}  // namespace stacksim::live
