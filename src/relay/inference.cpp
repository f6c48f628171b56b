#include "relay/inference.hpp"

namespace medcrypt::relay {
namespace {

Refused refused(const Error& error) {
  Refusal why = Refusal::kFailed;
  switch (error.code) {
    case ErrorCode::kMalformed:
    case ErrorCode::kVersion: why = Refusal::kMalformed; break;
    case ErrorCode::kUnsupported:
    case ErrorCode::kWrongKey: why = Refusal::kRejected; break;
    case ErrorCode::kLimits: why = Refusal::kTooLarge; break;
    default: break;
  }
  return Refused{why, error, {}, 0};
}

}  // namespace

Outcome<std::string> InferenceService::evaluate(std::string_view request_json) const {
  auto request = he::parse_feature_request(request_json);
  if (!request) return refused(request.error());
  auto reply = he::evaluate_head(head_, *request, threads_);
  if (!reply) return refused(reply.error());
  return he::to_json(*reply);
}

}  // namespace medcrypt::relay
