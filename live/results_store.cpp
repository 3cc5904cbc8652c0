#include "live/results_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "common/input_error.hpp"

namespace stacksim::live {

void append_record(const std::string& path, const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError("--store " + path + ": cannot open for appending");
  ::flock(fd, LOCK_EX);
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t w = ::write(fd, line.data() + off, line.size() - off);
    if (w <= 0) {
      ::close(fd);
      throw std::runtime_error("writing " + path + " failed");
    }
    off += static_cast<std::size_t>(w);
  }
  ::close(fd);  // releases the lock
}

std::vector<nlohmann::json> read_records(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::parse_error&) {
      throw InputError(path + ":" + std::to_string(number) + ": not a JSON record");
    }
  }
  return out;
}

}  // namespace stacksim::live
