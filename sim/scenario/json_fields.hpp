// Strict reading of the JSON files (models, scenarios): every value is read
// through a `Where` that knows the file and the JSON path, so each error names
// both ("models/x.json: stacks.a.bursts.pre.mean_us: must be ..."). Objects are
// read with an ObjectReader that rejects any key the reader did not take.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace stacksim::json_fields {

// A position in an input: the file (or "" for the command line) and a path
// such as "stacks.gunicorn-flask.bursts.pre" or "sweep.clients[2]".
struct Where {
  std::string source;
  std::string path;

  Where operator/(std::string_view key) const;
  Where at(std::size_t index) const;
  // Throws InputError "source: path: what" (parts left out when empty).
  [[noreturn]] void fail(std::string_view what) const;
};

// A short rendering of a value for "got ..." in messages: scalars as JSON
// (cut to ~60 bytes), containers by kind only, so a message stays one line.
std::string describe(const nlohmann::json& v);

// Reads a whole file and parses it. A missing or unreadable file, a file over
// 64 MiB, malformed JSON (with the line and column nlohmann reports) and a key
// repeated within one object are InputErrors naming the file.
nlohmann::json read_json_file(const std::string& path);
// The parsing half of read_json_file: `source` names the text in messages.
// Also rejects nesting deeper than 64 levels.
nlohmann::json parse_json_text(std::string_view text, const std::string& source);

class ObjectReader {
 public:
  // Fails unless `j` is an object.
  ObjectReader(const nlohmann::json& j, Where where);

  const nlohmann::json& required(std::string_view key);
  const nlohmann::json* optional(std::string_view key);  // nullptr when absent
  Where where(std::string_view key) const { return where_ / key; }
  const Where& where() const { return where_; }
  // Fails on the first key that no required()/optional() call took.
  void done() const;

 private:
  const nlohmann::json& j_;
  Where where_;
  std::vector<std::string> taken_;
};

inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();

std::string read_string(const nlohmann::json& v, const Where& w);
// A string of [A-Za-z0-9._-], 1 to 100 characters: stack names and the like.
std::string read_name(const nlohmann::json& v, const Where& w);
bool read_bool(const nlohmann::json& v, const Where& w);
// A JSON integer (not 2.0) in [min, max].
std::int64_t read_int(const nlohmann::json& v, const Where& w, std::int64_t min, std::int64_t max);
std::uint64_t read_uint64(const nlohmann::json& v, const Where& w);
// A finite JSON number in [min, max].
double read_number(const nlohmann::json& v, const Where& w, double min, double max = kNoLimit);

// The same rules for text (a --set value): the whole text must be the number.
std::int64_t parse_int_text(std::string_view text, const Where& w, std::int64_t min,
                            std::int64_t max);
std::uint64_t parse_uint64_text(std::string_view text, const Where& w);
double parse_number_text(std::string_view text, const Where& w, double min, double max = kNoLimit);
bool parse_bool_text(std::string_view text, const Where& w);

// A number for a report: null where it is not finite (JSON has no NaN).
inline nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Writes `text` to `path` atomically: a temporary file in the same
// directory, flushed, renamed over the target, so a reader sees the old file
// or the new one, never half. InputError naming `option` and the path when
// the directory is missing or the write fails.
void write_text_atomically(const std::string& path, const std::string& text,
                           const std::string& option);

}  // namespace stacksim::json_fields
