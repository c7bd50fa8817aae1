"""Benchmark inputs made set-at-a-time by DuckDB: realistic shapes, about 1 % defective rows."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb

from ilos.generator import generate

DATA = Path(__file__).parent / "data"


#: The last day of every generated benchmark world. The generator's default window ends yesterday, so
#: the same seed made another world each day and figures could not be compared from one day to the next.
WORLD_END = date(2026, 12, 3)


def generated_world(name: str, persons: int, seed: int) -> Path:
    """A world from `ilos generate` ending on WORLD_END (cached in the temporary directory under `name`):
    complete once its manifest, the last file the generator writes, is there."""
    folder = Path(tempfile.gettempdir()) / f"ilos-{name}-{persons}-{seed}-{WORLD_END}"
    if not (folder / "truth" / "manifest.json").exists():
        generate(persons, seed, folder, end=WORLD_END)
    return folder


def arrivals_csv(rows: int, seed: int = 42) -> Path:
    """An arrivals feed of `rows` rows (cached under benchmarks/data/)."""
    path = DATA / f"arrivals_{rows}_{seed}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(
        f"""
        COPY (
          WITH base AS (
            SELECT i, random() AS r, (hash(i, {seed}) % 1000)::INTEGER AS h,
                   DATE '2021-01-01' + (hash(i, 'd') % 1200)::INTEGER AS admitted
            FROM range({rows}) t(i))
          SELECT 'I94' AS source_system, 'A' || i AS source_record_id,
                 strftime(admitted + 1 + (h % 20)::INTEGER, '%Y-%m-%d') || 'T12:00:00Z' AS recorded_at,
                 (['GARCIA','SMITH','NGUYEN','KUMAR','MUELLER','OKAFOR','IVANOVA','SATO'])[1 + h % 8]
                   || CASE WHEN r < 0.005 THEN '' ELSE '' END AS family_name,
                 (['MARIA','JOHN','ANH','PRIYA','JONAS','CHIDI','OLGA','YUKI'])[1 + (h // 8) % 8] AS given_names,
                 strftime(DATE '1950-01-01' + (hash(i, 'b') % 18000)::INTEGER, '%Y-%m-%d') AS date_of_birth,
                 (['M','F'])[1 + h % 2] AS sex,
                 (['MEX','GBR','IND','CHN','DEU','NGA','UKR','JPN','BRA','COL'])[1 + h % 10] AS citizenship,
                 'P' AS document_type, 'P' || lpad((hash(i, 'p') % 100000000)::VARCHAR, 8, '0') AS document_number,
                 (['MEX','GBR','IND','CHN','DEU','NGA','UKR','JPN','BRA','COL'])[1 + h % 10] AS document_country,
                 lpad(i::VARCHAR, 11, '0') AS admission_number,
                 CASE WHEN r < 0.003 THEN 'ZZ9' WHEN h % 10 IN (1, 4, 7) THEN 'WT' WHEN h % 10 = 2 THEN 'F1'
                      ELSE 'B2' END AS class_of_admission,
                 (['LAX','JFK','MIA','ORD','SFO','IAH'])[1 + h % 6] AS port_of_entry,
                 CASE WHEN h % 50 = 0 THEN 'SEA' ELSE 'AIR' END AS mode,
                 CASE WHEN r BETWEEN 0.003 AND 0.006 THEN '2023-02-30' ELSE strftime(admitted, '%Y-%m-%d') END
                   AS admitted_on,
                 CASE WHEN h % 10 = 2 THEN 'D/S'
                      WHEN h % 10 IN (1, 4, 7) THEN strftime(admitted + 89, '%Y-%m-%d')
                      WHEN r BETWEEN 0.006 AND 0.01 THEN strftime(admitted - 5, '%Y-%m-%d')
                      ELSE strftime(admitted + 180, '%Y-%m-%d') END AS admit_until
          FROM base ORDER BY i
        ) TO '{path}' (HEADER)
        """
    )
    con.close()
    return path
