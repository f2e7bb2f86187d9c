"""Warning signs named in a patient's own words, in English and Spanish.

Pure Python, no database. ``red_flags(notes)`` returns the catalogue codes of the warning signs that
free text names, skipping a mention denied just before it ("no chest pain", "sin dolor de pecho").
The lexicon (reactions/domain/lexicon.py) is part of the triage rules: changing it changes decisions,
so the rule table's version and fingerprint cover it (reactions/domain/triage.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reactions.domain import catalogue
from reactions.domain.lexicon import (
    CLAUSE_BREAKS,
    LEXICON,
    NEGATION_WINDOW,
    NEGATIONS,
    NEGATIVE_STARTS,
    NOT_A_DENIAL,
    NOT_A_SIGN,
)

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})
_PUNCTUATION = frozenset(".,;:!?()[]\n")
_TOKEN = re.compile(r"\w+|[.,;:!?()\[\]\n]")


def normalise(text: str) -> str:
    """Lower case, no accents, no apostrophes: "¿No PUEDO respirar?" -> "¿no puedo respirar?", "Can't" -> "cant"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.casefold().replace("'", "")


def _words(text: str) -> list[tuple[str, int]]:
    """(word, clause number) for every word; punctuation and "but"/"pero" start a new clause."""
    words: list[tuple[str, int]] = []
    clause = 0
    for token in _TOKEN.findall(normalise(text)):
        if token in _PUNCTUATION:
            clause += 1
            continue
        if token in CLAUSE_BREAKS:
            clause += 1
        words.append((token, clause))
    return words


@dataclass(frozen=True, slots=True)
class _Pattern:
    code: str  # "" for a phrase of NOT_A_SIGN
    term: str
    words: tuple[str, ...]
    prefix: bool  # the last word matches any word that starts with it
    negatable: bool


def _compile() -> tuple[_Pattern, ...]:
    patterns = []
    for code, terms in LEXICON.items():
        for term in dict.fromkeys(terms.en + terms.es):  # the same word in both languages, once
            prefix = term.endswith("*")
            words = tuple(word for word, _clause in _words(term.rstrip("*")))
            patterns.append(_Pattern(code, term, words, prefix, negatable=words[0] not in NEGATIVE_STARTS))
    for phrase in NOT_A_SIGN:
        words = tuple(word for word, _clause in _words(phrase))
        patterns.append(_Pattern("", phrase, words, prefix=False, negatable=False))
    return tuple(patterns)


_PATTERNS = _compile()
_BY_FIRST_WORD: dict[str, list[_Pattern]] = {}
_ONE_WORD_PREFIXES: list[_Pattern] = []
for _pattern in _PATTERNS:
    if _pattern.prefix and len(_pattern.words) == 1:
        _ONE_WORD_PREFIXES.append(_pattern)
    else:
        _BY_FIRST_WORD.setdefault(_pattern.words[0], []).append(_pattern)


def _matches_at(pattern: _Pattern, words: list[tuple[str, int]], start: int) -> bool:
    end = start + len(pattern.words)
    if end > len(words) or words[end - 1][1] != words[start][1]:  # a term never spans two clauses
        return False
    for offset, expected in enumerate(pattern.words):
        word = words[start + offset][0]
        last = offset == len(pattern.words) - 1
        if not (word == expected or (last and pattern.prefix and word.startswith(expected))):
            return False
    return True


def _denied(words: list[tuple[str, int]], start: int) -> bool:
    clause = words[start][1]
    for position in range(start - 1, max(start - 1 - NEGATION_WINDOW, -1), -1):
        word, word_clause = words[position]
        if word_clause != clause:
            return False
        following = words[position + 1][0]
        if word in NEGATIONS and following not in NOT_A_DENIAL:
            return True
    return False


def red_flags(notes: str) -> tuple[str, ...]:
    """The warning signs these free-text notes name, in catalogue order, each once.

    Where mentions overlap, the longest wins ("nearly fainted" is feeling faint, not fainting; "my vein
    collapsed" is no sign at all); a mention denied just before ("no chest pain", "sin dolor de pecho",
    "never short of breath") is skipped.
    """
    words = _words(notes or "")
    found: list[tuple[int, int, _Pattern]] = []
    for start, (word, _clause) in enumerate(words):
        candidates = _BY_FIRST_WORD.get(word, []) + [p for p in _ONE_WORD_PREFIXES if word.startswith(p.words[0])]
        for pattern in candidates:
            if _matches_at(pattern, words, start):
                found.append((start, start + len(pattern.words), pattern))
    taken: list[tuple[int, int]] = []
    codes: set[str] = set()
    for start, end, pattern in sorted(found, key=lambda item: (item[0] - item[1], item[0])):
        if any(start < other_end and other_start < end for other_start, other_end in taken):
            continue
        taken.append((start, end))
        if not pattern.code or (pattern.negatable and _denied(words, start)):
            continue
        codes.add(pattern.code)
    return catalogue.in_catalogue_order(codes)
