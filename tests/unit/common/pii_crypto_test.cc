#include "common/pii_crypto.h"

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace tuopin::common {
namespace {

constexpr char kOldKey[] = "k2025 8f3a1c9e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3f5b7d9a2c4e6f8b0d1e";
constexpr char kNewKey[] = "k2026 1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d";

PiiKeyRing Ring(const std::string& text) {
  absl::StatusOr<PiiKeyRing> ring = PiiKeyRing::Parse(text);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *std::move(ring);
}

TEST(PiiCrypto, RoundTrip) {
  PiiKeyRing ring = Ring(kOldKey);
  SealedRow row = ring.Seal("hh-1/0", {"52020119800101123X", "13812345678"});
  EXPECT_EQ(row.key_id, "k2025");
  ASSERT_EQ(row.fields.size(), 2u);
  EXPECT_EQ(row.fields[0].find("52020119800101123X"), std::string::npos);
  auto opened = ring.Open("hh-1/0", row);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, (std::vector<std::string>{"52020119800101123X", "13812345678"}));
}

TEST(PiiCrypto, SameValueSealsDifferently) {
  PiiKeyRing ring = Ring(kOldKey);
  EXPECT_NE(ring.Seal("r", {"x"}).fields[0], ring.Seal("r", {"x"}).fields[0]);
}

TEST(PiiCrypto, WrongKeyDoesNotOpen) {
  SealedRow row = Ring(kOldKey).Seal("r", {"52020119800101123X"});
  // Another key under the same id: the wrapped data key does not open.
  PiiKeyRing other = Ring(std::string("k2025 ") + (kNewKey + 6));
  auto opened = other.Open("r", row);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(opened.status().message().find("5202"), std::string::npos);
  // An unknown key id.
  EXPECT_EQ(Ring(kNewKey).Open("r", row).status().code(), absl::StatusCode::kNotFound);
}

TEST(PiiCrypto, TamperedCiphertextDoesNotOpen) {
  PiiKeyRing ring = Ring(kOldKey);
  SealedRow row = ring.Seal("r", {"52020119800101123X"});
  SealedRow flipped = row;
  flipped.fields[0][14] ^= 1;
  EXPECT_EQ(ring.Open("r", flipped).status().code(), absl::StatusCode::kDataLoss);
  SealedRow bad_key = row;
  bad_key.wrapped_key.back() ^= 1;
  EXPECT_EQ(ring.Open("r", bad_key).status().code(), absl::StatusCode::kDataLoss);
  SealedRow cut = row;
  cut.fields[0].resize(5);
  EXPECT_EQ(ring.Open("r", cut).status().code(), absl::StatusCode::kDataLoss);
}

TEST(PiiCrypto, CiphertextsDoNotMoveBetweenRowsOrFields) {
  PiiKeyRing ring = Ring(kOldKey);
  SealedRow a = ring.Seal("household-a/0", {"52020119800101123X", "13812345678"});
  EXPECT_EQ(ring.Open("household-b/0", a).status().code(), absl::StatusCode::kDataLoss);
  SealedRow swapped = a;
  std::swap(swapped.fields[0], swapped.fields[1]);
  EXPECT_EQ(ring.Open("household-a/0", swapped).status().code(), absl::StatusCode::kDataLoss);
  // Row b's data key with row a's fields.
  SealedRow b = ring.Seal("household-b/0", {"x", "y"});
  b.fields = a.fields;
  EXPECT_FALSE(ring.Open("household-b/0", b).ok());
}

TEST(PiiCrypto, RotationKeepsOldRowsReadable) {
  SealedRow old_row = Ring(kOldKey).Seal("r", {"52020119800101123X"});
  PiiKeyRing rotated = Ring(std::string(kOldKey) + "\n" + kNewKey + "\n");
  EXPECT_EQ(rotated.current_key_id(), "k2026");
  auto opened = rotated.Open("r", old_row);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)[0], "52020119800101123X");
  SealedRow new_row = rotated.Seal("r", {"13812345678"});
  EXPECT_EQ(new_row.key_id, "k2026");
  // A ring without the new key cannot read what was written after the rotation.
  EXPECT_FALSE(Ring(kOldKey).Open("r", new_row).ok());
}

TEST(PiiCrypto, KeyFileIsChecked) {
  EXPECT_FALSE(PiiKeyRing::Parse("").ok());
  EXPECT_FALSE(PiiKeyRing::Parse("# only a comment\n").ok());
  EXPECT_FALSE(PiiKeyRing::Parse("k1 abcd").ok());
  EXPECT_FALSE(PiiKeyRing::Parse("k1\n").ok());
  EXPECT_FALSE(PiiKeyRing::Parse(std::string(kOldKey) + "\n" + kOldKey).ok());  // id twice
  EXPECT_FALSE(PiiKeyRing::Parse("k1 " + std::string(64, '0')).ok());           // not random
  EXPECT_FALSE(PiiKeyRing::Parse("bad/id " + std::string(kOldKey + 6)).ok());
  absl::Status st = PiiKeyRing::Parse("k1 zz" + std::string(kOldKey + 8)).status();
  EXPECT_NE(st.message().find("line 1"), std::string::npos);
  EXPECT_EQ(st.message().find(kOldKey + 8), std::string::npos);
  EXPECT_TRUE(PiiKeyRing::Parse("# keys\n\n" + std::string(kOldKey) + "\n").ok());
}

TEST(PiiCrypto, MasksKeepOnlyTheLastCharacters) {
  // No region prefix: with the birth year and sex shown beside it, it narrows the number
  // to a few dozen candidates.
  EXPECT_EQ(MaskIdCardNumber("52020119800101123X"), "****************3X");
  EXPECT_EQ(MaskPhone("13812345678"), "*******5678");
  EXPECT_EQ(MaskIdCardNumber("12"), "**");
  EXPECT_EQ(MaskPhone("1234"), "****");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(PiiCrypto, PseudonymsAreKeyedAndStableAcrossRotations) {
  PiiKeyRing old_ring = Ring(kOldKey);
  PiiKeyRing rotated = Ring(std::string(kOldKey) + "\n" + kNewKey);
  std::string p = old_ring.Pseudonym("52020119800101123X");
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(rotated.Pseudonym("52020119800101123X"), p);
  EXPECT_NE(old_ring.Pseudonym("52020119800101124X"), p);
  // Not the unkeyed hash a holder of the digest key or of a backup could recompute, and
  // not the ring's encryption key used raw.
  EXPECT_NE(p, HexEncode(Sha256("52020119800101123X")));
  EXPECT_NE(p, HexEncode(HmacSha256(*HexDecode(kOldKey + 6), "52020119800101123X")));
  EXPECT_NE(Ring(kNewKey).Pseudonym("52020119800101123X"), p);
}

}  // namespace
}  // namespace tuopin::common
