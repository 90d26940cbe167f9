#!/usr/bin/env python
"""Measure the gazetteer over the whole shipped referential: accuracy and timings.

1. Every commune and arrondissement by its INSEE code (expected: 100 %).
2. Every commune of at least 2,000 inhabitants by its name, lowercased, accents removed, with
   one deterministic typo (seeded per commune): a deletion, an insertion, a substitution or a
   transposition of two neighbouring letters.

How it counts (honestly):

- *strict*: the resolved commune is the commune the name was taken from;
- *homonyms tolerated*: same, except that when several communes bear exactly that name, the
  answer also counts as right if it is the commune the exact name resolves to (without a
  typo, without a département, no resolver can know which homonym was meant). Those cases
  are counted and printed separately;
- *typo collisions*: cases where the typo made the query at least as close (OSA edit
  distance on the matching keys, names of former communes included) to another commune as to
  the one it came from ("arles" → "ales" is Alès exactly; "sergy" → "xergy" is one edit from
  Cergy too): no resolver can know, the more populated wins. Accuracy is also printed on the
  queries without such a collision;
- *with département*: the typo'd name followed by the département code; strict.

Usage: ``.venv/bin/python -m bench.measure_gazetteer [--seed 2026] [--min-population 2000]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
import unicodedata
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import OSA

from recommender.errors import RelaisError
from recommender.geo import Commune, Gazetteer, name_key

LETTERS = string.ascii_lowercase


def plain(name: str) -> str:
    """Lowercased, accents removed, punctuation kept: 'Saint-Étienne' → 'saint-etienne'."""
    decomposed = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "Oe"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def one_typo(text: str, rng: random.Random) -> str:
    """One edit at a random letter: deletion, insertion, substitution or transposition."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    for _ in range(20):
        i = rng.choice(positions)
        op = rng.choice(("delete", "insert", "substitute", "transpose"))
        if op == "delete":
            out = text[:i] + text[i + 1 :]
        elif op == "insert":
            out = text[:i] + rng.choice(LETTERS) + text[i:]
        elif op == "substitute":
            out = text[:i] + rng.choice([c for c in LETTERS if c != text[i]]) + text[i + 1 :]
        else:
            if i + 1 >= len(text) or not text[i + 1].isalpha() or text[i + 1] == text[i]:
                continue
            out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if out != text and out.strip(" -'"):
            return out
    return text[:-1]


def timed(fn, arg):
    t = time.perf_counter()
    try:
        result = fn(arg)
    except RelaisError:
        result = None
    return result, (time.perf_counter() - t) * 1000


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"mean {statistics.fmean(ms):.3f} ms, p50 {q[49]:.3f}, p95 {q[94]:.3f}, p99 {q[98]:.3f}"


def first_calls(gaz: Gazetteer) -> None:
    """The lazy indexes: each built by its first query."""
    for label, call, arg in (
        ("first typo query (builds the typo index)", gaz.resolve, "beauvai"),
        ("first autocomplete (builds its index)", gaz.autocomplete, "beauv"),
    ):
        t = time.perf_counter()
        call(arg)
        print(f"{label}: {time.perf_counter() - t:.3f} s")
    t = time.perf_counter()
    gaz.commune_at(49.43, 2.08)
    print(f"first commune_at (loads the polygons): {time.perf_counter() - t:.3f} s")


def by_code(gaz: Gazetteer) -> None:
    codes = sorted(gaz.communes)
    ok, ms = 0, []
    for code in codes:
        r, dt = timed(gaz.resolve, code)
        ms.append(dt)
        ok += r is not None and r.commune.code_insee == code
    print(f"\n1. by INSEE code: {ok}/{len(codes)} = {100 * ok / len(codes):.2f} %  ({summary(ms)})")


class Collisions:
    """Whether a typo is as close to another commune as to its own, on the gazetteer's
    matching keys (official names, names without article, former communes)."""

    def __init__(self, gaz: Gazetteer) -> None:
        # read from the gazetteer's own index so that collisions are judged on what it matches
        self.codes_of_key = {k: {code for code, _p in v} for k, v in gaz.by_key.items()}
        self.keys_of_code: dict[str, list[str]] = {}
        for k, v in self.codes_of_key.items():
            for code in v:
                self.keys_of_code.setdefault(code, []).append(k)
        self.all_keys = list(self.codes_of_key)

    def __call__(self, query: str, code: str) -> bool:
        key = name_key(query)
        own = min(OSA.distance(key, k) for k in self.keys_of_code[code])
        hits = process.extract(
            key, self.all_keys, scorer=OSA.distance, score_cutoff=own, limit=None
        )
        return any(self.codes_of_key[k] - {code} for k, _d, _i in hits)


