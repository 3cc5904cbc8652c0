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

double median_of(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {

using nlohmann::json;

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

// The records that carry CPU figures, read as calibration reads them (a
// record whose PostgreSQL was outside the runner's cgroups has its postgres
// group NaN, and so its total).
std::vector<CalibrationRecord> with_cpu_figures(const std::vector<const json*>& records) {
  std::vector<CalibrationRecord> out;
  for (const json* r : records) {
    if (!r->contains("cpu")) continue;  // a record without CPU figures tells nothing here
    out.push_back(record_from_live_json(*r, r->value("run_id", "record")));
  }
  return out;
}

// The model's CPU per request against the runs', in total and by group,
// and the host's busy share.
void compare_cpu(ValidationPoint& v, const std::vector<const json*>& records,
                 const StackResult& predicted) {
  const std::vector<CalibrationRecord> measured = with_cpu_figures(records);
  std::vector<double> total, busy;
  for (const CalibrationRecord& r : measured) {
    double sum = 0;
    for (double us : r.cpu_us_per_request) sum += us;
    if (std::isfinite(sum)) total.push_back(sum);
    busy.push_back(r.host_busy);
  }
  v.cpu_us = compare(total, predicted.summary(total_cpu_us).mean);
  v.host_busy = compare(busy, predicted.mean(&RunResult::cpu_utilisation));
  for (int g = 0; g < kGroupCount; ++g) {
    std::vector<double> one;
    for (const CalibrationRecord& r : measured)
      if (std::isfinite(r.cpu_us_per_request[g])) one.push_back(r.cpu_us_per_request[g]);
    v.cpu_us_by_group[g] = compare(
        one, predicted.summary([g](const RunResult& r) { return cpu_by_group(r)[g]; }).mean);
  }
}

// The point predicted again on a host of the given speed (host.speed, the
// speed correction on whatever the model uses).
AtMeasuredSpeed predict_at(const Model& model, const Scenario& group_scenario,
                           const ValidationPoint& v, double speed, unsigned threads) {
  AtMeasuredSpeed out;
  out.speed = speed;
  Model at_speed = model;
  at_speed.host.speed = speed;
  at_speed.host.corrections.add(CpuCorrection::kSpeed);
  Scenario sc = group_scenario;
  sc.stacks = {v.stack};
  sc.baseline = v.stack;
  const StackResult& sr = run_experiment(at_speed, sc, threads).front().stacks.front();
  out.throughput = predicted_as(v.throughput, sr.mean(&RunResult::throughput_rps));
  out.p50 = predicted_as(v.p50, sr.mean(&RunResult::p50_ms));
  out.p99 = predicted_as(v.p99, sr.mean(&RunResult::p99_ms));
  return out;
}

// The speed the model runs at: 1 when it does not use the speed correction.
double model_speed(const Model& model) {
  return model.host.corrections.uses(CpuCorrection::kSpeed) ? model.host.speed : 1.0;
}

// At the runs' CPU (see the header): the model's CPU per request over the
// runs' median.
AtMeasuredSpeed predict_at_cpu_speed(const Model& model, const Scenario& group_scenario,
                                     const ValidationPoint& v, unsigned threads) {
  if (!(v.cpu_us.median > 0 && v.cpu_us.predicted > 0)) return {};
  const double speed = v.cpu_us.predicted / v.cpu_us.median * model_speed(model);
  return predict_at(model, group_scenario, v, speed, threads);
}

// At the runner's reference speed (see the header): the runs' reference
// rate over the profile's; not predicted without either.
AtMeasuredSpeed predict_at_reference_speed(const Model& model, const Scenario& group_scenario,
                                           const ValidationPoint& v, unsigned threads) {
  const double profile_rate = model.host.profile ? model.host.profile->terms.native_rate : 0;
  if (!(profile_rate > 0 && v.reference_rate > 0)) return {};
  const double speed = v.reference_rate / profile_rate * model_speed(model);
  return predict_at(model, group_scenario, v, speed, threads);
}

// The runs' median reference rate, each run's the mean of its rates before
// and after the window; NaN when no record has both.
double reference_rate_of(const std::vector<const json*>& records) {
  std::vector<double> rates;
  for (const json* r : records) {
    if (!r->contains("host_speed")) continue;
    const json& h = r->at("host_speed");
    const double before = h.value("reference_rate_before", 0.0);
    const double after = h.value("reference_rate_after", 0.0);
    if (before > 0 && after > 0) rates.push_back(0.5 * (before + after));
  }
  return median_of(rates);
}

ErrorSummary summarise_errors(const std::vector<const ValidationPoint*>& points) {
  ErrorSummary s;
  s.points = static_cast<int>(points.size());
  std::vector<double> tp, p50, p99, db, cpu, tp_s, p50_s, p99_s, tp_r, p50_r, p99_r;
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
    if (std::isfinite(p->at_reference.speed)) {
      add(tp_r, p->at_reference.throughput);
      add(p50_r, p->at_reference.p50);
      add(p99_r, p->at_reference.p99);
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
  s.throughput_at_reference = median_of(tp_r);
  s.p50_at_reference = median_of(p50_r);
  s.p99_at_reference = median_of(p99_r);
  s.throughput_within_range = points.empty() ? 0.0 : static_cast<double>(within) / points.size();
  return s;
}

}  // namespace

namespace {

// One configuration of the plan, with the store's records of it.
struct Pending {
  live::RunConfig config;
  std::vector<const json*> records;
  int cores = 0;
};

// The plan's distinct configurations with records, grouped by what they
// share but the stack (one simulated scenario each); what the store lacks
// goes to rep.missing.
std::map<std::string, std::vector<Pending>> plan_groups(const Model& model,
                                                        const live::SweepPlan& plan,
                                                        const std::vector<json>& records,
                                                        const ValidateOptions& o,
                                                        ValidationReport& rep) {
  std::map<std::string, std::vector<const json*>> by_key;
  for (const json& r : records) {
    if (!live::belongs_to(plan, r)) continue;
    if (!r.contains("result") || r.at("result").value("completed", 0L) <= 0) continue;
    const bool flagged = r.contains("flags") && (r.at("flags").value("failed_requests", false) ||
                                                 r.at("flags").value("foreign_cpu_high", false));
    if (o.skip_flagged && flagged) continue;
    by_key[r.at("sweep").value("key", "")].push_back(&r);
  }
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
  return groups;
}

// One point: the records' medians and spread against the prediction.
ValidationPoint compare_point(const Pending& m, const StackResult& sr) {
  ValidationPoint v;
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
  v.throughput = compare(tp, sr.mean(&RunResult::throughput_rps));
  v.p50 = compare(p50, sr.mean(&RunResult::p50_ms));
  v.p99 = compare(p99, sr.mean(&RunResult::p99_ms));
  v.sessions_peak =
      compare(db, sr.summary([](const RunResult& r) { return double(r.db_sessions_peak); }).mean);
  compare_cpu(v, m.records, sr);
  return v;
}

// Simulates one group's scenario (every stack at once) and compares each point.
void predict_group(const Model& model, const live::StackRecipes& recipes, const std::string& label,
                   std::vector<Pending>& members, const ValidateOptions& o, ValidationReport& rep) {
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
    ValidationPoint v = compare_point(m, *pr.find(m.config.stack));
    v.stack = m.config.stack;
    v.type = live::find_stack(recipes, v.stack).type;
    v.group = label;
    v.cores = m.cores;
    v.workers = sc.workers.for_type(v.type);
    v.clients = m.config.clients;
    v.sessions = m.config.sessions;
    v.delay_ms = m.config.delay_ms;
    if (o.at_measured_speed) {
      v.at_speed = predict_at_cpu_speed(model, sc, v, o.threads);
      v.reference_rate = reference_rate_of(m.records);
      v.at_reference = predict_at_reference_speed(model, sc, v, o.threads);
    }
    rep.points.push_back(std::move(v));
  }
}

// Winner pairs: every sync stack against every greenlet or coroutine stack
// measured in the same configuration.
void pair_winners(const ValidateOptions& o, ValidationReport& rep) {
  for (const ValidationPoint& s : rep.points) {
    for (const ValidationPoint& a : rep.points) {
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
      if (std::isfinite(a.at_reference.speed) && std::isfinite(s.at_reference.speed)) {
        w.predicted_ratio_at_reference =
            a.at_reference.throughput.predicted / s.at_reference.throughput.predicted;
        w.correct_at_reference =
            (w.predicted_ratio_at_reference > 1 ? a.stack : s.stack) == w.measured_winner;
        ++rep.pairs_at_reference;
        rep.decisive_at_reference += w.decisive ? 1 : 0;
        rep.decisive_correct_at_reference += w.decisive && w.correct_at_reference ? 1 : 0;
        rep.pairs_correct_at_reference += w.correct_at_reference ? 1 : 0;
      }
      rep.pairs.push_back(w);
    }
  }
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
  for (auto& [label, members] : plan_groups(model, plan, records, o, rep))
    predict_group(model, recipes, label, members, o, rep);
  pair_winners(o, rep);
  std::vector<const ValidationPoint*> all;
  std::map<int, std::vector<const ValidationPoint*>> by_cores;
  std::map<WorkerType, std::vector<const ValidationPoint*>> by_type;
  for (const ValidationPoint& p : rep.points) {
    rep.points_at_reference += std::isfinite(p.at_reference.speed) ? 1 : 0;
    all.push_back(&p);
    by_cores[p.cores].push_back(&p);
    by_type[p.type].push_back(&p);
  }
  rep.all = summarise_errors(all);
  for (const auto& [cores, pts] : by_cores) rep.by_cores.emplace_back(cores, summarise_errors(pts));
  for (const auto& [type, pts] : by_type) rep.by_type.emplace_back(type, summarise_errors(pts));
  return rep;
}

}  // namespace stacksim::calibrate
