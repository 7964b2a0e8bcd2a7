#pragma once
// The command-line entry points of the conformance suite, as a library so that `crh` can wire
// them in as subcommands. Each parses its own flags with CLI11; argv[0] is the subcommand name.
//
//   crh conformance --runtime NAME|PATH [--criu PATH] [--name NAME] [--only ID...]
//                   [--report-dir DIR] [--json FILE] [--junit FILE] [--list]
//       Runs the checks straight against a runc-compatible CLI and prints TAP on stdout.
//       --report-dir writes <name>.json, <name>.junit.xml and <name>.tap there. Exit status: 0
//       when no check failed, 1 when one did, 2 for usage or setup errors.
//   crh conformance-report A.json B.json ... [--html FILE] [--markdown FILE]
//       The matrix across runtimes (rows: checks; columns: runtimes with versions). Prints the
//       Markdown when neither output is given.
//   crh gate --baseline BASE.json (--candidate CAND.json | --candidate-runtime PATH [--criu PATH])
//            [--only ID...] [--junit FILE] [--candidate-json FILE]
//       Exits 1 when a check that passed in the baseline fails, skips or is missing in the
//       candidate; prints the diff table (regressions, fixes, unchanged) either way.

namespace crh::conformance {

int ConformanceMain(int argc, char** argv);
int ConformanceReportMain(int argc, char** argv);
int GateMain(int argc, char** argv);

}  // namespace crh::conformance
