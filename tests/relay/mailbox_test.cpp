// The relay's trust rules, straight on the mailbox: no sockets, no HTTP. Real signed containers, a real
// data folder and a real SQLite index; a clock the tests turn.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>

#include "container/container.hpp"
#include "container/repeatable.hpp"
#include "core/file_io.hpp"
#include "crypto/hash.hpp"
#include "image/image.hpp"
#include "relay/mailbox.hpp"
#include "schemes/scheme.hpp"
#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

using relay::Refusal;

std::string fingerprint(const crypto::Identity& id) { return to_hex(id.public_identity.fingerprint()); }

// A container of a random 8-bit grey image sealed to `recipients`, signed by `signer` (if given).
Bytes seal(const container::Recipients& recipients, const crypto::Identity* signer, std::uint32_t seed,
           const container::FixedRandomness* fixed = nullptr) {
  image::Geometry g{24, 16, 1, 1, 8, 8, false, "MONOCHROME2"};
  auto img = image::Image::create(g);
  std::mt19937 rng(seed);
  for (auto& b : img->bytes()) b = static_cast<std::uint8_t>(rng());
  container::SealOptions options;
  options.signer = signer;
  auto scheme = schemes::builtin_registry().create("aead");
  container::MemorySink sink;
  container::Metadata metadata{"image.png", "png", {}, {}, {}};
  auto sealed = fixed != nullptr ? container::seal_repeatable(*img, metadata, **scheme, recipients, options, *fixed, sink)
                                  : container::seal(*img, metadata, **scheme, recipients, options, sink);
  if (!sealed) throw std::runtime_error("seal");
  return std::move(sink).take();
}

Bytes seal_to(const crypto::Identity& to, const crypto::Identity* signer, std::uint32_t seed) {
  return seal(container::Recipients::identities({to.public_identity}), signer, seed);
}

// Why `outcome` was refused; kFailed with "not refused" when it was not.
template <typename T>
relay::Refused refused(relay::Outcome<T> outcome) {
  const auto* r = std::get_if<relay::Refused>(&outcome);
  return r != nullptr ? *r : relay::Refused{Refusal::kFailed, make_error(ErrorCode::kInternal, "not refused"), {}, 0};
}

template <typename T>
T take(relay::Outcome<T>&& outcome) {
  if (const auto* r = std::get_if<relay::Refused>(&outcome)) throw std::runtime_error("refused: " + r->error.message);
  return std::get<T>(std::move(outcome));
}

class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice = *crypto::generate_identity("alice");
    bob = *crypto::generate_identity("bob");
    carol = *crypto::generate_identity("carol");
    alice_client = {{fingerprint(alice)}, std::string(64, 'a')};
    bob_client = {{fingerprint(bob)}, std::string(64, 'b')};
    carol_client = {{fingerprint(carol)}, std::string(64, 'c')};
    open_mailbox();
  }

  void open_mailbox() {
    box.reset();
    auto opened = relay::Mailbox::open(dir.path() / "data", "sqlite", limits, [this] { return now.load(); });
    ASSERT_TRUE(opened) << opened.error().message;
    box = std::move(*opened);
  }

  relay::NewUpload upload_of(const Bytes& bytes, bool resumable = false,
                             std::string id = std::string(32, '1')) {
    return relay::NewUpload{std::move(id), bytes.size(), resumable};
  }

  // Sends `bytes` whole in one request and asks the mailbox to accept them.
  relay::Outcome<relay::MessageRecord> send(const relay::Client& client, const Bytes& bytes,
                                            std::string id = std::string(32, '1')) {
    auto begun = box->begin_upload(client, upload_of(bytes, false, std::move(id)));
    if (auto* r = std::get_if<relay::Refused>(&begun)) return *r;
    relay::Slot slot = std::get<relay::Slot>(std::move(begun));
    EXPECT_TRUE(slot.append(bytes));
    EXPECT_TRUE(slot.complete());
    return box->accept(std::move(slot), client);
  }

  std::size_t part_files() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() / "data" / "uploads")) ++n;
    return n;
  }

  ScratchDir dir;
  relay::RelayLimits limits;
  // The part files' times are real: the clock starts at the real time, and tests turn it forward.
  std::atomic<std::int64_t> now{std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()};
  std::unique_ptr<relay::Mailbox> box;
  crypto::Identity alice, bob, carol;
  relay::Client alice_client, bob_client, carol_client;
};

