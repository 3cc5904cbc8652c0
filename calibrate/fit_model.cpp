#include "calibrate/fit_model.hpp"

#include <sstream>

#include "calibrate/validation.hpp"

namespace stacksim::calibrate {
namespace {

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

}  // namespace

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
  if (gf.value_raised > 0)
    notes.push_back(who + " demand at idle 0: near zero against the idle slope, raised by " +
                    std::to_string(gf.value_raised) +
                    " us to keep idle_inflation within its bound (" +
                    std::to_string(LoadDependence::kMaxIdleInflation) + ")");
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

namespace {
// A shared group as the model holds it: its key in stacks.<s>.shared_scale,
// that field, and the component's load model.
struct SharedGroup {
  Group group;
  const char* key;
  double SharedScale::*scale;
  LoadDependence& (*load)(Model&);
};
constexpr SharedGroup kSharedGroups[] = {
    {Group::kClient, "client", &SharedScale::client,
     [](Model& m) -> LoadDependence& { return m.client.load; }},
    {Group::kNginx, "proxy", &SharedScale::proxy,
     [](Model& m) -> LoadDependence& { return m.proxy.load; }},
    {Group::kKernel, "kernel", &SharedScale::kernel,
     [](Model& m) -> LoadDependence& { return m.kernel.load; }},
    {Group::kPgbouncer, "pgbouncer", &SharedScale::pgbouncer,
     [](Model& m) -> LoadDependence& { return m.pgbouncer.load; }},
    {Group::kPostgres, "postgres", &SharedScale::postgres,
     [](Model& m) -> LoadDependence& { return m.postgres.load; }},
};

const SharedGroup& shared_group(Group g) {
  for (const SharedGroup& s : kSharedGroups) {
    if (s.group == g) return s;
  }
  throw std::logic_error("the app is not a shared group");
}
}  // namespace

const char* shared_scale_key(Group g) {
  return shared_group(g).key;
}
double& shared_scale_of(SharedScale& f, Group g) {
  return f.*shared_group(g).scale;
}

namespace {
// An app whose runs barely moved the host's idle share (an async stack
// pinned to one core is never idle, light load or not) says nothing about
// its idle inflation: it takes the median of the apps whose runs spanned
// kMinIdleSpan or more, and a note says so. With none, it keeps its own.
void borrow_idle_inflation(Model& m, Calibration& c) {
  constexpr double kMinIdleSpan = 0.2;
  std::vector<double> spanned;
  for (const GroupFit& gf : c.per_stack)
    if (gf.group == Group::kApp && gf.x_span >= kMinIdleSpan)
      spanned.push_back(m.stacks.at(gf.stack).load.idle_inflation);
  if (spanned.empty()) return;
  const std::size_t n = spanned.size();
  const double median = median_of(std::move(spanned));
  for (const GroupFit& gf : c.per_stack) {
    if (gf.group != Group::kApp || gf.x_span >= kMinIdleSpan) continue;
    m.stacks.at(gf.stack).load.idle_inflation = median;
    c.notes.push_back(gf.stack + " app idle inflation: its runs' idle share spans " +
                      std::to_string(gf.x_span) + " (< " + std::to_string(kMinIdleSpan) +
                      "), too little to tell; the median of the " + std::to_string(n) +
                      " apps whose runs span more (" + std::to_string(median) + ") is taken");
  }
}
}  // namespace

// The load model of each shared group (with the load regressor; else none).
void set_shared_load(Model& m, const FitOptions& o, Calibration& c) {
  for (const SharedGroup& s : kSharedGroups) s.load(m) = LoadDependence{};
  if (o.regressor != Regressor::kLoad) return;
  for (const GroupFit& gf : c.shared) {
    if (gf.group != Group::kApp) shared_group(gf.group).load(m) = load_of(gf, c.notes);
  }
}

// The model: the prior's structure with the fitted means; returns how each
// group's total was split over its bursts.
nlohmann::json set_demands(Model& m, const Model& prior, const CalibrationRecord& host,
                           const FitOptions& o, Calibration& c) {
  m = prior;
  m.source.clear();
  m.label = o.label;
  m.host.cores = host.cpus_online;
  m.host.cpu_model = host.cpu_model;
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
  if (o.regressor == Regressor::kLoad) borrow_idle_inflation(m, c);
  return splits;
}

}  // namespace stacksim::calibrate
