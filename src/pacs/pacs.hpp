// Delivery of a decrypted DICOM file into a PACS: Orthanc's REST API (POST /instances, over http:// or
// https://, with an optional user:password@), or DICOM C-STORE (dicom://CALLED_AET@HOST:PORT) with DCMTK.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.hpp"
#include "net/url.hpp"

namespace medcrypt::pacs {

// Checks that `text` is a destination deliver() accepts.
Result<net::Url> parse_destination(std::string_view text);

// Succeeds only once the PACS has confirmed it stored the instance.
Status deliver(const net::Url& destination, const std::filesystem::path& dicom_file);

}  // namespace medcrypt::pacs
