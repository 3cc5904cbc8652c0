#include "calibrate/model_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scenario/input_error.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {

std::string model_path(const std::string& out_dir, const std::string& label) {
  json_fields::read_name(label, json_fields::Where{"", "--label"});
  return (std::filesystem::path(out_dir) / (label + ".json")).string();
}

void write_model_atomically(const Model& model, const std::string& path) {
  // The file holds microseconds, the model nanoseconds: a fitted value may
  // not survive us -> ns -> us to the last bit. Writing what a read-back
  // writes (a fixed point, reached in a trip or two) makes the file read
  // back to exactly itself.
  nlohmann::json doc = to_json(model);
  try {
    for (int trip = 0; trip < 4; ++trip) {
      nlohmann::json again = to_json(parse_model(doc, path));
      if (again == doc) break;
      doc = std::move(again);
    }
  } catch (const InputError& e) {
    throw std::logic_error(std::string("calibrate wrote a model that does not read back: ") +
                           e.what());
  }
  const std::string text = doc.dump(2) + "\n";
  const std::filesystem::path target(path);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir))
    throw InputError(dir.string() + ": no such directory (--out)");
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw InputError(dir.string() + ": cannot create a file there (--out): " +
                     std::strerror(errno));
  auto fail = [&](const std::string& what) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw InputError(path + ": " + what + ": " + std::strerror(errno));
  };
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w <= 0) fail("write failed");
    off += static_cast<std::size_t>(w);
  }
  if (::fchmod(fd, 0644) != 0) fail("chmod failed");
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw InputError(path + ": close failed: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw InputError(path + ": cannot replace it: " + std::strerror(err));
  }
}

}  // namespace stacksim::calibrate
