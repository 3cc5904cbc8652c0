#include "app_probes.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "live/os/process.hpp"
#include "live/os/text_file.hpp"

namespace stacksim::live::testing {
namespace {

bool ten_digits(const std::string& s) {
  return s.size() == 10 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

RowAnswer check_row_answer(const HttpAnswer& answer, SharedDatabase& db) {
  RowAnswer r;
  const std::string body = answer.body.substr(0, 200);
  if (answer.status != 200) {
    r.error = "status " + std::to_string(answer.status) + ", want 200: " + body;
    return r;
  }
  if (answer.content_type.rfind("application/json", 0) != 0) {
    r.error = "Content-Type \"" + answer.content_type + "\", want application/json";
    return r;
  }
  const auto doc = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.size() != 2 || !doc.contains("a") || !doc.contains("b") ||
      !doc["a"].is_string() || !doc["b"].is_string() || !ten_digits(doc["a"])) {
    r.error = "body is not {\"a\": <10 digits>, \"b\": <text>}: " + body;
    return r;
  }
  r.key = std::stol(doc["a"].get<std::string>());
  const auto row = db.row_text(r.key);
  if (row != doc["b"].get<std::string>()) {
    r.error = "row " + std::to_string(r.key) + " answered b = " + doc["b"].dump() +
              ", the table has " + (row ? "\"" + *row + "\"" : std::string("no such row"));
  }
  return r;
}

std::vector<std::string> promised_library_marks(const std::vector<std::string>& packages) {
  static const std::map<std::string, std::string> kMarks = {
      {"python3-uvloop", "/uvloop/loop."},
      {"python3-httptools", "/httptools/parser/"},
      {"python3-gevent", "/gevent/"}};
  std::vector<std::string> marks;
  for (const auto& p : packages) {
    if (const auto it = kMarks.find(p); it != kMarks.end()) marks.push_back(it->second);
  }
  return marks;
}

std::vector<std::string> missing_library_marks(pid_t pid, const std::vector<std::string>& marks) {
  const std::string maps = read_text_file("/proc/" + std::to_string(pid) + "/maps");
  std::vector<std::string> missing;
  for (const auto& m : marks) {
    if (maps.find(m) == std::string::npos) missing.push_back(m);
  }
  return missing;
}

std::vector<Listener> listeners_on(int port) {
  const std::string ss_path = find_executable("ss");
  if (ss_path.empty()) throw std::runtime_error("ss not found on PATH (Debian package iproute2)");
  const CaptureResult ss =
      run_and_capture({ss_path, "-H", "-l", "-t", "-n", "sport = :" + std::to_string(port)});
  if (ss.exit_code != 0) throw std::runtime_error("ss failed: " + ss.output);
  std::vector<Listener> out;
  std::istringstream lines(ss.output);
  std::string line;
  while (std::getline(lines, line)) {
    // State Recv-Q Send-Q Local:Port Peer:Port
    std::istringstream fields(line);
    std::string state, recv_q, send_q, local;
    if (!(fields >> state >> recv_q >> send_q >> local)) continue;
    out.push_back({local, std::stoi(send_q)});
  }
  return out;
}

int granted_backlog(int asked) {
  return std::min(asked, std::stoi(read_text_file("/proc/sys/net/core/somaxconn")));
}

long count_lines(const std::string& path) {
  const std::string text = read_text_file(path);
  return static_cast<long>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace stacksim::live::testing
