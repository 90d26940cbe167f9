"""Reading import files: gzip, a JSON or CSV inside a ``.tar.bz2``, encodings, CSV dialects
and streamed JSON arrays.

Everything here raises :class:`ImportFailed` with a French message when the file as a whole
is unusable (binary, empty, undecodable, not CSV/JSON).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from recommender.errors import ImportFailed

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 1 << 20
csv.field_size_limit(16 * 1024 * 1024)


# A gzip file may expand to at most this (and at most MAX_GZIP_RATIO times its own size, but
# always 64 MiB): a "zip bomb" is refused before it is expanded in full.
MAX_DECOMPRESSED_BYTES = 1 << 30
MAX_GZIP_RATIO = 200


class _CappedGzipFile(gzip.GzipFile):
    """A GzipFile that raises ImportFailed once more than ``limit`` bytes were expanded."""

    def __init__(self, path: Path, limit: int):
        super().__init__(path, "rb")
        self.limit = limit
        self.display_name = path.name

    def _check(self, data: bytes) -> bytes:
        if self.tell() > self.limit:
            raise ImportFailed(
                f"Le fichier compressé « {self.display_name} » se décompresse en plus de "
                f"{self.limit // (1 << 20)} Mo : import refusé (archive piégée ou trop grosse)."
            )
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._check(super().read(size))

    def read1(self, size: int = -1) -> bytes:
        return self._check(super().read1(size))


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped on the fly (within a size cap) when gzip-compressed, or
    those of the data file a ``.tar.bz2`` holds, decompressed on the fly."""
    fp = path.open("rb")
    magic = fp.read(3)
    if magic[:2] == GZIP_MAGIC:
        fp.close()
        size = path.stat().st_size
        limit = min(MAX_DECOMPRESSED_BYTES, max(64 << 20, size * MAX_GZIP_RATIO))
        return _CappedGzipFile(path, limit)  # type: ignore[return-value]
    if magic == BZIP2_MAGIC:
        fp.close()
        return _archive_member(path)
    fp.seek(0)
    return fp


ARCHIVED_SUFFIXES = (".json", ".csv", ".tsv", ".txt")


class _MemberFile(tarfile.ExFileObject):
    """One member of an open archive, read as it is decompressed; closing it closes the
    archive."""

    def __init__(self, archive: tarfile.TarFile, member: tarfile.TarInfo):
        super().__init__(archive, member)
        self.archive = archive

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.archive.close()


def _archive_member(path: Path) -> IO[bytes]:
    """The first JSON or CSV file of a ``.tar.bz2`` (the DILA annuaire: one JSON of a few
    GB), streamed: the archive is never expanded on disk nor in memory. Refused past
    :data:`MAX_GZIP_RATIO` times the archive's size (an archive bomb)."""
    try:
        archive = tarfile.open(path, "r:bz2")  # noqa: SIM115 (closed by the member's close)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ImportFailed(
            f"Archive « {path.name} » illisible (un .tar.bz2 est attendu) : {exc}."
        ) from exc
    try:
        member = next(
            (m for m in archive if m.isfile() and m.name.lower().endswith(ARCHIVED_SUFFIXES)),
            None,
        )
    except (tarfile.TarError, OSError, EOFError) as exc:
        archive.close()
        raise ImportFailed(f"Archive « {path.name} » illisible : {exc}.") from exc
    if member is None:
        archive.close()
        raise ImportFailed(f"L'archive « {path.name} » ne contient aucun fichier JSON ou CSV.")
    if member.size > max(64 << 20, path.stat().st_size * MAX_GZIP_RATIO):
        archive.close()
        raise ImportFailed(
            f"Le fichier « {member.name} » de l'archive « {path.name} » est démesuré pour sa "
            "taille compressée : import refusé (archive piégée)."
        )
    return _MemberFile(archive, member)


def head(path: Path, size: int = 65536) -> bytes:
    try:
        with open_binary(path) as fp:
            return fp.read(size)
    except (OSError, EOFError) as exc:
        raise ImportFailed(f"Lecture impossible du fichier « {path.name} » : {exc}.") from exc


def check_not_binary(sample: bytes, name: str) -> None:
    if not sample.strip():
        raise ImportFailed(f"Le fichier « {name} » est vide.")
    if sample.startswith(ZIP_MAGIC):
        raise ImportFailed(
            f"Le fichier « {name} » est une archive ZIP (ou un classeur Excel) : "
            "exportez-le en CSV (UTF-8) avant de l'importer."
        )
    if b"\x00" in sample[:8192]:
        raise ImportFailed(
            f"Le fichier « {name} » semble binaire (ni CSV ni JSON) : import impossible."
        )


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``cp1252``; ImportFailed when none decodes."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A truncated multibyte sequence at the very end of a sample is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _undecodable(name: str) -> ImportFailed:
    return ImportFailed(
        f"Le fichier « {name} » n'est ni en UTF-8 ni en Windows-1252 : réenregistrez-le en UTF-8."
    )


