#include "pacs/pacs.hpp"

#include <fmt/format.h>

#include "pacs/internal/deliveries.hpp"

namespace medcrypt::pacs {

Result<net::Url> parse_destination(std::string_view text) {
  MEDCRYPT_ASSIGN_OR_RETURN(net::Url url, net::parse_url(text));
  if (url.scheme == "dicom" && url.user.empty()) {
    return make_error(ErrorCode::kUsage, fmt::format("'{}': a DICOM destination is dicom://AET@HOST:PORT", text));
  }
  return url;
}

Status deliver(const net::Url& destination, const std::filesystem::path& dicom_file) {
  if (destination.scheme == "dicom") return internal::c_store(destination, dicom_file);
  return internal::orthanc_store(destination, dicom_file);
}

}  // namespace medcrypt::pacs
