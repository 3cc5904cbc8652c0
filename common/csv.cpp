#include "common/csv.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "common/input_error.hpp"

namespace stacksim {
namespace {

// Reads one record from `text` at `pos` (which it advances past the record's
// line end), counting the lines it spans in `line`.
std::vector<std::string> next_record(std::string_view text, std::size_t& pos, int& line,
                                     const std::string& source) {
  std::vector<std::string> fields(1);
  const int first_line = line;
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"' && pos < text.size() && text[pos] == '"') {
        fields.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c != '\r' || (pos < text.size() && text[pos] != '\n')) {
      fields.back() += c;
    }
  }
  if (quoted)
    throw InputError(source + ": line " + std::to_string(first_line) +
                     ": a quoted field is not closed");
  return fields;
}

bool blank(const std::vector<std::string>& record) {
  return record.size() == 1 && record[0].find_first_not_of(" \t") == std::string::npos;
}

}  // namespace

int CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

CsvTable parse_csv(std::string_view text, const std::string& source) {
  CsvTable t;
  t.source = source;
  std::size_t pos = 0;
  int line = 1;
  while (pos < text.size() && t.header.empty()) {
    std::vector<std::string> record = next_record(text, pos, line, source);
    if (!blank(record)) t.header = std::move(record);
  }
  if (t.header.empty()) throw InputError(source + ": no header line (the file is empty)");
  std::set<std::string> seen;
  for (const std::string& name : t.header) {
    if (name.empty()) throw InputError(source + ": line 1: a column has no name");
    if (!seen.insert(name).second)
      throw InputError(source + ": line 1: column \"" + name + "\" appears twice");
  }
  while (pos < text.size()) {
    const int first = line;
    std::vector<std::string> record = next_record(text, pos, line, source);
    if (blank(record)) continue;
    if (record.size() != t.header.size())
      throw InputError(source + ": line " + std::to_string(first) + ": " +
                       std::to_string(record.size()) + " fields, the header has " +
                       std::to_string(t.header.size()));
    t.rows.push_back(std::move(record));
    t.lines.push_back(first);
  }
  return t;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path);
}

}  // namespace stacksim
