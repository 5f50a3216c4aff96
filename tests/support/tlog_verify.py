"""An independent verifier of a transparency log, written from RFC 6962/9162 and the C2SP
signed-note and tlog-checkpoint specifications. It shares no code with the suite: its own
hashing, its own proof checks, `cryptography` for Ed25519, and its own parsing of notes.
Used by the Python tests that check what the audit log and audit-query answer."""

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


# --- RFC 6962 / RFC 9162, independently -------------------------------------------------
def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    """Merkle tree hash over leaf hashes, by the RFC's recursive definition."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(leaf, index, size, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- C2SP signed note and tlog-checkpoint ------------------------------------------------
def verify_note(note, verifier_key):
    """Returns the note's text when a signature line verifies under the verifier key."""
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 1, "not an Ed25519 verifier key"
    key_id = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    assert key_id.hex() == key_id_hex
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    public = Ed25519PublicKey.from_public_bytes(key[1:])
    for line in signatures.splitlines():
        if not line.startswith("\u2014 " + name + " "):
            continue
        sig = base64.b64decode(line.split(" ")[2])
        if sig[:4] != key_id:
            continue
        try:
            public.verify(sig[4:], text.encode())
            return text
        except Exception:
            pass
    return None


def parse_checkpoint(text):
    lines = text.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])
