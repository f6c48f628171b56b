#include "net/pacs.hpp"

#include <fmt/format.h>

#include "net/internal/pacs_stores.hpp"

namespace medcrypt::net {

Result<Url> parse_pacs_url(std::string_view text) {
  MEDCRYPT_ASSIGN_OR_RETURN(Url url, parse_url(text));
  if (url.scheme == "dicom" && url.user.empty()) {
    return make_error(ErrorCode::kUsage, fmt::format("'{}': a DICOM destination is dicom://AET@HOST:PORT", text));
  }
  return url;
}

Status forward_to_pacs(const Url& destination, const std::filesystem::path& dicom_file) {
  if (destination.scheme == "dicom") return internal::dicom_store(destination, dicom_file);
  return internal::orthanc_store(destination, dicom_file);
}

}  // namespace medcrypt::net
