"""Writes topics_train.tsv and topics_test.tsv: a many-small-classes set for synthsweep's tests and
docs, made of this project's own sentences.

Each text is a short patient-feedback comment about one of 20 topics of a hospital or clinic
visit (waiting time, parking, pain control, ...). The training file holds 10 to 50 comments per
topic, deliberately unequal (five topics have 10 to 15, the rare labels where synthetic data
is expected to help most); the test file holds 12 to 18 per topic. The test file is written from
other sentence templates than the training file, so a classifier must learn the topic rather than
the template. Topics share filler (openings, closings, staff roles, places, durations) and some
vocabulary (waiting for a test result, a booking or a phone line; a parking or a treatment bill),
and nine comments in ten open with an aside naming another topic ("Apart from the car park, ..."),
so the topics are distinguishable but not trivially. Deterministic: ``python data/make_topics.py``
rewrites the same files.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

WHO = ["nurse", "doctor", "receptionist", "consultant", "porter", "healthcare assistant", "midwife", "registrar"]
WHERE = [
    "the ward", "outpatients", "A&E", "the clinic", "the day unit", "the surgery", "radiology", "the children's ward",
]  # fmt: skip
WAIT = [
    "two hours", "forty minutes", "three weeks", "most of the afternoon", "over an hour", "six weeks", "ages",
    "a whole morning",
]  # fmt: skip
MONEY = ["£40", "£12", "£85", "£6.50", "£200", "£18"]
OPEN = [
    "", "", "", "On my last visit, ", "Overall, ", "To be honest, ", "Just to say, ", "My mum was in last week and ",
    "As a regular patient, ", "I want to mention that ", "For the record, ", "After my operation, ",
]  # fmt: skip
CLOSE = [
    "", "", "", " Otherwise fine.", " Thank you.", " Please look into it.", " Not good enough.", " Keep it up.",
    " Everything else was okay.", " Just my experience.",
]  # fmt: skip

# fmt: off
TOPICS: dict[str, list[str]] = {
    "waiting time": ["the waiting room", "triage", "the reception area", "the walk-in centre", "the corridor"],
    "staff attitude": ["rude", "kind", "dismissive", "patient", "abrupt", "caring", "sarcastic"],
    "billing": ["the invoice", "the bill", "the statement", "the private fee", "the bill for my scan"],
    "parking": [
        "the car park", "the multi-storey", "the visitor car park", "the hospital car park", "the drop-off zone",
    ],
    "pain control": ["the painkillers", "the morphine", "pain relief", "the epidural", "paracetamol"],
    "medication side effects": ["dizziness", "nausea", "a rash", "drowsiness", "stomach upset", "headaches"],
    "discharge instructions": [
        "the discharge letter", "the wound care sheet", "the going-home advice", "the discharge leaflet",
    ],
    "food": ["the dinner", "the sandwich", "breakfast", "the soup", "the lunch tray", "the porridge"],
    "cleanliness": ["the toilets", "the floors", "the bed sheets", "the bathrooms", "the bins", "the sinks"],
    "appointment booking": ["the booking system", "the online portal", "the booking app", "the referral system"],
    "explanations": ["my diagnosis", "the scan findings", "the risks of surgery", "my treatment plan", "the options"],
    "noise at night": [
        "the beeping machines", "the snoring", "the lights at 3am", "the night staff chatting", "the buzzers",
    ],
    "privacy": ["my personal details", "my diagnosis", "my history", "my notes", "my weight"],
    "pharmacy": ["my prescription", "my repeat medication", "my tablets", "my inhaler", "my insulin"],
    "test results": ["my blood results", "the biopsy result", "my scan report", "the test result", "my X-ray report"],
    "accessibility": ["the lift", "the ramp", "the hearing loop", "the step-free entrance", "the accessible toilet"],
    "visiting hours": ["visiting hours", "the visiting times", "the visitor rules", "the two-visitor limit"],
    "interpreters": [
        "an interpreter", "a translator", "a Polish speaker", "the language line", "a sign language interpreter",
    ],
    "follow-up care": [
        "the follow-up", "my check-up", "the physio referral", "the district nurse visit", "my review",
    ],
    "phone line": ["the phone line", "the switchboard", "the helpline", "the answerphone", "the call centre"],
}
# fmt: on
"""Each topic's own phrases ({a} in its templates); the test file uses them too."""

