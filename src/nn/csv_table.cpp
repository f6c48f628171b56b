#include "nn/csv_table.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace medcrypt::nn {
namespace {

std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

}  // namespace

std::size_t CsvTable::column(std::string_view name) const {
  return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
}

Result<CsvTable> read_csv_table(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, path.string() + ": cannot be read");
  CsvTable table;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (line.empty()) continue;
    std::vector<std::string> cells = split_line(line);
    if (table.header.empty()) {
      table.header = std::move(cells);
      continue;
    }
    if (cells.size() < table.header.size()) {
      return make_error(ErrorCode::kInvalidImage, path.string() + " line " + std::to_string(number) + ": " +
                                                      std::to_string(cells.size()) + " cells, the header has " +
                                                      std::to_string(table.header.size()));
    }
    cells.resize(table.header.size());
    table.rows.push_back(std::move(cells));
  }
  if (table.header.empty()) return make_error(ErrorCode::kInvalidImage, path.string() + ": empty");
  return table;
}

Result<std::filesystem::path> listed_file(const std::filesystem::path& folder, const std::string& name) {
  const std::filesystem::path path = folder / name;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    return make_error(ErrorCode::kInvalidImage, folder.string() + ": '" + name + "' is not a file name");
  }
  std::error_code ec;
  const auto real = std::filesystem::weakly_canonical(path, ec), home = std::filesystem::weakly_canonical(folder, ec);
  if (ec || real.parent_path() != home) {
    return make_error(ErrorCode::kInvalidImage, path.string() + " leads out of " + folder.string());
  }
  return path;
}

}  // namespace medcrypt::nn
