"""Writes reviews_labels_train.tsv and reviews_labels_test.tsv: the demo's drug reviews with label
sets, for synthsweep's multi-label tests and docs (``data.task: multilabel``).

Each review keeps its own text and gets the labels its drugs.com record gives it: ``negative``
when its rating is 1-4 stars (the demo's negative class), and the area of the condition it was
written about when that is one of five (``contraception``, ``mental_health``, ``pain``, ``skin``,
``weight``). A review carries zero, one or two labels. The labels come from the record, not from
the words of the review, so a classifier has to learn them. Deterministic: ``python
data/make_review_labels.py`` rewrites the same files from drugsComTrain.tsv and drugsComTest.tsv.
"""

from __future__ import annotations

import csv
from pathlib import Path

AREAS = {
    "contraception": ["Birth Control", "Emergency Contraception", "Abnormal Uterine Bleeding"],
    "mental_health": [
        "Depression", "Anxiety", "Bipolar Disorde", "Panic Disorde", "Anxiety and Stress", "Insomnia",
        "Generalized Anxiety Disorde", "Major Depressive Disorde", "Social Anxiety Disorde",
        "Obsessive Compulsive Disorde", "Schizoaffective Disorde", "Premenstrual Dysphoric Disorde",
    ],
    "pain": [
        "Pain", "Chronic Pain", "Migraine", "ibromyalgia", "Osteoarthritis", "Rheumatoid Arthritis",
        "Back Pain", "Headache", "Migraine Prevention", "Muscle Spasm",
    ],
    "skin": ["Acne", "Rosacea", "Psoriasis", "Cold Sores", "Hyperhidrosis"],
    "weight": ["Obesity", "Weight Loss"],
}  # fmt: skip
"""Label -> the drugs.com conditions (as the dataset spells them) that give it."""
SEPARATOR = ";"


def label_set(condition: str, rating: str) -> str:
    labels = ["negative"] if rating == "negative" else []
    labels += [area for area, conditions in AREAS.items() if condition in conditions]
    return SEPARATOR.join(labels)


def main() -> None:
    here = Path(__file__).resolve().parent
    pairs = (("drugsComTrain.tsv", "reviews_labels_train.tsv"), ("drugsComTest.tsv", "reviews_labels_test.tsv"))
    for source, target in pairs:
        with open(here / source, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        with open(here / target, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(["review", "labels"])
            writer.writerows((r["review"], label_set(r["condition"], r["rating"])) for r in rows)


if __name__ == "__main__":
    main()
