#include "calibrate/fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/input_error.hpp"
#include "live/host_info.hpp"
#include "sim/components/topology.hpp"

namespace stacksim::calibrate {

namespace {
bool varies(const std::vector<double>& v, double mean) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi - *lo > 1e-9 * std::max(1.0, std::abs(mean));
}
double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m += e;
  return v.empty() ? 0.0 : m / static_cast<double>(v.size());
}
}  // namespace

const ExtraTerm* LinearFit::term(const std::string& name) const {
  for (const ExtraTerm& t : extra)
    if (t.name == name) return &t;
  return nullptr;
}

LinearFit fit_linear(const std::vector<double>& x, const std::vector<double>& y, bool with_slope,
                     const std::vector<Column>& extra, bool exact) {
  if (y.empty() || x.size() != y.size())
    throw std::invalid_argument("fit_linear: need as many x as y, at least one");
  for (const Column& c : extra)
    if (c.second.size() != y.size())
      throw std::invalid_argument("fit_linear: term " + c.first + " has not as many values as y");
  LinearFit f;
  f.n = static_cast<int>(y.size());
  f.x_mean = mean_of(x);
  f.x_ref = f.x_mean;
  auto note = [&f](const std::string& why) { f.note += (f.note.empty() ? "" : "; ") + why; };
  // Each regressor needs one more point than the coefficients so far (or,
  // exact, as many: the line through them, with no error estimate), and spread.
  const int spare = exact ? 1 : 2;
  int p = 1;
  f.slope_identified = with_slope && f.n >= p + spare && varies(x, f.x_mean);
  if (with_slope && !f.slope_identified)
    note(f.n < p + spare ? "slope not identified: too few records"
                         : "slope not identified: the regressor does not vary");
  if (f.slope_identified) ++p;
  for (const Column& c : extra) {
    ExtraTerm t;
    t.name = c.first;
    t.mean = mean_of(c.second);
    t.ref = t.mean;
    t.identified = f.n >= p + spare && varies(c.second, t.mean);
    if (!t.identified)
      note(t.name + " not identified: " +
           (f.n < p + spare ? std::string("too few records") : std::string("it does not vary")));
    if (t.identified) ++p;
    f.extra.push_back(t);
  }

  // Centred design: column 0 is 1, then x - mean(x), then each z_j - mean:
  // the first coefficient is the value at the means.
  Eigen::MatrixXd design(f.n, p);
  Eigen::VectorXd obs(f.n);
  for (int i = 0; i < f.n; ++i) {
    int col = 0;
    design(i, col++) = 1.0;
    if (f.slope_identified) design(i, col++) = x[i] - f.x_mean;
    for (std::size_t j = 0; j < extra.size(); ++j)
      if (f.extra[j].identified) design(i, col++) = extra[j].second[i] - f.extra[j].mean;
    obs(i) = y[i];
  }
  const Eigen::VectorXd beta = design.colPivHouseholderQr().solve(obs);
  const Eigen::VectorXd resid = obs - design * beta;
  f.residuals.assign(resid.data(), resid.data() + f.n);
  int col = 1;
  f.intercept = beta(0);
  if (f.slope_identified) {
    f.slope = beta(col++);
    f.intercept -= f.slope * f.x_mean;
  }
  for (ExtraTerm& t : f.extra) {
    if (!t.identified) continue;
    t.coef = beta(col++);
    f.intercept -= t.coef * t.mean;
  }
  if (f.n > p) {
    const double sigma2 = resid.squaredNorm() / (f.n - p);
    const Eigen::MatrixXd cov = sigma2 * (design.transpose() * design).inverse();
    f.residual_sd = std::sqrt(sigma2);
    f.cov.assign(static_cast<std::size_t>(p * p), 0.0);
    for (int r = 0; r < p; ++r)
      for (int c = 0; c < p; ++c) f.cov[static_cast<std::size_t>(r * p + c)] = cov(r, c);
    col = 1;
    if (f.slope_identified) {
      f.slope_se = std::sqrt(cov(col, col));
      ++col;
    }
    for (ExtraTerm& t : f.extra) {
      if (!t.identified) continue;
      t.se = std::sqrt(cov(col, col));
      ++col;
    }
  } else {
    note("standard errors not identified: " + std::to_string(f.n) + " record(s) for " +
         std::to_string(p) + " coefficient(s)");
  }
  // The intercept is the fit with every regressor at 0: same covariance, other point.
  LinearFit at_zero = f;
  evaluate_at(at_zero, 0.0, std::vector<double>(f.extra.size(), 0.0));
  f.intercept_se = at_zero.value_se;
  evaluate_at(f, f.x_mean);
  return f;
}

