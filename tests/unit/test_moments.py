"""--known-at accepts timestamps with an offset, or a date meaning its end in UTC."""

import pytest

from ilos.domain.moments import normalise_known_at


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-10-01", "2024-10-01T23:59:59.999999Z"),
        ("2024-10-01T08:00:00Z", "2024-10-01T08:00:00.000000Z"),
        ("2024-10-01T08:00:00-04:00", "2024-10-01T12:00:00.000000Z"),
        ("2024-10-01T08:00:00.25+05:30", "2024-10-01T02:30:00.250000Z"),
    ],
)
def test_normalised_to_utc(text: str, utc: str) -> None:
    assert normalise_known_at(text) == utc


@pytest.mark.parametrize("text", ["2024-10-01T08:00:00", "yesterday", "2024-13-01"])
def test_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=text):
        normalise_known_at(text)
