#include "live/os/text_file.hpp"

#include <fstream>
#include <sstream>

namespace stacksim::live {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace stacksim::live