TEST_F(MailboxTest, StoresASignedContainerForItsRecipientOnly) {
  Bytes sealed = seal_to(bob, &alice, 1);
  auto stored = send(alice_client, sealed);
  ASSERT_TRUE(std::holds_alternative<relay::MessageRecord>(stored)) << refused(stored).error.message;
  const auto& m = std::get<relay::MessageRecord>(stored);
  // The digest names the bytes: checked against an independent SHA-256 of what was sent.
  EXPECT_EQ(m.digest, to_hex(crypto::sha256(sealed)));
  EXPECT_EQ(m.sender, fingerprint(alice));
  EXPECT_EQ(m.recipients, std::vector<std::string>{fingerprint(bob)});
  EXPECT_EQ(m.size, sealed.size());
  EXPECT_EQ(m.uploaded, now.load());
  EXPECT_EQ(part_files(), 0u);

  auto inbox = take(box->inbox(bob_client, {}));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].digest, m.digest);
  EXPECT_TRUE(take(box->inbox(carol_client, {})).empty());
  EXPECT_TRUE(take(box->inbox(alice_client, {})).empty());  // the sender is not a recipient

  auto found = box->find(m.digest, bob_client);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(*read_file((*found)->file, 1 << 20), sealed);
  EXPECT_TRUE(box->record_download(bob_client, (*found)->message, sealed.size()));
  auto not_for_carol = box->find(m.digest, carol_client);
  ASSERT_TRUE(not_for_carol);
  EXPECT_FALSE(*not_for_carol);

  EXPECT_EQ(refused(box->acknowledge(m.digest, carol_client)).why, Refusal::kNotFound);
  auto acked = box->acknowledge(m.digest, bob_client);
  ASSERT_TRUE(std::holds_alternative<bool>(acked));
  EXPECT_TRUE(std::get<bool>(acked));  // its only recipient has it: the file goes
  EXPECT_FALSE(std::filesystem::exists((*found)->file));
  EXPECT_TRUE(take(box->inbox(bob_client, {})).empty());
}

TEST_F(MailboxTest, RefusesAClientWhoseCertificateNamesNoIdentity) {
  relay::Client anonymous{{}, std::string(64, 'f')};
  const relay::Refused r = refused(send(anonymous, seal_to(bob, &alice, 2)));
  EXPECT_EQ(r.why, Refusal::kNotAllowed);
  EXPECT_EQ(r.error.message, "the certificate names no identity");
  EXPECT_EQ(part_files(), 0u);
}

TEST_F(MailboxTest, RefusesASignerThatIsNotAnIdentityOfTheUploader) {
  // Carol's certificate uploads a container Alice signed: the container names Alice as its signer.
  Bytes sealed = seal_to(bob, &alice, 3);
  const relay::Refused r = refused(send(carol_client, sealed));
  EXPECT_EQ(r.why, Refusal::kNotAllowed);
  EXPECT_EQ(r.error.code, ErrorCode::kSignature);
  // A certificate bound to Alice's Ed25519 key under another X25519 key is another identity.
  crypto::Identity half = carol;
  half.public_identity.ed25519 = alice.public_identity.ed25519;
  relay::Client mixed{{fingerprint(half)}, std::string(64, '9')};
  EXPECT_EQ(refused(send(mixed, sealed)).error.code, ErrorCode::kSignature);
  EXPECT_EQ(part_files(), 0u);
  EXPECT_TRUE(take(box->inbox(bob_client, {})).empty());
}

// A version 1 container (older medcrypt: the header names only the signer's Ed25519 key, its client
// declared the X25519 half) is refused: the relay takes the sender's identity from the container alone.
TEST_F(MailboxTest, RefusesAVersionOneContainer) {
  auto v1 = read_file(std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/vectors/container/kat_recipients_aes256gcm_signed.mct",
                      1 << 20);
  ASSERT_TRUE(v1);
  const relay::Refused r = refused(send(alice_client, *v1));
  EXPECT_EQ(r.why, Refusal::kRejected);
  EXPECT_EQ(r.error.code, ErrorCode::kVersion);
  EXPECT_NE(r.error.message.find("version 1"), std::string::npos) << r.error.message;
  EXPECT_EQ(part_files(), 0u);
}

