#pragma once
// tuopinctl's RPC commands, built from the compiled contracts: every public RPC of the
// suite is `tuopinctl <service> <method>`, with its request's top-level fields as flags
// (or a whole request as JSON) and its answer as a table or, with --json, as JSON.

#include <string>
#include <utility>
#include <vector>

namespace tuopin::ctl {

// The suite's services as tuopinctl names them: "personnel" ->
// "tuopin.personnel.v1.PersonnelService".
const std::vector<std::pair<std::string, std::string>>& Services();

// "GetHousehold" -> "get-household".
std::string KebabCase(const std::string& method);

// Runs `tuopinctl <service> [<method> [flags]]`; returns the exit code.
int RunRpcCommand(const std::string& service_name, int argc, char** argv, int first);

}  // namespace tuopin::ctl
