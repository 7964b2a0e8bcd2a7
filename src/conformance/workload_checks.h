#pragma once
// The workload catalogue (src/workloads/catalogue.h) as conformance checks: one check
// "workload.<name>" per workload, run against the runtime binary alone. Each makes the
// workload's bundle (runc spec's defaults plus the workload's edits and /bin/crh-workload),
// runs it with stdio pipes (and a console socket for a terminal bundle), waits for the
// workload's own checks, then checkpoints and restores it twice with the flags it needs and
// wants the checks to go on, unbroken. A pinned limitation is expected exactly as the catalogue
// describes it (a refused dump with its signature, or the FAIL line after restore); where the
// engine refuses what the runtime would lose (Limitation::by_crh), the runtime alone is expected
// to lose it. A workload a runtime alone cannot run (Workload::conformance_gap) is skipped with
// that reason.
//
// The helper binary is found through $CRH_WORKLOAD_HELPER, the runfiles path
// src/workloads/crh-workload, or beside the running binary (bazel-bin/src/<pkg>/../workloads/);
// when it is missing the checks skip and say how to build it.

#include <vector>

#include "src/conformance/runner.h"

namespace crh::conformance {

// Appends the workload checks to `checks` (AllChecks calls it last).
void AddWorkloadChecks(std::vector<Check>& checks);

// Where the crh-workload helper is; "" if none of the places above has it.
std::string WorkloadHelperPath();

}  // namespace crh::conformance
