"""Normalised identity features, computed set-at-a-time in DuckDB from resolver input records.

Names are folded to upper-case ASCII (`unidecode` for other scripts and diacritics, applied once per
distinct non-ASCII spelling), split into tokens, joined into keys (so compound surnames written with
a space, a hyphen or nothing meet) and reduced to a transliteration *skeleton* (consonant frame) so
that Mohammed/Muhammad/Mohamed or Aleksandr/Oleksandr/Alexander meet. Birth dates are split into
parts with their precision; document numbers keep only letters and digits; A-numbers are
zero-padded to nine digits.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from unidecode import unidecode

from ilos.domain.feeds import ADMISSION_NUMBER_PATTERN, IDENTITY_COLUMNS

#: The contract's admission number format: other values never identify an admission.
ADMISSION_NUMBER_SQL = ADMISSION_NUMBER_PATTERN.removeprefix("^").removesuffix("$")

#: Input columns the resolver reads (all strings): the contract's identity columns (but recorded_at),
#: framed by the record's uid and feed, the admission number some feeds carry, the incident id of
#: a criminal disposition (the stages of one matter share it) and the receipt number of a status event
#: (the events of one filing share it).
INPUT_COLUMNS: tuple[str, ...] = (
    "record_uid",
    "feed",
    *(c.name for c in IDENTITY_COLUMNS if c.name != "recorded_at"),
    "admission_number",
    "incident_id",
    "receipt_number",
)
#: How a shared number that is a criminal matter, not an admission, begins (`adm` of a feature row).
INCIDENT_PREFIX = "INCIDENT "
#: How a shared number that is a benefit filing's receipt begins (`receipt` of a feature row).
RECEIPT_PREFIX = "RECEIPT "
#: A receipt number ILOS links by: up to four letters and eight to thirteen digits, not all zeros
#: (a USCIS receipt WAC1088859284, a SEVIS id N0023683645). Anything else (PENDING, N/A, 0) is a
#: placeholder some source writes, which would join every filing that carries it.
RECEIPT_SQL = "[A-Z]{0,4}[0-9]{8,13}"

#: Scripts that write consonants and leave most vowels out (Hebrew, Arabic and the scripts of Persian
#: and Urdu): a name folded from them to Latin letters is a skeleton already (HASSAN -> HSN).
ABJAD = "[\\x{0590}-\\x{06FF}\\x{0750}-\\x{077F}\\x{FB50}-\\x{FDFF}\\x{FE70}-\\x{FEFF}]"

#: Spelling rules of the skeleton, applied in order: (regex, replacement).
_SKELETON_RULES: tuple[tuple[str, str], ...] = (
    ("C([EIY])", "S\\1"),
    ("T?SCH|T?CH|SH|ZH", "S"),
    ("PH", "F"),
    ("KH|GH", "H"),
    ("TH", "T"),
    ("CK|Q|C", "K"),
    ("X", "KS"),
    ("W", "V"),
    ("Z", "S"),
    ("DJ|J", "Y"),
    ("[^BDFGHKLMNPRSTV]", ""),
)


#: Rules of the coarser skeleton that sets a name folded from an abjad beside its Latin spellings: one
#: letter is written several ways (ث TH or S, ض D or Z, ج J or G, و W, V or a vowel), so each such
#: set is one class and H, W and Y, which the folding and the spellings place differently, go.
_ABJAD_RULES: tuple[tuple[str, str], ...] = (
    ("TH", "S"),
    ("DH", "Z"),
    ("PH", "F"),
    ("C([EIY])", "S\\1"),
    ("CK|Q|C", "K"),
    ("X", "KS"),
    ("D", "Z"),
    ("G", "J"),
    ("[^BFJKLMNPRSTZ]", ""),
)


def _rules_sql(expr: str, rules: tuple[tuple[str, str], ...]) -> str:
    """The rules applied in order, then runs of one letter cut to one (RE2 has no back-references).

    The letters are bound once as the lambda parameter `cs`: written out inside the filter's lambda,
    the chain of replacements ran again for every letter.
    """
    out = expr
    for pattern, repl in rules:
        out = f"regexp_replace({out}, '{pattern}', '{repl}', 'g')"
    dedup = "array_to_string(list_filter(cs, lambda c, i: i = 1 OR c <> cs[i - 1]), '')"
    return f"nullif(list_transform([string_split({out}, '')], lambda cs: {dedup})[1], '')"


def _rules_py(text: str, rules: tuple[tuple[str, str], ...]) -> str:
    out = text
    for pattern, repl in rules:
        out = re.sub(pattern, repl, out)
    return re.sub(r"(.)\1+", r"\1", out)


def skeleton_sql(expr: str) -> str:
    """SQL for the transliteration skeleton of an upper-case A-Z key (NULL stays NULL)."""
    return _rules_sql(expr, _SKELETON_RULES)


def skeleton(text: str) -> str:
    """The skeleton of an upper-case A-Z key, in Python (for explanations and tests)."""
    return _rules_py(text, _SKELETON_RULES)


def abjad_skeleton_sql(expr: str) -> str:
    """SQL for the coarse skeleton that compares a name folded from an abjad with Latin spellings
    (REZA and رضا, SANA and ثنا, KHADIGA and خديجة meet; NULL stays NULL)."""
    return _rules_sql(expr, _ABJAD_RULES)


def abjad_skeleton(text: str) -> str:
    """`abjad_skeleton_sql` in Python (for tests)."""
    return _rules_py(text, _ABJAD_RULES)


def _ascii_map(cur: duckdb.DuckDBPyConnection, source: str) -> pa.Table:
    """raw -> ASCII for each distinct non-ASCII name spelling in `source`."""
    sql = f"""
        SELECT DISTINCT v FROM (
            SELECT family_name AS v FROM {source} UNION ALL SELECT given_names FROM {source})
        WHERE v IS NOT NULL AND NOT regexp_full_match(v, '[\\x00-\\x7F]*')
    """
    raw = [row[0] for row in cur.sql(sql).fetchall()]
    return pa.table({"raw": pa.array(raw, pa.string()), "ascii": [unidecode(v) for v in raw]})


def _clean(expr: str) -> str:
    """Upper-case A-Z words separated by single spaces; apostrophes dropped, other marks split."""
    no_apos = f"regexp_replace(upper({expr}), '[''`’‘]', '', 'g')"
    return f"nullif(trim(regexp_replace({no_apos}, '[^A-Z]+', ' ', 'g')), '')"


def _name_map_sql(source: str, amap: str) -> str:
    """Per distinct spelling of either name column: its key, first word and their skeletons, and `cut`,
    the first word of a name of more than one (NULL for one word).

    Spellings repeat across a person's records and across the two columns, so the costly skeleton runs
    once per spelling, and the map is one statement (planning its rules is most of its cost on a few
    records).
    """
    return f"""
        WITH raw AS (SELECT family_name AS raw FROM {source} WHERE family_name IS NOT NULL
                     UNION SELECT given_names FROM {source} WHERE given_names IS NOT NULL),
        clean AS (SELECT raw.raw, {_clean("coalesce(m.ascii, raw.raw)")} AS words
                  FROM raw LEFT JOIN {amap} m ON m.raw = raw.raw),
        keyed AS (SELECT raw, replace(words, ' ', '') AS name_key, split_part(words, ' ', 1) AS first,
                         CASE WHEN contains(words, ' ') THEN split_part(words, ' ', 1) END AS cut
                  FROM clean)
        SELECT raw, name_key, {_skel("name_key")} AS skel, {_skel("first")} AS first_skel,
               {abjad_skeleton_sql("name_key")} AS abjad_skel, cut
        FROM keyed
    """


def birth_date_sql() -> str:
    """Columns `dob_text` (the date as given, if well formed), `dob` (a full date as text) and `dob_date`
    of the `date_of_birth` column."""
    d = "trim(date_of_birth)"
    ok = f"regexp_full_match({d}, '[0-9]{{4}}(-[0-9]{{2}}(-[0-9]{{2}})?)?')"
    full = f"CASE WHEN length({d}) = 10 THEN try_cast({d} AS DATE) END"
    return f"""
        CASE WHEN {ok} AND (length({d}) < 10 OR {full} IS NOT NULL) THEN {d} END AS dob_text,
        CASE WHEN {ok} THEN strftime({full}, '%Y-%m-%d') END AS dob,
        {full} AS dob_date
    """


def _doc_sql() -> str:
    num = "nullif(regexp_replace(upper(document_number), '[^A-Z0-9]', '', 'g'), '')"
    return f"""
        CASE WHEN length({num}) >= 5 THEN {num} END AS doc_num,
        nullif(upper(trim(document_country)), '') AS doc_country,
        nullif(upper(trim(document_type)), '') AS doc_type
    """


def _skel(column: str) -> str:
    """The skeleton, or the key itself when it has no consonant frame (JOY, EVA)."""
    return f"coalesce({skeleton_sql(column)}, {column})"


def a_number_sql(column: str) -> str:
    """SQL for an A-number as nine digits (NULL when it is not one): `A1234567` = `001234567`."""
    digits = f"regexp_extract(upper({column}), '^A?0*([0-9]{{1,9}})$', 1)"
    return f"CASE WHEN {digits} <> '' THEN lpad({digits}, 9, '0') END"


def doc_keys_sql() -> str:
    """The document number with each of its characters masked in turn, behind its issuing country
    (`CAN:AB?456789`): two numbers of one country one character apart (a misread) share exactly one
    key, so blocking on the keys pairs them at the cost of one row per character. Empty without a
    number or a country."""
    masked = "doc_country || ':' || left(doc_num, i - 1) || '?' || substr(doc_num, i + 1)"
    return (
        f"CASE WHEN doc_num IS NOT NULL AND doc_country IS NOT NULL"
        f" THEN list_transform(range(1, length(doc_num) + 1), lambda i: {masked}) ELSE [] END"
    )


def features_sql(source: str, name_map: str) -> str:
    """SELECT of the feature table over the records view `source` and its name map (`_name_map_sql`).

    `adm` is a number only one person's records share: the admission number, or for a criminal
    disposition its matter (INCIDENT_PREFIX, source system and incident id: the stages of one case
    against one person). `receipt` is a status event's filing (RECEIPT_PREFIX and receipt number, of
    the shape RECEIPT_SQL: the events of one filing), beside its admission number: a decision may
    carry the receipt alone. `thin_incident` is the matter or filing of a record that nothing else
    identifies (no number, no name with a birth date): such a record is paired with its matter's or
    filing's records only."""
    return f"""
        WITH k AS (
            SELECT s.*, fm.name_key AS fam_key, gm.name_key AS giv_key, fm.skel AS fam_skel,
                   gm.skel AS giv_skel, fm.first_skel AS fam_first_skel, gm.first_skel AS giv_first_skel, fm.cut AS fam_cut,
                   gm.abjad_skel AS giv_abjad_skel, {birth_date_sql()}, {_doc_sql()},
                   {a_number_sql("a_number")} AS a9,
                   CASE WHEN regexp_full_match(upper(trim(admission_number)), '{ADMISSION_NUMBER_SQL}')
                        THEN upper(trim(admission_number))
                        WHEN nullif(trim(incident_id), '') IS NOT NULL
                        THEN '{INCIDENT_PREFIX}' || source_system || ' ' || upper(trim(incident_id)) END AS adm,
                   CASE WHEN regexp_full_match(upper(trim(receipt_number)), '{RECEIPT_SQL}')
                             AND NOT regexp_full_match(upper(trim(receipt_number)), '[A-Z]*0+')
                        THEN '{RECEIPT_PREFIX}' || upper(trim(receipt_number)) END AS receipt,
                   nullif(upper(trim(citizenship)), '') AS cit,
                   nullif(upper(trim(birth_country)), '') AS bcountry,
                   CASE WHEN upper(sex) IN ('M', 'F') THEN upper(sex) END AS sex_code
            FROM {source} s
            LEFT JOIN {name_map} fm ON fm.raw = s.family_name
            LEFT JOIN {name_map} gm ON gm.raw = s.given_names
        )
        SELECT record_uid, is_new, feed, source_system, source_record_id,
               family_name, given_names, date_of_birth, document_number, a_number, admission_number,
               fam_key, giv_key, fam_skel, giv_skel, fam_first_skel, giv_first_skel, fam_cut,
               least(fam_first_skel, giv_first_skel) AS first_lo, greatest(fam_first_skel, giv_first_skel) AS first_hi,
               fam_key || '|' || coalesce(giv_key, '') AS name_key,
               dob_text, dob, dob_date, year(dob_date) AS dob_y, month(dob_date) AS dob_m,
               day(dob_date) AS dob_d,
               CASE WHEN dob_text IS NOT NULL THEN left(dob_text, 4) END AS dob_year,
               doc_num, doc_country, doc_type, a9, adm, receipt, cit, bcountry,
               sex_code, coalesce(regexp_matches(given_names, '{ABJAD}'), false) AS giv_abjad, giv_abjad_skel,
               {doc_keys_sql()} AS doc_keys,
               CASE WHEN a9 IS NOT NULL OR doc_num IS NOT NULL OR (fam_key IS NOT NULL AND dob_text IS NOT NULL) THEN NULL
                    WHEN starts_with(adm, '{INCIDENT_PREFIX}') THEN adm
                    WHEN adm IS NULL THEN receipt END AS thin_incident
        FROM k
    """


def build_features(cur: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create table `target` holding the features of the records view `source`."""
    amap, names = f"{target}_ascii", f"{target}_name_map"
    cur.register(amap, _ascii_map(cur, source))
    parts = "[fam_skel, giv_skel, fam_first_skel, giv_first_skel]"
    try:
        cur.execute(f"CREATE OR REPLACE TABLE {names} AS {_name_map_sql(source, amap)}")
        cur.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT *, "
            f"list_distinct(list_filter({parts}, lambda x: x IS NOT NULL)) AS name_parts "
            f"FROM ({features_sql(source, names)})"
        )
    finally:
        cur.unregister(amap)
        cur.execute(f"DROP TABLE IF EXISTS {names}")
