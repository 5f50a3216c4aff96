#pragma once
// Accounts and transfers for the funds unit tests, written the short way.

#include <string>

#include "tuopin/funds/v1/funds.pb.h"

namespace tuopin::funds {

// Guarded unless a source (as CreateAccount makes them); the code is the id.
inline v1::Account Acct(const std::string& id, v1::AccountKind kind, int64_t credits_posted = 0,
                        const std::string& region = "520221") {
  v1::Account a;
  a.set_id(id);
  a.set_code(id);
  a.set_kind(kind);
  a.set_region_code(region);
  a.set_credits_posted_fen(credits_posted);
  a.set_debits_must_not_exceed_credits(kind != v1::ACCOUNT_KIND_SOURCE);
  return a;
}

// A pending transfer times out after an hour.
inline v1::Transfer T(const std::string& id, const std::string& debit, const std::string& credit,
                      int64_t amount, v1::TransferKind kind, bool linked = false,
                      bool pending = false) {
  v1::Transfer t;
  t.set_id(id);
  t.set_debit_account_id(debit);
  t.set_credit_account_id(credit);
  t.set_amount_fen(amount);
  t.set_kind(kind);
  t.set_linked(linked);
  t.set_pending(pending);
  if (pending) t.mutable_timeout()->set_seconds(3600);
  return t;
}

}  // namespace tuopin::funds
