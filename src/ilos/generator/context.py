"""Simulation context: random streams, id factory, the world being built, recording lags."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from .world import Admission, World

_ALNUM = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

#: Recording lag profiles: (probability, min days, max days).
LAGS: dict[str, tuple[tuple[float, int, int], ...]] = {
    "arrival": ((1.0, 0, 0),),
    "departure": ((0.63, 0, 1), (0.29, 2, 14), (0.055, 15, 60), (0.014, 61, 180), (0.013, 181, 420)),
    "status": ((0.7, 0, 2), (0.3, 3, 14)),
    "court": ((0.8, 0, 3), (0.2, 4, 20)),
    "criminal": ((0.5, 1, 14), (0.4, 15, 90), (0.1, 91, 240)),
    "encounter": ((0.9, 0, 1), (0.1, 2, 7)),
    "designation": ((1.0, 0, 1),),
    "consular": ((1.0, 20, 400),),
}


def stream(seed: int, name: str) -> random.Random:
    """A named pseudo-random stream of a run (deterministic from the seed)."""
    return random.Random(f"{seed}:{name}")  # noqa: S311 -- synthetic data, not security


class Ids:
    """Unique identifiers (unique across all systems of one run)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _fresh(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self._used:
                self._used.add(value)
                return value

    def digits(self, prefix: str, n: int) -> str:
        """``prefix`` followed by n random digits."""
        return self._fresh(lambda: f"{prefix}{self._rng.randrange(10**n):0{n}d}")

    def alnum(self, prefix: str, n: int) -> str:
        """``prefix`` followed by n random upper-case letters and digits."""
        return self._fresh(lambda: prefix + "".join(self._rng.choices(_ALNUM, k=n)))

    def admission_number(self) -> str:
        """An 11-character I-94 number (mostly digits, newer ones with a letter)."""
        if self._rng.random() < 0.15:
            return self._fresh(
                lambda: (
                    f"{self._rng.randrange(10**9):09d}{self._rng.choice('ABCDEFGH')}{self._rng.randrange(10)}"
                )
            )
        return self.digits("", 11)

    def a_number(self) -> str:
        """A canonical 9-digit A-number (older ones with a leading zero)."""
        lead = "0" if self._rng.random() < 0.6 else self._rng.choice("12")
        return self._fresh(lambda: f"A{lead}{self._rng.randrange(10**8):08d}")


@dataclass
class Context:
    """Shared state of one simulation run."""

    rng: random.Random
    ids: Ids
    world: World
    presence: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    overstayers: list[tuple[int, Admission, date]] = field(default_factory=list)

    @property
    def start(self) -> date:
        """First day of the window."""
        return self.world.start

    @property
    def end(self) -> date:
        """Last day of the window (as-of of the truth)."""
        return self.world.end

    @property
    def end_eod(self) -> datetime:
        """The last instant of the window (known-at of the truth)."""
        return datetime.combine(self.world.end, time(23, 59, 59), UTC)

    def when(self, day: date, lag: str) -> datetime | None:
        """Transaction time of a record of an event on ``day``; None if recorded after end."""
        days = self._lag_days(lag)
        seconds = self.rng.randrange(6 * 3600, 24 * 3600) if days == 0 else self.rng.randrange(86400)
        instant = datetime.combine(day, time(0), UTC) + timedelta(days=days, seconds=seconds)
        return None if instant > self.end_eod else instant

    def _lag_days(self, lag: str) -> int:
        roll = self.rng.random()
        for prob, lo, hi in LAGS[lag]:
            if roll < prob:
                return self.rng.randint(lo, hi)
            roll -= prob
        return 0

    def stay(self, person: int, arrived: date, left: date | None) -> None:
        """Note that a person was in the United States from ``arrived`` to ``left``."""
        self.presence.setdefault(person, []).append((arrived, left))

    def overstay(self, adm: Admission) -> None:
        """Note an admission whose holder stays on after its authorized stay."""
        since = (adm.admit_until or self.end) + timedelta(days=1)
        self.overstayers.append((adm.person, adm, since))

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def between(self, lo: date, hi: date) -> date:
        """A uniform random day in [lo, hi] (lo when hi < lo)."""
        span = (hi - lo).days
        return lo if span <= 0 else lo + timedelta(days=self.rng.randint(0, span))
