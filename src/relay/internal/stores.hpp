// The Store implementations; open_store() picks one from the configured URL.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "relay/store.hpp"

namespace medcrypt::relay::internal {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path);
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

// Comma-separated, for the audit log.
std::string join_fingerprints(const std::vector<std::string>& fingerprints);

}  // namespace medcrypt::relay::internal
