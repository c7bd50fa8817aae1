"""Earlier erroneous versions of corrected rows (each still a valid row)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import noise
from .reference import AIR_PORTS, VISA_WAIVER
from .rows import Row


def _shift(text: str, days: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


def _arrival(rng: random.Random, row: Row) -> bool:
    until = row["admit_until"]
    if until == "D/S":
        row["port_of_entry"] = rng.choice([p for p in AIR_PORTS if p != row["port_of_entry"]])
        return True
    admitted = date.fromisoformat(row["admitted_on"])
    wrong = date.fromisoformat(until) + timedelta(days=rng.choice((-30, -10, -1, 1, 10, 30)))
    limit = admitted + timedelta(days=89) if row["class_of_admission"] in VISA_WAIVER else date.max
    if admitted <= wrong <= limit:
        row["admit_until"] = wrong.isoformat()
        return True
    return False


def _dated(rng: random.Random, row: Row, column: str) -> bool:
    """Move an event date a few days earlier (never after the record's own date)."""
    if not row.get(column):
        return False
    row[column] = _shift(row[column], -rng.randint(1, 4))
    return True


def _other(rng: random.Random, feed: str, row: Row) -> bool:
    if feed == "criminal_dispositions" and row["sentence_days"]:
        row["sentence_days"] = str(int(row["sentence_days"]) + rng.randint(1, 90))
        return True
    if feed == "encounters":
        row["field_office"] = "HQ" + row["field_office"][:1]
        return True
    if feed == "designations":
        row["authority"] = "FBI"
        return True
    if feed == "relationships" and row["relative_given_names"]:
        row["relative_given_names"] = noise.typo(rng, row["relative_given_names"])
        return True
    if feed == "court_events" and row["deadline"]:
        row["deadline"] = _shift(row["deadline"], rng.choice((-7, 7, 14)))
        return True
    return False


def erroneous(rng: random.Random, feed: str, row: Row) -> Row:
    """A copy of ``row`` with one mistake that a later correction fixes."""
    wrong = dict(row)
    if rng.random() < 0.4 and wrong["family_name"] and wrong["family_name"].isascii():
        wrong["family_name"] = noise.typo(rng, wrong["family_name"])
        return wrong
    done = False
    if feed == "arrivals":
        done = _arrival(rng, wrong)
    elif feed == "departures":
        done = _dated(rng, wrong, "departure_date")
    elif feed == "status_events":
        done = _dated(rng, wrong, "event_date")
    else:
        done = _other(rng, feed, wrong)
    if not done or wrong == row:
        wrong["family_name"] = noise.typo(rng, wrong["family_name"] or "X")
    return wrong
