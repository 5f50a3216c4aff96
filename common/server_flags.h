#pragma once
// The flags every Tuopin server binary shares (listening, metrics, graceful stop, the
// gateway-service key), each also settable as TUOPIN_<FLAG>.

#include <string>

#include "common/server.h"

namespace tuopin::common {

// Prints "tuopin-<name>: <message>" and exits with status 2.
[[noreturn]] void FailStartup(const std::string& name, const std::string& message);

ServerOptions ServerOptionsFromFlags(const std::string& name, int default_port);
std::string InternalKeyFromFlags(const std::string& name);

}  // namespace tuopin::common
