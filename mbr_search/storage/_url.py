"""Storage URLs: parsing, the default SQLite file, passwords from env/file, redaction.

Only the standard library and SQLAlchemy's URL parser are used here, so resolving a URL is
cheap and never touches the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mbr_search import paths
from mbr_search.errors import StorageError

#: Environment variables that supply a password for a URL that names a user but no password.
PASSWORD_ENV = "MBR_SEARCH_DB_PASSWORD"
PASSWORD_FILE_ENV = "MBR_SEARCH_DB_PASSWORD_FILE"

DEFAULT_DB_NAME = "mbr_search.db"

EXAMPLES = (
    "sqlite:///path/to/mbr_search.db, "
    "postgresql+psycopg2://user@db-host:5432/mbr (password in MBR_SEARCH_DB_PASSWORD) "
    "or journal:///path/to/study.log"
)

_RDB_KINDS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}

# scheme://user:password@ -- the password is everything up to the LAST '@' of the token, so
# a password with an unescaped '@' is still hidden completely (over-redacting is harmless).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<pw>\S*)@")

# Passwords that did not arrive inside the URL (env var, file) are redacted literally too.
_KNOWN_SECRETS: set[str] = set()
_MIN_LITERAL_SECRET = 4


@dataclass(frozen=True)
class StorageSpec:
    """A resolved Optuna storage.

    ``url`` may hold a password and must never be printed or logged; ``display`` is the
    same URL with the password replaced by ``***``. ``kind`` is one of ``"sqlite"``,
    ``"postgresql"``, ``"mysql"`` or ``"journal"``. ``read_only`` storages (``report``,
    ``studies``) are opened without creating, repairing or writing anything, so they work
    on a read-only folder or filesystem.
    """

    url: str
    display: str
    kind: str
    read_only: bool = False

    def __repr__(self) -> str:  # dataclass repr would print the password
        ro = ", read_only=True" if self.read_only else ""
        return f"StorageSpec(display={self.display!r}, kind={self.kind!r}{ro})"

    __str__ = __repr__

    @property
    def path(self) -> Path | None:
        """The database or journal file for file-based storages, else None."""
        if self.kind == "journal":
            return Path(self.url[len("journal://") :])
        if self.kind == "sqlite":
            rest = self.url.split("://", 1)[1][1:]
            return None if rest in ("", ":memory:") else Path(rest)
        return None


def redact_url(text: str) -> str:
    """Replace the password of every URL-like substring of ``text`` with ``***``.

    Passwords that were read from ``MBR_SEARCH_DB_PASSWORD`` or a password file during this
    process are also replaced wherever they occur.
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***@", text)
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def default_sqlite_path() -> Path:
    """The default storage file: ``<data dir>/mbr_search.db`` (``MBR_SEARCH_HOME`` moves it)."""
    return paths.data_dir() / DEFAULT_DB_NAME


def resolve_storage(
    url: str | None, *, password_file: Path | None = None, read_only: bool = False
) -> StorageSpec:
    """Turn a user's ``--storage`` value into a :class:`StorageSpec`.

    ``None`` means the default SQLite file (its folder is created unless ``read_only``). A
    URL with a user but no password takes it from ``password_file``,
    ``$MBR_SEARCH_DB_PASSWORD_FILE`` or ``$MBR_SEARCH_DB_PASSWORD``. Raises
    :class:`StorageError` for a malformed URL, an unknown scheme, a port out of range or a
    folder that cannot be written. ``read_only`` (commands that only read) creates no
    folder, and opening such a spec refuses a SQLite or journal file that does not exist,
    so a typo cannot leave folders and an empty database behind.
    """
    if url is None:
        path = default_sqlite_path()
        if not read_only:
            _ensure_writable_folder(path, f"sqlite:///{path}")
        text = f"sqlite:///{path}"
        return StorageSpec(url=text, display=text, kind="sqlite", read_only=read_only)
    url = url.strip()
    shown = redact_url(url)
    if "://" not in url:
        raise StorageError(
            f"storage '{shown}' is not a URL: write it as {_suggest(url)} "
            f"(accepted forms: {EXAMPLES})"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "journal":
        return _resolve_journal(url, shown, read_only)
    if scheme in ("postgres", "postgres+psycopg2"):
        url = "postgresql" + url[len("postgres") :]  # libpq spelling SQLAlchemy 2 rejects
        scheme = url.split("://", 1)[0].lower()
    kind = _RDB_KINDS.get(scheme.split("+", 1)[0])
    if kind is None:
        raise StorageError(
            f"storage '{shown}' has unknown scheme '{scheme}': use one of {EXAMPLES}"
        )
    if kind == "sqlite":
        return _resolve_sqlite(url, shown, read_only)
    if scheme == "postgresql":
        url = _default_pg_driver() + url[len(scheme) :]
    spec = _resolve_server(url, shown, kind, password_file)
    return StorageSpec(spec.url, spec.display, spec.kind, read_only=read_only)


def _default_pg_driver() -> str:
    """The driver for a bare ``postgresql://``: psycopg 3 if installed, else psycopg2.

    SQLAlchemy 2.1 maps the bare scheme to psycopg 3, but the driver mbr-search installs
    is psycopg2 (``psycopg2-binary``); naming it means that, if even that one is missing,
    the error asks for the package that mbr-search itself depends on.
    """
    import importlib.util

    if importlib.util.find_spec("psycopg") is not None:
        return "postgresql"
    return "postgresql+psycopg2"


def _suggest(value: str) -> str:
    if value.endswith((".log", ".jsonl", ".journal")):
        return f"journal://{Path(value).expanduser().absolute()}"
    return f"sqlite:///{Path(value).expanduser().absolute()}"


def _resolve_journal(url: str, shown: str, read_only: bool) -> StorageSpec:
    raw = url[len("journal://") :]
    if not raw or raw.endswith("/"):
        raise StorageError(
            f"storage '{shown}' names no journal file: write journal:///path/to/study.log"
        )
    # Like file:// URLs: journal:///abs/path is absolute, journal://rel/path is relative.
    path = Path(raw).expanduser().absolute()
    text = f"journal://{path}"
    if not read_only:
        _ensure_writable_folder(path, shown)
    return StorageSpec(url=text, display=text, kind="journal", read_only=read_only)


def _resolve_sqlite(url: str, shown: str, read_only: bool) -> StorageSpec:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"storage '{shown}' is not a valid SQLite URL: write sqlite:///path/to/file.db"
        ) from None
    database = parsed.database or ""
    if parsed.host or parsed.username:
        raise StorageError(
            f"storage '{shown}' has a host part: SQLite URLs are sqlite:///relative.db "
            "or sqlite:////absolute/path.db"
        )
    if database in ("", ":memory:"):
        text = "sqlite:///:memory:"
        return StorageSpec(url=text, display=text, kind="sqlite")
    # Absolute path, so every worker process and the dashboard agree on one file.
    path = Path(database).expanduser().absolute()
    text = f"sqlite:///{path}"
    if not read_only:
        _ensure_writable_folder(path, text)
    if path.is_dir():
        raise StorageError(
            f"storage '{text}' is a folder: name a file, e.g. sqlite:///{path / DEFAULT_DB_NAME}"
        )
    return StorageSpec(url=text, display=text, kind="sqlite", read_only=read_only)


