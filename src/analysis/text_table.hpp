// A table of text cells with section headings, drawn for a terminal or as HTML: the one model behind
// every table medcrypt prints.
#pragma once

#include <string>
#include <vector>

namespace medcrypt::analysis {

struct Table {
  struct Row {
    std::vector<std::string> cells;  // the first cell is the row's label
    bool section = false;            // a heading spanning the table: cells[0] only
  };
  std::string title;
  std::vector<std::string> columns;  // the first names the label column
  std::vector<Row> rows;

  void add_section(std::string heading) { rows.push_back({{std::move(heading)}, true}); }
  void add_row(std::vector<std::string> cells) { rows.push_back({std::move(cells), false}); }
};

// Columns padded to their widest cell (labels left, figures right), a rule under the header.
std::string render_text(const Table& table);

// A <table> with a <caption>; cells are HTML-escaped.
std::string render_html(const Table& table);

// &, <, >, " and ' as entities.
std::string html_escape(const std::string& text);

}  // namespace medcrypt::analysis
