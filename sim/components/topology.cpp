#include "sim/components/topology.hpp"

#include <algorithm>
#include <boost/graph/topological_sort.hpp>
#include <iterator>
#include <stdexcept>

#include "common/name_table.hpp"

namespace stacksim {

namespace {
constexpr NameTable<Role, 7> kRoles{{
    {Role::kNone, "none"},
    {Role::kClient, "client"},
    {Role::kKernel, "kernel"},
    {Role::kProxy, "nginx"},
    {Role::kApp, "app"},
    {Role::kPgbouncer, "pgbouncer"},
    {Role::kPostgres, "postgres"},
}};
}  // namespace

const char* to_string(Role r) {
  return name_of(kRoles, r);
}

// Appends steps to the graph in path order, applying the two rules of the
// header: kernel hops on socket edges, and creation branches.
class TopologyBuilder {
 public:
  TopologyBuilder(Topology& t, const Distribution& hop) : t_(t), hop_(hop) {}

  void cpu(Role role, const Distribution& demand, std::string label) {
    if (has_last_ && pending_joins_.empty() && next_edge_ == EdgeKind::kNext &&
        last_cpu_vertex_ == last_ && last_cpu_role_ == role) {
      Step& same = t_.graph_[last_];  // the process runs on: one burst
      same.demand.push_back(demand);
      same.label += "+" + label;
      return;
    }
    if (last_cpu_role_ != Role::kNone && last_cpu_role_ != role) hop();
    Step s;
    s.role = role;
    s.demand = {demand};
    s.label = std::move(label);
    last_cpu_vertex_ = add(std::move(s));
    last_cpu_role_ = role;
  }
  void wait(StepKind kind, std::string label) {
    Step s;
    s.kind = kind;
    s.label = std::move(label);
    add(std::move(s));
  }
  // The next steps, up to end_if_created(), run only when the acquire just
  // added created its unit.
  void begin_if_created() {
    branches_.push_back(Branch{last_, last_cpu_role_, last_cpu_vertex_});
    next_edge_ = EdgeKind::kIfCreated;
  }
  void end_if_created() {
    const Branch b = branches_.back();
    branches_.pop_back();
    // The branch's last process answers the one before the branch.
    if (last_cpu_role_ != b.role_before && b.role_before != Role::kNone) hop();
    pending_joins_ = {b.acquire, last_};
    last_cpu_role_ = b.role_before;
    last_cpu_vertex_ = b.cpu_vertex_before;
  }

 private:
  struct Branch {
    Topology::Vertex acquire;
    Role role_before;
    Topology::Vertex cpu_vertex_before;
  };

  // The last CPU step writes to the next process's socket.
  void hop() {
    Step& sender = t_.graph_[last_cpu_vertex_];
    sender.sends = true;
    sender.hop = hop_;
  }
  Topology::Vertex add(Step s) {
    const auto v = boost::add_vertex(std::move(s), t_.graph_);
    if (!pending_joins_.empty()) {
      for (auto from : pending_joins_) boost::add_edge(from, v, EdgeKind::kNext, t_.graph_);
      pending_joins_.clear();
    } else if (has_last_) {
      boost::add_edge(last_, v, next_edge_, t_.graph_);
    }
    next_edge_ = EdgeKind::kNext;
    last_ = v;
    has_last_ = true;
    return v;
  }

