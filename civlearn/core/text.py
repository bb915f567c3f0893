"""Search text in one form: what a stored search field holds and what a query is turned into before matching.

Taiwanese users type 台 as often as 臺 (and a handful of other characters in two accepted forms); agencies and course
providers write them either way too. Both sides of every search are folded with `search_fold`, so 台中 finds
國立臺中科技大學 and 臺北 finds 台北市政府 alike, on SQLite and PostgreSQL, with a plain `contains` on a stored column.
"""

from __future__ import annotations

import unicodedata

# Common variant pairs of Traditional Chinese (異體字) as written in Taiwan, each folded to one of its forms (the
# right-hand side; which one does not matter, both sides are folded alike). Kept short on purpose: a pair belongs
# here only when both forms are in everyday use for the same word and folding cannot make two different words meet.
VARIANTS: dict[str, str] = {
    "台": "臺",
    "裡": "裏",
    "着": "著",
    "峯": "峰",
    "羣": "群",
    "綫": "線",
    "衞": "衛",
    "爲": "為",
    "啓": "啟",
    "衆": "眾",
    "册": "冊",
    "却": "卻",
    "祕": "秘",
    "汙": "污",
    "銹": "鏽",
    "敎": "教",
    "眞": "真",
    "户": "戶",
    "温": "溫",
    "麪": "麵",
    "綉": "繡",
    "鷄": "雞",
    "槪": "概",
    "吿": "告",
    "靑": "青",
}
_TABLE = str.maketrans(VARIANTS)


def search_fold(text: str | None) -> str:
    """The searchable form of `text`: NFKC (full-width → half-width), lower case, variant characters folded
    (台 → 臺 …), no white space. `環境 教育`, `環境教育` and `ＡＩ` match `ai`; 台中 matches 臺中."""
    folded = unicodedata.normalize("NFKC", text or "").lower().translate(_TABLE)
    return "".join(folded.split())


def search_grams(folded: str) -> str:
    """The distinct two-character pieces of a folded text (`search_fold`), space-separated, in order of first
    appearance: `臺中市` → `臺中 中市`; a one-character text is itself. Every piece of a keyword is a piece of any
    text that contains it, so an index over the pieces (PostgreSQL full text, 'simple') can narrow a `contains`
    search of two or more characters without ever losing a match."""
    if len(folded) < 2:
        return folded
    return " ".join(dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1)))
