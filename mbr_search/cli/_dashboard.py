"""``mbr-search dashboard``: optuna-dashboard on a study's storage, bound to 127.0.0.1.

The server is optuna-dashboard's WSGI app on a threaded ``wsgiref`` server (what
``optuna_dashboard.run_server`` uses), plus three fixes: requests without an
``Accept-Encoding`` header (curl, scripts) no longer get a 500 for static files,
``--port 0`` picks a free port and prints it, which tests and shared machines need, and a
loopback-bound server answers only requests whose ``Host:`` names it (403 otherwise).
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from mbr_search.errors import ConfigError, StorageError, UsageError

if TYPE_CHECKING:
    import optuna
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from _typeshed.wsgi import WSGIApplication as WSGIApp

    from mbr_search.storage import StorageSpec


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``dashboard`` and its options."""
    parser = subparsers.add_parser(
        "dashboard",
        help="browse a study's trials and plots in optuna-dashboard (127.0.0.1 by default)",
        description=(
            "Serve optuna-dashboard for a study's storage (SQLite, PostgreSQL or journal). "
            "STUDY is a study config (name or YAML path) or the name of a study in the "
            "storage; without it the dashboard lists every study in the storage."
        ),
    )
    parser.add_argument("study", nargs="?", metavar="STUDY", help="study config or study name")
    parser.add_argument(
        "--storage",
        metavar="URL",
        help="storage URL (default: the study config's, else the local SQLite file)",
    )
    parser.add_argument("--study-name", metavar="NAME", help="study name inside the storage")
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="read the database password from FILE (or set MBR_SEARCH_DB_PASSWORD)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; other addresses expose it without login)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        metavar="DIR",
        help="artifact folder (reports, plots); default: beside the storage file",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; returns 0 when stopped by the user."""
    from mbr_search.storage import default_artifact_dir, open_storage, resolve_storage

    study_name, storage_url = _resolve_study(args)
    spec = resolve_storage(storage_url, password_file=args.password_file)
    _require_existing_file(spec)
    # No heartbeat: the dashboard only reads, it must never fail other workers' trials.
    storage = open_storage(spec, heartbeat_interval=None)
    study_id = _study_id(storage, spec, study_name)
    artifacts = args.artifacts or default_artifact_dir(spec)
    allowed: set[str] = set()  # filled once the port is known (--port 0 picks one)
    app = _build_app(storage, artifacts)
    if _is_loopback(args.host):
        app = _host_guard(app, allowed)
    server = _serve(app, args.host, args.port)
    port = server.server_address[1]
    allowed.update(allowed_hosts(args.host, port))
    host = args.host if ":" not in args.host else f"[{args.host}]"
    path = f"/dashboard/studies/{study_id}" if study_id is not None else "/dashboard"
    label = f"study '{study_name}'" if study_name else "all studies"
    print(f"optuna-dashboard for {label} in {spec.display}", flush=True)
    print(f"open http://{host}:{port}{path}  (artifacts: {artifacts}; Ctrl-C stops)", flush=True)
    if not _is_loopback(args.host):
        print(
            f"warning: bound to {args.host}: anyone who can reach this port sees and can "
            "delete your studies (optuna-dashboard has no login)",
            file=sys.stderr,
            flush=True,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("dashboard stopped.", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def _resolve_study(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(study name, storage URL) from STUDY / --study-name / --storage."""
    if args.study is None:
        return args.study_name, args.storage
    from mbr_search.config._yaml import load_yaml_mapping
    from mbr_search.config.study import load_study, resolve_study_path

    try:
        config = load_study(args.study, storage=args.storage, study_name=args.study_name)
        return config.study_name, config.storage
    except ConfigError:
        try:
            path = resolve_study_path(args.study)
        except ConfigError:
            # Not a config: STUDY names a study already in the storage (checked later).
            return args.study_name or args.study, args.storage
    # The config exists but does not load here (e.g. its videos live on another machine):
    # the dashboard needs only its name and storage.
    raw = load_yaml_mapping(path, "study")
    name = args.study_name or str(raw.get("name") or path.stem)
    stored = raw.get("storage")
    return name, args.storage or (str(stored) if stored else None)


