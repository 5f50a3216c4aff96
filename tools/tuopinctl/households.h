#pragma once
// tuopinctl households import|diff: a register file (the CSV of an export of ListHouseholds)
// imported into the register, or compared with it.

namespace tuopin::ctl {

// Runs `tuopinctl households <import|diff> [flags]` from argv[first]; returns the exit code
// (0 done and clean, 1 rows refused or differences found, 2 usage or call errors).
int RunHouseholdsCommand(int argc, char** argv, int first);

}  // namespace tuopin::ctl