TRAIN_COUNTS = {
    "waiting time": 50, "staff attitude": 46, "appointment booking": 40, "billing": 36, "cleanliness": 32,
    "food": 30, "pain control": 28, "medication side effects": 26, "discharge instructions": 24,
    "explanations": 22, "test results": 20, "pharmacy": 19, "phone line": 18, "parking": 17,
    "follow-up care": 16, "noise at night": 15, "privacy": 14, "visiting hours": 12, "accessibility": 11,
    "interpreters": 10,
}  # fmt: skip

# {a}: the topic's phrase ({A} capitalised); {who}, {where}, {wait}, {money}: filler every topic shares.
TRAIN: dict[str, list[str]] = {
    "waiting time": [
        "We waited {wait} in {a} before anyone called my name.",
        "Nobody told us why being seen in {where} took {wait}.",
        "{A} was packed and we sat there for {wait}.",
        "Seen within ten minutes of arriving at {where}, which was a nice surprise.",
        "The wait in {a} was {wait}, far too long with a sick child.",
        "I was booked for nine but sat in {a} for {wait}.",
    ],
    "staff attitude": [
        "The {who} was {a} when I asked a simple question.",
        "Every {who} on {where} was {a}.",
        "I found the {who} {a}, and it changed how the day felt.",
        "The {who} on the desk in {where} was {a} with everyone.",
        "Staff in {where} were {a} from start to finish.",
        "The way the {who} spoke to my mother was {a}.",
    ],
    "billing": [
        "I was sent {a} for {money} that should have been covered.",
        "{A} arrived twice and nobody could explain the {money}.",
        "The finance office sorted out {a} quickly after my call.",
        "I still have not had a refund of {money} on {a}.",
        "{A} listed a scan I never had, charging {money} for it.",
        "Paying {a} online was easy and clear.",
    ],
    "parking": [
        "It took {wait} to find a space in {a} and I nearly missed my appointment.",
        "{A} charged {money} for a short visit to {where}.",
        "The pay machine in {a} was broken so I had to queue at the office.",
        "There are never enough spaces in {a} for visitors.",
        "Free parking in {a} for blue badge holders would help.",
        "I circled {a} for {wait} before giving up and parking on the street.",
    ],
    "pain control": [
        "The {who} made sure my pain was under control after surgery.",
        "I was in agony for hours before {a} was sorted out.",
        "Nobody checked whether {a} was working overnight on {where}.",
        "{A} was given on time and I barely felt a thing.",
        "I had to beg the {who} for {a} twice.",
        "They kept asking me to score my pain and gave {a} straight away.",
    ],
    "medication side effects": [
        "The new tablets gave me {a} and nobody warned me.",
        "I had {a} for days after the drip and the {who} said it was normal.",
        "The {who} changed my dose when I mentioned {a}.",
        "Nobody listened when I said the medicine caused {a}.",
        "I stopped the tablets because they gave me {a}.",
        "The leaflet did not mention {a}, which I got within a day.",
    ],
    "discharge instructions": [
        "I went home without {a} and had no idea what to do.",
        "{A} was clear and the {who} went through it with me.",
        "Nobody explained {a} before I left {where}.",
        "{A} was in such small print I could not read it.",
        "I was given {a} but it contradicted what the {who} said.",
        "Leaving {where}, I got {a} and a number to call, which was reassuring.",
    ],
    "food": [
        "{A} was cold by the time it reached me.",
        "I really enjoyed {a}, better than I expected.",
        "There was nothing on the menu for someone who cannot eat gluten.",
        "{A} came too late and the {who} had to chase it.",
        "Nobody helped my dad with {a} and he could not manage alone.",
        "{A} on {where} was tasty and there was plenty of choice.",
    ],
    "cleanliness": [
        "{A} on {where} were filthy the whole time I was there.",
        "I saw the cleaner doing {a} every morning; spotless.",
        "{A} had not been cleaned for days.",
        "There was blood on {a} when I arrived.",
        "{A} in {where} smelt awful.",
        "Someone cleaned {a} every day and it felt very clean.",
    ],
    "appointment booking": [
        "It took {wait} to get an appointment through {a} and then it was cancelled.",
        "{A} kept crashing when I tried to book.",
        "I got an appointment for the next day through {a}, brilliant.",
        "My appointment was moved three times without anyone asking me.",
        "{A} offered me a date {wait} away.",
        "The receptionist found me a slot that fitted around work.",
    ],
    "explanations": [
        "The {who} took the time to explain {a} in plain words.",
        "Nobody explained {a} and I left more worried than before.",
        "I only understood {a} after my daughter looked it up.",
        "The {who} drew a picture to show me {a}.",
        "{A} was explained with too much jargon.",
        "The {who} answered every question about {a}.",
    ],
    "noise at night": [
        "I could not sleep because of {a} on {where}.",
        "{A} kept the whole bay awake.",
        "They gave us earplugs because of {a}, which helped.",
        "{A} went on so long I got maybe two hours of sleep.",
        "Please do something about {a}; rest matters for recovery.",
    ],
    "privacy": [
        "Anyone could hear the {who} talking about {a}.",
        "The {who} always closed the curtains before examining me.",
        "I felt exposed in the open bay with no gown.",
        "{A} was read out in the waiting room.",
        "Thank you for keeping {a} private during a difficult exam.",
    ],
    "pharmacy": [
        "I waited {wait} at the pharmacy counter for {a}.",
        "{A} was not ready although it was ordered a week ago.",
        "The pharmacist checked {a} against my other medicines carefully.",
        "They gave me the wrong strength of {a}.",
        "The dispensary ran out of {a} again.",
    ],
    "test results": [
        "I waited {wait} for {a} and had to chase it myself.",
        "{A} came back quickly and the {who} rang me.",
        "Nobody told me {a} showed nothing until I phoned.",
        "{A} went missing and the test had to be redone.",
        "I saw {a} on the app before anyone explained it.",
    ],
    "accessibility": [
        "{A} was out of order so I could not get upstairs.",
        "{A} is badly designed for wheelchair users.",
        "With my wheelchair, {a} was no use at all.",
        "{A} made it easy to get in and out.",
    ],
    "visiting hours": [
        "{A} left no time for people who work.",
        "They were flexible about {a} at the end.",
        "My husband was sent away because of {a}.",
        "{A} felt strict but fair.",
    ],
    "interpreters": [
        "They never booked {a} for my mother.",
        "{A} made all the difference for my dad.",
        "I had to translate for my own wife because {a} did not come.",
        "{A} was arranged without me asking.",
    ],
    "follow-up care": [
        "I never heard anything about {a} after I went home.",
        "{A} was arranged before I left {where}.",
        "{A} was cancelled and not rebooked.",
        "The {who} rang to check on me and booked {a}.",
        "I am still waiting for {a} {wait} later.",
    ],
    "phone line": [
        "I rang {a} for {wait} and nobody picked up.",
        "{A} cut me off twice.",
        "The person on {a} was helpful and put me through.",
        "{A} just plays music and then hangs up.",
        "You can never get through on {a} before ten.",
    ],
}

