#include "calibrate/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "common/input_error.hpp"
#include "live/repeat_summary.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

double median_of(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The measured side of c with another prediction.
Comparison predicted_as(Comparison c, double predicted) {
  c.predicted = predicted;
  c.error = c.median != 0 ? (predicted - c.median) / c.median : std::nan("");
  c.within_range = predicted >= c.min && predicted <= c.max;
  return c;
}

Comparison compare(const std::vector<double>& measured, double predicted) {
  Comparison c;
  const live::Spread s = live::spread_of(measured);
  c.repeats = static_cast<int>(measured.size());
  c.median = s.median;
  c.min = s.min;
  c.max = s.max;
  return predicted_as(c, predicted);
}

std::string group_label(const live::RunConfig& c, int cores) {
  std::ostringstream o;
  o << "cores=" << cores << " clients=" << c.clients << " sessions=" << c.sessions
    << " delay_ms=" << c.delay_ms;
  if (c.workers > 0) o << " workers=" << c.workers;
  if (c.db_access() != DbAccess::kConnectPerRequest)
    o << " db_mode=" << c.db_mode << " pool_size=" << c.pool_size;
  return o.str();
}

// One configuration of the plan (all its stacks) as a simulator scenario.
Scenario scenario_for(const live::RunConfig& c, int cores, const std::vector<std::string>& stacks,
                      const std::map<WorkerType, int>& workers, const ValidateOptions& o) {
  Scenario sc;
  sc.source = "validation plan";
  sc.name = group_label(c, cores);
  sc.stacks = stacks;
  sc.baseline = stacks.front();
  sc.cores = cores;
  auto w = [&workers](WorkerType t) {
    const auto it = workers.find(t);
    return it == workers.end() ? 1 : it->second;
  };
  sc.workers =
      WorkerCounts{w(WorkerType::kSync), w(WorkerType::kGreenlet), w(WorkerType::kCoroutine)};
  sc.clients = c.clients;
  sc.sessions = c.sessions;
  sc.delay_ms = c.delay_ms;
  sc.db_access = c.db_access();
  sc.app_pool_size = c.pool_size;
  sc.requests = o.requests;
  sc.warmup_requests = o.warmup_requests;
  sc.replications = o.replications;
  sc.seed = o.seed;
  sc.nginx = true;  // the live runner always runs nginx, one worker per core
  sc.nginx_workers = cores;
  sc.backlog = c.backlog;
  check_scenario(sc);
  return sc;
}

double total_cpu_us(const RunResult& r) {
  double sum = 0;
  for (double us : r.cpu_us_per_request) sum += us;
  return sum;
}

// Each record's CPU per request by group (none for a record without CPU
// figures, or whose PostgreSQL was outside the runner's cgroups: its
// postgres group is NaN, and so is the total).
std::vector<std::array<double, kGroupCount>> measured_cpu_us(
    const std::vector<const json*>& records) {
  std::vector<std::array<double, kGroupCount>> out;
  for (const json* r : records) {
    if (!r->contains("cpu")) continue;  // a record without CPU figures tells nothing here
    out.push_back(record_from_live_json(*r, r->value("run_id", "record")).cpu_us_per_request);
  }
  return out;
}

// The model's CPU per request against the runs', in total and by group.
void compare_cpu(ValidationPoint& v, const std::vector<const json*>& records,
                 const StackResult& predicted) {
  const auto measured = measured_cpu_us(records);
  std::vector<double> total;
  for (const auto& groups : measured) {
    double sum = 0;
    for (double us : groups) sum += us;
    if (std::isfinite(sum)) total.push_back(sum);
  }
  v.cpu_us = compare(total, predicted.summary(total_cpu_us).mean);
  for (int g = 0; g < kGroupCount; ++g) {
    std::vector<double> one;
    for (const auto& groups : measured)
      if (std::isfinite(groups[g])) one.push_back(groups[g]);
    v.cpu_us_by_group[g] = compare(
        one, predicted.summary([g](const RunResult& r) { return cpu_by_group(r)[g]; }).mean);
  }
}

// The point predicted again on a host as fast as its runs were (see the
// header): speed = the model's CPU per request / the runs' median.
AtMeasuredSpeed predict_at_speed(const Model& model, const Scenario& group_scenario,
                                 const ValidationPoint& v, unsigned threads) {
  AtMeasuredSpeed out;
  if (!(v.cpu_us.median > 0 && v.cpu_us.predicted > 0)) return out;
  out.speed = v.cpu_us.predicted / v.cpu_us.median * model.host.speed;
  Model at_speed = model;
  at_speed.host.speed = out.speed;
  Scenario sc = group_scenario;
  sc.stacks = {v.stack};
  sc.baseline = v.stack;
  const StackResult& sr = run_experiment(at_speed, sc, threads).front().stacks.front();
  out.throughput = predicted_as(v.throughput, sr.mean(&RunResult::throughput_rps));
  out.p50 = predicted_as(v.p50, sr.mean(&RunResult::p50_ms));
  out.p99 = predicted_as(v.p99, sr.mean(&RunResult::p99_ms));
  return out;
}

ErrorSummary summarise_errors(const std::vector<const ValidationPoint*>& points) {
  ErrorSummary s;
  s.points = static_cast<int>(points.size());
  std::vector<double> tp, p50, p99, db, cpu, tp_s, p50_s, p99_s;
  int within = 0;
  for (const ValidationPoint* p : points) {
    auto add = [](std::vector<double>& v, const Comparison& c) {
      if (std::isfinite(c.error)) v.push_back(std::abs(c.error));
    };
    add(tp, p->throughput);
    add(p50, p->p50);
    add(p99, p->p99);
    add(db, p->sessions_peak);
    add(cpu, p->cpu_us);
    if (std::isfinite(p->at_speed.speed)) {
      add(tp_s, p->at_speed.throughput);
      add(p50_s, p->at_speed.p50);
      add(p99_s, p->at_speed.p99);
    }
    within += p->throughput.within_range ? 1 : 0;
  }
  s.throughput = median_of(tp);
  s.p50 = median_of(p50);
  s.p99 = median_of(p99);
  s.sessions = median_of(db);
  s.cpu = median_of(cpu);
  s.throughput_at_speed = median_of(tp_s);
  s.p50_at_speed = median_of(p50_s);
  s.p99_at_speed = median_of(p99_s);
  s.throughput_within_range = points.empty() ? 0.0 : static_cast<double>(within) / points.size();
  return s;
}

json number(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json to_json(const Comparison& c) {
  return {{"repeats", c.repeats},
          {"measured_median", number(c.median)},
          {"measured_min", number(c.min)},
          {"measured_max", number(c.max)},
          {"predicted", number(c.predicted)},
          {"error", number(c.error)},
          {"within_range", c.within_range}};
}

json to_json(const ErrorSummary& s) {
  return {{"points", s.points},
          {"median_abs_error",
           {{"throughput", number(s.throughput)},
            {"p50", number(s.p50)},
            {"p99", number(s.p99)},
            {"sessions", number(s.sessions)},
            {"cpu_us_per_request", number(s.cpu)}}},
          {"median_abs_error_at_measured_speed",
           {{"throughput", number(s.throughput_at_speed)},
            {"p50", number(s.p50_at_speed)},
            {"p99", number(s.p99_at_speed)}}},
          {"throughput_within_range", s.throughput_within_range}};
}

std::string pct(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", 100 * v);
  return b;
}
std::string apct(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * v);
  return b;
}
std::string fixed(double v, int prec) {
  if (!std::isfinite(v)) return "-";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

}  // namespace

ValidationReport validate_model(const Model& model, const live::SweepPlan& plan,
                                const live::StackRecipes& recipes, const std::vector<json>& records,
                                const ValidateOptions& o) {
  ValidationReport rep;
  rep.at_measured_speed = o.at_measured_speed;
  rep.model = model.source;
  rep.model_label = model.label;
  rep.plan = plan.path;
  rep.plan_name = plan.name;

  // The plan's distinct configurations, and the store's records of each.
  std::map<std::string, std::vector<const json*>> by_key;
  for (const json& r : records) {
    if (!live::belongs_to(plan, r)) continue;
    if (!r.contains("result") || r.at("result").value("completed", 0L) <= 0) continue;
    const bool flagged = r.contains("flags") && (r.at("flags").value("failed_requests", false) ||
                                                 r.at("flags").value("foreign_cpu_high", false));
    if (o.skip_flagged && flagged) continue;
    by_key[r.at("sweep").value("key", "")].push_back(&r);
  }
  struct Pending {
    live::RunConfig config;
    std::vector<const json*> records;
    int cores = 0;
  };
  std::map<std::string, std::vector<Pending>> groups;  // by group label
  std::set<std::string> seen;
  for (const live::SweepPoint& p : plan.points) {
    if (!seen.insert(p.key).second) continue;
    const auto it = by_key.find(p.key);
    const std::string what = p.config.stack + " " + group_label(p.config, p.config.cores);
    if (it == by_key.end()) {
      rep.missing.push_back(what + ": no record in the store");
      continue;
    }
    if (!model.stacks.count(p.config.stack)) {
      rep.missing.push_back(what + ": the model has no stack " + p.config.stack);
      continue;
    }
    const json& first = *it->second.front();
    Pending pending{p.config, it->second, first.at("host").value("cores_used", 0)};
    groups[group_label(p.config, pending.cores)].push_back(std::move(pending));
  }
  if (groups.empty())
    throw InputError("the store holds no usable record of plan " + plan.path +
                     (rep.missing.empty() ? std::string() : " (" + rep.missing.front() + ")"));

  for (auto& [label, members] : groups) {
    std::sort(members.begin(), members.end(),
              [](const Pending& a, const Pending& b) { return a.config.stack < b.config.stack; });
    std::vector<std::string> stacks;
    std::map<WorkerType, int> workers;
    for (const Pending& m : members) {
      stacks.push_back(m.config.stack);
      const int w = m.records.front()->at("config").value("workers", 1);
      workers[live::find_stack(recipes, m.config.stack).type] = w;
    }
    const Scenario sc =
        scenario_for(members.front().config, members.front().cores, stacks, workers, o);
    const std::vector<ConfigurationResult> predicted = run_experiment(model, sc, o.threads);
    const ConfigurationResult& pr = predicted.front();
    for (const Pending& m : members) {
      const StackResult* sr = pr.find(m.config.stack);
      ValidationPoint v;
      v.stack = m.config.stack;
      v.type = live::find_stack(recipes, v.stack).type;
      v.group = label;
      v.cores = m.cores;
      v.workers = sc.workers.for_type(v.type);
      v.clients = m.config.clients;
      v.sessions = m.config.sessions;
      v.delay_ms = m.config.delay_ms;
      std::vector<double> tp, p50, p99, db;
      for (const json* r : m.records) {
        const json& res = r->at("result");
        tp.push_back(res.at("throughput_rps").get<double>());
        p50.push_back(res.at("latency_ms").at("p50").get<double>());
        p99.push_back(res.at("latency_ms").at("p99").get<double>());
        db.push_back(res.at("peak_server_sessions").get<double>());
        v.record_ids.push_back(r->value("run_id", ""));
        const json& f = r->at("flags");
        if (f.value("failed_requests", false) || f.value("foreign_cpu_high", false)) ++v.flagged;
      }
      v.throughput = compare(tp, sr->mean(&RunResult::throughput_rps));
      v.p50 = compare(p50, sr->mean(&RunResult::p50_ms));
      v.p99 = compare(p99, sr->mean(&RunResult::p99_ms));
      v.sessions_peak = compare(
          db, sr->summary([](const RunResult& r) { return double(r.db_sessions_peak); }).mean);
      compare_cpu(v, m.records, *sr);
      if (o.at_measured_speed) v.at_speed = predict_at_speed(model, sc, v, o.threads);
      rep.points.push_back(std::move(v));
    }
  }

  // Winner pairs: every sync stack against every greenlet or coroutine
  // stack measured in the same configuration.
  for (std::size_t i = 0; i < rep.points.size(); ++i) {
    for (std::size_t j = 0; j < rep.points.size(); ++j) {
      const ValidationPoint& s = rep.points[i];
      const ValidationPoint& a = rep.points[j];
      if (s.group != a.group || s.type != WorkerType::kSync || a.type == WorkerType::kSync)
        continue;
      WinnerPair w;
      w.group = s.group;
      w.sync_stack = s.stack;
      w.async_stack = a.stack;
      w.measured_ratio = a.throughput.median / s.throughput.median;
      w.predicted_ratio = a.throughput.predicted / s.throughput.predicted;
      w.measured_winner = w.measured_ratio > 1 ? a.stack : s.stack;
      w.predicted_winner = w.predicted_ratio > 1 ? a.stack : s.stack;
      w.decisive = a.throughput.min > s.throughput.max || s.throughput.min > a.throughput.max;
      w.correct = w.measured_winner == w.predicted_winner;
      rep.decisive_pairs += w.decisive ? 1 : 0;
      rep.decisive_correct += w.decisive && w.correct ? 1 : 0;
      rep.pairs_correct += w.correct ? 1 : 0;
      if (o.at_measured_speed) {
        w.predicted_ratio_at_speed =
            a.at_speed.throughput.predicted / s.at_speed.throughput.predicted;
        w.correct_at_speed =
            (w.predicted_ratio_at_speed > 1 ? a.stack : s.stack) == w.measured_winner;
        rep.decisive_correct_at_speed += w.decisive && w.correct_at_speed ? 1 : 0;
        rep.pairs_correct_at_speed += w.correct_at_speed ? 1 : 0;
      }
      rep.pairs.push_back(w);
    }
  }

  std::vector<const ValidationPoint*> all;
  std::map<int, std::vector<const ValidationPoint*>> by_cores;
  for (const ValidationPoint& p : rep.points) {
    all.push_back(&p);
    by_cores[p.cores].push_back(&p);
  }
  rep.all = summarise_errors(all);
  for (const auto& [cores, pts] : by_cores) rep.by_cores.emplace_back(cores, summarise_errors(pts));
  return rep;
}

json to_json(const ValidationReport& r) {
  json points = json::array();
  for (const ValidationPoint& p : r.points) {
    json at_speed = nullptr;
    if (r.at_measured_speed) {
      at_speed = {{"speed", number(p.at_speed.speed)},
                  {"throughput_rps", to_json(p.at_speed.throughput)},
                  {"p50_ms", to_json(p.at_speed.p50)},
                  {"p99_ms", to_json(p.at_speed.p99)}};
    }
    json by_group = json::object();
    for (int g = 0; g < kGroupCount; ++g)
      by_group[to_string(kGroups[g])] = to_json(p.cpu_us_by_group[g]);
    points.push_back({{"stack", p.stack},
                      {"type", std::string(to_string(p.type))},
                      {"configuration", p.group},
                      {"cores", p.cores},
                      {"workers", p.workers},
                      {"clients", p.clients},
                      {"sessions", p.sessions},
                      {"delay_ms", p.delay_ms},
                      {"records", p.record_ids},
                      {"flagged_records", p.flagged},
                      {"throughput_rps", to_json(p.throughput)},
                      {"p50_ms", to_json(p.p50)},
                      {"p99_ms", to_json(p.p99)},
                      {"sessions_peak", to_json(p.sessions_peak)},
                      {"cpu_us_per_request", to_json(p.cpu_us)},
                      {"cpu_us_per_request_by_group", by_group},
                      {"at_measured_speed", at_speed}});
  }
  json pairs = json::array();
  for (const WinnerPair& w : r.pairs) {
    pairs.push_back(
        {{"configuration", w.group},
         {"sync", w.sync_stack},
         {"async", w.async_stack},
         {"measured_ratio", number(w.measured_ratio)},
         {"predicted_ratio", number(w.predicted_ratio)},
         {"measured_winner", w.measured_winner},
         {"predicted_winner", w.predicted_winner},
         {"decisive", w.decisive},
         {"correct", w.correct},
         {"predicted_ratio_at_speed", number(w.predicted_ratio_at_speed)},
         {"correct_at_speed", r.at_measured_speed ? json(w.correct_at_speed) : json()}});
  }
  json cores = json::object();
  for (const auto& [c, s] : r.by_cores) cores[std::to_string(c)] = to_json(s);
  return {{"schema", "stacksim.validation"},
          {"version", 1},
          {"model", r.model},
          {"model_label", r.model_label},
          {"plan", r.plan},
          {"plan_name", r.plan_name},
          {"stores", r.stores},
          {"summary",
           {{"all", to_json(r.all)},
            {"by_cores", cores},
            {"winner",
             {{"pairs", r.pairs.size()},
              {"correct", r.pairs_correct},
              {"decisive_pairs", r.decisive_pairs},
              {"decisive_correct", r.decisive_correct},
              {"correct_at_speed", r.at_measured_speed ? json(r.pairs_correct_at_speed) : json()},
              {"decisive_correct_at_speed",
               r.at_measured_speed ? json(r.decisive_correct_at_speed) : json()}}}}},
          {"points", points},
          {"pairs", pairs},
          {"missing", r.missing}};
}

std::string to_markdown(const ValidationReport& r) {
  std::ostringstream o;
  o << "# Validation of " << r.model << "\n\n"
    << "Model: " << r.model_label << "  \nPlan: " << r.plan << " (" << r.plan_name
    << "): configurations the model was not fitted from, run live with repeats.\n";
  if (!r.stores.empty()) {
    o << "Records: ";
    for (std::size_t i = 0; i < r.stores.size(); ++i) o << (i ? ", " : "") << r.stores[i];
    o << "  \n";
  }
  o << "Error = (predicted - measured median) / measured median; \"in range\" = the "
       "prediction lies between the smallest and largest measured repeat.\n\n"
    << "## Summary\n\n"
    << "| points | cores | throughput | P50 | P99 | #DB | throughput in range | CPU per request |\n"
    << "|---|---|---|---|---|---|---|---|\n";
  auto row = [&o](const std::string& cores, const ErrorSummary& s) {
    o << "| " << s.points << " | " << cores << " | " << apct(s.throughput) << " | " << apct(s.p50)
      << " | " << apct(s.p99) << " | " << apct(s.sessions) << " | "
      << apct(s.throughput_within_range) << " | " << apct(s.cpu) << " |\n";
  };
  row("all", r.all);
  for (const auto& [c, s] : r.by_cores) row(std::to_string(c), s);
  o << "\n(median absolute errors)\n\n"
    << "Winner (sync vs async stack in one configuration): " << r.pairs_correct << " of "
    << r.pairs.size() << " pairs right; " << r.decisive_correct << " of " << r.decisive_pairs
    << " where the measured gap exceeds the repeats' ranges.\n\n";
  if (r.at_measured_speed) {
    o << "### At the runs' measured speed\n\n"
      << "The CPU a request costs drifts between runs on a shared machine. Each point "
         "predicted again on a host whose speed makes the model's CPU per request equal "
         "its runs' median (speed = model / measured): what error remains is the queueing "
         "model's.\n\n"
      << "| points | cores | throughput | P50 | P99 |\n|---|---|---|---|---|\n";
    auto at_speed = [&o](const std::string& cores, const ErrorSummary& s) {
      o << "| " << s.points << " | " << cores << " | " << apct(s.throughput_at_speed) << " | "
        << apct(s.p50_at_speed) << " | " << apct(s.p99_at_speed) << " |\n";
    };
    at_speed("all", r.all);
    for (const auto& [c, s] : r.by_cores) at_speed(std::to_string(c), s);
    o << "\nWinner at the runs' speed: " << r.pairs_correct_at_speed << " of " << r.pairs.size()
      << " pairs right; " << r.decisive_correct_at_speed << " of " << r.decisive_pairs
      << " decisive.\n\n";
  }
  std::vector<const WinnerPair*> wrong;
  for (const WinnerPair& w : r.pairs)
    if (w.decisive && !w.correct) wrong.push_back(&w);
  if (!wrong.empty()) {
    o << "Decisive pairs predicted wrong:\n\n| configuration | sync | async | measured async/sync "
         "| predicted |\n|---|---|---|---|---|\n";
    for (const WinnerPair* w : wrong)
      o << "| " << w->group << " | " << w->sync_stack << " | " << w->async_stack << " | "
        << fixed(w->measured_ratio, 2) << " | " << fixed(w->predicted_ratio, 2) << " |\n";
    o << "\n";
  }
  o << "## Points\n\n"
    << "| configuration | stack | type | W | rps measured (range) | rps predicted | err | P50 ms "
       "meas / pred | err | P99 ms meas / pred | err | #DB meas / pred | err | CPU us/req "
       "meas / pred |"
    << (r.at_measured_speed ? " speed | rps err at speed |\n" : "\n")
    << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    << (r.at_measured_speed ? "---|---|\n" : "\n");
  std::string last;
  for (const ValidationPoint& p : r.points) {
    o << "| " << (p.group == last ? "" : p.group) << " | " << p.stack
      << (p.flagged ? " (flagged)" : "") << " | " << to_string(p.type) << " | " << p.workers
      << " | " << fixed(p.throughput.median, 0) << " (" << fixed(p.throughput.min, 0) << "-"
      << fixed(p.throughput.max, 0) << ") | " << fixed(p.throughput.predicted, 0) << " | "
      << pct(p.throughput.error) << " | " << fixed(p.p50.median, 1) << " / "
      << fixed(p.p50.predicted, 1) << " | " << pct(p.p50.error) << " | " << fixed(p.p99.median, 1)
      << " / " << fixed(p.p99.predicted, 1) << " | " << pct(p.p99.error) << " | "
      << fixed(p.sessions_peak.median, 0) << " / " << fixed(p.sessions_peak.predicted, 1) << " | "
      << pct(p.sessions_peak.error) << " | " << fixed(p.cpu_us.median, 0) << " / "
      << fixed(p.cpu_us.predicted, 0) << " |";
    if (r.at_measured_speed)
      o << " " << fixed(p.at_speed.speed, 2) << " | " << pct(p.at_speed.throughput.error) << " |";
    o << "\n";
    last = p.group;
  }
  if (!r.missing.empty()) {
    o << "\n## Not validated\n\n";
    for (const std::string& m : r.missing) o << "- " << m << "\n";
  }
  return o.str();
}

}  // namespace stacksim::calibrate
