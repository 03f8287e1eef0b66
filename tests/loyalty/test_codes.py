from __future__ import annotations

import random

from loyalty import codes


def test_generated_codes_are_valid_and_unambiguous() -> None:
    rng = random.Random(1)
    for _ in range(500):
        code = codes.generate(rng=rng)
        assert len(code) == codes.VOUCHER_LENGTH + 1
        assert codes.is_valid(code)
        assert not set(code) & set("0O1IL")


def test_every_single_typo_is_detected() -> None:
    code = codes.generate(rng=random.Random(7))
    for pos in range(len(code)):
        for ch in codes.ALPHABET:
            if ch != code[pos]:
                typo = code[:pos] + ch + code[pos + 1 :]
                assert not codes.is_valid(typo), typo


def test_every_swap_of_two_characters_is_detected() -> None:
    code = codes.generate(rng=random.Random(3))
    for i in range(len(code)):
        for j in range(i + 1, len(code)):
            if code[i] != code[j]:
                swapped = list(code)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                assert not codes.is_valid("".join(swapped))


def test_typed_variants_normalize() -> None:
    code = codes.generate(rng=random.Random(5))
    spaced = f" {code[:4].lower()}-{code[4:]} "
    assert codes.is_valid(spaced)
    assert codes.normalize(spaced) == code


def test_rejects_foreign_characters_and_lengths() -> None:
    assert not codes.is_valid("ABC")
    assert not codes.is_valid("O" * 10)
    assert not codes.is_valid("")
