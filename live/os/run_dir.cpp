#include "live/os/run_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace stacksim::live {

RunDir::RunDir(const UserIds& owner, bool keep) : owner_(owner), keep_(keep) {
  // The runner's PID in the name lets reap_orphaned_runs find the directory
  // of a runner that was SIGKILLed.
  std::string tmpl = "/tmp/stacksim-run-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed under /tmp");
  path_ = tmpl;
  ::chmod(path_.c_str(), 0700);
  if (::chown(path_.c_str(), owner_.uid, owner_.gid) != 0) {
    throw std::runtime_error("cannot chown run directory " + path_);
  }
}

RunDir::~RunDir() {
  if (keep_ || path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RunDir::subdir(const std::string& name) const {
  const std::string dir = file(name);
  ::mkdir(dir.c_str(), 0700);
  if (::chown(dir.c_str(), owner_.uid, owner_.gid) != 0) {
    throw std::runtime_error("cannot chown " + dir);
  }
  return dir;
}

void RunDir::write(const std::string& name, const std::string& content) const {
  write_private_file(file(name), content, owner_);
}

void write_private_file(const std::string& path, const std::string& content, const UserIds& owner) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + path);
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t w = ::write(fd, content.data() + off, content.size() - off);
    if (w <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path);
    }
    off += static_cast<std::size_t>(w);
  }
  if (::fchown(fd, owner.uid, owner.gid) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot chown " + path);
  }
  ::close(fd);
}

std::string generate_password(int length) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::string out;
  while (static_cast<int>(out.size()) < length) {
    unsigned char c = 0;
    urandom.read(reinterpret_cast<char*>(&c), 1);
    if (!urandom) throw std::runtime_error("cannot read /dev/urandom");
    if (c < 248) out.push_back(kAlphabet[c % 62]);  // 248 = 4*62: no modulo bias
  }
  return out;
}

}  // namespace stacksim::live
