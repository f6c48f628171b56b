// Text that came from a file (a container header, a file name, a DICOM value) is untrusted: it may be
// invalid UTF-8, which JSON cannot carry, or hold control and bidirectional characters that forge
// lines or disguise a file's type on a terminal.
#pragma once

#include <string>
#include <string_view>

namespace medcrypt {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` made safe to print on one line: control characters, DEL, bidirectional controls and bytes that
// are not UTF-8 become escapes (\n, \x1b, \u202e, \xff); printable UTF-8 stays as it is.
std::string printable(std::string_view text);

// Whether `text` is exactly `digits` lower-case hex digits (digests, fingerprints, upload ids).
bool is_lower_hex(std::string_view text, std::size_t digits);

// `text` made safe as one file name: what printable() would escape becomes '_'.
std::string safe_name_characters(std::string_view text);

}  // namespace medcrypt
