"""DNS rebinding: the real dashboard answers only Host headers that name it."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_dashboard_browser import _make_study, _serve


def _status(base: str, host: str | None) -> tuple[int, str]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        conn.putrequest("GET", "/api/studies", skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def test_dashboard_refuses_a_foreign_host_header(tmp_path: Path) -> None:
    url, _ = _make_study(tmp_path)
    with _serve(tmp_path, url) as page:
        base = page.split("/dashboard", 1)[0]
        port = urlsplit(base).port
        # What a page on evil.example sees after pointing its name at 127.0.0.1.
        status, body = _status(base, f"evil.example:{port}")
        assert status == 403
        assert "evil.example" in body and "DNS rebinding" in body
        assert "browser_demo" not in body
        assert _status(base, "127.0.0.1.evil.example")[0] == 403
        assert _status(base, f"localhost:{port + 1}")[0] == 403  # another port: not us
        assert _status(base, None)[0] == 400
        for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", "localhost"):
            status, body = _status(base, good)
            assert status == 200, (good, body)
            assert "browser_demo" in body
        with urllib.request.urlopen(f"{base}/api/studies", timeout=20) as response:
            assert response.status == 200  # an ordinary client sends its own Host
        request = urllib.request.Request(f"{base}/api/studies", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=20)
        assert refused.value.code == 403


def test_allowed_host_names() -> None:
    from mbr_search.cli._dashboard import allowed_hosts

    assert allowed_hosts("127.0.0.1", 8080) == {
        "127.0.0.1", "localhost", "[::1]",
        "127.0.0.1:8080", "localhost:8080", "[::1]:8080",
    }  # fmt: skip
    assert "[::1]:9" in allowed_hosts("::1", 9)
    assert "127.0.0.2:9" in allowed_hosts("127.0.0.2", 9)
