"""统一社会信用代码 check digit (GB 32100-2015)."""
import random

import pytest

from huiqi.errors import Invalid
from ledger import credit_code as cc

# Hand-verified: 91350100M000100Y43
#   values  9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4
#   weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
#   products 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640; 1640 mod 31 = 28; 31-28 = 3 → check "3". ✓
HAND_VERIFIED = "91350100M000100Y43"


def test_hand_verified_code_is_valid():
    assert cc.is_valid(HAND_VERIFIED)
    assert cc.check_char(HAND_VERIFIED[:17]) == "3"


def test_every_wrong_check_character_is_rejected():
    for ch in cc.ALPHABET:
        if ch != "3":
            assert not cc.is_valid(HAND_VERIFIED[:17] + ch)


def test_single_typo_is_caught():
    typo = HAND_VERIFIED[:5] + "2" + HAND_VERIFIED[6:]  # 1 → 2 at position 6
    with pytest.raises(Invalid) as err:
        cc.validate(typo)
    assert "校验位" in err.value.message and err.value.field == "credit_code"


def test_check_value_31_is_written_as_zero():
    # Find a body whose weighted sum is ≡ 0 (mod 31): 31 - 0 = 31 → "0".
    body = "9162010200000000"
    for ch in cc.ALPHABET:
        first17 = body + ch
        total = sum(cc.ALPHABET.index(c) * w for c, w in zip(first17, cc.WEIGHTS))
        if total % 31 == 0:
            assert cc.check_char(first17) == "0"
            return
    pytest.fail("no body with sum ≡ 0 found")


@pytest.mark.parametrize("bad,hint", [("9135010", "18位"), ("91350100M000100YI3", "不能出现"),
                                      ("91350100M000100Y4O", "不能出现")])
def test_malformed_codes_explained_in_chinese(bad, hint):
    with pytest.raises(Invalid) as err:
        cc.validate(bad)
    assert hint in err.value.message


def test_normalisation_accepts_full_width_and_lower_case():
    assert cc.validate("９１３５０１００ｍ０００１００ｙ４３") == HAND_VERIFIED
    assert cc.validate(" 91350100m000100y43 ") == HAND_VERIFIED


def test_generated_codes_are_valid_and_keep_the_division():
    rng = random.Random(7)
    for _ in range(200):
        code = cc.generate("620102", rng)
        assert len(code) == 18 and code.startswith("91620102") and cc.is_valid(code)