TEST: dict[str, list[str]] = {
    "waiting time": [
        "Sat in {a} for {wait} and the queue did not move.",
        "{wait} of waiting before anyone looked at me in {a}.",
        "Quick service today, hardly any wait in {a}.",
    ],
    "staff attitude": [
        "Such {a} staff on {where}; the {who} in particular.",
        "A {who} spoke to me in a very {a} way.",
        "How {a} the {who} was stayed with me.",
    ],
    "billing": [
        "Got {a}: {money} for something I never received.",
        "Questions about {a} were answered by phone.",
        "{money} taken twice on {a} and no apology.",
    ],
    "parking": [
        "{money} just to use {a} for a short visit is robbery.",
        "Drove round {a} for {wait} looking for a spot.",
        "{A} needs more spaces for patients, not fewer.",
    ],
    "pain control": [
        "Left in pain because {a} was late again.",
        "Good pain control by the {who} after my op; {a} worked.",
        "Asked three times before {a} arrived.",
    ],
    "medication side effects": [
        "Got {a} from the new pills and was not told to expect it.",
        "After one dose, {a} that lasted all week.",
        "The {who} took {a} seriously and changed the medicine.",
    ],
    "discharge instructions": [
        "Sent home with {a} that made no sense.",
        "Thanks to {a} I knew exactly what to do at home.",
        "Had to phone {where} because {a} was missing.",
    ],
    "food": [
        "Lukewarm food again; {a} was inedible.",
        "Lovely {a}, hot and fresh.",
        "No proper option for my diet, so {a} went back untouched.",
    ],
    "cleanliness": [
        "Dirty {a} the entire stay on {where}.",
        "Spotless {a}, cleaned twice a day.",
        "Found hair and dust on {a}.",
    ],
    "appointment booking": [
        "Tried {a} for days and could not get an appointment.",
        "Got a date within a week through {a}, very efficient.",
        "{A} gave me a date {wait} away, then moved it.",
    ],
    "explanations": [
        "Still do not really understand {a}; the {who} rushed it.",
        "Everything about {a} was made clear to me.",
        "Went in confused about {a} and came out confused.",
    ],
    "noise at night": [
        "No sleep at all thanks to {a}.",
        "{A} woke me every hour on {where}.",
        "Quieter at night than I feared, apart from {a}.",
    ],
    "privacy": [
        "Staff were careful about {a} at all times.",
        "Everyone in {where} could hear about {a}.",
        "Curtains left open while {a} was discussed.",
    ],
    "pharmacy": [
        "Queue at the dispensary for {wait} to collect {a}.",
        "The pharmacy had {a} ready on time.",
        "Wrong dose on {a} from the pharmacy again.",
    ],
    "test results": [
        "Still chasing {a} {wait} later.",
        "Had {a} back within two days.",
        "Lost {a} meant another needle and another wait.",
    ],
    "accessibility": [
        "Could not reach {where} because {a} was broken.",
        "Getting around in a wheelchair was hard; {a} did not help.",
        "Good access: {a} worked well.",
    ],
    "visiting hours": [
        "Because of {a} my kids could not see me.",
        "{A} let my partner stay, which was a real comfort.",
        "Turned away at the door because of {a}.",
    ],
    "interpreters": [
        "Nobody arranged {a}, so my grandmother understood nothing.",
        "Having {a} there helped my family follow it all.",
        "Asked for {a} and was told none were available.",
    ],
    "follow-up care": [
        "Heard nothing about {a} once I was home.",
        "{A} was booked promptly and went well.",
        "Nobody arranged {a} as promised by the {who}.",
    ],
    "phone line": [
        "On hold on {a} for {wait}, then cut off.",
        "{A} answered quickly and was helpful.",
        "Rang {a} ten times with no answer.",
    ],
}

