// Delivery of a decrypted DICOM file into a PACS: Orthanc's REST API (POST /instances, over http:// or
// https://, with an optional user:password@), or DICOM C-STORE (dicom://CALLED_AET@HOST:PORT) with DCMTK.
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "net/url.hpp"

namespace medcrypt::net {

// Checks that `text` is a destination forward_to_pacs accepts.
Result<Url> parse_pacs_url(std::string_view text);

// Succeeds only once the PACS has confirmed it stored the instance.
Status forward_to_pacs(const Url& destination, const std::filesystem::path& dicom_file);

}  // namespace medcrypt::net
