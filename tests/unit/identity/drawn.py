"""Drawn identities for property tests of linking: names alike, swapped, compound and folded from Arabic
script, birth dates misread or partial, documents misread with and without their country, numbers shared
(`FIELDS`); and namesakes born the same day (`NAMESAKES`, `NAMESAKE`)."""

from __future__ import annotations

from hypothesis import strategies as st

_FAMILY = st.sampled_from([None, "Kowalczyk", "Kowalczik", "Kowalski", "Nowak", "Nowak Kowalczyk", "Li", "Lee",
                           "Hassan", "Hasan", "Ortiz Suárez", "Ortiz", "Freij", "Frei"])  # fmt: skip
_GIVEN = st.sampled_from([None, "Bartosz", "Bartek", "Bartosz Jan", "Fatima", "Faima", "فاطمة", "Hassan", "حسن",
                          "Seoyeon", "Subin", "Luz", "Luis", "Anna", "Kowalczyk", "Reza", "رضا", "Khadiga",
                          "خديجة"])  # fmt: skip
FIELDS = {
    "family_name": _FAMILY,
    "given_names": _GIVEN,
    "date_of_birth": st.sampled_from([None, "1984-03-17", "1984-17-03", "1984-03-18", "1985-03-17", "1984-01-01",
                                      "1984-03", "1984", "1984-03-71", "1948-03-17", "1984-02-17"]),
    "sex": st.sampled_from([None, "M", "F"]),
    "citizenship": st.sampled_from([None, "POL", "EGY"]),
    "birth_country": st.sampled_from([None, "POL", "EGY"]),
    "document_type": st.sampled_from([None, "P", "V"]),
    "document_number": st.sampled_from([None, "EK4471932", "EK4471933", "EK447193", "EK1111111", "XK4471932"]),
    "document_country": st.sampled_from([None, "POL", "EGY"]),
    "a_number": st.sampled_from([None, "A123456789", "A987654321"]),
    "admission_number": st.sampled_from([None, "12345678901", "98765432109"]),
    "incident_id": st.sampled_from([None, "77"]),
    "receipt_number": st.sampled_from([None, "WAC1088859284"]),
}  # fmt: skip

NAMESAKES = {
    **FIELDS,
    "family_name": st.sampled_from(["Kowalczyk", "Kowalczik", "Bartosz", "Hassan"]),
    "date_of_birth": st.just("1984-03-17"),
    "document_country": st.sampled_from([None, "POL"]),
}
NAMESAKE = st.fixed_dictionaries({**NAMESAKES, "date_of_birth": FIELDS["date_of_birth"]})