void evaluate_at(LinearFit& f, double x) {
  std::vector<double> refs;
  for (const ExtraTerm& t : f.extra) refs.push_back(t.ref);
  evaluate_at(f, x, refs);
}

void evaluate_at(LinearFit& f, double x, const std::vector<double>& extra_refs) {
  if (extra_refs.size() != f.extra.size())
    throw std::invalid_argument("evaluate_at: one ref per extra term");
  if (f.slope_identified) f.x_ref = x;
  // g = (1, x - mean, z_j - mean...) over the identified coefficients; value = intercept + ...
  std::vector<double> g = {1.0};
  f.value = f.intercept + f.slope * f.x_mean;
  if (f.slope_identified) {
    g.push_back(f.x_ref - f.x_mean);
    f.value += f.slope * (f.x_ref - f.x_mean);
  }
  for (std::size_t j = 0; j < f.extra.size(); ++j) {
    ExtraTerm& t = f.extra[j];
    if (!t.identified) continue;
    t.ref = extra_refs[j];
    f.value += t.coef * t.ref;
    g.push_back(t.ref - t.mean);
  }
  if (f.cov.empty()) {
    f.value_se = kNotIdentified;
    return;
  }
  const std::size_t p = g.size();
  double var = 0;
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t c = 0; c < p; ++c) var += g[r] * f.cov[r * p + c] * g[c];
  f.value_se = std::sqrt(std::max(0.0, var));
}

const char* to_string(EvaluateAt e) {
  switch (e) {
    case EvaluateAt::kMean:
      return "mean";
    case EvaluateAt::kMax:
      return "max";
    case EvaluateAt::kZero:
      return "zero";
  }
  return "?";
}

EvaluateAt parse_evaluate_at(const std::string& name, const std::string& where) {
  if (name == "mean") return EvaluateAt::kMean;
  if (name == "max") return EvaluateAt::kMax;
  if (name == "zero") return EvaluateAt::kZero;
  throw InputError(where + ": must be mean, max or zero, got \"" + name + "\"");
}

const char* to_string(Regressor r) {
  switch (r) {
    case Regressor::kNone:
      return "none";
    case Regressor::kSessions:
      return "sessions";
    case Regressor::kThroughput:
      return "throughput";
    case Regressor::kInverseThroughput:
      return "inverse_throughput";
    case Regressor::kLoad:
      return "load";
  }
  return "?";
}

