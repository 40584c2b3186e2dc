"""Date normalisation: human-written dates in many formats -> ISO 8601.

A seeded generator. A surface form is a (format, variant) pair: the format
fixes the order and separators ("Tuesday, 3rd of March 1998", "03/04/98" as
month/day/year, "4.3.1998" as day.month.year, ...), the variant fixes casing,
ordinal suffixes, month abbreviation and padding. Every format and every
variant occurs in training, but a fixed, seeded set of (format, variant)
combinations is held out for the test split, and test dates are drawn from
days that never occur in training or validation. Exact match on the test
split therefore measures generalisation to unseen dates written in unseen
combinations of familiar conventions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST, LAST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _month(d: dt.date, abbrev: bool, dot: bool) -> str:
    name = MONTHS[d.month - 1]
    if not abbrev or len(name) <= 4:  # "May", "June" and "July" are not abbreviated
        return name
    return name[:3] + ("." if dot else "")


def _day(d: dt.date, ordinal: bool) -> str:
    return _ordinal(d.day) if ordinal else str(d.day)


def _year2(d: dt.date) -> str:
    """Two digits under the POSIX pivot (69-99 -> 19xx, 00-68 -> 20xx), else four."""
    return f"{d.year % 100:02d}" if 1969 <= d.year <= 2068 else str(d.year)


# Each format maps (date, variant) to text; variants are dicts of booleans.
FORMATS = {
    "weekday_of": lambda d, v: f"{WEEKDAYS[d.weekday()]}, {_day(d, v['ordinal'])} of "
                               f"{_month(d, v['abbrev'], v['dot'])} {d.year}",
    "day_month_year": lambda d, v: f"{_day(d, v['ordinal'])} {_month(d, v['abbrev'], v['dot'])} "
                                   f"{d.year}",
    "month_day_year": lambda d, v: f"{_month(d, v['abbrev'], v['dot'])} {_day(d, v['ordinal'])}, "
                                   f"{d.year}",
    "us_slash": lambda d, v: (f"{d.month:02d}/{d.day:02d}/{_year2(d)}" if v["pad"]
                              else f"{d.month}/{d.day}/{d.year}"),
    "eu_dot": lambda d, v: (f"{d.day:02d}.{d.month:02d}.{d.year}" if v["pad"]
                            else f"{d.day}.{d.month}.{d.year}"),
    "iso": lambda d, v: d.isoformat() if v["pad"] else f"{d.year}/{d.month}/{d.day}",
    "the_day_of": lambda d, v: f"the {_day(d, v['ordinal'])} of {_month(d, v['abbrev'], v['dot'])}"
                               f", {d.year}",
    "weekday_month": lambda d, v: f"{WEEKDAYS[d.weekday()][:3]} {_month(d, v['abbrev'], v['dot'])} "
                                  f"{_day(d, v['ordinal'])} {d.year}",
    "year_month_day": lambda d, v: f"{d.year} {_month(d, v['abbrev'], v['dot'])} "
                                   f"{_day(d, v['ordinal'])}",
}
CASES = ("lower", "title", "upper")
VARIANT_KEYS = ("ordinal", "abbrev", "dot", "pad")


# A Sunday in November: renders every field that any variant can change.
_PROBE = dt.date(2003, 11, 23)


def all_surface_forms() -> list[tuple[str, str, tuple[bool, ...]]]:
    """Every (format, case, variant bits) that renders differently from the others."""
    forms = {}
    for name in FORMATS:
        for case in CASES:
            for bits in np.ndindex(2, 2, 2, 2):
                form = (name, case, tuple(bool(b) for b in bits))
                forms.setdefault(render(_PROBE, form), form)
    return list(forms.values())


def render(date: dt.date, form) -> str:
    name, case, bits = form
    text = FORMATS[name](date, dict(zip(VARIANT_KEYS, bits)))
    return {"lower": text.lower(), "upper": text.upper(), "title": text}[case]


def split_forms(seed: int, held_out: float = 0.15):
    """(train forms, test forms): distinct renderings; every convention stays in training.

    Only formats with many renderings (the worded ones) give up forms to the
    test split: a numeric format has one or two renderings, and holding one
    out would remove a whole convention (such as ISO's dashes) from training.
    """
    forms = sorted(all_surface_forms(), key=str)
    per_format = {name: sum(f[0] == name for f in forms) for name in FORMATS}
    candidates = [i for i, f in enumerate(forms) if per_format[f[0]] >= 8]
    rng = np.random.default_rng(seed)
    chosen = set(rng.permutation(candidates)[: int(len(forms) * held_out)].tolist())
    test = [f for i, f in enumerate(forms) if i in chosen]
    train = [f for i, f in enumerate(forms) if i not in chosen]
    return train, test


def split_days(seed: int, fractions=(0.8, 0.1, 0.1)):
    """Disjoint day numbers (offsets from 1900-01-01) for train, validation and test."""
    days = np.random.default_rng(seed + 1).permutation((LAST - FIRST).days + 1)
    a = int(len(days) * fractions[0])
    b = a + int(len(days) * fractions[1])
    return days[:a], days[a:b], days[b:]


def generate(n: int, split: str, seed: int = 0) -> list[tuple[str, str]]:
    """`n` (source, target) pairs of one split ("train", "val" or "test"), seeded."""
    train_forms, test_forms = split_forms(seed)
    train_days, val_days, test_days = split_days(seed)
    forms = test_forms if split == "test" else train_forms
    days = {"train": train_days, "val": val_days, "test": test_days}[split]
    rng = np.random.default_rng([seed, {"train": 0, "val": 1, "test": 2}[split]])
    pairs = []
    for _ in range(n):
        date = FIRST + dt.timedelta(days=int(days[rng.integers(len(days))]))
        form = forms[rng.integers(len(forms))]
        pairs.append((render(date, form), date.isoformat()))
    return pairs
