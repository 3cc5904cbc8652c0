#include "calibrate/model_writer.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "common/input_error.hpp"
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
  json_fields::write_text_atomically(path, doc.dump(2) + "\n", "--out");
}

}  // namespace stacksim::calibrate
