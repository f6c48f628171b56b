// Encrypted inference beside the mailbox (paper 004): the relay holds a classifier's linear head in the
// clear and, with each request, the data owner's Paillier public key; it returns the encrypted scores
// Enc(W f + b) and never sees a secret key, a feature or a score (he/encrypted_head.hpp).
#pragma once

#include <string>
#include <string_view>

#include "he/encrypted_head.hpp"
#include "relay/mailbox.hpp"

namespace medcrypt::relay {

class InferenceService {
 public:
  // `threads`: for the exponentiations of one request (0: all cores).
  InferenceService(he::QuantizedHead head, unsigned threads) : head_(std::move(head)), threads_(threads) {}

  // A "medcrypt-he-features" message in, a "medcrypt-he-logits" message out. Refused: kMalformed for a
  // message that does not parse, kRejected for features of another model or layout, kTooLarge past the
  // head's or the scheme's bounds.
  Outcome<std::string> evaluate(std::string_view request_json) const;

  const std::string& model() const { return head_.model; }  // the weights' digest the features must match

 private:
  he::QuantizedHead head_;
  unsigned threads_;
};

}  // namespace medcrypt::relay
