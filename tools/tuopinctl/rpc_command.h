#pragma once
// tuopinctl's RPC commands, built from the compiled contracts: every public RPC of the
// suite is `tuopinctl <service> <method>`, with its request's top-level fields as flags
// (or a whole request as JSON) and its answer as a table or, with --json, as JSON.

#include <string>
#include <utility>
#include <vector>

#include "grpcpp/support/status.h"

namespace tuopin::ctl {

// The suite's services as tuopinctl names them: "personnel" ->
// "tuopin.personnel.v1.PersonnelService".
const std::vector<std::pair<std::string, std::string>>& Services();

// "GetHousehold" -> "get-household".
std::string KebabCase(const std::string& method);

// Reads the flag at argv[i] ("--name value" or "--name=value"), moving i past its value;
// false, with `error`, when argv[i] is not a flag or has no value.
bool ReadFlag(int argc, char** argv, int& i, std::string& name, std::string& value,
              std::string& error);

// Prints a failed call's status and field violations on stderr; returns 1.
int PrintError(const grpc::Status& st);

// Runs `tuopinctl <service> [<method> [flags]]`; returns the exit code.
int RunRpcCommand(const std::string& service_name, int argc, char** argv, int first);

}  // namespace tuopin::ctl