TEST_F(MailboxTest, RefusesUnsignedTamperedAndTrailingBytes) {
  Bytes sealed = seal_to(bob, &alice, 4);
  const relay::Refused unsigned_r = refused(send(alice_client, seal_to(bob, nullptr, 4)));
  EXPECT_EQ(unsigned_r.why, Refusal::kRejected);

  for (std::size_t at : {std::size_t{0}, std::size_t{200}, sealed.size() / 2, sealed.size() - 1}) {
    Bytes tampered = sealed;
    tampered[at] ^= 0x01;
    EXPECT_EQ(refused(send(alice_client, tampered)).why, Refusal::kRejected) << "byte " << at;
  }
  Bytes trailing = sealed;
  trailing.push_back(0);
  EXPECT_EQ(refused(send(alice_client, trailing)).why, Refusal::kRejected);
  EXPECT_EQ(part_files(), 0u);
  // The genuine container still goes in: none of the refusals left anything behind.
  EXPECT_TRUE(std::holds_alternative<relay::MessageRecord>(send(alice_client, sealed)));
}

TEST_F(MailboxTest, TrailingBytesAreRefusedAlsoWhenReadBackFromDisk) {
  // Resumed from a later offset, the upload is verified from its part file rather than as it streamed in.
  Bytes trailing = seal_to(bob, &alice, 5);
  trailing.push_back(0);
  auto first = take(box->begin_upload(alice_client, upload_of(trailing, true)));
  ASSERT_TRUE(first.append(ByteView(trailing).first(100)));
  { auto dropped = std::move(first); }
  auto rest = take(box->resume_upload(std::string(32, '1'), alice_client, 100, trailing.size() - 100));
  ASSERT_TRUE(rest.append(ByteView(trailing).subspan(100)));
  const relay::Refused r = refused(box->accept(std::move(rest), alice_client));
  EXPECT_EQ(r.why, Refusal::kRejected);
  EXPECT_EQ(r.error.message, "container has 1 bytes after its end");
  EXPECT_EQ(refused(box->upload_progress(std::string(32, '1'), alice_client)).why, Refusal::kNotFound);
}

TEST_F(MailboxTest, RefusesASignedContainerSealedWithAPassword) {
  SecretBytes key(32);
  const relay::Refused r = refused(send(alice_client, seal(container::Recipients::shared_key(key), &alice, 6)));
  EXPECT_EQ(r.why, Refusal::kRejected);
  EXPECT_EQ(r.error.code, ErrorCode::kWrongKey);
}

TEST_F(MailboxTest, ARepeatIsRefusedAndOnlyItsUploaderLearnsTheDigest) {
  Bytes sealed = seal_to(bob, &alice, 7);
  auto first = std::get<relay::MessageRecord>(send(alice_client, sealed));
  const relay::Refused again = refused(send(alice_client, sealed, std::string(32, '2')));
  EXPECT_EQ(again.why, Refusal::kExists);
  EXPECT_EQ(again.own_digest, first.digest);  // it did arrive
  // A second certificate bound to Alice's identity sends the same bytes: refused, and told nothing.
  relay::Client alice_laptop{{fingerprint(alice)}, std::string(64, 'd')};
  const relay::Refused other = refused(send(alice_laptop, sealed, std::string(32, '3')));
  EXPECT_EQ(other.why, Refusal::kExists);
  EXPECT_TRUE(other.own_digest.empty());
  // Still refused once delivered: replays are refused for ever.
  ASSERT_TRUE(std::holds_alternative<bool>(box->acknowledge(first.digest, bob_client)));
  EXPECT_EQ(refused(send(alice_client, sealed, std::string(32, '4'))).why, Refusal::kExists);
  EXPECT_EQ(part_files(), 0u);
}

TEST_F(MailboxTest, AMessageIdIsStoredOncePerSender) {
  container::FixedRandomness fixed;
  fixed.content_key = SecretBytes(std::vector<std::uint8_t>(32, 7));
  fixed.message_id.fill(0x42);
  fixed.ephemeral_keys.push_back(SecretBytes(std::vector<std::uint8_t>(32, 9)));
  const auto to_bob = container::Recipients::identities({bob.public_identity});
  Bytes one = seal(to_bob, &alice, 8, &fixed), other = seal(to_bob, &alice, 9, &fixed);
  ASSERT_NE(one, other);
  ASSERT_TRUE(std::holds_alternative<relay::MessageRecord>(send(alice_client, one)));
  const relay::Refused r = refused(send(alice_client, other, std::string(32, '2')));
  EXPECT_EQ(r.why, Refusal::kExists);
  EXPECT_TRUE(r.own_digest.empty());  // other bytes: not the message it stored
  // The same id from another sender is that sender's own.
  relay::Client carol_signs{{fingerprint(carol)}, std::string(64, 'e')};
  EXPECT_TRUE(std::holds_alternative<relay::MessageRecord>(
      send(carol_signs, seal(to_bob, &carol, 8, &fixed), std::string(32, '3'))));
}

