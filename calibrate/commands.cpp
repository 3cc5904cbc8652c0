// `stacksim calibrate fit`: read live run records, fit each component
// group's CPU demand, write models/<label>.json atomically and print the
// fitted demands with their standard errors and what is not identified.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "calibrate/fit.hpp"
#include "calibrate/model_writer.hpp"
#include "calibrate/record.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {

namespace {
struct FitCommandOptions {
  std::vector<std::string> records;
  std::string prior = "models/estimates.json";
  std::string label;
  std::string out = "models";
  std::string regressor = "sessions";
  std::string evaluate_at = "mean";
  bool skip_flagged = false;
  std::string format = "table";
};

int run_fit(const FitCommandOptions& o) {
  const Model prior = load_model(o.prior);
  const std::string path = model_path(o.out, o.label);
  std::vector<CalibrationRecord> records;
  for (const std::string& file : o.records) {
    auto more = read_record_file(file);
    records.insert(records.end(), more.begin(), more.end());
  }
  FitOptions options;
  options.regressor = parse_regressor(o.regressor, "--regressor");
  options.evaluate_at = parse_evaluate_at(o.evaluate_at, "--evaluate-at");
  options.skip_flagged = o.skip_flagged;
  options.label = "calibrated by stacksim calibrate fit from " +
                  std::to_string(records.size()) + " live records (" + o.label + ")";
  const Calibration c = fit_calibration(records, prior, options);
  write_model_atomically(c.model, path);
  if (o.format == "json") {
    nlohmann::json j = to_json(c);
    j["model"] = path;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << format_summary(c) << "\nWrote " << path << "\n";
  }
  return 0;
}
}  // namespace

void add_calibrate_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("calibrate", "Fit a model file from live run records");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<FitCommandOptions>();
  auto* fit = cmd->add_subcommand(
      "fit",
      "Fit each component group's CPU per request (least squares, standard errors, residuals) "
      "from live records and write <out>/<label>.json");
  fit->add_option("--records", opts->records,
                  "Live results store(s), JSON lines of `stacksim live run` (repeatable)")
      ->required();
  fit->add_option("--prior", opts->prior,
                  "Model giving the stacks, the per-burst proportions and what the records "
                  "cannot identify")
      ->capture_default_str();
  fit->add_option("--label", opts->label, "Name of the model: writes <out>/<label>.json")
      ->required();
  fit->add_option("--out", opts->out, "Directory of the model file")->capture_default_str();
  fit->add_option("--regressor", opts->regressor,
                  "x of y = a + b*x per group: sessions (peak server sessions), throughput (rps), "
                  "inverse_throughput (1e6/rps: the slope is background CPU in cores), none")
      ->capture_default_str();
  fit->add_option("--evaluate-at", opts->evaluate_at,
                  "Read each group's line for the model at the records' mean x, their largest x (max), "
                  "or x = 0 (zero)")
      ->capture_default_str();
  fit->add_flag("--skip-flagged", opts->skip_flagged,
                "Leave out records the live runner flagged (failed requests, foreign CPU)");
  fit->add_option("--format", opts->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  fit->callback([opts, &exit_code] { exit_code = run_fit(*opts); });
}

}  // namespace stacksim::calibrate
