// Reading a small text file whole: /proc and /sys entries, cgroup files, a
// server's log, a credentials file. The live runner's one way to do it.
#pragma once

#include <string>

namespace stacksim::live {

// The file's bytes, or "" when it cannot be opened (a process that has
// exited, a cgroup file this kernel lacks): callers for which a missing file
// is an error check for it first and say which.
std::string read_text_file(const std::string& path);

}  // namespace stacksim::live