Regressor parse_regressor(const std::string& name, const std::string& where) {
  if (name == "none") return Regressor::kNone;
  if (name == "sessions") return Regressor::kSessions;
  if (name == "throughput") return Regressor::kThroughput;
  if (name == "inverse_throughput") return Regressor::kInverseThroughput;
  if (name == "load") return Regressor::kLoad;
  throw InputError(where +
                   ": must be one of load, none, sessions, throughput, inverse_throughput, got \"" +
                   name + "\"");
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

// The load model's extra terms (Regressor::kLoad).
constexpr const char* kBackendsTerm = "backends";
constexpr const char* kWallTerm = "wall_ms_per_request";

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

// The bursts of one group a steady-state request runs in connect-per-request
// mode (Topology::build): their prior means fix the split of the group's
// fitted total. The kernel's single per-hop demand is handled apart.
std::vector<Distribution*> bursts_of(Group g, Model& m, StackModel* s) {
  switch (g) {
    case Group::kClient:
      return {&m.client.send, &m.client.recv};
    case Group::kNginx:
      return {&m.proxy.request, &m.proxy.response};
    case Group::kApp:
      return {&s->pre, &s->connect, &s->query, &s->fetch, &s->close, &s->respond};
    case Group::kPgbouncer:
      return {&m.pgbouncer.login, &m.pgbouncer.query, &m.pgbouncer.result, &m.pgbouncer.close};
    case Group::kPostgres:
      return {&m.postgres.query, &m.postgres.fetch, &m.postgres.reset};
    case Group::kKernel:
      return {&m.kernel.per_hop};
  }
  return {};
}

Distribution with_mean(const Distribution& d, double mean_ns) {
  return Distribution(d.shape(), std::max(0.0, mean_ns), d.cv());
}

// Sets the group's bursts to total_us in the prior's proportions; returns the
// shares used, as a sentence for provenance.
std::string split_group(const std::vector<Distribution*>& bursts, double total_us) {
  double prior_sum = 0;
  for (const Distribution* d : bursts) prior_sum += d->mean();
  std::ostringstream shares;
  shares << std::fixed << std::setprecision(3);
  for (std::size_t i = 0; i < bursts.size(); ++i) {
    const double share = prior_sum > 0 ? bursts[i]->mean() / prior_sum : 1.0 / bursts.size();
    shares << (i ? ", " : "") << share;
    *bursts[i] = with_mean(*bursts[i], total_us * 1e3 * share);
  }
  return (prior_sum > 0 ? "prior proportions " : "equal shares (the prior's are all 0) ") +
         shares.str();
}

// The load model of a group from its fit y = d + e idle + b backends + c
// wall_ms: k = e / d, per backend b, cold cost c per ms of wall clock per
// request (the kernel's per hop). A coefficient that is not identified, or
// has the wrong sign for what it stands for (a host is not faster for being
// idle or for having had time to cool), is 0 and a note says so; a
// negative per-backend cost is kept (batching at high concurrency).
// background_cores stays 0: the wall-clock term cannot tell CPU spent per
// second from CPU spent per request after a long gap, and latencies (the
// cold work sits on the request's path) say it is the latter.
LoadDependence load_of(const GroupFit& gf, std::vector<std::string>& notes) {
  const std::string who =
      (gf.stack.empty() ? std::string("") : gf.stack + " ") + to_string(gf.group);
  const LinearFit& f = gf.fit;
  LoadDependence l;
  if (!f.slope_identified) {
    notes.push_back(who + " idle inflation: not identified (" + f.note + "), set to 0");
  } else if (f.value <= 0 || f.slope <= 0) {
    notes.push_back(who + " idle inflation: the fitted slope is not positive, set to 0");
  } else {
    l.idle_inflation = f.slope / f.value;
  }
  if (const ExtraTerm* b = f.term(kBackendsTerm)) {
    if (b->identified)
      l.per_backend_ns = b->coef * 1e3;
    else
      notes.push_back(who + " per backend: not identified, set to 0");
  }
  if (const ExtraTerm* w = f.term(kWallTerm)) {
    if (!w->identified) {
      notes.push_back(who + " cold-cache cost: not identified, set to 0");
    } else if (w->coef <= 0) {
      notes.push_back(who + " cold-cache cost: the fitted coefficient is not positive, set to 0");
    } else {
      l.cold_ns_per_ms = w->coef * 1e3;  // us per ms of wall clock per request (per hop: kernel)
    }
  }
  return l;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nullptr;
}

nlohmann::json fit_json(const GroupFit& g) {
  const LinearFit& f = g.fit;
  nlohmann::json j = {{"group", to_string(g.group)},
                      {"unit", g.group == Group::kKernel ? "us per hop" : "us per request"},
                      {"n", f.n},
                      {"value_us", f.value},
                      {"value_se_us", number_or_null(f.value_se)},
                      {"x_mean", f.x_mean},
                      {"x_ref", f.x_ref},
                      {"slope_identified", f.slope_identified},
                      {"intercept_us", f.intercept},
                      {"intercept_se_us", number_or_null(f.intercept_se)},
                      {"slope_us_per_x", f.slope},
                      {"slope_se", number_or_null(f.slope_se)},
                      {"residual_sd_us", number_or_null(f.residual_sd)},
                      {"note", f.note}};
  nlohmann::json terms = nlohmann::json::object();
  for (const ExtraTerm& t : f.extra)
    terms[t.name] = {{"identified", t.identified},
                     {"coef", t.coef},
                     {"se", number_or_null(t.se)},
                     {"mean", t.mean},
                     {"ref", t.ref}};
  if (!f.extra.empty()) j["extra_terms"] = terms;
  if (f.slope_identified && f.value > 0) j["slope_over_demand"] = f.slope / f.value;
  if (!g.stack.empty()) j["stack"] = g.stack;
  if (g.group == Group::kKernel) j["hops_per_request"] = g.hops;
  nlohmann::json res = nlohmann::json::object();
  for (std::size_t i = 0; i < g.record_ids.size(); ++i) res[g.record_ids[i]] = f.residuals[i];
  j["residuals_us"] = res;
  return j;
}

// The model's name of a shared group in stacks.<s>.shared_scale, and its field.
const char* shared_scale_key(Group g) {
  switch (g) {
    case Group::kClient:
      return "client";
    case Group::kNginx:
      return "proxy";
    case Group::kKernel:
      return "kernel";
    case Group::kPgbouncer:
      return "pgbouncer";
    case Group::kPostgres:
      return "postgres";
    case Group::kApp:
      break;
  }
  throw std::logic_error("the app is not a shared group");
}
double& shared_scale_of(SharedScale& f, Group g) {
  switch (g) {
    case Group::kClient:
      return f.client;
    case Group::kNginx:
      return f.proxy;
    case Group::kKernel:
      return f.kernel;
    case Group::kPgbouncer:
      return f.pgbouncer;
    case Group::kPostgres:
      return f.postgres;
    case Group::kApp:
      break;
  }
  throw std::logic_error("the app is not a shared group");
}

}  // namespace

