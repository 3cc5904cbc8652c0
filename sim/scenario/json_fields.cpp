#include "sim/scenario/json_fields.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "common/input_error.hpp"

namespace stacksim::json_fields {
namespace {

constexpr std::size_t kMaxShown = 60;               // bytes of a value shown in a message
constexpr std::uintmax_t kMaxFileBytes = 64 << 20;  // no input file is anywhere near this
constexpr int kMaxDepth = 64;

// Cuts at a UTF-8 character boundary so the message stays valid UTF-8.
std::string cut(std::string s) {
  if (s.size() <= kMaxShown) return s;
  std::size_t n = kMaxShown;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "...";
}

std::string quote_text(std::string_view text) {
  return cut(nlohmann::json(std::string(text))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string range_text(double min, double max) {
  if (max == kNoLimit) return ">= " + number_text(min);
  return "in [" + number_text(min) + ", " + number_text(max) + "]";
}

std::string int_range_text(std::int64_t min, std::int64_t max) {
  if (max == std::numeric_limits<std::int64_t>::max()) return ">= " + std::to_string(min);
  return "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

}  // namespace

Where Where::operator/(std::string_view key) const {
  return {source, path.empty() ? std::string(key) : path + "." + std::string(key)};
}

Where Where::at(std::size_t index) const {
  return {source, path + "[" + std::to_string(index) + "]"};
}

void Where::fail(std::string_view what) const {
  std::string msg;
  if (!source.empty()) msg += source + ": ";
  if (!path.empty()) msg += path + ": ";
  msg += what;
  throw InputError(msg);
}

std::string describe(const nlohmann::json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_discarded()) return "nothing";
  return cut(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json read_json_file(const std::string& path) {
  const Where file{path, ""};
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) file.fail("cannot open file: no such file");
  if (!std::filesystem::is_regular_file(status)) file.fail("cannot open file: not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) file.fail("cannot read file: " + ec.message());
  if (size > kMaxFileBytes) file.fail("file is larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) file.fail("cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) file.fail("cannot read file");
  return parse_json_text(text.str(), path);
}

nlohmann::json parse_json_text(std::string_view text, const std::string& source) {
  const Where file{source, ""};

  // Later duplicates would silently win in nlohmann::json; one key set per
  // open object catches them while parsing.
  std::vector<std::set<std::string>> open_objects;
  // No file needs more than a few levels; a cap stops a pathological one from
  // costing seconds and hundreds of MB before it is rejected anyway.
  const auto check_keys = [&](int depth, nlohmann::json::parse_event_t event,
                              nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxDepth) {
      file.fail("malformed JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) {
        file.fail("malformed JSON: field " + quote_text(key) + " appears twice in one object");
      }
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, check_keys);
  } catch (const nlohmann::json::exception& e) {
    // parse_error: "[json.exception.parse_error.101] parse error at line L, column C: ...";
    // also out_of_range.406, "number overflow parsing '1e400'" (found by fuzz_model).
    std::string what = e.what();
    const auto bracket = what.find("] ");
    if (bracket != std::string::npos) what.erase(0, bracket + 2);
    file.fail("malformed JSON: " + what);
  }
}

ObjectReader::ObjectReader(const nlohmann::json& j, Where where) : j_(j), where_(std::move(where)) {
  if (!j_.is_object()) where_.fail("must be an object, got " + describe(j_));
}

const nlohmann::json& ObjectReader::required(std::string_view key) {
  const auto* v = optional(key);
  if (v == nullptr) where(key).fail("required field is missing");
  return *v;
}

const nlohmann::json* ObjectReader::optional(std::string_view key) {
  taken_.emplace_back(key);
  const auto it = j_.find(key);
  return it == j_.end() ? nullptr : &*it;
}

void ObjectReader::done() const {
  for (const auto& item : j_.items()) {
    if (std::find(taken_.begin(), taken_.end(), item.key()) != taken_.end()) continue;
    std::string known;
    for (const auto& k : taken_) known += (known.empty() ? "" : ", ") + k;
    Where w = where_;
    w.path = w.path.empty() ? item.key() : w.path + "." + item.key();
    w.path = cut(w.path);
    w.fail("unknown field (expected one of: " + known + ")");
  }
}

std::string read_string(const nlohmann::json& v, const Where& w) {
  if (!v.is_string()) w.fail("must be a string, got " + describe(v));
  return v.get<std::string>();
}

std::string read_name(const nlohmann::json& v, const Where& w) {
  if (!v.is_string()) w.fail("must be a name (a string), got " + describe(v));
  const auto& s = v.get_ref<const std::string&>();
  const bool ok = !s.empty() && s.size() <= 100 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!ok) w.fail("must be a name of 1-100 characters from [A-Za-z0-9._-], got " + describe(v));
  return s;
}

bool read_bool(const nlohmann::json& v, const Where& w) {
  if (!v.is_boolean()) w.fail("must be true or false, got " + describe(v));
  return v.get<bool>();
}

std::int64_t read_int(const nlohmann::json& v, const Where& w, std::int64_t min, std::int64_t max) {
  const std::string want = "must be an integer " + int_range_text(min, max) + ", got ";
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if ((min > 0 && u < static_cast<std::uint64_t>(min)) || u > static_cast<std::uint64_t>(max)) {
      w.fail(want + describe(v));
    }
    return static_cast<std::int64_t>(u);
  }
  if (!v.is_number_integer()) w.fail(want + describe(v));
  const auto i = v.get<std::int64_t>();
  if (i < min || i > max) w.fail(want + describe(v));
  return i;
}

std::uint64_t read_uint64(const nlohmann::json& v, const Where& w) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  w.fail("must be an integer in [0, 2^64-1], got " + describe(v));
}

double read_number(const nlohmann::json& v, const Where& w, double min, double max) {
  const std::string want = "must be a number " + range_text(min, max) + ", got ";
  if (!v.is_number()) w.fail(want + describe(v));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min || x > max) w.fail(want + describe(v));
  return x;
}

std::int64_t parse_int_text(std::string_view text, const Where& w, std::int64_t min,
                            std::int64_t max) {
  std::int64_t i = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || i < min || i > max) {
    w.fail("must be an integer " + int_range_text(min, max) + ", got " + quote_text(text));
  }
  return i;
}

std::uint64_t parse_uint64_text(std::string_view text, const Where& w) {
  std::uint64_t u = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    w.fail("must be an integer in [0, 2^64-1], got " + quote_text(text));
  }
  return u;
}

double parse_number_text(std::string_view text, const Where& w, double min, double max) {
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(x) ||
      x < min || x > max) {
    w.fail("must be a number " + range_text(min, max) + ", got " + quote_text(text));
  }
  return x;
}

bool parse_bool_text(std::string_view text, const Where& w) {
  if (text == "true" || text == "on" || text == "yes" || text == "1") return true;
  if (text == "false" || text == "off" || text == "no" || text == "0") return false;
  w.fail("must be true or false, got " + quote_text(text));
}

void write_text_atomically(const std::string& path, const std::string& text,
                           const std::string& option) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir))
    throw InputError(dir.string() + ": no such directory (" + option + ")");
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw InputError(dir.string() + ": cannot create a file there (" + option +
                     "): " + std::strerror(errno));
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

}  // namespace stacksim::json_fields