TEST_F(MailboxTest, RefusesMalformedIdsAndEmptyOrOversizedUploads) {
  Bytes sealed = seal_to(bob, &alice, 10);
  const std::string climbs = "../../../../../../../../../../ab";  // 32 characters
  for (const std::string& id : std::vector<std::string>{climbs, std::string(32, 'G'), std::string(31, '1')}) {
    auto r = refused(box->begin_upload(alice_client, upload_of(sealed, true, id)));
    EXPECT_EQ(r.why, Refusal::kMalformed) << id;
  }
  relay::NewUpload empty = upload_of(sealed, true);
  empty.length = 0;
  EXPECT_EQ(refused(box->begin_upload(alice_client, empty)).why, Refusal::kMalformed);
  relay::NewUpload huge = upload_of(sealed, true);
  huge.length = limits.max_message_bytes + 1;
  const relay::Refused r = refused(box->begin_upload(alice_client, huge));
  EXPECT_EQ(r.why, Refusal::kTooLarge);
  EXPECT_EQ(r.error.code, ErrorCode::kLimits);
  EXPECT_EQ(part_files(), 0u);
}

TEST_F(MailboxTest, TheQuotaCountsOpenUploadsUploadsInFlightAndUndeliveredMessages) {
  Bytes sealed = seal_to(bob, &alice, 11);
  limits.quota_bytes = 2 * sealed.size() + sealed.size() / 2;
  open_mailbox();
  // One in flight (not yet indexed), one open and resumable: a third does not fit.
  auto in_flight = take(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '1'))));
  auto open = take(box->begin_upload(alice_client, upload_of(sealed, true, std::string(32, '2'))));
  const relay::Refused over = refused(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '3'))));
  EXPECT_EQ(over.why, Refusal::kNotAllowed);
  EXPECT_EQ(over.error.code, ErrorCode::kLimits);
  // Another client's quota is its own.
  relay::Client alice_laptop{{fingerprint(alice)}, std::string(64, 'd')};
  EXPECT_TRUE(std::holds_alternative<relay::Slot>(
      box->begin_upload(alice_laptop, upload_of(sealed, false, std::string(32, '4')))));
  // The upload in flight is stored: it still counts, now as an undelivered message.
  ASSERT_TRUE(in_flight.append(sealed));
  auto stored = take(box->accept(std::move(in_flight), alice_client));
  EXPECT_EQ(refused(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '5')))).why,
            Refusal::kNotAllowed);
  // Delivered, it no longer counts.
  ASSERT_TRUE(std::holds_alternative<bool>(box->acknowledge(stored.digest, bob_client)));
  EXPECT_TRUE(std::holds_alternative<relay::Slot>(
      box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '5')))));
}

