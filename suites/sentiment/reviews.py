"""Synthetic movie reviews whose sentiment follows exact compositional rules.

A seeded generator. A review is one opinion sentence, optionally preceded
and followed by neutral sentences. The opinion sentence is built from one or
two clauses, and its label is computed from them by the rules below; nothing
else in the review carries sentiment.

Clause: "the ASPECT COPULA [NEGATION | INTENSIFIER] ADJECTIVE", e.g. "the plot
was not dull", "the acting is truly superb", with ASPECT from `ASPECTS` (12),
ADJECTIVE from `POSITIVE` (8, polarity +1) or `NEGATIVE` (8, polarity -1),
INTENSIFIER from `INTENSIFIERS` and the copula from `COPULAS`, or from
`NEGATED_COPULAS` ("was not", "isn't", "was never", ...) in a negated clause.
A clause is plain, intensified or negated, never both ("not very good" does
not occur). Its score is

    score = polarity(ADJECTIVE) * (2 if intensified else 1) * (-1 if negated else 1)

Opinion sentence (the construction) and its label, positive when > 0:

    single           "C"                     score(C)
    and              "C1 and C2"             score(C1) + score(C2)
    but              "C1 but C2"             score(C2)   (C1 has the opposite sign)
    although_first   "although C1, C2"       score(C2)   (C1 has the opposite sign)
    although_last    "C1, although C2"       score(C1)   (C2 has the opposite sign)

That is: the clause after "but" decides, the clause that "although"
introduces never does, and "and" adds the two scores. The sum is never 0:
a third of the "and" sentences join two clauses of the label's sign, the
rest an intensified clause of the label's sign and a plain or negated one
of the other sign, in either order. Elsewhere each clause is plain,
intensified or negated with equal probability.

Neutral distractors: an aside of 3-15 words set off by commas may follow an
aspect ("the plot, as my cousin said on the way home, was dull") or a
connective ("... but, from what I remember of the second half, the acting
..."), each with probability 1/4, and a neutral sentence about when, where
and with whom the film was seen may come before and after the opinion, each
with probability 2/5. Distractors never contain an adjective, intensifier,
negation, "and", "but" or "although", so they never change a label; they
only make the decisive words harder to find. Sentences start with a capital
and end with a full stop; a review is at most `MAX_TOKENS` (64) words and
punctuation marks.

Splits. Every clause has a combination (aspect, adjective, construction). A
seeded 15% of the combinations of each construction and polarity is held
out (140 of 960): training and validation reviews contain none of them, and
every test review contains at least one, in a random clause. Every aspect,
adjective and construction occurs in training; the test pairs them in ways
never seen. Constructions are equally frequent and labels balanced within
each. A bag-of-words model cannot tell "C1 but C2" from "C2 but C1", nor
which clause "although" or an intensifier belongs to, and a negation's
effect depends on the adjective it meets (an exclusive or, which no linear
model of word counts expresses): on the test split it stays far below an
order-aware model.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

ASPECTS = ("plot", "acting", "soundtrack", "dialogue", "ending", "pacing", "cinematography",
           "cast", "script", "direction", "humour", "editing")
POSITIVE = ("good", "great", "excellent", "superb", "wonderful", "brilliant", "charming",
            "delightful")
NEGATIVE = ("bad", "awful", "terrible", "dull", "boring", "clumsy", "weak", "dreadful")
INTENSIFIERS = ("very", "really", "extremely", "truly", "incredibly")
COPULAS = ("was", "is", "felt", "seemed")
NEGATED_COPULAS = ("was not", "is not", "wasn't", "isn't", "was never", "did not feel",
                   "never seemed")
CONSTRUCTIONS = ("single", "and", "but", "although_first", "although_last")
LABELS = ("neg", "pos")  # label 0 and 1
HELD_OUT_FRACTION = 0.15
MAX_TOKENS = 64  # words and punctuation marks; longer renderings are drawn again

# Pieces of neutral text: no adjective, intensifier, negation or connective.
_WHO = ("I", "we", "my cousin", "my neighbour", "a friend from work", "my sister",
        "my grandfather", "the two of us")
_SAW = ("watched it", "saw it", "rented it", "caught it", "streamed it", "went to see it")
_WHEN = ("on a rainy Tuesday", "last weekend", "after dinner", "during the holidays",
         "on a flight to Lisbon", "late one evening", "the week it came out", "on a Sunday morning")
_WHERE = ("at the cinema near the station", "at home", "in a small theatre downtown",
          "on a laptop in the kitchen", "at the festival", "in the second row",
          "on the television in the hotel")
_WITH = ("with two friends", "with my parents", "with the whole family", "with a colleague",
         "with the film club")
_ASIDE = ("as my cousin said on the way home", "from what I remember of the second half",
          "as far as I can tell after one viewing", "if you ask my neighbour",
          "according to the people behind us", "in my opinion", "for what it is worth",
          "as the critics in the newspaper put it", "to put it simply",
          "judging by the first hour")


class Review(NamedTuple):
    text: str
    label: int  # 0 negative, 1 positive
    construction: str
    clauses: list[dict]  # {"aspect", "adjective", "modifier"} in the order they are written


def held_out(seed: int) -> frozenset:
    """The (aspect, adjective, construction) combinations reserved for the test split:
    a seeded `HELD_OUT_FRACTION` of those of each construction and polarity."""
    rng = np.random.default_rng([seed, 7])
    chosen = []
    for construction in CONSTRUCTIONS:
        for adjectives in (POSITIVE, NEGATIVE):
            group = list(itertools.product(ASPECTS, adjectives, [construction]))
            order = rng.permutation(len(group))[: int(len(group) * HELD_OUT_FRACTION)]
            chosen += [group[i] for i in order]
    return frozenset(chosen)


def score(clause: dict) -> int:
    """A clause's score: polarity, doubled by an intensifier, flipped by negation."""
    polarity = 1 if clause["adjective"] in POSITIVE else -1
    strength = 2 if clause["modifier"] == "intensified" else 1
    return polarity * strength * (-1 if clause["modifier"] == "negated" else 1)


