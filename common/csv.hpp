// A CSV file read strictly (RFC 4180: fields separated by commas, a field in
// double quotes may hold commas, newlines and "" for a quote): a header and
// rows of its width, every error naming the file and the line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stacksim {

struct CsvTable {
  std::string source;  // the file, for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // the line each row starts on (the header is line 1)

  // The column named `name`, or -1.
  int column(std::string_view name) const;
};

// Throws InputError ("T.csv: line 4: 5 fields, the header has 6") for a
// ragged row, an unterminated quote, an empty or repeated header name, or no
// header at all. Blank lines are skipped; a trailing "\r" is dropped.
CsvTable parse_csv(std::string_view text, const std::string& source);
CsvTable read_csv(const std::string& path);

}  // namespace stacksim
