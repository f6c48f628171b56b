// Attributes of a DICOM data set: the pixel module read and checked, or set to an image's geometry.
#pragma once

#include <dcmtk/config/osconfig.h>  // must come first in every DCMTK user

#include <dcmtk/dcmdata/dcdatset.h>

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "image/image.hpp"

namespace medcrypt::image::internal {

// The attribute's name and tag, for messages: "Rows (0028,0010)".
std::string tag_name(const DcmTagKey& key);

// A UID without the trailing spaces and NULs that pad it.
std::string trimmed_uid(const OFString& value);
// A value without its leading and trailing spaces.
std::string trimmed(const OFString& value);

// DCMTK writes every sequence and item with one kind of length; keep the kind the input used.
E_EncodingType encoding_of(DcmDataset& dataset);

// The element holding the pixels: Pixel Data, or Float or Double Float Pixel Data (parametric maps); null
// where there is none.
DcmElement* pixel_element(DcmItem& dataset);

// The geometry the pixel module (or the Floating Point Image Pixel module, which has no Bits Stored, High
// Bit or Pixel Representation) describes.
Result<Geometry> read_geometry(DcmItem& dataset);

// Planar Configuration, checked (0 or 1); 0 for one sample per pixel or where the attribute is absent.
Result<std::uint16_t> planar_configuration(DcmItem& dataset, const Geometry& g);

// Sets the pixel module attributes that differ from the geometry; values that agree stay untouched, so a
// file written back is attribute-for-attribute the file read.
Status apply_geometry(DcmItem& dataset, const Geometry& g);

}  // namespace medcrypt::image::internal
