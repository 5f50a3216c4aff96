#pragma once
// Export through the JSON front: GET /v1/export/<package.Service>/<Method>?format=csv|xlsx
// &<request field>=<value>...[&rows=<list field>] streams the method's rows as a file
// download (see common/export.h for which methods, which columns and the row bound).
// Top-level request fields are query parameters (scalars and enums as text, messages as
// protobuf JSON, a repeated field by repeating it); page_token is the export's own;
// format defaults to csv; rows names the list of a report with several (villages of
// ExitStatus).
//
// The export calls the method itself, page by page, with the caller's identity, so the
// service applies its own scope and masking; it is admitted as one call of that method
// (policy, rate limits, in-flight bounds), each page with the deadline one call would have.
//
// Every export is a logged read: an event of service "gateway" in the tamper-evident audit
// log (the method, the caller and their roles, the request id, the region asked for as an
// entity), appended before the first byte is sent (an export that cannot be recorded is
// refused, as audit-query's looks are); and an "export" line in the gateway's log (method,
// subject, format, rows, outcome) when it ends.
//
// Errors before the first byte are the JSON front's error shape; one after it (a later
// page refused) cuts the chunked body short, so the client sees an incomplete download,
// never a file that looks whole. The whole file must be taken within --http_write_timeout
// (a slow reader's bound): 20,000 rows stream in under half a second here.

#include <string>

#include "grpcpp/grpcpp.h"
#include "services/gateway/gateway.h"

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace tuopin::gateway {

// One blocking unary call of `method` on the admitted backend, as the JSON front makes it.
grpc::Status CallBackend(Gateway& gateway, const Admission& a, const CallMetadata& md,
                         const std::string& method, const std::string& request_bytes,
                         grpc::ByteBuffer* response);

// Google's JSON error shape, with the HTTP status of the gRPC code (http_front.cc).
void ReplyJsonError(httplib::Response& res, const grpc::Status& status);

void AddExportRoute(Gateway& gateway, httplib::Server& server);

}  // namespace tuopin::gateway
