// The labels.csv of a labelled set: a header row, then one row per image; plain comma-separated cells
// (no quoting: the sets medcrypt reads have none).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace medcrypt::nn {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as the header (shorter lines are refused)
  // The index of column `name`, or header.size() when there is none.
  std::size_t column(std::string_view name) const;
  bool has(std::string_view name) const { return column(name) < header.size(); }
};

// A UTF-8 byte-order mark is skipped; a row with fewer cells than the header is refused with its line.
Result<CsvTable> read_csv_table(const std::filesystem::path& path);

// `folder`/`name` for a file a table names: refused unless `name` is a plain file name and the file, links
// followed, lies in `folder` (a table must not make medcrypt read elsewhere).
Result<std::filesystem::path> listed_file(const std::filesystem::path& folder, const std::string& name);

}  // namespace medcrypt::nn