  Topology& t_;
  Distribution hop_;
  Topology::Vertex last_ = 0;
  Topology::Vertex last_cpu_vertex_ = 0;
  bool has_last_ = false;
  Role last_cpu_role_ = Role::kNone;
  EdgeKind next_edge_ = EdgeKind::kNext;
  std::vector<Branch> branches_;
  std::vector<Topology::Vertex> pending_joins_;
};

std::array<LoadDependence, kRoleCount> load_by_role(const Model& m, const StackModel& s,
                                                    const Scenario& sc) {
  std::array<LoadDependence, kRoleCount> load{};
  load[static_cast<int>(Role::kClient)] = m.client.load;
  if (sc.nginx) load[static_cast<int>(Role::kProxy)] = m.proxy.load;
  load[static_cast<int>(Role::kApp)] = s.load;
  load[static_cast<int>(Role::kPgbouncer)] = m.pgbouncer.load;
  load[static_cast<int>(Role::kPostgres)] = m.postgres.load;
  load[static_cast<int>(Role::kKernel)] = m.kernel.load;
  return load;
}

Topology Topology::build(const Model& m, const StackModel& s, const Scenario& sc) {
  Topology t;
  TopologyBuilder b(t, m.kernel.per_hop);
  const bool per_request = sc.db_access == DbAccess::kConnectPerRequest;

  // Opening a server session: pgbouncer logs in to a freshly forked backend
  // (without pgbouncer, the app's connection is the backend's).
  auto open_session = [&] {
    b.wait(StepKind::kAcquireSession, "pgbouncer.session");
    b.begin_if_created();
    if (sc.pgbouncer) b.cpu(Role::kPgbouncer, m.pgbouncer.server_login, "pgbouncer.server_login");
    b.cpu(Role::kPostgres, m.postgres.backend_start, "postgres.backend_start");
    b.end_if_created();
  };
  auto via_pgbouncer = [&](const Distribution& d, const char* name) {
    if (sc.pgbouncer) b.cpu(Role::kPgbouncer, d, name);
  };

  b.cpu(Role::kClient, m.client.send, "client.send");
  if (sc.nginx) b.cpu(Role::kProxy, m.proxy.request, "nginx.request");
  b.wait(StepKind::kAcceptWorker, "app.accept");
  b.cpu(Role::kApp, s.pre, "app.pre");
  if (per_request) {
    b.cpu(Role::kApp, s.connect, "app.connect");
    b.cpu(Role::kPgbouncer, m.pgbouncer.login, "pgbouncer.login");
    open_session();
  } else {
    b.wait(StepKind::kAcquireAppConnection, "app.pool");
    b.begin_if_created();
    b.cpu(Role::kApp, s.connect, "app.connect");
    via_pgbouncer(m.pgbouncer.login, "pgbouncer.login");
    open_session();
    b.end_if_created();
  }
  b.cpu(Role::kApp, s.query, "app.query");
  via_pgbouncer(m.pgbouncer.query, "pgbouncer.query");
  b.cpu(Role::kPostgres, m.postgres.query, "postgres.query");
  b.wait(StepKind::kDbDelay, "postgres.delay");
  b.cpu(Role::kPostgres, m.postgres.fetch, "postgres.fetch");
  via_pgbouncer(m.pgbouncer.result, "pgbouncer.result");
  b.cpu(Role::kApp, s.fetch, "app.fetch");
  if (per_request) {
    b.cpu(Role::kApp, s.close, "app.close");
    // pgbouncer's side of the disconnect runs off the request's path.
    b.wait(StepKind::kReleaseSession, "pgbouncer.release");
  } else {
    b.wait(StepKind::kReleaseAppConnection, "app.pool_release");
  }
  b.cpu(Role::kApp, s.respond, "app.respond");
  b.wait(StepKind::kReleaseWorker, "app.release");
  if (sc.nginx) b.cpu(Role::kProxy, m.proxy.response, "nginx.response");
  b.cpu(Role::kClient, m.client.recv, "client.recv");
  b.wait(StepKind::kComplete, "client.complete");
  t.finish();
  t.spread_load(load_by_role(m, s, sc));
  return t;
}

void Topology::spread_load(const std::array<LoadDependence, kRoleCount>& load) {
  std::array<double, kRoleCount> total{};
  for (std::int32_t i : main_path_) {
    const Step& s = route_[static_cast<std::size_t>(i)];
    if (s.kind == StepKind::kCpu) total[static_cast<int>(s.role)] += s.mean_ns();
  }
  for (std::int32_t i : main_path_) {
    Step& s = route_[static_cast<std::size_t>(i)];
    const int r = static_cast<int>(s.role);
    if (s.kind != StepKind::kCpu || total[r] <= 0) continue;
    const double share = s.mean_ns() / total[r];
    s.per_backend_ns = load[r].per_backend_ns * share;
    s.cold_ns_per_ms = load[r].cold_ns_per_ms * share;
  }
}

void Topology::finish() {
  std::vector<Vertex> reversed;
  boost::topological_sort(graph_, std::back_inserter(reversed));
  const std::vector<Vertex> order(reversed.rbegin(), reversed.rend());
  std::vector<std::int32_t> index_of(boost::num_vertices(graph_));
  for (std::size_t i = 0; i < order.size(); ++i) index_of[order[i]] = static_cast<std::int32_t>(i);

  route_.clear();
  for (Vertex v : order) {
    Step s = graph_[v];
    for (auto [e, end] = boost::out_edges(v, graph_); e != end; ++e) {
      if (graph_[*e] == EdgeKind::kNext && boost::out_degree(v, graph_) > 1)
        s.skip_to = index_of[boost::target(*e, graph_)];
    }
    route_.push_back(std::move(s));
  }
  // A creation branch must sit between its acquire and the join, or the
  // stack would run steps of one path on the other.
  for (std::size_t i = 0; i < route_.size(); ++i) {
    if (route_[i].skip_to >= 0 && route_[i].skip_to <= static_cast<std::int32_t>(i))
      throw std::logic_error("topology: a creation branch does not rejoin ahead of its acquire");
  }
  main_path_.clear();
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(route_.size());) {
    main_path_.push_back(i);
    i = route_[i].skip_to >= 0 ? route_[i].skip_to : i + 1;
  }
}

}  // namespace stacksim
