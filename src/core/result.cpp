#include "core/result.hpp"

namespace medcrypt {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kUsage: return "usage error";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kInvalidImage: return "invalid image";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kLimits: return "over limits";
    case ErrorCode::kWrongKey: return "wrong key";
    case ErrorCode::kAuthentication: return "authentication failed";
    case ErrorCode::kMalformed: return "malformed container";
    case ErrorCode::kVersion: return "unknown version";
    case ErrorCode::kSignature: return "signature error";
    case ErrorCode::kBadKey: return "bad key file";
  }
  return "error";
}

}  // namespace medcrypt
