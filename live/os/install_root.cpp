#include "live/os/install_root.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/input_error.hpp"

namespace stacksim::live {
namespace {

#if defined(__x86_64__)
constexpr const char* kMultiarch = "x86_64-linux-gnu";
#elif defined(__aarch64__)
constexpr const char* kMultiarch = "aarch64-linux-gnu";
#else
#error "unknown Debian multiarch triplet"
#endif

std::string& prefix_option() {
  static std::string dir;
  return dir;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// "#!/usr/bin/python3 -u" -> {"/usr/bin/python3", "-u"}; empty when not a script.
std::vector<std::string> shebang_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("#!", 0) != 0) return {};
  std::vector<std::string> words;
  std::size_t i = 2;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  // The kernel passes everything after the interpreter as one argument.
  if (words.size() > 2) {
    for (std::size_t k = 2; k < words.size(); ++k) words[1] += " " + words[k];
    words.resize(2);
  }
  return words;
}

}  // namespace

InstallRoot InstallRoot::prefix(const std::string& dir, const std::string& source) {
  const std::string how =
      " (a tree unpacked from scripts/build-prefix.sh's tarball; unset it to "
      "run the programs installed with apt)";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw InputError(source + ": " + std::strerror(errno) + how);
  }
  if (!S_ISDIR(st.st_mode)) throw InputError(source + ": not a directory" + how);
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) == nullptr) {
    throw InputError(source + ": " + std::strerror(errno) + how);
  }
  InstallRoot r;
  r.root_ = resolved;
  r.source_ = source;
  if (r.root_ == "/") return InstallRoot{};  // the host's own packages
  if (!is_directory(r.root_ + "/usr")) {
    throw InputError(source + ": has no usr/ directory, so it is not a prefix of Debian packages" +
                     how);
  }
  return r;
}

std::string InstallRoot::installed(const std::string& abs_path) const {
  return root_ + abs_path;
}

std::vector<std::string> InstallRoot::command(const std::vector<std::string>& argv) const {
  if (argv.empty() || !is_prefix()) return argv;
  std::vector<std::string> out;
  const std::string program = installed(argv[0]);
  std::vector<std::string> shebang = shebang_of(program);
  if (!shebang.empty() && !shebang[0].empty() && shebang[0][0] == '/') {
    // #!/usr/bin/env python3: the named program from the prefix.
    if (shebang[0] == "/usr/bin/env" && shebang.size() == 2 &&
        shebang[1].find(' ') == std::string::npos) {
      out.push_back(installed("/usr/bin/" + shebang[1]));
    } else {
      out.push_back(installed(shebang[0]));
      if (shebang.size() == 2) out.push_back(shebang[1]);
    }
  }
  out.push_back(program);
  out.insert(out.end(), argv.begin() + 1, argv.end());
  return out;
}

std::vector<std::string> InstallRoot::environment(std::vector<std::string> env, bool python) const {
  if (!is_prefix()) return env;
  std::string path = "PATH=" + root_ + "/usr/bin:" + root_ + "/usr/sbin:" + root_ + "/bin";
  std::string libraries =
      "LD_LIBRARY_PATH=" + root_ + "/usr/lib/" + kMultiarch + ":" + root_ + "/lib/" + kMultiarch;
  std::vector<std::string> out;
  for (auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path += ":" + e.substr(5);
    } else if (e.rfind("LD_LIBRARY_PATH=", 0) == 0 || e.rfind("PYTHONHOME=", 0) == 0) {
      // The prefix's own take their place.
    } else {
      out.push_back(std::move(e));
    }
  }
  out.push_back(path);
  out.push_back(libraries);
  if (python) out.push_back("PYTHONHOME=" + root_ + "/usr");
  return out;
}

std::string InstallRoot::missing_program(const std::string& path,
                                         const std::string& package) const {
  if (!is_prefix()) {
    return path + " is missing: install the Debian package " + package +
           " (scripts/install-deps.sh)";
  }
  return path + " is missing from the prefix given by " + source_ +
         ": build it again with scripts/build-prefix.sh, which packs the Debian package " + package;
}

void set_prefix_option(const std::string& dir) {
  prefix_option() = dir;
}

InstallRoot install_root() {
  if (!prefix_option().empty())
    return InstallRoot::prefix(prefix_option(), "--prefix " + prefix_option());
  const char* env = std::getenv(kPrefixEnv);
  if (env != nullptr && *env != '\0')
    return InstallRoot::prefix(env, std::string(kPrefixEnv) + "=" + env);
  return InstallRoot{};
}

std::string installed(const std::string& abs_path) {
  return install_root().installed(abs_path);
}

}  // namespace stacksim::live
