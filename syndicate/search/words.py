"""Words as search sees them: which language's rules apply, stems, and the marks in a snippet."""
from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

# PostgreSQL's text search configuration for each language we stem; any other language is
# matched word for word ('simple'). SQLite uses the Snowball stemmers of the same names.
CONFIGS = {"en": "english", "ru": "russian"}
SIMPLE = "simple"

_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer cuts them
_LATIN = re.compile(r"[a-z0-9]+")


def language_of(tag: str | None) -> str:
    """A story's BCP 47 tag as the index files it: its primary subtag ("en-GB" is "en")."""
    base = (tag or "").split("-")[0].strip().lower()[:8]
    return base or "en"


def config_for(language: str) -> str:
    return CONFIGS.get(language, SIMPLE)


@lru_cache(maxsize=None)
def _stemmer(name: str):
    return snowballstemmer.stemmer(name)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """One lower-case word's stem; cached, since news repeats its words.

    Like PostgreSQL's russian configuration, Latin-script words in Russian text get the
    English stemmer.
    """
    name = config_for(language)
    if name == "russian" and _LATIN.fullmatch(word):
        name = "english"
    if name == SIMPLE:
        return word
    return _stemmer(name).stemWord(word)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stems(text: str, language: str) -> list[str]:
    return [stem(w, language) for w in words(text)]


def fts_match(query: str, language: str) -> str | None:
    """An FTS5 query that asks for every stemmed word, each quoted as a string, or None when there is none.

    Quoting makes every character literal: `"`, `*`, `NEAR(` or `-` typed by a reader is never syntax.
    """
    terms = dict.fromkeys(stems(query, language))  # once each, in order
    if not terms:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def rank(pool: list[tuple[int, str]], terms: list[str]) -> list[int]:
    """Ids of (id, stemmed words) rows, best match first by BM25 over the pool, newer first among equals.

    FTS5's own bm25() would rank every match of a common word, or look each pool row up
    again; the pool's words are at hand, so they are counted here.
    """
    if not pool:
        return []
    counts = [Counter(words.split()) for _, words in pool]
    lengths = [sum(c.values()) or 1 for c in counts]
    average = sum(lengths) / len(lengths)
    k1, b = 1.2, 0.75
    idf = {}
    for t in terms:
        df = sum(1 for c in counts if t in c)
        idf[t] = math.log((len(pool) - df + 0.5) / (df + 0.5) + 1)
    scores = []
    for place, ((entry_id, _), c, length) in enumerate(zip(pool, counts, lengths)):
        score = sum(idf[t] * c[t] * (k1 + 1) / (c[t] + k1 * (1 - b + b * length / average)) for t in terms if t in c)
        scores.append((-score, place, entry_id))
    return [entry_id for _, _, entry_id in sorted(scores)]


def highlight(text: str, query: str, language: str, around: int = 30) -> Markup:
    """A window of the text around its matching words, those words in <mark>, everything else escaped.

    With `around` of 0 the whole text is returned, marked.
    """
    wanted = set(stems(query, language))
    spans = [m for m in _WORD.finditer(text) if stem(m.group().lower(), language) in wanted]
    start, end = 0, len(text)
    if around and spans:
        tokens = list(_WORD.finditer(text))
        first = next(i for i, m in enumerate(tokens) if m.start() == spans[0].start())
        lo = max(0, first - around // 3)
        hi = min(len(tokens) - 1, lo + around)
        start, end = tokens[lo].start(), tokens[hi].end()
    elif around:
        tokens = list(_WORD.finditer(text))
        if len(tokens) > around:
            end = tokens[around].end()
    out = [Markup("\u2026 ") if start > 0 else Markup("")]
    at = start
    for m in spans:
        if m.start() < start or m.end() > end:
            continue
        out += [escape(text[at:m.start()]), Markup("<mark>"), escape(m.group()), Markup("</mark>")]
        at = m.end()
    out.append(escape(text[at:end]))
    if end < len(text.rstrip()):
        out.append(Markup(" \u2026"))
    return Markup("").join(out)