TEST_F(MailboxTest, AResumedUploadChecksOwnerOffsetLengthAndItsLock) {
  Bytes sealed = seal_to(bob, &alice, 12);
  const std::string id(32, '1');
  auto first = take(box->begin_upload(alice_client, upload_of(sealed, true, id)));
  ASSERT_TRUE(first.append(ByteView(sealed).first(300)));
  // While the first request still writes, the upload is busy, and its id taken.
  EXPECT_EQ(refused(box->resume_upload(id, alice_client, 300, 10)).why, Refusal::kBusy);
  EXPECT_EQ(refused(box->begin_upload(alice_client, upload_of(sealed, true, id))).why, Refusal::kExists);
  { auto cut = std::move(first); }  // the request ends (cut)

  auto progress = box->upload_progress(id, alice_client);
  ASSERT_TRUE(std::holds_alternative<relay::UploadProgress>(progress));
  EXPECT_EQ(std::get<relay::UploadProgress>(progress).offset, 300u);
  EXPECT_EQ(std::get<relay::UploadProgress>(progress).length, sealed.size());
  EXPECT_EQ(refused(box->upload_progress(id, carol_client)).why, Refusal::kNotFound);
  EXPECT_EQ(refused(box->resume_upload(id, carol_client, 300, 10)).why, Refusal::kNotFound);
  const relay::Refused wrong = refused(box->resume_upload(id, alice_client, 200, 10));
  EXPECT_EQ(wrong.why, Refusal::kWrongOffset);
  EXPECT_EQ(wrong.offset, 300u);
  EXPECT_EQ(refused(box->resume_upload(id, alice_client, 300, sealed.size())).why, Refusal::kTooLarge);

  auto rest = take(box->resume_upload(id, alice_client, 300, sealed.size() - 300));
  ASSERT_TRUE(rest.append(ByteView(sealed).subspan(300)));
  ASSERT_TRUE(rest.complete());
  auto stored = box->accept(std::move(rest), alice_client);
  ASSERT_TRUE(std::holds_alternative<relay::MessageRecord>(stored)) << refused(stored).error.message;
  EXPECT_EQ(std::get<relay::MessageRecord>(stored).digest, to_hex(crypto::sha256(sealed)));
  EXPECT_EQ(refused(box->upload_progress(id, alice_client)).why, Refusal::kNotFound);  // finished
}

TEST_F(MailboxTest, ASingleRequestUploadIsIndexedOnlyWhenKeptForResume) {
  Bytes sealed = seal_to(bob, &alice, 13);
  const std::string id(32, '7');
  auto slot = take(box->begin_upload(alice_client, upload_of(sealed, false, id)));
  ASSERT_TRUE(slot.append(ByteView(sealed).first(64)));
  // No row yet, its part locked: busy, not missing (its client may have seen the cut first).
  EXPECT_EQ(refused(box->upload_progress(id, alice_client)).why, Refusal::kBusy);
  ASSERT_TRUE(box->keep_for_resume(slot));
  { auto cut = std::move(slot); }
  auto progress = take(box->upload_progress(id, alice_client));
  EXPECT_EQ(progress.offset, 64u);

  // One not kept leaves a part no row names: unknown to its client, and its bytes no longer count.
  const std::string lost(32, '8');
  limits.quota_bytes = 2 * sealed.size();
  open_mailbox();
  {
    auto cut = take(box->begin_upload(alice_client, upload_of(sealed, false, lost)));
    ASSERT_TRUE(cut.append(ByteView(sealed).first(64)));
  }
  EXPECT_EQ(refused(box->upload_progress(lost, alice_client)).why, Refusal::kNotFound);
  EXPECT_EQ(part_files(), 2u);
  // The quota holds the kept upload and one more.
  EXPECT_TRUE(std::holds_alternative<relay::Slot>(
      box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '9')))));
}

TEST_F(MailboxTest, KeptBytesCountOnceAgainstTheQuota) {
  Bytes sealed = seal_to(bob, &alice, 15);
  limits.quota_bytes = 2 * sealed.size();
  open_mailbox();
  auto slot = take(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '1'))));
  ASSERT_TRUE(slot.append(ByteView(sealed).first(10)));
  ASSERT_TRUE(box->keep_for_resume(slot));
  // The index counts the kept upload; it no longer counts as in flight as well.
  EXPECT_TRUE(std::holds_alternative<relay::Slot>(
      box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '2')))));
}

TEST_F(MailboxTest, ASlotTakesNoMoreThanItsLengthAndIsAcceptedOnlyWhole) {
  Bytes sealed = seal_to(bob, &alice, 16);
  const std::string id(32, '1');
  auto slot = take(box->begin_upload(alice_client, upload_of(sealed, true, id)));
  ASSERT_TRUE(slot.append(ByteView(sealed).first(100)));
  Bytes too_much(sealed.size(), 0);
  auto over = slot.append(too_much);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kLimits);
  EXPECT_EQ(refused(box->accept(std::move(slot), alice_client)).why, Refusal::kMalformed);
  // Nothing was dropped: the upload resumes where it stood.
  auto rest = take(box->resume_upload(id, alice_client, 100, sealed.size() - 100));
  ASSERT_TRUE(rest.append(ByteView(sealed).subspan(100)));
  EXPECT_TRUE(std::holds_alternative<relay::MessageRecord>(box->accept(std::move(rest), alice_client)));
}