def label_of(construction: str, clauses: list[dict]) -> int:
    """1 (positive) or 0 (negative) by the rules in the module docstring."""
    if construction == "single":
        total = score(clauses[0])
    elif construction == "and":
        total = score(clauses[0]) + score(clauses[1])
    elif construction in ("but", "although_first"):
        total = score(clauses[1])
    elif construction == "although_last":
        total = score(clauses[0])
    else:
        raise ValueError(f"unknown construction '{construction}'")
    if total == 0:
        raise ValueError(f"clauses {clauses} of '{construction}' have no sentiment")
    return int(total > 0)


def _clause(rng, sign: int, strength: int | None = None) -> dict:
    """A clause with score of the given sign (and strength, if given)."""
    if strength is None:
        modifier = rng.choice(["plain", "intensified", "negated"])
    elif strength == 2:
        modifier = "intensified"
    else:
        modifier = rng.choice(["plain", "negated"])
    polarity = -sign if modifier == "negated" else sign
    return {"aspect": str(rng.choice(ASPECTS)),
            "adjective": str(rng.choice(POSITIVE if polarity > 0 else NEGATIVE)),
            "modifier": str(modifier)}


def _clauses(rng, construction: str, label: int) -> list[dict]:
    """Clauses of a construction whose label is `label`."""
    sign = 1 if label else -1
    if construction == "single":
        return [_clause(rng, sign)]
    if construction == "and":
        if rng.random() < 1 / 3:  # same sign, any strengths
            return [_clause(rng, sign), _clause(rng, sign)]
        strong, weak = _clause(rng, sign, 2), _clause(rng, -sign, 1)
        return [strong, weak] if rng.random() < 0.5 else [weak, strong]
    if construction == "although_last":
        return [_clause(rng, sign), _clause(rng, -sign)]
    return [_clause(rng, -sign), _clause(rng, sign)]  # but, although_first: the second decides


