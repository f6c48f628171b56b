#include "analysis/text_table.hpp"

#include <algorithm>

namespace medcrypt::analysis {
namespace {

// Display width: UTF-8 continuation bytes take no column (labels use a few non-ASCII symbols).
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::string fill(width - std::min(width, display_width(s)), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string render_text(const Table& table) {
  std::vector<std::size_t> widths(table.columns.size(), 0);
  for (std::size_t c = 0; c < table.columns.size(); ++c) widths[c] = display_width(table.columns[c]);
  for (const Table::Row& row : table.rows) {
    if (row.section) continue;
    for (std::size_t c = 0; c < row.cells.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row.cells[c]));
    }
  }
  std::size_t total = 0;
  for (std::size_t w : widths) total += w + 2;
  std::string out = table.title + "\n";
  for (std::size_t c = 0; c < widths.size(); ++c) out += pad(table.columns[c], widths[c], c > 0) + "  ";
  out += "\n" + std::string(total, '-') + "\n";
  for (const Table::Row& row : table.rows) {
    if (row.section) {
      out += row.cells[0] + "\n";
      continue;
    }
    for (std::size_t c = 0; c < widths.size(); ++c) {
      out += pad(c < row.cells.size() ? (c == 0 ? "  " + row.cells[c] : row.cells[c]) : "", widths[c] + (c == 0 ? 2 : 0),
                 c > 0) + "  ";
    }
    out += "\n";
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html(const Table& table) {
  std::string out = "<table>\n<caption>" + html_escape(table.title) + "</caption>\n<thead><tr>";
  for (const std::string& c : table.columns) out += "<th>" + html_escape(c) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const Table::Row& row : table.rows) {
    if (row.section) {
      out += "<tr class=\"section\"><th colspan=\"" + std::to_string(table.columns.size()) + "\">" +
             html_escape(row.cells[0]) + "</th></tr>\n";
      continue;
    }
    out += "<tr>";
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      out += (c == 0 ? "<th>" : "<td>") + html_escape(row.cells[c]) + (c == 0 ? "</th>" : "</td>");
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

}  // namespace medcrypt::analysis
