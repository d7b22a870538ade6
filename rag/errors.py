"""The product's one error hierarchy.

Every error the library raises on purpose is a :class:`RagError`. The edges
translate them: the API to an HTTP status (``status_code``), the command line
to a one-line message and an exit code, the UI to a banner. Messages name the
file, field or id at fault and say what to do.

    RagError
    ├── InputError                (400) a request, file or setting the user can fix
    │   ├── FileRejected          a file that cannot be ingested (one line, names the file)
    │   │   ├── EmptyFile
    │   │   ├── EncryptedFile
    │   │   ├── CorruptFile
    │   │   ├── UnsupportedFile
    │   │   ├── UndecodableText
    │   │   └── NoText
    │   ├── InvalidRequest        a field out of bounds (query too long, k too large ...)
    │   │                         or a RAG_ variable that names no setting
    │   └── PayloadTooLarge       (413) an upload over the size limit
    ├── AuthError                 (401) missing or wrong API key
    │   └── WritesDisabled        (403) no API key is configured, so writes are off
    ├── NotFound                  (404) unknown document id
    │   └── UnknownModel          a model id /v1/chat/completions does not serve
    ├── IndexError_               (503) index missing, mismatched or busy
    │   ├── IndexMissing
    │   ├── IndexMismatch         (409, exit 9) built with other settings or version
    │   └── IndexBusy             (409)
    ├── GeneratorError            (502) the configured LLM endpoint failed
    ├── ModelError                (503) the shipped reader model is missing or damaged
    └── DiskFull                  (507) no space left to write the index or an upload
"""

from __future__ import annotations

from pathlib import Path


class RagError(Exception):
    """Base of all deliberate errors. ``str(err)`` is a complete, user-facing sentence.

    ``public`` is what a remote client is told when ``str(err)`` names things only the
    operator should see (an internal URL, a server path); :func:`public_message`.
    """

    status_code: int = 500
    exit_code: int = 1
    public: str | None = None


def public_message(exc: RagError) -> str:
    """The message for a remote client: ``exc.public`` when set, else ``str(exc)``."""
    return exc.public or str(exc)


class InputError(RagError):
    status_code = 400
    exit_code = 2


class FileRejected(InputError):
    """A file that cannot be ingested. ``reason`` is the one-line reason without the path."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class EmptyFile(FileRejected):
    def __init__(self, path: Path | str) -> None:
        super().__init__(path, "the file is empty (0 bytes); replace it with the full document")


class EncryptedFile(FileRejected):
    def __init__(self, path: Path | str) -> None:
        super().__init__(
            path,
            "the PDF is encrypted and needs a password to open; save an unencrypted copy "
            "and ingest that",
        )


class CorruptFile(FileRejected):
    def __init__(self, path: Path | str, detail: str) -> None:
        super().__init__(path, f"the file is damaged and cannot be read ({detail})")


class UnsupportedFile(FileRejected):
    pass


class UndecodableText(FileRejected):
    def __init__(self, path: Path | str) -> None:
        super().__init__(
            path, "the text is not valid UTF-8, UTF-16 or Windows-1252; re-save it as UTF-8"
        )


class NoText(FileRejected):
    def __init__(self, path: Path | str, hint: str = "") -> None:
        msg = "no text could be extracted"
        super().__init__(path, f"{msg}{'; ' + hint if hint else ''}")


class InvalidRequest(InputError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class AuthError(RagError):
    status_code = 401
    exit_code = 3


class WritesDisabled(AuthError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "Write endpoints are disabled because no API key is configured; set RAG_API__API_KEY "
            "and send it in the X-API-Key header."
        )


class NotFound(RagError):
    status_code = 404
    exit_code = 4


class UnknownModel(NotFound):
    def __init__(self, model: str, served: list[str]) -> None:
        self.model = model
        super().__init__(
            f"The model {model!r} does not exist here; use one of {', '.join(served)} "
            "(GET /v1/models lists them)."
        )


class PayloadTooLarge(InputError):
    status_code = 413


class IndexError_(RagError):  # noqa: N801 - trailing underscore avoids shadowing the builtin
    status_code = 503
    exit_code = 5


class IndexMissing(IndexError_):
    public = "No index yet; build one with `rag ingest corpus/` or POST /reindex."

    def __init__(self, index_dir: Path | str) -> None:
        super().__init__(
            f"No index at {index_dir}; build one with `rag ingest corpus/` "
            "(or set RAG_INDEX_DIR to an existing index)."
        )


class IndexMismatch(IndexError_):
    status_code = 409
    exit_code = 9  # its own: `make index` rebuilds on it, never on a busy index

    def __init__(self, index_dir: Path | str, differences: list[str]) -> None:
        self.differences = differences
        self.public = (
            f"The index was built with other settings ({'; '.join(differences)}); rebuild it "
            "with `rag ingest --rebuild corpus/` or restore the settings it was built with."
        )
        super().__init__(
            f"The index at {index_dir} was built with other settings ({'; '.join(differences)}); "
            "rebuild it with `rag ingest --rebuild corpus/` or restore the settings it was "
            "built with."
        )


class IndexBusy(IndexError_):
    status_code = 409
    public = "Another ingest is writing the index; wait for it to finish and try again."


class GeneratorError(RagError):
    """The LLM endpoint failed. ``str(err)`` names its URL and settings for the operator;
    clients are told only ``public``."""

    status_code = 502
    exit_code = 6
    public = "The answer generator failed; the server log has the detail."


class ModelError(RagError):
    """The reader's weights are missing, altered or do not fit; says how to restore them."""

    status_code = 503
    exit_code = 7
    public = "The reader model is missing or damaged; the server log has the detail."


class DiskFull(RagError):
    """No space left on the device while writing; names the folder and the space needed.

    Nothing was changed: the live index and the corpus folder are as they were."""

    status_code = 507
    exit_code = 8

    def __init__(self, folder: Path | str, needed_bytes: int, free_bytes: int | None) -> None:
        self.folder = str(folder)
        self.needed_bytes = needed_bytes
        free = "" if free_bytes is None else f", {_mb(free_bytes)} free"
        what = f"about {_mb(needed_bytes)} free is needed{free}"
        self.public = (
            f"The server's disk is full ({what}); nothing was changed. Ask the operator to "
            "free space, then try again."
        )
        super().__init__(
            f"No space left on the device of {self.folder} ({what}); nothing was changed. "
            "Free space there (or move RAG_DATA_DIR / RAG_CORPUS_DIR) and run it again."
        )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n < 10**9 else f"{n / 1e9:.2f} GB"


__all__ = [
    "AuthError",
    "CorruptFile",
    "DiskFull",
    "EmptyFile",
    "EncryptedFile",
    "FileRejected",
    "GeneratorError",
    "IndexBusy",
    "IndexError_",
    "IndexMismatch",
    "IndexMissing",
    "InputError",
    "InvalidRequest",
    "ModelError",
    "NoText",
    "NotFound",
    "PayloadTooLarge",
    "RagError",
    "UndecodableText",
    "UnknownModel",
    "UnsupportedFile",
    "WritesDisabled",
    "public_message",
]