def _aside(rng) -> str:
    aside = str(rng.choice(_ASIDE))
    if rng.random() < 0.5:
        aside += " " + str(rng.choice(_WHEN + _WHERE))
    return aside


def _neutral_sentence(rng) -> str:
    words = [str(rng.choice(_WHO)), str(rng.choice(_SAW))]
    for pieces in (_WHEN, _WHERE, _WITH):
        if rng.random() < 0.6:
            words.append(str(rng.choice(pieces)))
    return " ".join(words)


def _render_clause(rng, clause: dict, aside_p: float) -> str:
    subject = f"the {clause['aspect']}"
    if rng.random() < aside_p:
        subject += f", {_aside(rng)},"
    if clause["modifier"] == "negated":
        return f"{subject} {rng.choice(NEGATED_COPULAS)} {clause['adjective']}"
    intensifier = f"{rng.choice(INTENSIFIERS)} " if clause["modifier"] == "intensified" else ""
    return f"{subject} {rng.choice(COPULAS)} {intensifier}{clause['adjective']}"


def render(rng, construction: str, clauses: list[dict], aside_p: float = 0.25,
           sentence_p: float = 0.4) -> str:
    """The text of one review (neutral parts drawn from `rng`)."""
    c = [_render_clause(rng, clause, aside_p) for clause in clauses]
    after = f", {_aside(rng)}," if rng.random() < aside_p else ""
    opinion = {
        "single": lambda: c[0],
        "and": lambda: f"{c[0]} and{after} {c[1]}",
        "but": lambda: f"{c[0]} but{after} {c[1]}",
        "although_first": lambda: f"although{after} {c[0]}, {c[1]}",
        "although_last": lambda: f"{c[0]}, although{after} {c[1]}",
    }[construction]()
    sentences = [opinion]
    if rng.random() < sentence_p:
        sentences.insert(0, _neutral_sentence(rng))
    if rng.random() < sentence_p:
        sentences.append(_neutral_sentence(rng))
    return " ".join(s[0].upper() + s[1:] + "." for s in sentences)


def count_tokens(text: str) -> int:
    """Words plus punctuation marks, as `shared.data.text.prepare` splits them in word mode."""
    return len(text.split()) + sum(text.count(p) for p in ",.")


def generate(n: int, split: str, seed: int = 0) -> list[Review]:
    """`n` reviews of one split ("train", "val" or "test").

    Seeded by (seed, split). Constructions are equally frequent and labels
    balanced within each; the reviews come out shuffled.
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test'. Received: split={split}")
    rng = np.random.default_rng([seed, ("train", "val", "test").index(split)])
    reserved = held_out(seed)
    reserved_list = sorted(reserved)
    out = []
    while len(out) < n:
        construction = CONSTRUCTIONS[len(out) % len(CONSTRUCTIONS)]
        label = (len(out) // len(CONSTRUCTIONS)) % 2
        clauses = _clauses(rng, construction, label)
        combos = [(c["aspect"], c["adjective"], construction) for c in clauses]
        if split == "test":
            # Put a held-out combination of this construction and sign into a random clause.
            slot = int(rng.integers(len(clauses)))
            wanted = clauses[slot]
            polarity = POSITIVE if wanted["adjective"] in POSITIVE else NEGATIVE
            options = [k for k in reserved_list if k[2] == construction and k[1] in polarity]
            aspect, adjective, _ = options[int(rng.integers(len(options)))]
            clauses[slot] = {**wanted, "aspect": aspect, "adjective": adjective}
        elif any(k in reserved for k in combos):
            continue
        text = render(rng, construction, clauses)
        while count_tokens(text) > MAX_TOKENS:
            text = render(rng, construction, clauses)
        out.append(Review(text, label_of(construction, clauses), construction, clauses))
    return [out[i] for i in rng.permutation(n)]