def open_text(data: bytes, name: str) -> tuple[IO[str], str, str]:
    """The text of ``data`` as a stream decoded while it is read (a str of a whole file
    takes two to four times its size), its encoding and its first 64 Ki characters.
    Refused when that start does not decode or the file holds many replacement characters."""
    encoding = detect_encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        start = stream.read(65536)
        if "\ufffd" in start and data.decode(encoding).count("\ufffd") > 10:
            raise ImportFailed(f"Le fichier « {name} » contient des caractères illisibles.")
    except UnicodeDecodeError as exc:
        raise _undecodable(name) from exc
    stream.seek(0)
    return stream, encoding, start


def sniff_delimiter(sample: str) -> str:
    """``,`` ``;`` ``\\t`` or ``|`` for the CSV sample (first lines), by consistency then count."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
        if dialect.delimiter in ",;\t|":
            return dialect.delimiter
    except csv.Error:
        pass
    header = lines[0]
    counts = {d: header.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def excel_separator(text: str) -> tuple[str | None, str]:
    """Excel's optional first line ``sep=;``: (its separator, the text after it), else
    (None, the text)."""
    if m := _EXCEL_SEP.match(text):
        return m[1], text[m.end() :]
    return None, text


@dataclass
class CsvTable:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str
    delimiter: str


def read_csv(path: Path) -> CsvTable:
    """The header and ``(line, cells)`` rows; ``line`` is the row's first line in the file."""
    try:
        with open_binary(path) as fp:
            data = b"".join(iter(lambda: fp.read(CHUNK), b""))  # by chunks: a gzip cap holds
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImportFailed(f"Lecture impossible du fichier « {path.name} » : {exc}.") from exc
    check_not_binary(data[:65536], path.name)
    stream, encoding, start = open_text(data, path.name)
    start = start.lstrip("\ufeff")
    lines = iter(stream)
    first = next(lines, "").lstrip("\ufeff")
    skipped = 0
    if sep := excel_separator(start)[0]:
        delimiter, skipped = sep, 1
    else:
        delimiter = sniff_delimiter(start[:20000])
        if first:
            lines = itertools.chain([first], lines)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFailed(f"Le fichier « {path.name} » est vide.") from None
    except csv.Error as exc:
        raise ImportFailed(f"En-tête CSV illisible : {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise _undecodable(path.name) from exc
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if len([h for h in headers if h]) < 2:
        raise ImportFailed(
            f"Le fichier « {path.name} » n'a pas d'en-tête CSV reconnaissable "
            "(au moins deux colonnes nommées, séparées par une virgule ou un point-virgule)."
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        last = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A broken quote swallows the end of the file: report it at its line.
                yield last + 1 + skipped, [f"\x00csv-error:{exc}"]
                return
            except UnicodeDecodeError as exc:
                raise _undecodable(path.name) from exc
            start, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            yield start + skipped, cells

    return CsvTable(headers, rows(), encoding, delimiter)


# --- streamed JSON ---------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_EXCEL_SEP = re.compile(r"^sep=([,;\t|])[ \t]*\r?\n")


class _JsonStream:
    """Incremental reader over a text stream: values decoded one at a time, lines tracked."""

    def __init__(self, fp: IO[str]):
        self.fp = fp
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fp.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def _advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str:
        while True:
            self._advance(_WS.match(self.buf, self.pos).end())
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"« {char} » attendu ligne {self.line}")
        self._advance(self.pos + 1)

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise
            if end >= len(self.buf) and not self.eof and self._fill():
                continue  # a number cut by the chunk boundary
            self._advance(end)
            return obj

    def array_items(self) -> Iterator[tuple[int, Any]]:
        self.expect("[")
        if self.peek() == "]":
            self._advance(self.pos + 1)
            return
        while True:
            self.peek()
            line = self.line
            yield line, self.value()
            nxt = self.peek()
            self._advance(self.pos + 1)
            if nxt == "]":
                return
            if nxt != ",":
                raise ValueError(f"« , » ou « ] » attendu ligne {self.line}")


def iter_json_records(path: Path, keys: tuple[str, ...] | None) -> Iterator[tuple[str, int, Any]]:
    """``(key, line, item)`` for each item of a top-level array, or of the arrays under ``keys``
    of a top-level object (every array when ``keys`` is None; ``key`` is "" for a top-level
    array). Streams: memory stays flat."""
    try:
        binary = open_binary(path)
    except OSError as exc:
        raise ImportFailed(f"Lecture impossible du fichier « {path.name} » : {exc}.") from exc
    sample = binary.read(4)
    binary.seek(0)
    encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
    text = io.TextIOWrapper(binary, encoding=encoding, errors="strict")
    stream = _JsonStream(text)
    try:
        first = stream.peek()
        if first == "[":
            for line, item in stream.array_items():
                yield "", line, item
            return
        if first != "{":
            raise ImportFailed(f"Le fichier « {path.name} » n'est pas un document JSON.")
        stream.expect("{")
        while True:
            nxt = stream.peek()
            if nxt == "}":
                return
            if nxt == ",":
                stream.expect(",")
                continue
            key = stream.value()
            stream.expect(":")
            wanted = isinstance(key, str) and (keys is None or key in keys)
            if wanted and stream.peek() == "[":
                for line, item in stream.array_items():
                    yield key, line, item
            else:
                stream.value()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFailed(
            f"JSON invalide dans « {path.name} » (vers la ligne {stream.line}) : {exc}."
        ) from exc
    finally:
        text.close()
