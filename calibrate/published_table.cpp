#include "calibrate/published_table.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "common/csv.hpp"
#include "common/input_error.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::calibrate {
namespace {

using json_fields::ObjectReader;
using json_fields::Where;

// What the mapping file says of one row.
struct RowMapping {
  std::string stack;
  std::string skip;  // why the row is left out; empty: it is used
  std::vector<std::pair<std::string, std::string>> settings;
};

std::map<std::string, RowMapping> read_mapping(const std::string& path) {
  std::map<std::string, RowMapping> out;
  if (path.empty()) return out;
  const nlohmann::json j = json_fields::read_json_file(path);
  ObjectReader top(j, Where{path, ""});
  if (json_fields::read_string(top.required("schema"), top.where("schema")) != "stacksim.table-map")
    top.where("schema").fail("must be \"stacksim.table-map\"");
  json_fields::read_int(top.required("version"), top.where("version"), 1, 1);
  top.optional("note");
  const nlohmann::json& rows = top.required("rows");
  if (!rows.is_object()) top.where("rows").fail("must be an object: row label -> mapping");
  for (const auto& [label, entry] : rows.items()) {
    ObjectReader r(entry, top.where("rows") / label);
    RowMapping m;
    if (const auto* skip = r.optional("skip"))
      m.skip = json_fields::read_string(*skip, r.where("skip"));
    if (const auto* stack = r.optional("stack"))
      m.stack = json_fields::read_name(*stack, r.where("stack"));
    if (m.skip.empty() == m.stack.empty())
      r.where().fail("needs exactly one of \"stack\" (the model's stack) or \"skip\" (why not)");
    if (const auto* set = r.optional("set")) {
      if (!set->is_object()) r.where("set").fail("must be an object: knob -> value");
      for (const auto& [knob, value] : set->items())
        m.settings.emplace_back(knob, json_fields::read_string(value, r.where("set") / knob));
    }
    r.done();
    out.emplace(label, std::move(m));
  }
  top.done();
  return out;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string known_stacks(const Model& model) {
  std::string s;
  for (const auto& [name, stack] : model.stacks) s += (s.empty() ? "" : ", ") + name;
  return s;
}

// Where a row's fields are read from, and how its stack is named.
class Columns {
 public:
  explicit Columns(const CsvTable& t) : t_(t) {
    stack_ = t.column("stack");
    server_ = t.column("server");
    framework_ = t.column("framework");
    if (stack_ < 0 && (server_ < 0 || framework_ < 0))
      throw InputError(t.source + ": needs a \"stack\" column, or \"server\" and \"framework\"");
    const int relative = t.column("throughput_relative");
    int absolute = t.column("rps");
    if (absolute < 0) absolute = t.column("throughput_rps");
    if (relative >= 0 && absolute >= 0)
      throw InputError(t.source + ": gives both relative and absolute throughput; keep one column");
    kind_ = relative >= 0 ? ThroughputKind::kRelative : ThroughputKind::kAbsolute;
    throughput_ = relative >= 0 ? relative : absolute;
  }
  ThroughputKind kind() const { return kind_; }

  std::string label(std::size_t row) const {
    if (stack_ >= 0) return cell(row, stack_);
    const int first = std::min(server_, framework_), second = std::max(server_, framework_);
    return cell(row, first) + "/" + cell(row, second);
  }
  // The model's stack for a row the mapping does not name.
  std::string guess_stack(std::size_t row, const Model& model) const {
    if (stack_ >= 0) return cell(row, stack_);
    const std::string server = lower(cell(row, server_)), framework = lower(cell(row, framework_));
    for (const std::string& name :
         {server + "-" + framework, server == framework ? framework : std::string(),
          server == "gevent" ? "gunicorn-gevent-" + framework : std::string()})
      if (!name.empty() && model.stacks.count(name)) return name;
    return {};
  }

  std::optional<double> number(std::size_t row, std::string_view column, double min,
                               const Where& w) const {
    const int c = t_.column(column);
    if (c < 0 || cell(row, c).empty()) return std::nullopt;
    return json_fields::parse_number_text(cell(row, c), w / column, min);
  }
  std::optional<double> throughput(std::size_t row, const Where& w) const {
    if (throughput_ < 0 || cell(row, throughput_).empty()) return std::nullopt;
    return json_fields::parse_number_text(
        cell(row, throughput_), w / t_.header[static_cast<std::size_t>(throughput_)], 1e-9);
  }
  std::string text(std::size_t row, std::string_view column) const {
    const int c = t_.column(column);
    return c < 0 ? std::string() : cell(row, c);
  }

 private:
  const std::string& cell(std::size_t row, int c) const {
    return t_.rows[row][static_cast<std::size_t>(c)];
  }
  const CsvTable& t_;
  int stack_ = -1, server_ = -1, framework_ = -1, throughput_ = -1;
  ThroughputKind kind_ = ThroughputKind::kRelative;
};

// The most server sessions a row's configuration can open: a sync worker
// holds one connection at a time, an app pool at most its size per worker,
// pgbouncer at most its cap.
int session_limit(const Scenario& sc, const StackModel& stack) {
  const int workers = sc.workers.for_type(stack.type);
  int limit = sc.sessions;
  if (sc.db_access == DbAccess::kAppPool) limit = std::min(limit, workers * sc.app_pool_size);
  if (stack.type == WorkerType::kSync) limit = std::min(limit, workers);
  return limit;
}

void check_row(const PublishedRow& row, const StackModel& stack, const Columns& cols,
               std::size_t index, const Where& w) {
  const std::string type = lower(cols.text(index, "type"));
  if (!type.empty() && type != to_string(stack.type))
    (w / "type")
        .fail("\"" + type + "\" but the model's " + stack.name + " is " +
              std::string(to_string(stack.type)));
  const auto& db = row.figures.db_sessions_peak;
  const int limit = session_limit(row.scenario, stack);
  if (db && *db > limit)
    (w / "db_sessions_peak")
        .fail(number_text(*db) + " is above the " + std::to_string(limit) +
              " sessions the row's configuration allows (sessions " +
              std::to_string(row.scenario.sessions) + ", " +
              std::to_string(row.scenario.workers.for_type(stack.type)) + " " +
              std::string(to_string(stack.type)) +
              " workers): the table and the scenario disagree");
}

PublishedRow read_row(const Columns& cols, std::size_t index, int line,
                      const std::map<std::string, RowMapping>& mapping, const Model& model,
                      const Scenario& scenario, const Where& where) {
  PublishedRow row;
  row.label = cols.label(index);
  row.line = line;
  const Where w = where / ("line " + std::to_string(line) + " (" + row.label + ")");
  const auto mapped = mapping.find(row.label);
  row.stack = mapped != mapping.end() ? mapped->second.stack : cols.guess_stack(index, model);
  const auto stack = model.stacks.find(row.stack);
  if (stack == model.stacks.end())
    w.fail((row.stack.empty() ? "no stack of the model matches"
                              : "stack \"" + row.stack + "\" is not in the model") +
           "; name it in a mapping file (--map, {\"rows\": {\"" + row.label +
           "\": {\"stack\": NAME}}}); the model's stacks: " + known_stacks(model));
  row.figures.throughput = cols.throughput(index, w);
  row.figures.p50_ms = cols.number(index, "p50_ms", 1e-6, w);
  row.figures.p99_ms = cols.number(index, "p99_ms", 1e-6, w);
  row.figures.db_sessions_peak = cols.number(index, "db_sessions_peak", 0, w);
  row.scenario = scenario;
  row.scenario.stacks = {row.stack};
  row.scenario.sweep.clear();
  // The row runs one stack: every type's count is that stack's W (the table's
  // or the scenario's), so the scenario's checks see only the row's workers.
  int workers = scenario.workers.for_type(stack->second.type);
  if (const auto given = cols.number(index, "workers", 1, w)) workers = static_cast<int>(*given);
  apply_setting(row.scenario, "workers", std::to_string(workers));
  if (mapped != mapping.end())
    for (const auto& [knob, value] : mapped->second.settings) {
      try {
        apply_setting(row.scenario, knob, value);
      } catch (const InputError& e) {
        w.fail(std::string("the mapping's setting: ") + e.what());
      }
    }
  check_scenario(row.scenario);
  check_row(row, stack->second, cols, index, w);
  return row;
}

}  // namespace

const PublishedRow* PublishedTable::baseline_row() const {
  for (const PublishedRow& r : rows)
    if (r.stack == baseline) return &r;
  return nullptr;
}

int PublishedTable::figure_count() const {
  int n = 0;
  for (const PublishedRow& r : rows) {
    const PublishedFigures& f = r.figures;
    n += f.throughput.has_value() + f.p50_ms.has_value() + f.p99_ms.has_value() +
         f.db_sessions_peak.has_value();
  }
  return n;
}

PublishedTable read_published_table(const std::string& csv_path, const std::string& map_path,
                                    const Model& model, const Scenario& scenario) {
  const CsvTable csv = read_csv(csv_path);
  const std::map<std::string, RowMapping> mapping = read_mapping(map_path);
  const Columns cols(csv);
  PublishedTable table;
  table.source = csv_path;
  table.kind = cols.kind();
  table.baseline = scenario.baseline;
  const Where where{csv_path, ""};
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    const auto mapped = mapping.find(cols.label(i));
    if (mapped != mapping.end() && !mapped->second.skip.empty()) {
      table.skipped.emplace_back(mapped->first, mapped->second.skip);
      continue;
    }
    PublishedRow row = read_row(cols, i, csv.lines[i], mapping, model, scenario, where);
    for (const PublishedRow& other : table.rows)
      if (other.stack == row.stack)
        where.fail("line " + std::to_string(row.line) + " (" + row.label + "): maps to stack " +
                   row.stack + " like line " + std::to_string(other.line) + " (" + other.label +
                   "); skip one in the mapping file");
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) throw InputError(csv_path + ": no rows to fit");
  const PublishedRow* base = table.baseline_row();
  if (table.kind == ThroughputKind::kRelative && (!base || !base->figures.throughput))
    throw InputError(csv_path + ": throughput is relative but no row gives the baseline's (" +
                     table.baseline +
                     ", the scenario's baseline) throughput; add that row or set the scenario's "
                     "baseline to a stack the table has");
  return table;
}

}  // namespace stacksim::calibrate
