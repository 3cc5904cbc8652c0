#include "calibrate/fit.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "calibrate/fit_model.hpp"
#include "common/input_error.hpp"
#include "common/name_table.hpp"
#include "live/measure/host_info.hpp"
#include "sim/components/topology.hpp"

namespace stacksim::calibrate {

namespace {
constexpr NameTable<EvaluateAt, 3> kEvaluateAts{
    {{EvaluateAt::kMean, "mean"}, {EvaluateAt::kMax, "max"}, {EvaluateAt::kZero, "zero"}}};
constexpr NameTable<Regressor, 5> kRegressors{{
    {Regressor::kNone, "none"},
    {Regressor::kSessions, "sessions"},
    {Regressor::kThroughput, "throughput"},
    {Regressor::kInverseThroughput, "inverse_throughput"},
    {Regressor::kLoad, "load"},
}};

template <typename E, std::size_t N>
E parse_name(const NameTable<E, N>& table, const std::string& name, const std::string& where) {
  E out{};
  if (!value_of(table, name, out))
    throw InputError(where + ": must be one of " + all_names(table, ", ") + ", got \"" + name +
                     "\"");
  return out;
}
}  // namespace

const char* to_string(EvaluateAt e) {
  return name_of(kEvaluateAts, e);
}

EvaluateAt parse_evaluate_at(const std::string& name, const std::string& where) {
  return parse_name(kEvaluateAts, name, where);
}

const char* to_string(Regressor r) {
  return name_of(kRegressors, r);
}

Regressor parse_regressor(const std::string& name, const std::string& where) {
  return parse_name(kRegressors, name, where);
}

int kernel_hops_per_request(const Model& model, const StackModel& stack, const Scenario& scenario) {
  const Topology t = Topology::build(model, stack, scenario);
  int hops = 0;
  for (std::int32_t i : t.main_path()) hops += t.route()[static_cast<std::size_t>(i)].sends ? 1 : 0;
  // pgbouncer's side of the client's disconnect (Pgbouncer::release) sends
  // one more message, off the request's path.
  if (scenario.db_access == DbAccess::kConnectPerRequest) ++hops;
  return hops;
}

namespace {

// The simulator's view of a record's configuration: what decides the path.
Scenario scenario_of(const CalibrationRecord& r) {
  Scenario sc;
  sc.cores = std::max(1, r.cores > 0 ? r.cores : r.cpus_online);
  sc.clients = r.clients;
  sc.sessions = r.sessions;
  sc.delay_ms = r.delay_ms;
  sc.workers = WorkerCounts{r.workers, r.workers, r.workers};
  sc.db_access = r.db_access();
  sc.nginx = true;  // the live runner always runs nginx
  return sc;
}

double regressor_of(const CalibrationRecord& r, Regressor reg) {
  switch (reg) {
    case Regressor::kNone:
      return 0.0;
    case Regressor::kSessions:
      return r.sessions_peak;
    case Regressor::kThroughput:
      return r.throughput_rps;
    case Regressor::kInverseThroughput:
      return 1e6 / r.throughput_rps;  // completed > 0
    case Regressor::kLoad:
      return 1.0 - r.host_busy;
  }
  return 0.0;
}

}  // namespace

std::string today_utc() {
  return live::today_utc();
}

namespace {

// Every record of a stack the prior knows, all from one host: the first.
const CalibrationRecord& check_one_host(const std::vector<CalibrationRecord>& records,
                                        const Model& prior) {
  const CalibrationRecord* first = nullptr;
  for (const CalibrationRecord& r : records) {
    if (!prior.stacks.count(r.stack)) {
      std::string known;
      for (const auto& [name, s] : prior.stacks) known += (known.empty() ? "" : ", ") + name;
      throw InputError(r.source + ": config.stack: stack \"" + r.stack +
                       "\" is not in the prior model " + prior.source + " (its stacks: " + known +
                       ")");
    }
    if (first == nullptr) {
      first = &r;
    } else if (r.cpu_model != first->cpu_model) {
      throw InputError(r.source + ": host.cpu_model: \"" + r.cpu_model + "\" differs from \"" +
                       first->cpu_model + "\" of " + first->source +
                       "; fit records of one host only");
    } else if (r.cpus_online != first->cpus_online) {
      throw InputError(r.source + ": host.cpus_online: " + std::to_string(r.cpus_online) +
                       " differs from " + std::to_string(first->cpus_online) + " of " +
                       first->source + "; fit records of one host only");
    }
  }
  if (first == nullptr) throw InputError("records: none to fit");
  return *first;
}

// The records the fit can use; the others listed in c.skipped with why.
std::vector<const CalibrationRecord*> usable_records(const std::vector<CalibrationRecord>& records,
                                                     const FitOptions& o, Calibration& c) {
  std::vector<const CalibrationRecord*> used;
  for (const CalibrationRecord& r : records) {
    const std::string who = r.id + " (" + r.source + ")";
    if (r.db_access() != DbAccess::kConnectPerRequest) {
      c.skipped.push_back(who + ": db_mode " + r.db_mode +
                          ": an app-side pool changes which bursts run per request; only "
                          "connect-per-request records are fitted");
    } else if (!r.postgres_measured) {
      c.skipped.push_back(who +
                          ": an existing PostgreSQL server (--postgres-url-file): its "
                          "CPU is not measured, so the groups cannot be fitted from it");
    } else if (r.completed <= 0) {
      c.skipped.push_back(who + ": no completed requests, no per-request figures");
    } else if (o.skip_flagged && r.flagged) {
      c.skipped.push_back(who + ": flagged by the live runner (" + r.flag_reason + ")");
    } else {
      used.push_back(&r);
      c.record_ids.push_back(r.id);
    }
  }
  if (used.empty())
    throw InputError("records: none usable for fitting (" + std::to_string(records.size()) +
                     " read, " + std::to_string(c.skipped.size()) + " skipped)" +
                     (c.skipped.empty() ? "" : ": " + c.skipped.front()));
  return used;
}

// The records a fit draws on, with each one's kernel hops per request (the
// kernel group is fitted per hop).
struct Used {
  std::vector<const CalibrationRecord*> records;
  std::vector<double> hops;
  // The group's CPU per request of record i (per hop for the kernel).
  double y(std::size_t i, Group g) const {
    const double v = records[i]->cpu_us_per_request[static_cast<int>(g)];
    return g == Group::kKernel ? v / hops[i] : v;
  }
};

// One group's line over the records of `stack` (every stack when empty).
GroupFit fit_group(const Used& used, const std::string& stack, Group g, const FitOptions& o,
                   EvaluateAt evaluate) {
  GroupFit gf;
  gf.stack = stack;
  gf.group = g;
  std::vector<double> x, y, backends, wall_ms;
  double hop_sum = 0;
  for (std::size_t i = 0; i < used.records.size(); ++i) {
    const CalibrationRecord& r = *used.records[i];
    if (!stack.empty() && r.stack != stack) continue;
    x.push_back(regressor_of(r, o.regressor));
    y.push_back(used.y(i, g));
    backends.push_back(r.sessions_peak);
    wall_ms.push_back(1e3 / r.throughput_rps);
    hop_sum += used.hops[i];
    gf.record_ids.push_back(r.id);
  }
  std::vector<Column> extra;
  if (o.regressor == Regressor::kLoad) {
    if (g != Group::kApp) extra.push_back({kBackendsTerm, backends});
    if (o.cold_term) extra.push_back({kWallTerm, wall_ms});
  }
  // A stack's app with exactly one hot and one cold record: the line
  // through the two (quick calibration), the idle slope before the rest.
  const bool exact = o.exact_app_line && g == Group::kApp && !stack.empty();
  gf.fit = fit_linear(x, y, o.regressor != Regressor::kNone, extra, exact);
  if (evaluate == EvaluateAt::kMax) evaluate_at(gf.fit, *std::max_element(x.begin(), x.end()));
  if (evaluate == EvaluateAt::kZero)
    evaluate_at(gf.fit, 0.0, std::vector<double>(extra.size(), 0.0));
  // The model stretches the demand at idle 0 by (1 + k * idle), k bounded:
  // where that demand comes out near zero against the slope (a pooled fit
  // whose idle share and backends trade off), it is raised to slope / kMax,
  // which moves the line by that much and no more.
  constexpr double kMax = LoadDependence::kMaxIdleInflation;
  if (o.regressor == Regressor::kLoad && evaluate == EvaluateAt::kZero && gf.fit.slope_identified &&
      gf.fit.slope > 0 && gf.fit.value * kMax < gf.fit.slope) {
    gf.value_raised = gf.fit.slope / kMax - gf.fit.value;
    gf.fit.value = gf.fit.slope / kMax;
  }
  gf.hops = hop_sum / static_cast<double>(y.size());
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  gf.x_span = *hi - *lo;
  return gf;
}

// Each stack's scale on the shared groups: what its records measured over
// what the pooled fit gives at the same records (the fit's residuals say),
// so a stack whose requests cost pgbouncer 20% more carries 1.2.
void set_shared_scales(Model& m, const Used& used, Calibration& c) {
  std::map<std::string, std::size_t> by_id;  // index into used
  for (std::size_t i = 0; i < used.records.size(); ++i) by_id[used.records[i]->id] = i;
  for (auto& [name, stack] : m.stacks) {
    for (const GroupFit& gf : c.shared) {
      double measured = 0, fitted = 0;
      for (std::size_t i = 0; i < gf.record_ids.size(); ++i) {
        const std::size_t u = by_id.at(gf.record_ids[i]);
        if (used.records[u]->stack != name) continue;
        const double y = used.y(u, gf.group);
        measured += y;
        fitted += y - gf.fit.residuals[i];
      }
      double f = 1;
      const std::string field = "stacks." + name + ".shared_scale." + shared_scale_key(gf.group);
      if (fitted > 0 && measured > 0) {
        f = measured / fitted;
      } else {
        c.notes.push_back(field +
                          ": not identified (the pooled fit is not positive at its records), 1");
      }
      if (f < SharedScale::kMin || f > SharedScale::kMax) {
        c.notes.push_back(field + ": " + std::to_string(f) + " clamped to its bounds");
        f = std::clamp(f, SharedScale::kMin, SharedScale::kMax);
      }
      shared_scale_of(stack.shared_scale, gf.group) = f;
    }
  }
}

std::vector<std::string> not_identified(const Calibration& c, const Model& prior,
                                        const std::set<std::string>& stacks) {
  std::vector<std::string> n = {
      "per-burst split within each group: the records give CPU per group, not per burst; each "
      "group's fitted total is split over its bursts in the prior model's proportions "
      "(client: send, recv; nginx: request, response; app: pre, connect, query, fetch, close, "
      "respond; pgbouncer: login, query, result, close; postgres: query, fetch, reset)",
      "pgbouncer.server_login and postgres.backend_start: paid once per new server session; "
      "sessions outlive the warm-up, so a window holds too few creations to separate them: "
      "kept from the prior",
      "shape and cv of every demand: the records hold per-group means only: kept from the prior",
      "host.context_switch_us: set to 0, because the measured CPU of each group already "
      "includes its context switches (the per-wake-up cost is not separated from it)",
      "accept_policy and max_concurrency of each stack: kept from the prior",
      std::string(kSchedulerNotFitted) + " (" + std::to_string(prior.host.imbalance) + ", " +
          std::to_string(static_cast<double>(prior.host.wakeup_latency_ns) * 1e-3) + " us)",
      c.regressor == Regressor::kLoad
          ? "load dependence: carried into the model as each group's load (idle_inflation = "
            "slope / demand at idle 0, per_backend_us, cold_us_per_ms); the app's per-backend "
            "cost is not fitted (a sync stack's backends are its workers); host.idle_window_us "
            "(how fast the host's idle share is smoothed) is kept from the prior: the window "
            "averages cannot separate it"
          : "load dependence: the model's demands are constant, read off each group's line at "
            "the regressor's " +
                std::string(to_string(c.evaluate_at)) +
                " (mean, max or zero); the slope is reported, not carried into the model",
      "per-stack differences of client, nginx, pgbouncer, postgres and kernel: the model holds "
      "one value for each, fitted over the records of every stack (per-stack fits reported)"};
  for (const auto& [name, s] : prior.stacks)
    if (!stacks.count(name))
      n.push_back("stack " + name + ": no records, left out of the written model");
  return n;
}

// Provenance, as the model file carries it.
nlohmann::json provenance(const Calibration& c, const Used& used, const Model& prior,
                          const CalibrationRecord& host, const FitOptions& o,
                          nlohmann::json splits) {
  nlohmann::json packages = nlohmann::json::object();
  for (const CalibrationRecord* r : used.records) {
    for (const auto& [name, version] : r->packages.items()) {
      if (!packages.contains(name)) {
        packages[name] = version;
      } else if (packages[name] != version) {
        nlohmann::json& p = packages[name];
        if (!p.is_array()) p = nlohmann::json::array({p});
        if (std::find(p.begin(), p.end(), version) == p.end()) p.push_back(version);
      }
    }
  }
  nlohmann::json prov = to_json(c);
  prov["kind"] = "calibrated";
  prov["date"] = o.date.empty() ? today_utc() : o.date;
  prov["tool"] = "stacksim calibrate fit";
  prov["prior"] = prior.source;
  prov["host"] = {{"cpu_model", host.cpu_model}, {"cores", host.cpus_online}};
  prov["packages"] = packages;
  prov["splits"] = std::move(splits);
  // What validation must keep away from (calibrate/plan.hpp).
  std::set<std::string> configurations;
  for (const CalibrationRecord* r : used.records) configurations.insert(configuration_key(*r));
  prov["configurations"] = std::vector<std::string>(configurations.begin(), configurations.end());
  return prov;
}

}  // namespace

Calibration fit_calibration(const std::vector<CalibrationRecord>& records, const Model& prior,
                            const FitOptions& o) {
  Calibration c;
  c.regressor = o.regressor;
  // The load model's demand is the saturated one: the line at idle = 0.
  c.evaluate_at = o.regressor == Regressor::kLoad ? EvaluateAt::kZero : o.evaluate_at;
  const CalibrationRecord& host = check_one_host(records, prior);
  Used used;
  used.records = usable_records(records, o, c);
  for (const CalibrationRecord* r : used.records)
    used.hops.push_back(kernel_hops_per_request(prior, prior.stacks.at(r->stack), scenario_of(*r)));

  std::set<std::string> stacks;
  for (const CalibrationRecord* r : used.records) stacks.insert(r->stack);
  for (const std::string& s : stacks)
    for (Group g : kGroups) c.per_stack.push_back(fit_group(used, s, g, o, c.evaluate_at));
  for (Group g : kGroups)
    if (g != Group::kApp) c.shared.push_back(fit_group(used, "", g, o, c.evaluate_at));

  nlohmann::json splits = set_demands(c.model, prior, host, o, c);
  set_shared_scales(c.model, used, c);
  set_shared_load(c.model, o, c);
  c.not_identified = not_identified(c, prior, stacks);
  c.model.provenance = provenance(c, used, prior, host, o, std::move(splits));
  return c;
}

}  // namespace stacksim::calibrate
