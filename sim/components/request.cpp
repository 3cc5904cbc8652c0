#include "sim/components/request.hpp"

#include "common/name_table.hpp"

namespace stacksim {

namespace {
constexpr NameTable<Phase, kPhaseCount> kPhases{{
    {Phase::kWaitWorker, "wait_worker"},
    {Phase::kWaitCpu, "wait_cpu"},
    {Phase::kOnCpu, "on_cpu"},
    {Phase::kWaitSession, "wait_session"},
    {Phase::kInDatabase, "in_database"},
    {Phase::kRetry, "syn_retry"},
}};
}  // namespace

const char* to_string(Phase p) {
  return name_of(kPhases, p);
}

}  // namespace stacksim
