#pragma once
// The flags every Tuopin server binary shares (listening, metrics, graceful stop, the
// gateway-service key), each also settable as TUOPIN_<FLAG>.

#include <string>

#include "common/audit_event.h"
#include "common/server.h"

namespace tuopin::common {

// Prints "tuopin-<name>: <message>" and exits with status 2.
[[noreturn]] void FailStartup(const std::string& name, const std::string& message);

ServerOptions ServerOptionsFromFlags(const std::string& name, int default_port);
std::string InternalKeyFromFlags(const std::string& name);
// The key of the digests in audit events: --digest_key_file, or derived from the internal
// key when that flag is empty.
DigestKey DigestKeyFromFlags(const std::string& name, absl::string_view internal_key);

}  // namespace tuopin::common
