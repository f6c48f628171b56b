// The two ways into a PACS; deliver() picks one by the URL's scheme.
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "net/url.hpp"

namespace medcrypt::pacs::internal {

Status orthanc_store(const net::Url& destination, const std::filesystem::path& dicom_file);  // http(s)://
Status c_store(const net::Url& destination, const std::filesystem::path& dicom_file);        // dicom://AET@

}  // namespace medcrypt::pacs::internal
