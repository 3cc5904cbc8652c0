#include "sim/components/load_generator.hpp"

namespace stacksim {

LoadGenerator::LoadGenerator(Simulator& sim, CpuHost& host, RequestRouter& router, int clients,
                             double rate_rps, Rng rng)
    : sim_(sim),
      router_(router),
      process_(host.add_process("client.ab")),
      clients_(clients),
      rng_(rng) {
  if (clients_ <= 0) interarrival_ns_ = Distribution::exponential(1e9 / rate_rps);
}

Request& LoadGenerator::fresh_request() {
  if (!free_.empty()) {
    Request* r = free_.back();
    free_.pop_back();
    return *r;
  }
  requests_.push_back(std::make_unique<Request>());
  return *requests_.back();
}

void LoadGenerator::issue(Request& r) {
  r.reset(next_id_++, sim_.now());
  router_.route(r);
}

void LoadGenerator::start() {
  if (clients_ > 0) {
    for (int c = 0; c < clients_; ++c) {
      Request& r = fresh_request();
      r.client = c;
      issue(r);
    }
  } else {
    sim_.schedule_in(static_cast<SimTime>(interarrival_ns_.sample(rng_)), *this);
  }
}

void LoadGenerator::on_event(std::uint64_t) {
  if (stopped_) return;
  issue(fresh_request());
  sim_.schedule_in(static_cast<SimTime>(interarrival_ns_.sample(rng_)), *this);
}

void LoadGenerator::finished(Request& r) {
  if (clients_ > 0) {
    if (!stopped_) issue(r);
  } else {
    free_.push_back(&r);
  }
}

}  // namespace stacksim
