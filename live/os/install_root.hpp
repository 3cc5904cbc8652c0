// Where the live runner's programs come from: the host's own / (Debian
// packages installed with apt), or a relocatable prefix of the same packages
// (scripts/build-prefix.sh) named by STACKSIM_PREFIX or `--prefix`, for
// machines with no network and no apt. Every program path of live/ goes
// through here, so a run takes all its programs from one root.
#pragma once

#include <string>
#include <vector>

namespace stacksim::live {

inline constexpr const char* kPrefixEnv = "STACKSIM_PREFIX";

class InstallRoot {
 public:
  InstallRoot() = default;  // the host's own /
  // A prefix at `dir`; InputError naming `source` ("STACKSIM_PREFIX=dir" or
  // "--prefix dir") when it is missing, not a directory or has no usr/.
  static InstallRoot prefix(const std::string& dir, const std::string& source);

  bool is_prefix() const { return !root_.empty(); }
  // "/" or the prefix's absolute path: what a record says.
  std::string recorded() const { return root_.empty() ? "/" : root_; }
  // How the root was given, for messages ("" for /).
  const std::string& source() const { return source_; }

  // An absolute path of a Debian package's file (/usr/sbin/nginx) as it is
  // found under this root.
  std::string installed(const std::string& abs_path) const;
  // A command whose argv[0] is an absolute path, from this root. Under a
  // prefix a script's #! interpreter (/usr/bin/python3 for gunicorn) would
  // be the host's: the prefix's interpreter runs the script instead.
  std::vector<std::string> command(const std::vector<std::string>& argv) const;
  // A child's environment with what the root needs: under a prefix PATH
  // starts with its bin directories, LD_LIBRARY_PATH names its libraries
  // and, for Python programs, PYTHONHOME its Python. Unchanged for /.
  std::vector<std::string> environment(std::vector<std::string> env, bool python = false) const;
  // The message for a program (already resolved) that is missing here: how
  // to get its Debian package onto this root.
  std::string missing_program(const std::string& path, const std::string& package) const;
  // The prefix's package list ("Package Version" lines, debian-prefix.sh).
  std::string package_list() const { return root_ + "/PACKAGES.txt"; }

 private:
  std::string root_;  // "" for /
  std::string source_;
};

// The root of this process: `--prefix` if a command set one, else
// STACKSIM_PREFIX when set and not empty, else /. Checked on every call:
// a bad prefix is an InputError before anything starts.
InstallRoot install_root();
void set_prefix_option(const std::string& dir);

// install_root().installed(abs_path).
std::string installed(const std::string& abs_path);

}  // namespace stacksim::live