TEST_COUNTS = {topic: 12 + (i * 5) % 7 for i, topic in enumerate(TOPICS)}
"""12 to 18 test comments per topic."""

MENTIONS = {
    "waiting time": ["the wait", "the queue"], "staff attitude": ["the staff", "the nurses"],
    "billing": ["the bill", "the invoice"], "parking": ["the car park", "parking"],
    "pain control": ["the painkillers", "pain relief"],
    "medication side effects": ["the side effects", "the new tablets"],
    "discharge instructions": ["the discharge letter", "the going-home advice"], "food": ["the food", "the meals"],
    "cleanliness": ["the toilets", "the cleaning"], "appointment booking": ["booking", "the booking system"],
    "explanations": ["my diagnosis", "the explanations"], "noise at night": ["the noise", "the night"],
    "privacy": ["my privacy", "the curtains"], "pharmacy": ["the pharmacy", "my prescription"],
    "test results": ["my results", "the blood tests"], "accessibility": ["the lift", "wheelchair access"],
    "visiting hours": ["visiting", "the visitors"], "interpreters": ["the interpreter", "the translation"],
    "follow-up care": ["the follow-up", "my check-up"], "phone line": ["the phones", "the switchboard"],
}  # fmt: skip
"""How a comment mentions another topic in passing ({b} in an aside): a comment names more than its topic."""