class NameRun:
    """Section 2: each commune by its name, exact, with one typo, with typo and département."""

    def __init__(self, gaz: Gazetteer, seed: int) -> None:
        self.gaz = gaz
        self.seed = seed
        self.homonyms = Counter(
            name_key(c.nom) for c in gaz.communes.values() if c.kind == "commune"
        )
        self.collides = Collisions(gaz)
        self.counts: Counter[str] = Counter()
        self.ms_exact: list[float] = []
        self.ms_typo: list[float] = []
        self.ms_dep: list[float] = []
        self.failures: list[tuple[Commune, str, Commune | None, bool]] = []

    def judge(self, c: Commune) -> None:
        counts = self.counts
        rng = random.Random(f"{self.seed}:{c.code_insee}")
        query = plain(c.nom)
        typo = one_typo(query, rng)
        ambiguous = self.homonyms[name_key(c.nom)] > 1
        counts["ambiguous"] += ambiguous
        best_homonym = self.gaz.resolve(c.nom).commune.code_insee if ambiguous else c.code_insee
        right = (c.code_insee, best_homonym)

        got = self.answer(query, self.ms_exact)
        counts["exact strict"] += got == c.code_insee
        counts["exact tolerant"] += got in right

        r, dt = timed(self.gaz.resolve, typo)
        self.ms_typo.append(dt)
        got = r.commune.code_insee if r else None
        counts["typo strict"] += got == c.code_insee
        counts["typo tolerant"] += got in right
        counts["typo homonym counted"] += got != c.code_insee and got == best_homonym
        counts["typo in alternatives"] += bool(
            r and got != c.code_insee and c.code_insee in {a.code_insee for a in r.alternatives}
        )
        collision = self.collides(typo, c.code_insee)
        counts["collisions"] += collision
        if not collision:
            counts["clean"] += 1
            counts["clean right"] += got == c.code_insee
        if got not in right:
            self.failures.append((c, typo, r.commune if r else None, collision))

        got = self.answer(f"{typo} {c.departement}", self.ms_dep)
        counts["typo+dep strict"] += got == c.code_insee

    def answer(self, query: str, timings: list[float]) -> str | None:
        r, dt = timed(self.gaz.resolve, query)
        timings.append(dt)
        return r.commune.code_insee if r else None

    def report(self, n: int, min_population: int) -> None:
        counts = self.counts

        def pct(key: str) -> str:
            return f"{counts[key]}/{n} = {100 * counts[key] / n:.2f} %"

        print(f"\n2. communes of ≥ {min_population} inhabitants: {n}")
        print(f"   names shared by several communes: {counts['ambiguous']}")
        print(f"   exact name, lowercased, no accents  strict:              {pct('exact strict')}")
        print(
            f"                                       homonyms tolerated:  {pct('exact tolerant')}"
        )
        print(f"      timings: {summary(self.ms_exact)}")
        print(f"   one typo                            strict:              {pct('typo strict')}")
        print(f"                                       homonyms tolerated:  {pct('typo tolerant')}")
        print(f"      (of which a homonym counted as right: {counts['typo homonym counted']};")
        print(f"       wrong answers with the right commune in alternatives: "
              f"{counts['typo in alternatives']})")  # fmt: skip
        print(f"      typo collisions (another commune as close or closer): {counts['collisions']}")
        clean = counts["clean"]
        print(
            f"      without a collision, strict: {counts['clean right']}/{clean} = "
            f"{100 * counts['clean right'] / clean:.2f} %"
        )
        print(f"      timings: {summary(self.ms_typo)}")
        print(
            f"   one typo + département code         strict:              {pct('typo+dep strict')}"
        )
        print(f"      timings: {summary(self.ms_dep)}")
        print("\n   failures without a collision (query → answer, expected):")
        for c, typo, got, collision in self.failures:
            if not collision:
                answer = f"{got.nom} ({got.code_insee})" if got else "introuvable"
                print(f"     {typo!r} → {answer}; expected {c.nom} ({c.code_insee})")


def autocomplete_and_points(gaz: Gazetteer, communes: list[Commune]) -> None:
    ms_ac = []
    for c in communes[:: max(1, len(communes) // 2000)]:
        for q in (plain(c.nom)[:3], plain(c.nom)[:6]):
            _, dt = timed(gaz.autocomplete, q)
            ms_ac.append(dt)
    print(f"\n3. autocomplete (3 and 6 first letters): {summary(ms_ac)}")
    pts = [c for c in gaz.communes.values() if c.kind == "commune" and c.lat is not None]
    ms_at, ok = [], 0
    for c in pts:
        t = time.perf_counter()
        found = gaz.commune_at(c.lat, c.lon)
        ms_at.append((time.perf_counter() - t) * 1000)
        ok += found is not None and found.code_insee == c.code_insee
    print(
        f"   commune_at on each commune's point: {ok}/{len(pts)} = {100 * ok / len(pts):.3f} % "
        f"({summary(ms_at)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--min-population", type=int, default=2000)
    args = parser.parse_args()

    t = time.perf_counter()
    gaz = Gazetteer.load()
    print(f"load (no polygons): {time.perf_counter() - t:.3f} s")
    first_calls(gaz)
    by_code(gaz)  # 1. INSEE codes
    communes = [
        c
        for c in gaz.communes.values()
        if c.kind == "commune" and c.population >= args.min_population
    ]
    communes.sort(key=lambda c: c.code_insee)
    names = NameRun(gaz, args.seed)  # 2. names with one typo
    for c in communes:
        names.judge(c)
    names.report(len(communes), args.min_population)
    autocomplete_and_points(gaz, communes)  # 3. autocomplete and points
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