def missing_file_error(spec: StorageSpec) -> StorageError:
    """The refusal for a read-only storage whose SQLite or journal file does not exist."""
    what = "journal file" if spec.kind == "journal" else "database file"
    return StorageError(
        f"storage '{spec.display}' does not exist: no such {what}, and nothing was created. "
        "Fix: check the --storage path, or run `mbr-search run STUDY` there first."
    )


def _resolve_server(url: str, shown: str, kind: str, password_file: Path | None) -> StorageSpec:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    example = (
        "postgresql+psycopg2://user@db-host:5432/mbr"
        if kind == "postgresql"
        else "mysql+pymysql://user@db-host:3306/mbr"
    )
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 -- a non-numeric port only raises when read
    except (ArgumentError, ValueError):
        raise StorageError(
            f"storage '{shown}' is not a valid URL: write it like {example}"
        ) from None
    if not parsed.host:
        raise StorageError(f"storage '{shown}' names no host: write it like {example}")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        default = 5432 if kind == "postgresql" else 3306
        raise StorageError(
            f"storage '{shown}': port {parsed.port} is out of range: use a port from 1 to "
            f"65535 (the server's default is {default}), e.g. {example}"
        )
    if not parsed.database:
        raise StorageError(f"storage '{shown}' names no database: write it like {example}")
    if parsed.username and parsed.password is None:
        password = _password_from_env_or_file(password_file, shown)
        if password is not None:
            parsed = parsed.set(password=password)
    if parsed.password:
        _remember_secret(str(parsed.password))
    full = parsed.render_as_string(hide_password=False)
    display = parsed.render_as_string(hide_password=True)
    return StorageSpec(url=full, display=display, kind=kind)


def _password_from_env_or_file(password_file: Path | None, shown: str) -> str | None:
    file_value = password_file or (
        Path(os.environ[PASSWORD_FILE_ENV]) if os.environ.get(PASSWORD_FILE_ENV) else None
    )
    if file_value is not None:
        file_path = Path(file_value).expanduser()
        try:
            text = file_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StorageError(
                f"password file '{file_path}' for storage '{shown}' cannot be read "
                f"({exc.strerror}): check the path given by --password-file or {PASSWORD_FILE_ENV}"
            ) from None
        # Only the first line counts, so files written by `echo pw > file` work.
        lines = text.splitlines()
        password = lines[0] if lines else ""
        if not password:
            raise StorageError(
                f"password file '{file_path}' for storage '{shown}' is empty: "
                "write the password on its first line"
            )
        return password
    return os.environ.get(PASSWORD_ENV) or None


def _remember_secret(secret: str) -> None:
    from urllib.parse import quote

    for form in (secret, quote(secret, safe="")):
        if len(form) >= _MIN_LITERAL_SECRET:
            _KNOWN_SECRETS.add(form)


def _ensure_writable_folder(path: Path, shown: str) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        reason = f"'{blocker}' is a file" if blocker.is_file() else exc.strerror
        raise StorageError(
            f"storage '{shown}': cannot create folder '{folder}' ({reason}): "
            "pick a path you can write, e.g. --storage sqlite:///$HOME/mbr_search.db"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(
            f"storage '{shown}': folder '{folder}' is not writable: "
            "pick a path you can write or fix its permissions"
        )


def split_password(url: str) -> tuple[str, str | None]:
    """``(url without its password, the password)``; ``(url, None)`` when it holds none.

    Only server URLs carry passwords; anything unparsable is returned as it is (the
    storage resolver reports it properly later).
    """
    if not _URL_PASSWORD.search(url):
        return url, None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url, None
    if parsed.password is None:
        return url, None
    # URL.set() ignores None; the URL is a named tuple, so _replace clears the field.
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    return bare, str(parsed.password)
