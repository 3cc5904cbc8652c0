#include "live/servers/load_generator.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/text_file.hpp"

namespace stacksim::live {
namespace {

double match_number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern))) return std::stod(m[1].str());
  return 0;
}

// Prints one JSON line at the end; latencies in microseconds.
constexpr const char* kWrkScript = R"(wrk.headers["Connection"] = "close"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "mean_us": %f, "p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
)";

}  // namespace

double nearest_rank_percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LoadResult parse_ab_output(const std::string& out, const std::string& gnuplot) {
  LoadResult r;
  r.generator = "ab";
  const long complete = static_cast<long>(match_number(out, R"(Complete requests:\s+(\d+))"));
  const long failed = static_cast<long>(match_number(out, R"(Failed requests:\s+(\d+))"));
  // ab counts a response whose length differs from the first as "failed
  // (Length)" though it arrived; a non-2xx answer is counted separately.
  const long length_failed = static_cast<long>(match_number(out, R"(Length:\s+(\d+))"));
  r.non_2xx = static_cast<long>(match_number(out, R"(Non-2xx responses:\s+(\d+))"));
  r.elapsed_s = match_number(out, R"(Time taken for tests:\s+([0-9.]+))");
  const long transport_failed = failed - length_failed;
  r.failed = transport_failed + std::max(r.non_2xx, length_failed);
  r.completed = std::max(0L, complete - r.failed);
  r.throughput_rps = r.elapsed_s > 0 ? static_cast<double>(r.completed) / r.elapsed_s : 0;

  // -g: "starttime seconds ctime dtime ttime wait", times in ms, one line per request.
  std::vector<double> ttime_ms;
  std::istringstream lines(gnuplot);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    // The start time column contains spaces: split on tabs, count from the right.
    std::vector<std::string> cols;
    std::istringstream all(line);
    std::string tok;
    while (std::getline(all, tok, '\t')) cols.push_back(tok);
    if (cols.size() < 6) continue;
    ttime_ms.push_back(std::stod(cols[cols.size() - 2]));
  }
  std::sort(ttime_ms.begin(), ttime_ms.end());
  r.samples = static_cast<long>(ttime_ms.size());
  if (!ttime_ms.empty()) {
    double sum = 0;
    for (double v : ttime_ms) sum += v;
    r.mean_ms = sum / static_cast<double>(ttime_ms.size());
    r.p50_ms = nearest_rank_percentile(ttime_ms, 50);
    r.p90_ms = nearest_rank_percentile(ttime_ms, 90);
    r.p99_ms = nearest_rank_percentile(ttime_ms, 99);
    r.p999_ms = nearest_rank_percentile(ttime_ms, 99.9);
    r.max_ms = ttime_ms.back();
  }
  return r;
}

LoadResult parse_wrk_output(const std::string& out) {
  const auto brace = out.rfind("{\"requests\"");
  if (brace == std::string::npos) throw std::runtime_error("wrk printed no summary line");
  const auto j = nlohmann::json::parse(out.substr(brace, out.find('\n', brace) - brace));
  LoadResult r;
  r.generator = "wrk";
  const long requests = j.at("requests").get<long>();
  r.non_2xx = j.at("status").get<long>();
  r.failed = j.at("connect").get<long>() + j.at("read").get<long>() + j.at("write").get<long>() +
             j.at("timeout").get<long>() + r.non_2xx;
  r.completed = std::max(0L, requests - r.non_2xx);
  r.elapsed_s = j.at("duration_us").get<double>() * 1e-6;
  r.throughput_rps = r.elapsed_s > 0 ? static_cast<double>(r.completed) / r.elapsed_s : 0;
  r.mean_ms = j.at("mean_us").get<double>() * 1e-3;
  r.p50_ms = j.at("p50_us").get<double>() * 1e-3;
  r.p90_ms = j.at("p90_us").get<double>() * 1e-3;
  r.p99_ms = j.at("p99_us").get<double>() * 1e-3;
  r.p999_ms = j.at("p999_us").get<double>() * 1e-3;
  r.max_ms = j.at("max_us").get<double>() * 1e-3;
  r.samples = requests;
  return r;
}

std::vector<std::string> load_generator_argv(const LoadSettings& s) {
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port) + s.path;
  if (s.generator == "ab") {
    std::vector<std::string> argv = {installed("/usr/bin/ab"), "-q", "-r", "-s", "60", "-c",
                                     std::to_string(s.clients)};
    if (s.duration_s > 0) {
      // ab preallocates one record per request: bound -n by a rate no run
      // here reaches, but put it after -t (else -t sets -n 50000).
      const long bound = std::max(50000L, static_cast<long>(std::ceil(s.duration_s * 30000)));
      argv.insert(argv.end(), {"-t", std::to_string(static_cast<long>(std::ceil(s.duration_s))),
                               "-n", std::to_string(bound)});
    } else {
      argv.insert(argv.end(), {"-n", std::to_string(s.requests)});
    }
    argv.insert(argv.end(), {"-g", s.work_dir + "/" + s.label + ".ab.tsv", url});
    return argv;
  }
  if (s.generator == "wrk") {
    const double seconds = s.duration_s > 0 ? s.duration_s : 10;
    return {installed("/usr/bin/wrk"),
            "-t",
            "1",
            "-c",
            std::to_string(s.clients),
            "-d",
            std::to_string(static_cast<long>(std::ceil(seconds))) + "s",
            "--timeout",
            "60s",
            "-s",
            s.work_dir + "/stacksim.lua",
            url};
  }
  throw InputError("--load-generator " + s.generator + ": must be ab or wrk");
}

LoadResult run_load(const LoadSettings& s) {
  auto argv = load_generator_argv(s);
  if (s.generator == "wrk") {
    std::ofstream(s.work_dir + "/stacksim.lua") << kWrkScript;
    if (s.duration_s <= 0)
      throw InputError("--requests: wrk runs are timed; use --duration-s with wrk");
  }
  const InstallRoot root = install_root();
  if (::access(argv[0].c_str(), X_OK) != 0)
    throw InputError(root.missing_program(argv[0], s.generator == "ab" ? "apache2-utils" : "wrk"));
  SpawnSpec spec;
  spec.name = s.generator + " (" + s.label + ")";
  spec.argv = argv;
  spec.env = root.environment({"PATH=/usr/bin:/bin", "LANG=C"});
  spec.log_path = s.work_dir + "/" + s.label + "." + s.generator + ".out";
  spec.placement = s.placement;
  Process p = Process::spawn(spec);
  const int status = p.wait();
  const std::string out = read_text_file(spec.log_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(s.generator + " failed (" + spec.log_path +
                             "): " + out.substr(0, 400));
  }
  if (s.generator == "ab")
    return parse_ab_output(out, read_text_file(s.work_dir + "/" + s.label + ".ab.tsv"));
  return parse_wrk_output(out);
}

}  // namespace stacksim::live