std::string today_utc() {
  return live::today_utc();
}

Calibration fit_calibration(const std::vector<CalibrationRecord>& records, const Model& prior,
                            const FitOptions& o) {
  Calibration c;
  c.regressor = o.regressor;
  // The load model's demand is the saturated one: the line at idle = 0.
  c.evaluate_at = o.regressor == Regressor::kLoad ? EvaluateAt::kZero : o.evaluate_at;

  // Checks first: every record of a stack the prior knows, all from one host.
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

  // Kernel work is fitted per hop: each record's kernel CPU over the hops its
  // configuration makes in the simulator.
  std::vector<double> hops(used.size());
  for (std::size_t i = 0; i < used.size(); ++i)
    hops[i] =
        kernel_hops_per_request(prior, prior.stacks.at(used[i]->stack), scenario_of(*used[i]));

  const bool with_slope = o.regressor != Regressor::kNone;
  auto fit_over = [&](const std::string& stack, Group g) {
    GroupFit gf;
    gf.stack = stack;
    gf.group = g;
    std::vector<double> x, y, backends, wall_ms;
    double hop_sum = 0;
    for (std::size_t i = 0; i < used.size(); ++i) {
      if (!stack.empty() && used[i]->stack != stack) continue;
      double v = used[i]->cpu_us_per_request[static_cast<int>(g)];
      if (g == Group::kKernel) v /= hops[i];
      x.push_back(regressor_of(*used[i], o.regressor));
      y.push_back(v);
      backends.push_back(used[i]->sessions_peak);
      wall_ms.push_back(1e3 / used[i]->throughput_rps);
      hop_sum += hops[i];
      gf.record_ids.push_back(used[i]->id);
    }
    std::vector<Column> extra;
    if (o.regressor == Regressor::kLoad) {
      if (g != Group::kApp) extra.push_back({kBackendsTerm, backends});
      if (o.cold_term) extra.push_back({kWallTerm, wall_ms});
    }
    // A stack's app with exactly one hot and one cold record: the line
    // through the two (quick calibration), the idle slope before the rest.
    const bool exact = o.exact_app_line && g == Group::kApp && !stack.empty();
    gf.fit = fit_linear(x, y, with_slope, extra, exact);
    if (c.evaluate_at == EvaluateAt::kMax)
      evaluate_at(gf.fit, *std::max_element(x.begin(), x.end()));
    if (c.evaluate_at == EvaluateAt::kZero)
      evaluate_at(gf.fit, 0.0, std::vector<double>(extra.size(), 0.0));
    gf.hops = hop_sum / static_cast<double>(y.size());
    return gf;
  };

  std::set<std::string> stacks;
  for (const CalibrationRecord* r : used) stacks.insert(r->stack);
  for (const std::string& s : stacks)
    for (Group g : kGroups) c.per_stack.push_back(fit_over(s, g));
  for (Group g : kGroups)
    if (g != Group::kApp) c.shared.push_back(fit_over("", g));

  // The model: the prior's structure with the fitted means.
  Model& m = c.model;
  m = prior;
  m.source.clear();
  m.label = o.label;
  m.host.cores = first->cpus_online;
  m.host.cpu_model = first->cpu_model;
  // The measured CPU of every group already contains its context switches:
  // charging them again per wake-up would count them twice.
  m.host.context_switch_ns = 0;
  m.stacks.clear();
  nlohmann::json splits = nlohmann::json::object();
  for (const GroupFit& gf : c.shared)
    splits[to_string(gf.group)] = split_group(bursts_of(gf.group, m, nullptr), gf.fit.value);
  for (const GroupFit& gf : c.per_stack) {
    if (gf.group != Group::kApp) continue;
    StackModel s = prior.stacks.at(gf.stack);
    splits["stacks." + gf.stack] = split_group(bursts_of(Group::kApp, m, &s), gf.fit.value);
    s.load = LoadDependence{};
    if (o.regressor == Regressor::kLoad) s.load = load_of(gf, c.notes);
    m.stacks[gf.stack] = s;
  }
  // Each stack's scale on the shared groups: what its records measured over
  // what the pooled fit gives at the same records (the fit's residuals
  // say), so a stack whose requests cost pgbouncer 20% more carries 1.2.
  {
    std::map<std::string, std::size_t> by_id;  // index into used (and hops)
    for (std::size_t i = 0; i < used.size(); ++i) by_id[used[i]->id] = i;
    for (auto& [name, stack] : m.stacks) {
      for (const GroupFit& gf : c.shared) {
        double measured = 0, fitted = 0;
        for (std::size_t i = 0; i < gf.record_ids.size(); ++i) {
          const std::size_t u = by_id.at(gf.record_ids[i]);
          if (used[u]->stack != name) continue;
          double y = used[u]->cpu_us_per_request[static_cast<int>(gf.group)];
          if (gf.group == Group::kKernel) y /= hops[u];
          measured += y;
          fitted += y - gf.fit.residuals[i];
        }
        double f = 1;
        if (fitted > 0 && measured > 0) {
          f = measured / fitted;
        } else {
          c.notes.push_back("stacks." + name + ".shared_scale." + shared_scale_key(gf.group) +
                            ": not identified (the pooled fit is not positive at its records), 1");
        }
        if (f < SharedScale::kMin || f > SharedScale::kMax) {
          c.notes.push_back("stacks." + name + ".shared_scale." + shared_scale_key(gf.group) +
                            ": " + std::to_string(f) + " clamped to its bounds");
          f = std::clamp(f, SharedScale::kMin, SharedScale::kMax);
        }
        shared_scale_of(stack.shared_scale, gf.group) = f;
      }
    }
  }
  // Load dependence of the shared groups.
  for (LoadDependence* l :
       {&m.client.load, &m.proxy.load, &m.kernel.load, &m.pgbouncer.load, &m.postgres.load})
    *l = LoadDependence{};
  if (o.regressor == Regressor::kLoad) {
    for (const GroupFit& gf : c.shared) {
      const LoadDependence l = load_of(gf, c.notes);
      switch (gf.group) {
        case Group::kClient:
          m.client.load = l;
          break;
        case Group::kNginx:
          m.proxy.load = l;
          break;
        case Group::kPgbouncer:
          m.pgbouncer.load = l;
          break;
        case Group::kKernel:
          m.kernel.load = l;
          break;
        case Group::kPostgres:
          m.postgres.load = l;
          break;
        case Group::kApp:
          break;
      }
    }
  }

  c.not_identified = {
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
      o.regressor == Regressor::kLoad
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
      c.not_identified.push_back("stack " + name + ": no records, left out of the written model");

  // Provenance, as the model file carries it.
  nlohmann::json packages = nlohmann::json::object();
  for (const CalibrationRecord* r : used) {
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
  prov["host"] = {{"cpu_model", first->cpu_model}, {"cores", first->cpus_online}};
  prov["packages"] = packages;
  prov["splits"] = splits;
  // What validation must keep away from (calibrate/plan.hpp).
  std::set<std::string> configurations;
  for (const CalibrationRecord* r : used) configurations.insert(configuration_key(*r));
  prov["configurations"] = std::vector<std::string>(configurations.begin(), configurations.end());
  m.provenance = prov;
  return c;
}

nlohmann::json to_json(const Calibration& c) {
  nlohmann::json j;
  j["regressor"] = to_string(c.regressor);
  j["evaluate_at"] = to_string(c.evaluate_at);
  j["records"] = c.record_ids;
  j["skipped"] = c.skipped;
  nlohmann::json per_stack = nlohmann::json::array();
  for (const GroupFit& g : c.per_stack) per_stack.push_back(fit_json(g));
  nlohmann::json shared = nlohmann::json::array();
  for (const GroupFit& g : c.shared) shared.push_back(fit_json(g));
  j["fits_per_stack"] = per_stack;
  j["fits_shared"] = shared;
  j["not_identified"] = c.not_identified;
  j["notes"] = c.notes;
  return j;
}

std::string format_summary(const Calibration& c) {
  std::ostringstream o;
  auto num = [](double v, int prec) {
    std::ostringstream s;
    if (std::isfinite(v)) {
      s << std::fixed << std::setprecision(prec) << v;
    } else {
      s << "n/i";
    }
    return s.str();
  };
  const std::string x = c.regressor == Regressor::kSessions            ? "#DB"
                        : c.regressor == Regressor::kThroughput        ? "rps"
                        : c.regressor == Regressor::kInverseThroughput ? "us/req"
                        : c.regressor == Regressor::kLoad              ? "idle"
                                                                       : "-";
  auto rows = [&](const std::vector<GroupFit>& fits) {
    o << std::left << std::setw(26) << "stack" << std::setw(12) << "group" << std::right
      << std::setw(4) << "n" << std::setw(11) << "demand_us" << std::setw(9) << "se_us"
      << std::setw(14) << ("slope/" + x) << std::setw(10) << "slope_se" << std::setw(10)
      << "resid_sd" << std::setw(11) << "at " + x << "\n";
    for (const GroupFit& g : fits) {
      const LinearFit& f = g.fit;
      const std::string group =
          g.group == Group::kKernel ? "kernel/hop" : std::string(to_string(g.group));
      o << std::left << std::setw(26) << (g.stack.empty() ? "(all stacks)" : g.stack)
        << std::setw(12) << group << std::right << std::setw(4) << f.n << std::setw(11)
        << num(f.value, 1) << std::setw(9) << num(f.value_se, 1) << std::setw(14)
        << (f.slope_identified ? num(f.slope, 4) : "n/i") << std::setw(10)
        << (f.slope_identified ? num(f.slope_se, 4) : "n/i") << std::setw(10)
        << num(f.residual_sd, 1) << std::setw(11) << num(f.x_ref, 1);
      if (g.group == Group::kKernel) o << "  (" << num(g.hops, 1) << " hops/request)";
      for (const ExtraTerm& t : f.extra)
        o << "  " << t.name << " " << (t.identified ? num(t.coef, 3) : "n/i") << " +- "
          << num(t.se, 3);
      o << "\n";
    }
  };
  o << "Fitted CPU demand per request (us) from " << c.record_ids.size()
    << " records, y = a + b*x with x = " << to_string(c.regressor)
    << "; demand = the fit at x = " << to_string(c.evaluate_at)
    << " (of the records' x); n/i = not identified\n\n";
  o << "Per stack (app goes into the model):\n";
  rows(c.per_stack);
  o << "\nShared components, over every stack (these go into the model):\n";
  rows(c.shared);
  o << "\nEach stack's scale on them (stacks.<s>.shared_scale: its records over the shared fit "
       "at the same records):\n"
    << std::left << std::setw(26) << "stack" << std::right;
  for (const char* g : {"client", "proxy", "kernel", "pgbouncer", "postgres"})
    o << std::setw(11) << g;
  o << "\n";
  for (const auto& [name, stack] : c.model.stacks) {
    const SharedScale& f = stack.shared_scale;
    o << std::left << std::setw(26) << name << std::right;
    for (double v : {f.client, f.proxy, f.kernel, f.pgbouncer, f.postgres})
      o << std::setw(11) << num(v, 3);
    o << "\n";
  }
  if (!c.skipped.empty()) {
    o << "\nSkipped records:\n";
    for (const std::string& s : c.skipped) o << "  - " << s << "\n";
  }
  if (!c.notes.empty()) {
    o << "\nNotes:\n";
    for (const std::string& s : c.notes) o << "  - " << s << "\n";
  }
  o << "\nNot identified from these records:\n";
  for (const std::string& s : c.not_identified) o << "  - " << s << "\n";
  return o.str();
}

}  // namespace stacksim::calibrate
