// Certificates from `medcrypt ca` and URLs.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>


#include "net/pki.hpp"
#include "net/url.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

struct Cert {
  explicit Cert(const std::filesystem::path& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    x509 = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
  }
  ~Cert() { X509_free(x509); }
  bool has_eku(int nid) const { return (X509_get_extended_key_usage(x509) & static_cast<uint32_t>(nid)) != 0; }
  X509* x509;
};

unsigned mode(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(Pki, IssuesServerAndIdentityCertificatesFromOneCa) {
  ScratchDir dir;
  ASSERT_TRUE(net::ca_init(dir.path(), {}));
  EXPECT_EQ(mode(dir / "ca.key"), 0600u);
  auto alice = *crypto::generate_identity("alice");
  auto bob = *crypto::generate_identity("bob");
  net::IssueOptions client{"clinic", {}, {alice.public_identity, bob.public_identity}, 30};
  auto files = net::ca_issue(dir.path(), client);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ(mode(files->key), 0600u);
  auto ids = net::certificate_identities(files->cert);
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{to_hex(alice.public_identity.fingerprint()),
                                            to_hex(bob.public_identity.fingerprint())}));
  net::IssueOptions server{"relay", {"relay.example.org", "127.0.0.1"}, {}, 30};
  ASSERT_TRUE(net::ca_issue(dir.path(), server));

  Cert ca(dir / "ca.crt"), leaf(files->cert), srv(dir / "relay.crt");
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.x509);
  for (X509* cert : {leaf.x509, srv.x509}) {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, nullptr);
    EXPECT_EQ(X509_verify_cert(ctx), 1) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    X509_STORE_CTX_free(ctx);
  }
  X509_STORE_free(store);
  EXPECT_TRUE(leaf.has_eku(XKU_SSL_CLIENT));
  EXPECT_FALSE(leaf.has_eku(XKU_SSL_SERVER));
  EXPECT_TRUE(srv.has_eku(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_host(srv.x509, "relay.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(srv.x509, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(srv.x509, "127.0.0.2", 0), 1);
  EXPECT_EQ(X509_check_ca(ca.x509), 1);
  EXPECT_EQ(X509_check_ca(leaf.x509), 0);
}

TEST(Pki, RefusesToOverwriteOrToMixKinds) {
  ScratchDir dir;
  ASSERT_TRUE(net::ca_init(dir.path(), {}));
  EXPECT_FALSE(net::ca_init(dir.path(), {}));
  auto alice = *crypto::generate_identity("alice");
  net::IssueOptions both{"x", {"localhost"}, {alice.public_identity}, 30};
  EXPECT_EQ(net::ca_issue(dir.path(), both).error().code, ErrorCode::kUsage);
  net::IssueOptions ok{"x", {"localhost"}, {}, 30};
  ASSERT_TRUE(net::ca_issue(dir.path(), ok));
  EXPECT_EQ(net::ca_issue(dir.path(), ok).error().code, ErrorCode::kIo);
  for (const char* bad : {"../x", "ca", ".hidden", ""}) {
    net::IssueOptions named{bad, {"localhost"}, {}, 30};
    EXPECT_FALSE(net::ca_issue(dir.path(), named)) << bad;
  }
  net::IssueOptions host{"y", {"bad,host"}, {}, 30};
  EXPECT_FALSE(net::ca_issue(dir.path(), host));
}

TEST(Url, ParsesTheTransmissionUrls) {
  auto relay = *net::parse_url("https://relay.example.org:8443");
  EXPECT_EQ(relay.scheme, "https");
  EXPECT_EQ(relay.host, "relay.example.org");
  EXPECT_EQ(relay.port, 8443);
  auto pacs = *net::parse_url("dicom://ORTHANC@127.0.0.1:4242");
  EXPECT_EQ(pacs.user, "ORTHANC");
  EXPECT_EQ(pacs.port, 4242);
  auto rest = *net::parse_url("HTTP://user:pw@[::1]/orthanc/");
  EXPECT_EQ(rest.scheme, "http");
  EXPECT_EQ(rest.host, "::1");
  EXPECT_EQ(rest.port, 80);
  EXPECT_EQ(rest.user, "user:pw");
  EXPECT_EQ(rest.path, "/orthanc");
  EXPECT_EQ(net::parse_url("https://h").value().port, 443);
  EXPECT_EQ(net::parse_url("dicom://A@h").value().port, 104);
  for (const char* bad : {"relay:443", "ftp://h", "https://:443", "https://h:99999", "https://h:x"}) {
    EXPECT_FALSE(net::parse_url(bad)) << bad;
  }
  auto listen = *net::parse_host_port("[::1]:0");
  EXPECT_EQ(listen.host, "::1");
  EXPECT_EQ(listen.port, 0);
  EXPECT_FALSE(net::parse_host_port("127.0.0.1"));
}

}  // namespace
}  // namespace medcrypt::test