def _require_existing_file(spec: StorageSpec) -> None:
    # Opening would create an empty database: a typo in the path should not look like
    # "no studies yet".
    path = spec.path
    if path is not None and not path.exists():
        raise StorageError(
            f"storage '{spec.display}' does not exist yet: run `mbr-search init` or "
            "`mbr-search run` first, or fix the --storage path"
        )


def _study_id(
    storage: optuna.storages.BaseStorage, spec: StorageSpec, name: str | None
) -> int | None:
    if name is None:
        return None
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        names = [s.study_name for s in storage.get_all_studies()]
        known = ", ".join(sorted(names)[:10]) or "none"
        raise StorageError(
            f"study '{name}' is not in storage '{spec.display}' (studies there: {known}): "
            "check --study-name/--storage or run `mbr-search init` first"
        ) from None


def _build_app(storage: optuna.storages.BaseStorage, artifacts: Path) -> WSGIApp:
    import optuna_dashboard
    from optuna.artifacts import FileSystemArtifactStore

    try:
        artifacts.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"artifact folder '{artifacts}' cannot be created ({exc.strerror}): "
            "pass --artifacts DIR"
        ) from None
    app = optuna_dashboard.wsgi(storage, artifact_store=FileSystemArtifactStore(artifacts))
    return _default_accept_encoding(app)


def _default_accept_encoding(app: WSGIApp) -> WSGIApp:
    """Work around optuna-dashboard 0.21 answering 500 when Accept-Encoding is missing.

    Its static-file route reads ``request.headers["Accept-Encoding"]`` unguarded; an
    absent header means "identity" in HTTP, so that is what we fill in.
    """

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ.setdefault("HTTP_ACCEPT_ENCODING", "identity")
        return app(environ, start_response)

    return wrapped


def allowed_hosts(host: str, port: int) -> set[str]:
    """The ``Host:`` header values a loopback-bound dashboard answers (lower case)."""
    names = {"127.0.0.1", "localhost", "[::1]", f"[{host}]" if ":" in host else host}
    return {n.lower() for n in names} | {f"{n}:{port}".lower() for n in names}


def _host_guard(app: WSGIApp, allowed: set[str]) -> WSGIApp:
    """Answer only requests addressed to this server by name (DNS rebinding protection).

    A web page on another site can point its own host name at 127.0.0.1 and then read the
    dashboard from the user's browser; such requests carry that site's name in ``Host:``.
    Only loopback binds are guarded: with ``--host`` set to another address, users reach
    it by names this process cannot know.
    """

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = str(environ.get("HTTP_HOST", "")).strip().lower()
        if host and host in allowed:
            return app(environ, start_response)
        status = "403 Forbidden" if host else "400 Bad Request"
        shown = f"Host '{host}'" if host else "a request without a Host header"
        known = sorted(h for h in allowed if ":" in h and not h.startswith("["))
        body = (
            f"mbr-search dashboard: {shown} is refused; open it as "
            f"http://{known[0] if known else '127.0.0.1'}/dashboard (DNS rebinding guard).\n"
        ).encode()
        start_response(
            status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return guarded


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a browser's open keep-alive connection must not block Ctrl-C


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        # One line per request would drown the URL we printed; errors still reach stderr.
        if len(args) > 1 and str(args[1]).startswith(("4", "5")):
            super().log_message(format, *args)


def _serve(app: WSGIApp, host: str, port: int) -> WSGIServer:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port number: use 1-65535 (0 = any free port)")
    server_class: type[WSGIServer] = _ThreadedServer
    if ":" in host:
        server_class = type(
            "_ThreadedServer6", (_ThreadedServer,), {"address_family": socket.AF_INET6}
        )
    try:
        return make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror}): pick another --port "
            "(0 = any free port) or --host"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
