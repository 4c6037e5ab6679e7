"""API keys as pure logic: their shape, the stored hash, and what each scope allows."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.auth.keys import (
    SCOPES,
    MalformedKey,
    allows,
    generate_key,
    hash_key,
    matches,
    prefix_of,
)


def test_a_new_key_reads_smk_prefix_secret_and_only_its_hash_is_kept() -> None:
    key = generate_key()
    mark, prefix, secret = key.plaintext.split("_", 2)
    assert (mark, prefix) == ("smk", key.prefix)
    assert len(prefix) == 8
    assert int(prefix, 16) >= 0  # hexadecimal
    assert len(secret) == 43  # 32 random bytes, URL-safe base64 without padding
    assert key.secret_hash == hashlib.sha256(key.plaintext.encode()).hexdigest()
    assert key.secret_hash == hash_key(key.plaintext)
    assert key.plaintext not in key.secret_hash
    assert prefix_of(key.plaintext) == key.prefix
    assert matches(key.plaintext, key.secret_hash)


def test_two_new_keys_share_nothing() -> None:
    first, second = generate_key(), generate_key()
    assert first.prefix != second.prefix
    assert first.plaintext != second.plaintext
    assert first.secret_hash != second.secret_hash


def test_a_key_with_any_character_changed_does_not_match() -> None:
    key = generate_key()
    for index in (0, len("smk_"), len(key.plaintext) - 1):
        changed = key.plaintext[:index] + ("A" if key.plaintext[index] != "A" else "B")
        changed += key.plaintext[index + 1:]
        assert not matches(changed, key.secret_hash), index
    assert not matches(key.plaintext[:-1], key.secret_hash)
    assert not matches(key.plaintext + "x", key.secret_hash)


@pytest.mark.parametrize(("presented", "prefix"), [
    ("smk_0123abcd_secret", "0123abcd"),
    ("smk_0123abcd_with_underscores_inside", "0123abcd"),
])  # fmt: skip
def test_the_prefix_is_the_part_between_the_mark_and_the_secret(presented: str,
                                                               prefix: str) -> None:  # fmt: skip
    assert prefix_of(presented) == prefix


@pytest.mark.parametrize("presented", [
    "", "smk", "smk_0123abcd", "smk_0123abcd_", "xyz_0123abcd_secret", "SMK_0123abcd_secret",
    "smk_0123abc_secret", "smk_0123abcde_secret", "Bearer smk_0123abcd_secret",
])  # fmt: skip
def test_anything_not_shaped_like_a_key_is_malformed(presented: str) -> None:
    with pytest.raises(MalformedKey) as refused:
        prefix_of(presented)
    assert str(refused.value) == "not an smarketing API key (expected smk_<prefix>_<secret>)"


@pytest.mark.parametrize(("scope", "needed", "allowed"), [
    ("read", "read", True),
    ("read", "write", False),
    ("write", "read", True),
    ("write", "write", True),
    ("write", "admin", False),
    ("admin", "read", True),
    ("admin", "admin", True),
])  # fmt: skip
def test_a_write_key_may_also_read_a_read_key_may_only_read(scope: str, needed: str,
                                                            allowed: bool) -> None:  # fmt: skip
    assert allows(scope, needed) is allowed


@given(scope=st.sampled_from(SCOPES), needed=st.sampled_from(SCOPES))
def test_scopes_are_ordered_read_below_write(scope: str, needed: str) -> None:
    """The oracle: a key allows what is at or below its own scope."""
    assert allows(scope, needed) == (SCOPES.index(needed) <= SCOPES.index(scope))


def test_an_unknown_scope_allows_only_itself() -> None:
    assert not allows("owner", "read")
    assert not allows("", "write")
