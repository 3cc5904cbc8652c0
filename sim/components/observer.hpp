// What the stack tells the outside world. Components emit; metrics/ and the
// run controller decide what to keep (OMNeT++'s signals).
#pragma once

#include "sim/components/request.hpp"

namespace stacksim {

// Step quantities the stack reports whenever they change, for metrics to
// integrate over time (utilisation of workers and sessions).
enum class Occupancy {
  kBusyWorkers,    // app workers holding at least one request
  kAppInFlight,    // requests held by all app workers together
  kSessionsInUse,  // pgbouncer's server sessions in use
  kCount
};
inline constexpr int kOccupancyCount = static_cast<int>(Occupancy::kCount);

class StackObserver {
 public:
  // The client has read the whole response (ab's "last byte").
  virtual void on_complete(const Request& r, SimTime now) = 0;
  // The request was given up (its SYN dropped too often): ab counts it failed.
  virtual void on_failed(const Request& r, SimTime now) = 0;
  // `what` takes `value` from `now` on.
  virtual void on_occupancy(Occupancy what, double value, SimTime now) = 0;

 protected:
  ~StackObserver() = default;
};

// The load generator hands new requests to whoever routes them.
class RequestRouter {
 public:
  virtual void route(Request& r) = 0;

 protected:
  ~RequestRouter() = default;
};

}  // namespace stacksim
