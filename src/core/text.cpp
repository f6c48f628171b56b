#include "core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

namespace medcrypt {
namespace {

// The code point at the start of `text` and its length in bytes, or nothing for malformed UTF-8.
std::optional<std::pair<char32_t, std::size_t>> decode_utf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return std::pair<char32_t, std::size_t>{lead, 1};
  std::size_t length = 0;
  char32_t code = 0, minimum = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, code = lead & 0x1f, minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, code = lead & 0x0f, minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return std::nullopt;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return std::nullopt;
  return std::pair<char32_t, std::size_t>{code, length};
}

// Characters that change how a terminal shows what follows them.
bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x200e || c == 0x200f || c == 0x061c;
}

template <typename OnBad>
std::string filter(std::string_view text, OnBad on_bad) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto decoded = decode_utf8(text);
    if (!decoded) {
      on_bad(out, std::optional<char32_t>(), static_cast<std::uint8_t>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    auto [code, length] = *decoded;
    if (is_control(code)) {
      on_bad(out, std::optional<char32_t>(code), 0);
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    auto decoded = decode_utf8(text);
    if (!decoded) return false;
    text.remove_prefix(decoded->second);
  }
  return true;
}

std::string printable(std::string_view text) {
  return filter(text, [](std::string& out, std::optional<char32_t> code, std::uint8_t raw) {
    if (!code) {
      out += fmt::format("\\x{:02x}", raw);
    } else if (*code == '\n') {
      out += "\\n";
    } else if (*code == '\t') {
      out += "\\t";
    } else if (*code == '\r') {
      out += "\\r";
    } else if (*code < 0x80) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(*code));
    } else {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(*code));
    }
  });
}

std::string safe_name_characters(std::string_view text) {
  return filter(text, [](std::string& out, std::optional<char32_t>, std::uint8_t) { out += '_'; });
}

bool is_lower_hex(std::string_view text, std::size_t digits) {
  return text.size() == digits &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace medcrypt
