"""Writing feed files (CSV or Parquet, all strings) and the ground-truth files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 65536


class CsvSink:
    """UTF-8 CSV with a header row and RFC 4180 quoting (CRLF line ends)."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\r\n")
        self._writer.writerow(header)

    def write(self, values: Sequence[str]) -> None:
        """Write one row."""
        self._writer.writerow(values)

    def close(self) -> None:
        """Flush and close."""
        self._file.close()

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ParquetSink:
    """Parquet with every column a string (empty string for missing), written in row groups."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self._header = list(header)
        self._schema = pa.schema([(name, pa.string()) for name in header])
        self._writer = pq.ParquetWriter(path, self._schema)
        self._rows: list[Sequence[str]] = []

    def write(self, values: Sequence[str]) -> None:
        """Buffer one row."""
        self._rows.append(values)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        columns = list(zip(*self._rows, strict=True)) if self._rows else [() for _ in self._header]
        arrays = [pa.array(col, type=pa.string()) for col in columns]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        """Write the last row group and close."""
        if self._rows:
            self._flush()
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def sink(path: Path, header: Sequence[str], fmt: str) -> CsvSink | ParquetSink:
    """A sink for the format (``csv`` or ``parquet``)."""
    return ParquetSink(path, header) if fmt == "parquet" else CsvSink(path, header)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a whole CSV file."""
    with CsvSink(path, header) as out:
        for row in rows:
            out.write(row)


def write_json(path: Path, data: object) -> None:
    """Write JSON with a stable layout."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
