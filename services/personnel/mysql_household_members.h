#pragma once
// The members of a household in MySQL (table household_members), their id-card numbers
// and phones sealed with common::PiiKeyRing (envelope encryption, one data key per member
// row). Failures are sql::SQLExceptions, like every statement of the stores.

#include <string>
#include <vector>

#include "common/db.h"
#include "common/pii_crypto.h"
#include "tuopin/personnel/v1/personnel.pb.h"

namespace tuopin::personnel {

// Replaces the stored members of `h.id()` with `h.members()`. Without a key ring a member
// with an id-card number or a phone is refused (the binary always has one: --pii_key_file).
void WriteMembers(common::DbSession& s, const common::PiiKeyRing* pii, const v1::Household& h);

// Fills `h.members()` from the store, decrypted. Without a key ring (tools and tests that
// never store personal data) the personal fields stay empty. A row that does not decrypt
// (a key missing from the key file, altered bytes) is an error naming the household and
// the key id, never a value.
void ReadMembers(common::DbSession& s, const common::PiiKeyRing* pii, v1::Household& h);

// The rows of the next multi-row statement of a batch: the largest power of two at most
// `remaining` and `max`, so that a connection prepares (and caches) few variants of it.
inline size_t NextBatch(size_t remaining, size_t max) {
  size_t n = 1;
  while (n * 2 <= remaining && n * 2 <= max) n *= 2;
  return n;
}

// The batched forms of an import (ImportHouseholds): the members of new households (none
// stored yet) in multi-row INSERTs, and the members of many households in one SELECT.
void InsertMembers(common::DbSession& s, const common::PiiKeyRing* pii,
                   const std::vector<const v1::Household*>& households);
void ReadMembersOf(common::DbSession& s, const common::PiiKeyRing* pii,
                   const std::vector<v1::Household*>& households);

}  // namespace tuopin::personnel
