"""Contact details as people type them: phone numbers (mobile or landline)."""
from __future__ import annotations

import re
import unicodedata

from huiqi.errors import Invalid

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


def normalize_phone(phone: str, field: str = "phone") -> str:
    """Digits (and one dash for landlines); Invalid with a Chinese message otherwise."""
    text = unicodedata.normalize("NFKC", phone or "")
    text = re.sub(r"[\s()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise Invalid("INVALID_PHONE", "电话号码格式不对，请填写11位手机号或带区号的固定电话（如0931-8888888）。",
                  field=field)
