// What `medcrypt info` shows of a container: its header, readable without a key. Without a key nothing in
// the header is authenticated, so every string in it is untrusted: the text escapes control and
// bidirectional characters (it cannot forge a line), the JSON replaces bytes that are not UTF-8.
#pragma once

#include <cstdint>
#include <string>

#include "container/format.hpp"

namespace medcrypt::container {

// `header` as `verify_signature_only` returned it (a signature it holds is valid); `file` and `bytes` name
// the container. Text: one "field: value" line each; JSON: one object, indented.
std::string describe_text(const Header& header, const std::string& file, std::uint64_t bytes);
std::string describe_json(const Header& header, const std::string& file, std::uint64_t bytes);

}  // namespace medcrypt::container
