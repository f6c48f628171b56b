// The two ways into a PACS; forward_to_pacs() picks one by the URL's scheme.
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "net/url.hpp"

namespace medcrypt::net::internal {

Status orthanc_store(const Url& destination, const std::filesystem::path& dicom_file);  // http(s)://
Status dicom_store(const Url& destination, const std::filesystem::path& dicom_file);    // dicom://AET@

}  // namespace medcrypt::net::internal
