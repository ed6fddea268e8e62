"""Writes relations_train.tsv and relations_test.tsv: a small relation-classification set for
synthsweep's tests and docs (``data.task: relation``), made of this project's own sentences.

Each sentence names a drug (``<e1>``) and a condition or effect (``<e2>``) in the voice of a
patient review; the label says how they relate: ``treats`` (the drug helped the condition),
``causes`` (the drug brought on the effect) or ``none`` (both are named, unrelated). The test
split uses other sentence templates than the training split, so a classifier must learn the
relation rather than the template. Deterministic: ``python data/make_relations.py`` rewrites the
same files.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

DRUGS = [
    "sertraline", "ibuprofen", "metformin", "lisinopril", "omeprazole", "amoxicillin", "gabapentin",
    "topiramate", "escitalopram", "bupropion", "prednisone", "levothyroxine", "trazodone", "naproxen",
    "venlafaxine", "montelukast", "sumatriptan", "duloxetine", "cetirizine", "lamotrigine",
]  # fmt: skip
CONDITIONS = [
    "migraines", "back pain", "depression", "anxiety", "insomnia", "acid reflux", "high blood pressure",
    "asthma", "hay fever", "nerve pain", "arthritis", "panic attacks", "a sinus infection", "type 2 diabetes",
    "seizures", "hot flashes", "eczema", "cluster headaches", "restless legs", "bronchitis",
]  # fmt: skip
EFFECTS = [
    "nausea", "a rash", "weight gain", "dizziness", "dry mouth", "hair loss", "vivid dreams", "heart palpitations",
    "constipation", "blurred vision", "night sweats", "tremors", "a metallic taste", "stomach cramps",
    "muscle aches", "fatigue", "ringing in my ears", "swollen ankles", "mood swings", "a racing heart",
]  # fmt: skip

TRAIN = {
    "treats": [
        "After two weeks on {d} my {c} finally eased off.",
        "My doctor put me on {d} for {c} and it has worked better than anything before.",
        "{D} cleared up my {c} within a month.",
        "I take {d} every morning and my {c} is under control for the first time in years.",
        "Honestly {d} gave me my life back; the {c} is almost gone.",
        "Switched to {d} last spring and the {c} has not come back.",
        "The {d} took the edge off my {c} by the third day.",
        "Since starting {d} I barely notice the {c} anymore.",
    ],
    "causes": [
        "Within days of starting {d} I developed {c}.",
        "The {d} worked, but it gave me {c} that would not stop.",
        "I had to quit {d} because of the {c} it caused.",
        "{D} left me with {c} every single afternoon.",
        "Two weeks into {d} the {c} started and only ended when I stopped it.",
        "My pharmacist said {d} is known to cause the {c} I had.",
        "Ever since the dose of {d} went up I have had {c}.",
        "The worst part of {d} was the {c} it brought on.",
    ],
    "none": [
        "I was taking {d} when my sister mentioned her {c}.",
        "My chart lists {d} and, separately, an old note about {c}.",
        "The leaflet for {d} sat on the table next to a magazine about {c}.",
        "I picked up {d} at the same pharmacy where I once asked about {c}.",
        "My neighbour takes {d}; I have never had {c} myself.",
        "We talked about {d} in the waiting room, and a poster there was about {c}.",
        "{D} was on my shopping list, right under a reminder to read up on {c}.",
        "The nurse asked about {d} and then, for a survey, about {c} in my family.",
    ],
}
TEST = {
    "treats": [
        "Thanks to {d} the {c} is a thing of the past.",
        "{D} has kept my {c} away for six months now.",
        "Once I tried {d}, nothing else was needed for my {c}.",
        "With {d} my {c} improved so much that I sleep through the night.",
    ],
    "causes": [
        "I stopped {d} after it left me with {c}.",
        "{D} caused {c} so bad I missed work.",
        "Since I began {d} I keep getting {c}.",
        "The week I started {d}, the {c} appeared.",
    ],
    "none": [
        "A coworker on {d} told me about a friend with {c}.",
        "I read about {d} and {c} in the same newspaper.",
        "My old prescription for {d} was in the drawer with a pamphlet on {c}.",
        "The clinic's newsletter covered {d} on one page and {c} on another.",
    ],
}


def _sentence(template: str, drug: str, other: str) -> str:
    d, o = f"<e1>{drug}</e1>", f"<e2>{other}</e2>"
    cap = f"<e1>{drug[0].upper()}{drug[1:]}</e1>"
    return template.replace("{D}", cap).replace("{d}", d).replace("{c}", o)


def _rows(templates: dict[str, list[str]], per_label: int, rng: random.Random) -> list[tuple[str, str]]:
    rows = []
    for label, forms in templates.items():
        assert all(f.replace("{D}", "{d}").index("{d}") < f.index("{c}") for f in forms), "the drug is <e1>"
        seen: set[str] = set()
        while len(seen) < per_label:
            other = rng.choice(EFFECTS if label == "causes" else CONDITIONS)
            seen.add(_sentence(rng.choice(forms), rng.choice(DRUGS), other))
        rows += [(text, label) for text in sorted(seen)]
    rng.shuffle(rows)
    return rows


def main() -> None:
    here = Path(__file__).resolve().parent
    rng = random.Random(0)
    for name, templates, n in (("relations_train.tsv", TRAIN, 60), ("relations_test.tsv", TEST, 40)):
        with open(here / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(["text", "relation"])
            writer.writerows(_rows(templates, n, rng))


if __name__ == "__main__":
    main()
