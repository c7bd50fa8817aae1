"""Reference data: countries, admission classes, ports, carriers and offices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Country:
    """A citizenship with its traffic weights and naming conventions."""

    code: str
    travel: float  # relative weight among travellers
    ewi: float  # relative weight among persons met by enforcement without an I-94
    names: str  # name-pool key (see names.py)
    script: str = "latin"  # latin | cyrillic | arabic
    vwp_since: date | None = None
    compound: float = 0.0  # share of compound surnames


_VWP = date(2008, 1, 1)
_HISPANIC = 0.6

COUNTRIES: tuple[Country, ...] = (
    Country("MEX", 14.0, 35.0, "es_MX", compound=_HISPANIC),
    Country("CAN", 11.0, 0.0, "can"),
    Country("GBR", 7.0, 0.0, "en_GB", vwp_since=_VWP),
    Country("IND", 5.0, 2.0, "en_IN"),
    Country("CHN", 3.0, 2.0, "zh_CN"),
    Country("BRA", 3.5, 2.0, "pt_BR", compound=0.3),
    Country("DEU", 3.5, 0.0, "de_DE", vwp_since=_VWP),
    Country("JPN", 3.5, 0.0, "ja_JP", vwp_since=_VWP),
    Country("FRA", 3.0, 0.0, "fr_FR", vwp_since=_VWP),
    Country("KOR", 2.5, 0.0, "kor", vwp_since=_VWP),
    Country("COL", 2.0, 4.0, "es_CO", compound=_HISPANIC),
    Country("ESP", 2.0, 0.0, "es_ES", vwp_since=_VWP, compound=_HISPANIC),
    Country("ITA", 2.0, 0.0, "it_IT", vwp_since=_VWP),
    Country("AUS", 2.0, 0.0, "en_NZ", vwp_since=_VWP),
    Country("ARG", 1.5, 0.0, "es_AR", compound=0.3),
    Country("DOM", 1.5, 1.0, "es_CO", compound=_HISPANIC),
    Country("NLD", 1.3, 0.0, "nl_NL", vwp_since=_VWP),
    Country("PHL", 1.2, 0.0, "phl"),
    Country("ISR", 1.2, 0.0, "isr", vwp_since=date(2023, 10, 19)),
    Country("TWN", 1.0, 0.0, "zh_TW", vwp_since=_VWP),
    Country("ECU", 0.8, 4.0, "es_CO", compound=_HISPANIC),
    Country("PER", 0.8, 1.0, "es_CO", compound=_HISPANIC),
    Country("IRL", 0.8, 0.0, "en_IE", vwp_since=_VWP),
    Country("CHL", 0.7, 0.0, "es_CL", vwp_since=date(2014, 5, 1), compound=_HISPANIC),
    Country("GTM", 0.7, 14.0, "es_CO", compound=_HISPANIC),
    Country("NGA", 0.7, 0.3, "nga"),
    Country("SWE", 0.7, 0.0, "sv_SE", vwp_since=_VWP),
    Country("CHE", 0.7, 0.0, "de_CH", vwp_since=_VWP),
    Country("SLV", 0.6, 8.0, "es_CO", compound=_HISPANIC),
    Country("JAM", 0.6, 0.3, "en_GB"),
    Country("VNM", 0.6, 0.0, "vi_VN"),
    Country("TUR", 0.6, 0.2, "tr_TR"),
    Country("HND", 0.5, 12.0, "es_CO", compound=_HISPANIC),
    Country("VEN", 0.5, 8.0, "es_CO", compound=_HISPANIC),
    Country("CRI", 0.5, 0.0, "es_CO", compound=_HISPANIC),
    Country("POL", 0.5, 0.0, "pl_PL", vwp_since=date(2019, 11, 11)),
    Country("BEL", 0.5, 0.0, "nl_BE", vwp_since=_VWP),
    Country("SAU", 0.5, 0.0, "arab", script="arabic"),
    Country("RUS", 0.4, 0.5, "ru_RU", script="cyrillic"),
    Country("UKR", 0.4, 0.5, "uk_UA", script="cyrillic"),
    Country("EGY", 0.4, 0.1, "arab", script="arabic"),
    Country("PAK", 0.4, 0.3, "pak", script="arabic"),
    Country("DNK", 0.4, 0.0, "da_DK", vwp_since=_VWP),
    Country("NOR", 0.4, 0.0, "no_NO", vwp_since=_VWP),
    Country("PRT", 0.4, 0.0, "pt_PT", vwp_since=_VWP, compound=0.3),
    Country("NZL", 0.4, 0.0, "en_NZ", vwp_since=_VWP),
    Country("AUT", 0.4, 0.0, "de_AT", vwp_since=_VWP),
    Country("ZAF", 0.4, 0.0, "zu_ZA"),
    Country("IDN", 0.3, 0.0, "id_ID"),
    Country("HTI", 0.3, 3.0, "fr_FR"),
    Country("SGP", 0.3, 0.0, "zh_CN", vwp_since=_VWP),
    Country("IRN", 0.2, 0.1, "persian", script="arabic"),
    Country("BGD", 0.2, 0.3, "bgd"),
    Country("GHA", 0.2, 0.1, "tw_GH"),
    Country("NIC", 0.15, 4.0, "es_CO", compound=_HISPANIC),
    Country("JOR", 0.15, 0.0, "arab", script="arabic"),
    Country("LBN", 0.15, 0.0, "arab", script="arabic"),
    Country("KEN", 0.15, 0.1, "en_KE"),
    Country("ETH", 0.15, 0.2, "eth"),
    Country("CUB", 0.1, 4.0, "es_CO", compound=_HISPANIC),
    Country("IRQ", 0.1, 0.1, "arab", script="arabic"),
    Country("UZB", 0.05, 0.1, "uz_UZ"),
    Country("KAZ", 0.05, 0.0, "ru_RU", script="cyrillic"),
    Country("BLR", 0.05, 0.0, "ru_RU", script="cyrillic"),
    Country("AFG", 0.05, 0.5, "afg", script="arabic"),
    Country("SYR", 0.05, 0.1, "arab", script="arabic"),
    Country("SOM", 0.03, 0.3, "som"),
    Country("SDN", 0.03, 0.1, "arab", script="arabic"),
    Country("YEM", 0.03, 0.1, "arab", script="arabic"),
    Country("ERI", 0.02, 0.2, "eth"),
)

COUNTRY_BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

#: Countries whose civil registration often lacks exact birth dates (placeholder 1 January).
UNKNOWN_DOB_COUNTRIES = frozenset({"AFG", "SOM", "ERI", "SDN", "ETH", "YEM", "PAK", "BGD", "NGA"})

#: Countries designated for Temporary Protected Status during the window.
TPS_COUNTRIES = frozenset(
    {"VEN", "HND", "SLV", "HTI", "NIC", "UKR", "AFG", "SOM", "SDN", "YEM", "ETH", "SYR"}
)

#: Plausible miscodings (confusable codes); any other country falls back to a random one.
MISCODES: dict[str, tuple[str, ...]] = {
    "AUT": ("AUS",),
    "AUS": ("AUT",),
    "IRN": ("IRQ",),
    "IRQ": ("IRN",),
    "NGA": ("NER",),
    "SWE": ("CHE",),
    "CHE": ("SWE",),
    "SVK": ("SVN",),
    "COL": ("COG",),
    "GBR": ("IRL",),
    "KOR": ("PRK",),
    "DOM": ("DMA",),
    "IND": ("IDN",),
    "IDN": ("IND",),
    "SLV": ("SLB",),
    "GTM": ("GMB",),
}

#: Extra valid codes used as birth countries or miscodes.
OTHER_VALID_CODES = ("NER", "COG", "PRK", "DMA", "SLB", "GMB", "SVN", "SVK", "USA", "ARE", "QAT")

VISA_WAIVER = frozenset({"WB", "WT"})
DS_CLASSES = frozenset({"F1", "F2", "J1", "J2"})

#: (class, stay in days for a fixed admit-until) for workers and diplomats.
WORKER_CLASSES: tuple[tuple[str, float, int], ...] = (
    ("H1B", 45.0, 3 * 365),
    ("L1", 15.0, 3 * 365),
    ("O1", 6.0, 3 * 365),
    ("E2", 6.0, 2 * 365),
    ("H2A", 14.0, 300),
    ("H2B", 10.0, 270),
)
DEPENDENT_CLASS = {
    "H1B": "H4",
    "H2A": "H4",
    "H2B": "H4",
    "L1": "L2",
    "O1": "O3",
    "E2": "E2",
    "TN": "TD",
    "F1": "F2",
    "J1": "J2",
    "M1": "M2",
    "A1": "A1",
    "G4": "G4",
}
DIPLOMAT_CLASSES = ("A1", "A2", "G1", "G4")

AIR_PORTS = (
    "NYC",
    "NEW",
    "LOS",
    "SFR",
    "MIA",
    "CHI",
    "ATL",
    "HOU",
    "DAL",
    "WAS",
    "BOS",
    "SEA",
    "ORL",
    "PHI",
    "DET",
    "MSP",
    "DEN",
    "PHO",
    "HHW",
    "SAJ",
)
AIR_PORT_WEIGHTS = (14, 6, 12, 7, 12, 7, 5, 6, 5, 6, 4, 3, 4, 2, 2, 1, 2, 1, 2, 1)
SEA_PORTS = ("MIA", "PEV", "NOL", "GAL", "SEA", "LOS", "NYC", "PCV")
LAND_PORTS_CAN = ("BUF", "DET", "BLA", "CHM", "PHU", "SWB", "HIG")
LAND_PORTS_MEX = ("SYS", "OTM", "CAL", "NOG", "ELP", "LAR", "HID", "BRO", "DLR", "EGP")

#: UTC offsets (hours) of ports, for recorded_at written in local time.
PORT_OFFSET: dict[str, int] = {
    "LOS": -8,
    "SFR": -8,
    "SEA": -8,
    "BLA": -8,
    "SYS": -8,
    "OTM": -8,
    "CAL": -8,
    "PHO": -7,
    "DEN": -7,
    "NOG": -7,
    "ELP": -7,
    "SWB": -7,
    "HHW": -10,
    "CHI": -6,
    "HOU": -6,
    "DAL": -6,
    "MSP": -6,
    "NOL": -6,
    "GAL": -6,
    "LAR": -6,
    "HID": -6,
    "BRO": -6,
    "DLR": -6,
    "EGP": -6,
    "SAJ": -4,
}

AIRLINES = (
    "AA",
    "UA",
    "DL",
    "BA",
    "LH",
    "AF",
    "JL",
    "AM",
    "AC",
    "EK",
    "QR",
    "TK",
    "NH",
    "KE",
    "CX",
    "AI",
    "LA",
    "AV",
    "IB",
    "KL",
    "B6",
    "WN",
)
CRUISE_SHIPS = (
    "CARNIVAL MAGIC",
    "MSC SEASIDE",
    "NORWEGIAN ESCAPE",
    "ALLURE OF THE SEAS",
    "DISNEY DREAM",
    "CELEBRITY APEX",
)

ICE_OFFICES = ("NYC", "LOS", "MIA", "HOU", "CHI", "SFR", "DAL", "ATL", "PHO", "SND", "NOL", "WAS")
BORDER_SECTORS = ("RGV", "TCA", "EPT", "SDC", "DRT", "YUM", "LRT", "ELC", "BBT")

CJIS_SYSTEMS = ("CJIS-TX", "CJIS-CA", "CJIS-NY", "CJIS-FL", "CJIS-IL", "CJIS-AZ", "CJIS-NJ")
CJIS_WEIGHTS = (24, 26, 14, 14, 8, 8, 6)
CJIS_COURTS: dict[str, tuple[str, ...]] = {
    "CJIS-TX": ("Harris County District Court", "Dallas County Court at Law", "Bexar County"),
    "CJIS-CA": ("Los Angeles Superior Court", "San Diego Superior Court", "Fresno County"),
    "CJIS-NY": ("Kings County Criminal Court", "Queens County Supreme Court"),
    "CJIS-FL": ("Miami-Dade County Court", "Orange County Circuit Court"),
    "CJIS-IL": ("Cook County Circuit Court",),
    "CJIS-AZ": ("Maricopa County Superior Court", "Pima County"),
    "CJIS-NJ": ("Essex County Superior Court", "Hudson County"),
}

#: (NCIC-style code, description, category) of offenses.
OFFENSES: tuple[tuple[str, str, str], ...] = (
    ("5404", "DRIVING UNDER INFLUENCE", "SIGNIFICANT_MISDEMEANOR"),
    ("1313", "SIMPLE ASSAULT", "MISDEMEANOR"),
    ("2303", "SHOPLIFTING", "MISDEMEANOR"),
    ("3562", "MARIJUANA POSSESSION", "MISDEMEANOR"),
    ("5499", "TRAFFIC OFFENSE", "INFRACTION"),
    ("4801", "RESISTING OFFICER", "MISDEMEANOR"),
    ("1315", "AGGRAVATED ASSAULT", "VIOLENT_FELONY"),
    ("1206", "ROBBERY", "VIOLENT_FELONY"),
    ("2202", "BURGLARY", "FELONY"),
    ("2604", "IDENTITY THEFT", "FELONY"),
    ("5212", "WEAPON POSSESSION", "FELONY"),
    ("3530", "NARCOTIC SALE", "AGGRAVATED_FELONY"),
    ("0911", "HOMICIDE", "AGGRAVATED_FELONY"),
    ("3599", "DRUG TRAFFICKING", "AGGRAVATED_FELONY"),
    ("1399", "DOMESTIC VIOLENCE", "SIGNIFICANT_MISDEMEANOR"),
)
OFFENSE_WEIGHTS = (18, 16, 12, 8, 6, 6, 6, 4, 6, 4, 4, 6, 1, 4, 6)
