#include "sim/components/request.hpp"

namespace stacksim {

const char* to_string(Phase p) {
  switch (p) {
    case Phase::kWaitWorker:
      return "wait_worker";
    case Phase::kWaitCpu:
      return "wait_cpu";
    case Phase::kOnCpu:
      return "on_cpu";
    case Phase::kWaitSession:
      return "wait_session";
    case Phase::kInDatabase:
      return "in_database";
    case Phase::kRetry:
      return "syn_retry";
    case Phase::kCount:
      break;
  }
  return "?";
}

}  // namespace stacksim