TEST_F(MailboxTest, AnOrphanedPartIsSweptOrStartedAgain) {
  // A single-request upload cut by a crash: a part file and no row.
  Bytes sealed = seal_to(bob, &alice, 17);
  {
    auto cut = take(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '1'))));
    ASSERT_TRUE(cut.append(ByteView(sealed).first(50)));
  }
  // Its client starts it again under the same id: the part is emptied and taken over.
  auto again = take(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '1'))));
  EXPECT_EQ(again.size(), 0u);
  ASSERT_TRUE(again.append(sealed));
  EXPECT_TRUE(std::holds_alternative<relay::MessageRecord>(box->accept(std::move(again), alice_client)));
  // Another is never started again: swept once it is older than the expiry.
  {
    auto cut = take(box->begin_upload(alice_client, upload_of(sealed, false, std::string(32, '2'))));
    ASSERT_TRUE(cut.append(ByteView(sealed).first(50)));
  }
  EXPECT_EQ(part_files(), 1u);
  now += std::chrono::duration_cast<std::chrono::milliseconds>(limits.upload_expiry).count() + 1000;
  auto removed = box->expire();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(part_files(), 0u);
}

TEST_F(MailboxTest, AMessageForTwoStaysUntilBothHaveIt) {
  const auto both = container::Recipients::identities({bob.public_identity, carol.public_identity});
  Bytes sealed = seal(both, &alice, 18);
  auto m = take(send(alice_client, sealed));
  auto file = (*box->find(m.digest, bob_client))->file;
  // The sender is no recipient: it cannot fetch its message back. Nor can a malformed digest find anything.
  EXPECT_FALSE(*box->find(m.digest, alice_client));
  EXPECT_FALSE(*box->find("../" + m.digest.substr(3), bob_client));
  EXPECT_EQ(refused(box->acknowledge("../" + m.digest.substr(3), bob_client)).why, Refusal::kNotFound);
  EXPECT_FALSE(take(box->acknowledge(m.digest, bob_client)));  // Carol has not
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_TRUE(take(box->inbox(bob_client, {})).empty());
  EXPECT_EQ(take(box->inbox(carol_client, {})).size(), 1u);
  EXPECT_TRUE(take(box->acknowledge(m.digest, carol_client)));
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(MailboxTest, ExpiryDropsAbandonedUploadsButNotOneBeingWritten) {
  Bytes sealed = seal_to(bob, &alice, 14);
  auto abandoned = take(box->begin_upload(alice_client, upload_of(sealed, true, std::string(32, '1'))));
  ASSERT_TRUE(abandoned.append(ByteView(sealed).first(10)));
  { auto cut = std::move(abandoned); }
  auto writing = take(box->begin_upload(alice_client, upload_of(sealed, true, std::string(32, '2'))));
  auto none = box->expire();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0u);  // nothing is old yet
  now += std::chrono::duration_cast<std::chrono::milliseconds>(limits.upload_expiry).count() + 1;
  auto removed = box->expire();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(refused(box->upload_progress(std::string(32, '1'), alice_client)).why, Refusal::kNotFound);
  // The one still being written is kept, and finishes.
  ASSERT_TRUE(writing.append(sealed));
  EXPECT_TRUE(std::holds_alternative<relay::MessageRecord>(box->accept(std::move(writing), alice_client)));
}

TEST_F(MailboxTest, AnInboxIsAskedForOnlyInTheNameOfTheCertificatesIdentities) {
  relay::InboxQuery query;
  query.for_identity = fingerprint(carol);
  const relay::Refused r = refused(box->inbox(bob_client, query));
  EXPECT_EQ(r.why, Refusal::kNotAllowed);
  // A certificate bound to two identities asks for one of them: it sees only what is addressed to that one.
  crypto::Identity dave = *crypto::generate_identity("dave");
  relay::Client bob_and_dave{{fingerprint(bob), fingerprint(dave)}, std::string(64, '9')};
  take(send(alice_client, seal_to(bob, &alice, 19)));
  EXPECT_EQ(take(box->inbox(bob_and_dave, {})).size(), 1u);
  query.for_identity = fingerprint(dave);
  EXPECT_TRUE(take(box->inbox(bob_and_dave, query)).empty());
  query.for_identity = fingerprint(bob);
  EXPECT_EQ(take(box->inbox(bob_and_dave, query)).size(), 1u);
}

}  // namespace
}  // namespace medcrypt::test
