"""The contract's legal holds: codes, what each blocks, and what starts and ends it.

A hold is a sourced fact with a start and an end. Its scope decides what it blocks: a hold of scope
"no enforcement" or "no removal" takes a person off every worklist; a country bar only forbids
removal to that country; a discretionary hold is shown as a flag and a policy pack may exclude it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a hold blocks."""

    NO_ENFORCEMENT = "no enforcement"
    NO_REMOVAL = "no removal"
    NO_REMOVAL_TO_COUNTRY = "no removal to that country"
    DISCRETIONARY = "discretionary"


@dataclass(frozen=True)
class HoldKind:
    """One hold code of the contract."""

    code: str
    scope: Scope
    source: str


HOLD_KINDS: tuple[HoldKind, ...] = (
    HoldKind("CITIZENSHIP_CLAIM", Scope.NO_ENFORCEMENT, "CITIZENSHIP CLAIMED (until REJECTED) or CONFIRMED"),
    HoldKind("DEPARTED", Scope.NO_ENFORCEMENT, "a verified departure after the person's last admission or entry"),
    HoldKind("REDRESS_PENDING", Scope.NO_ENFORCEMENT, "an open correction request about the person"),
    HoldKind("PROTECTION_PENDING", Scope.NO_REMOVAL, "ASYLUM, WITHHOLDING or CAT filed and undecided"),
    HoldKind("STAY", Scope.NO_REMOVAL,
             "STAY_GRANTED until STAY_LIFTED; a motion to reopen an in-absentia order until it is decided"),
    HoldKind("APPEAL", Scope.NO_REMOVAL,
             "the 30-day appeal window after an order (to the next business day; none after an in-absentia "
             "order or a waiver), and a pending appeal"),
    HoldKind("TPS", Scope.NO_REMOVAL, "TPS approved and valid, or an initial application pending"),
    HoldKind("VOLUNTARY_DEPARTURE", Scope.NO_REMOVAL, "a voluntary-departure period running"),
    HoldKind("COUNTRY_BAR", Scope.NO_REMOVAL_TO_COUNTRY, "WITHHOLDING or CAT approved with a country"),
    HoldKind("DACA", Scope.DISCRETIONARY, "DACA filed, or approved and valid"),
    HoldKind("U_VISA_PENDING", Scope.DISCRETIONARY, "U_VISA filed and undecided"),
    HoldKind("T_VISA_PENDING", Scope.DISCRETIONARY, "T_VISA filed and undecided"),
)  # fmt: skip

HOLDS: dict[str, HoldKind] = {h.code: h for h in HOLD_KINDS}
#: Scopes that take a person off every worklist.
BLOCKING_SCOPES = frozenset({Scope.NO_ENFORCEMENT, Scope.NO_REMOVAL})
DISCRETIONARY_HOLDS = frozenset(h.code for h in HOLD_KINDS if h.scope is Scope.DISCRETIONARY)
APPEAL_WINDOW_DAYS = 30
#: Orders followed by the appeal window, as the contract's hold table states it ("after an order ...;
#: none after IN_ABSENTIA_ORDER or APPEAL_WAIVED"). In law expedited, reinstated and administrative
#: removal orders are not appealable to the Board; ILOS follows the contract and says so (ADR 8).
APPEALABLE_ORDERS = (
    "REMOVAL_ORDERED",
    "EXPEDITED_REMOVAL_ORDER",
    "REINSTATEMENT_ORDER",
    "ADMINISTRATIVE_REMOVAL_ORDER",
)
VD_BOND_BUSINESS_DAYS = 5
#: Benefits whose filing, pending, holds `PROTECTION_PENDING`.
PROTECTION_BENEFITS = ("ASYLUM", "WITHHOLDING", "CAT")
#: Events that end an approval's validity.
ENDS_VALIDITY = ("REVOKED", "TERMINATED", "WITHDRAWN", "EXPIRED")
#: Orders final the day they are made (no appeal window).
FINAL_AT_ONCE_ORDERS = ("IN_ABSENTIA_ORDER",)
#: Court events that undo an order.
UNDOING_EVENTS = ("APPEAL_SUSTAINED", "RELIEF_GRANTED", "TERMINATED")
#: Encounters that show a person inside the United States, so that a departure before them is no longer
#: after the person's last entry (`DEPARTED` ends): an apprehension, an interior arrest or a check-in,
#: whatever followed; at a port, only an inadmissible person paroled or released into the country.
PRESENCE_ENCOUNTERS = ("APPREHENSION", "INTERIOR_ARREST", "CHECK_IN")
ADMITTING_OUTCOMES_AT_PORT = ("PAROLED", "RELEASED_NTA", "RELEASED_ATD")
#: The longest voluntary-departure period at the end of proceedings (INA 240B(b)(2); 8 CFR 1240.26(e)(2)).
VD_MAX_DAYS_AT_END = 60
#: The longest period granted before the end of proceedings, with the appeal waived (INA 240B(a)(2)(A);
#: 8 CFR 1240.26(b)(1)(i)(D), (e)(1)).
VD_MAX_DAYS_BEFORE_END = 120


def hold_kind(code: str) -> HoldKind:
    """The kind of a hold code (`COUNTRY_BAR:XXX` is a country bar)."""
    return HOLDS[code.split(":", 1)[0]]


def blocks_worklist(code: str, excluded_by_pack: frozenset[str] = frozenset()) -> bool:
    """Whether a hold in force takes its person off a worklist (a pack may exclude discretionary holds)."""
    kind = hold_kind(code)
    return kind.scope in BLOCKING_SCOPES or (
        kind.scope is Scope.DISCRETIONARY and kind.code in excluded_by_pack
    )