ASIDE_SHARE = 0.9
"""Share of comments that open with an aside about another topic (the rest open with plain filler)."""
TRAIN_ASIDES = [
    "I have no issue with {b}, but ", "No complaints about {b}. ", "Apart from {b}, ", "I came in about {b} and ",
    "Setting {b} aside, ",
]  # fmt: skip
TEST_ASIDES = ["Nothing wrong with {b}; however, ", "{B} aside, ", "Leaving {b} out of it, ", "Besides {b}, "]


def _opening(topic: str, asides: list[str], rng: random.Random) -> str:
    """Plain filler, or (``ASIDE_SHARE``) an aside naming another topic."""
    if rng.random() >= ASIDE_SHARE:
        return rng.choice(OPEN)
    other = rng.choice([t for t in MENTIONS if t != topic])
    # The other topic's own phrases too (but staff attitude's are adjectives, not things to mention).
    b = rng.choice(MENTIONS[other] + (TOPICS[other] if other != "staff attitude" else []))
    return rng.choice(asides).format(b=b, B=b[0].upper() + b[1:])


def _fill(template: str, topic: str, asides: list[str], rng: random.Random) -> str:
    phrase = rng.choice(TOPICS[topic])
    values = {
        "a": phrase,
        "A": phrase[0].upper() + phrase[1:],
        "who": rng.choice(WHO),
        "where": rng.choice(WHERE),
        "wait": rng.choice(WAIT),
        "money": rng.choice(MONEY),
    }
    body = template.format(**values)
    opening = _opening(topic, asides, rng)
    if opening and not opening.endswith(". ") and not body.startswith(("I ", "I'")):
        body = body[0].lower() + body[1:]  # after an opening the sentence goes on
    else:
        body = body[0].upper() + body[1:]
    return opening + body + rng.choice(CLOSE)


def _rows(
    templates: dict[str, list[str]], counts: dict[str, int], asides: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    rows = []
    for topic, forms in templates.items():
        seen: set[str] = set()
        while len(seen) < counts[topic]:
            seen.add(_fill(rng.choice(forms), topic, asides, rng))
        rows += [(text, topic) for text in sorted(seen)]
    rng.shuffle(rows)
    return rows


def main(out: Path | None = None) -> None:
    """Write both files into ``out`` (default: this file's directory)."""
    here = out or Path(__file__).resolve().parent
    rng = random.Random(0)
    assert set(TRAIN) == set(TEST) == set(TOPICS) == set(TRAIN_COUNTS), "every topic has templates and a count"
    for name, templates, counts, asides in (
        ("topics_train.tsv", TRAIN, TRAIN_COUNTS, TRAIN_ASIDES),
        ("topics_test.tsv", TEST, TEST_COUNTS, TEST_ASIDES),
    ):
        with open(here / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(["text", "topic"])
            writer.writerows(_rows(templates, counts, asides, rng))


if __name__ == "__main__":
    main()
