// Orthanc's REST API: POST /instances with the DICOM file as the body.
#include <fmt/format.h>

#include "net/http_post.hpp"
#include "pacs/internal/deliveries.hpp"

namespace medcrypt::pacs::internal {

Status orthanc_store(const net::Url& to, const std::filesystem::path& dicom_file) {
  const std::string where = fmt::format("Orthanc {}://{}:{}{}", to.scheme, to.host, to.port, to.path);
  auto answer = net::post_file(to, to.path + "/instances", dicom_file, "application/dicom", std::chrono::seconds(60));
  if (!answer) return make_error(answer.error().code, fmt::format("{}: {}", where, answer.error().message));
  if (answer->status != 200) {
    return make_error(ErrorCode::kIo, fmt::format("{}: HTTP {}: {}", where, answer->status, answer->body.substr(0, 200)));
  }
  return {};
}

}  // namespace medcrypt::pacs::internal
