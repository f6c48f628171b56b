#include "relay/store.hpp"

#include "relay/internal/stores.hpp"

namespace medcrypt::relay {

namespace internal {

std::string join_fingerprints(const std::vector<std::string>& fingerprints) {
  std::string out;
  for (const std::string& f : fingerprints) out += (out.empty() ? "" : ",") + f;
  return out;
}

}  // namespace internal

Result<std::unique_ptr<Store>> open_store(const std::string& url, const std::filesystem::path& data_dir) {
  if (url == "sqlite") return internal::open_sqlite_store(data_dir / "relay.db");
  if (url.starts_with("sqlite:")) return internal::open_sqlite_store(url.substr(7));
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return internal::open_postgres_store(url);
  return make_error(ErrorCode::kUsage, "store: expected \"sqlite\", \"sqlite:PATH\" or a postgresql:// URL");
}

}  // namespace medcrypt::relay
