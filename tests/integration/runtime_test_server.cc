// A server built only from the common runtime, for testing RunServer itself: health,
// reflection, metrics and the graceful stop. It registers the personnel contract with
// no handlers (every method answers UNIMPLEMENTED).
//
//   runtime_test_server <port_file> <shutdown_grace_ms> [<port>]

#include <cstdlib>

#include "common/server.h"
#include "tuopin/personnel/v1/personnel.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return 2;
  tuopin::personnel::v1::PersonnelService::Service unimplemented;
  tuopin::common::ServerOptions options;
  options.name = "runtime-test";
  options.host = "127.0.0.1";
  options.metrics_host = "127.0.0.1";
  options.port = argc == 4 ? std::atoi(argv[3]) : 0;
  options.port_file = argv[1];
  options.shutdown_grace = absl::Milliseconds(std::atoi(argv[2]));
  options.drain_timeout = absl::Seconds(2);
  options.services = {&unimplemented};
  options.service_names = {"tuopin.personnel.v1.PersonnelService"};
  return tuopin::common::RunServer(std::move(options));
}
