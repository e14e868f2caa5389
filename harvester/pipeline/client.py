"""The HTTP client: one `requests` session per account, typed errors, no waiting.

It never sleeps and never retries by itself: a 429 or a 5xx becomes an exception that the
task turns into a re-queue with a countdown (nothing holds a worker slot while it waits).
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from harvester.core.accounts import Account
from harvester.core.errors import BadRequest, Transient, error_for
from harvester.core.request import Request
from harvester.core.settings import Settings
from harvester.pipeline.parse import decode_body

# Host keys of the catalog → real base URLs (reference/wb-api.md §1, yandex-market-api.md).
HOSTS: dict[str, str] = {
    "wb.analytics": "https://seller-analytics-api.wildberries.ru",
    "wb.advert": "https://advert-api.wildberries.ru",
    "wb.advert_media": "https://advert-media-api.wildberries.ru",
    "wb.common": "https://common-api.wildberries.ru",
    "ym.api": "https://api.partner.market.yandex.ru",
}


# Where the marketplaces take their keys: `requests` strips only Authorization when a redirect
# leaves the host, so the session strips both.
CREDENTIALS = ("Authorization", "Api-Key")


class _Session(requests.Session):
    """A session whose redirects never carry a credential to another host (or port, or scheme)."""

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for header in CREDENTIALS:
                prepared_request.headers.pop(header, None)


class Client:
    """Sends requests for accounts; keeps one pooled session per account in this process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sessions: dict[str, requests.Session] = {}

    def _session(self, account: Account) -> requests.Session:
        session = self._sessions.get(account.id)
        if session is None:
            session = _Session()
            session.mount("http://", HTTPAdapter(pool_maxsize=4))
            session.mount("https://", HTTPAdapter(pool_maxsize=4))
            session.headers["User-Agent"] = "harvester/0.1"
            if not urllib.request.getproxies():
                # No proxy configured: spare every call requests' scan of the environment (and of
                # ~/.netrc, a credential source of its own); a CA bundle named there still counts.
                session.trust_env = False
                session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            self._sessions[account.id] = session
        return session

    def base_url(self, host: str) -> str:
        return self._settings.emulator_url or HOSTS[host]

    def send(self, account: Account, request: Request, stream: bool = False) -> requests.Response:
        """One call; a non-2xx answer or a network failure raises a typed `HarvestError`.

        With `stream` the body is left unread, for downloads spooled to disk.
        """
        if not request.host.startswith(f"{account.marketplace}."):  # its key would be the wrong one, or none
            raise BadRequest(f"{request.label}: a {request.host} call for {account.marketplace} account {account.id} "
                             "is never sent")
        if not request.path.startswith(("/", "http://", "https://")):  # "@evil.host/x" would change the host
            raise BadRequest(f"{request.label}: not a path or an http(s) link; never sent")
        base = self.base_url(request.host).rstrip("/")
        # A file link (YM reports) is a full URL, often on a storage host: the key goes only to the API.
        url = request.path if request.path.startswith(("http://", "https://")) else base + request.path
        auth = {}
        if url.startswith(base + "/"):
            token = account.token()
            auth = {"Authorization": token} if account.marketplace == "wb" else {"Api-Key": token}
        try:
            response = self._session(account).request(
                request.method,
                url,
                params=request.params or None,
                json=request.json,
                headers=auth,
                timeout=(self._settings.connect_timeout, self._settings.request_timeout),
                stream=stream,
            )
        except requests.RequestException as exc:
            # The exception text can carry the URL but never headers, so no token leaks here.
            raise Transient(f"{request.label}: {type(exc).__name__}") from None
        error = error_for(account.marketplace, response, request.label)
        if error is not None:
            raise error
        return response


def decode_json(response: requests.Response, label: str) -> Any:
    """The JSON body (see `parse.decode_body`); none for 204 or an empty body."""
    if response.status_code == 204 or not response.content:
        return None
    return decode_body(response.content, label)


def spool(response: requests.Response, path: Path, label: str) -> int:
    """Write a streamed body to `path` in chunks (memory stays flat); a cut connection is `Transient`."""
    size = 0
    try:
        with open(path, "wb") as out:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)
                size += len(chunk)
    except requests.RequestException as exc:
        raise Transient(f"{label}: download broke off after {size} bytes ({type(exc).__name__})") from None
    finally:
        response.close()
    return size
