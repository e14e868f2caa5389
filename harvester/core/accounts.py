"""Seller accounts: read from the TOML file the settings name, tokens resolved at use.

A task carries an account id; the token is looked up here, in the worker, from an env var
or a file each time, so a rotated token is picked up without a restart and never travels
through the broker, the database or Flower.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import astuple, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jwt
import structlog
from dotenv import dotenv_values

from harvester.core.logs import register_secret
from harvester.core.settings import SettingsError, get_settings

log = structlog.get_logger(__name__)

Marketplace = Literal["wb", "ym"]
TokenType = Literal["personal", "service", "base", "test"]

# WB `acc` claim → token type (reference/wb-api.md §3.2). Older tokens have no `acc`.
_ACC_TYPES: dict[int, TokenType] = {1: "base", 2: "test", 3: "personal", 4: "service"}


class TokenError(RuntimeError):
    """A token that cannot be read or decoded; the message never contains the token."""


@dataclass(frozen=True)
class Account:
    """One seller account as configured; holds where its token lives, not the token."""

    id: str
    marketplace: Marketplace
    name: str = ""
    token_env: str | None = None
    token_file: Path | None = None
    wb_api_generation: Literal["seed", "current"] = "current"
    ym_business_id: int | None = None
    ym_campaign_ids: tuple[int, ...] = field(default_factory=tuple)
    ym_subscription: Literal["none", "medium"] = "none"  # YM's Medium subscription raises its budgets

    def token(self) -> str:
        """The current token, read fresh so rotation needs no restart."""
        value = self._read_token()
        register_secret(value)
        return value

    def _read_token(self) -> str:
        if self.token_env:
            value = (_env_file_values().get(self.token_env) or os.environ.get(self.token_env, "")).strip()
            if not value:
                raise TokenError(f"account {self.id}: env var {self.token_env} is empty or unset")
            return value
        assert self.token_file is not None
        try:
            value = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise TokenError(f"account {self.id}: cannot read token file {self.token_file}: {exc.strerror}") from None
        if not value:
            raise TokenError(f"account {self.id}: token file {self.token_file} is empty")
        return value

    def pinned(self) -> Account:
        """This entry with its token read once, now: for one pass over many of its calls (a
        dispatch cycle reads an account's limits for every limit group), never kept for long."""
        return _Pinned(**{f.name: getattr(self, f.name) for f in fields(Account)}, pinned_token=self.token())

    def settings_fingerprint(self) -> str:
        """A hash of the account's entry (not its token): an edit lifts what its settings caused."""
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()[:16]

    def context(self) -> dict[str, Any]:
        """What requests and `ctx` columns may name about the account itself."""
        return {"account_id": self.id, **({"business_id": self.ym_business_id} if self.ym_business_id else {})}

    def limit_tier(self) -> str:
        """Which row of a limit table applies: the WB token's type, or the YM subscription."""
        return self.token_type() if self.marketplace == "wb" else self.ym_subscription

    def budget_owner(self) -> str:
        """Whose rate limits and report quota a request spends: the seller the WB token belongs
        to, or the YM cabinet. Two entries for one seller share one budget, as the API counts it;
        an entry whose token names no seller has its own."""
        if self.marketplace == "ym":
            return f"business:{self.ym_business_id}" if self.ym_business_id else self.id
        sid = wb_claims(self.token(), self.id).get("sid")
        return f"seller:{sid}" if sid else self.id

    def token_type(self) -> TokenType:
        """The WB token's type from its `acc` claim; limits differ per type."""
        if self.marketplace != "wb":
            return "personal"
        acc = wb_claims(self.token(), self.id).get("acc")
        return _ACC_TYPES.get(acc, "personal") if isinstance(acc, int) else "personal"


@dataclass(frozen=True)
class _Pinned(Account):
    pinned_token: str = field(default="", repr=False)

    def _read_token(self) -> str:
        return self.pinned_token


def _env_file_values() -> dict[str, str | None]:
    """The env file's variables, read fresh when it changes: a token rotated there needs no restart."""
    path = Path(os.environ.get("HARVESTER_ENV_FILE", ".env"))
    try:
        key = (path, path.stat().st_mtime)
    except OSError:
        return {}
    if key not in _env_cache:
        _env_cache.clear()
        _env_cache[key] = dotenv_values(path)
    return _env_cache[key]


_env_cache: dict[tuple[Path, float], dict[str, str | None]] = {}


def wb_claims(token: str, account_id: str) -> dict:
    """The claims of a WB token (a JWT), unverified: WB signs it, we only read them. Decoded once
    per token: it is read fresh for every request, and rarely changes."""
    try:
        return dict(_claims(token.removeprefix("Bearer ")))
    except jwt.PyJWTError:  # its message may quote the token: say only what is wrong
        raise TokenError(f"account {account_id}: WB token is not a JWT "
                         "(three base64url parts, a JSON object payload)") from None


@lru_cache(maxsize=8192)
def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _parse_account(raw: dict, where: str, base_dir: Path) -> Account:
    known = {"id", "marketplace", "name", "token_env", "token_file", "wb_api_generation",
             "business_id", "campaign_ids", "subscription"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown keys {', '.join(unknown)}")
    if "id" not in raw or not str(raw["id"]).strip():
        raise SettingsError(f"{where}: `id` is required")
    account_id = str(raw["id"])
    marketplace = raw.get("marketplace")
    if marketplace not in ("wb", "ym"):
        raise SettingsError(f"{where} ({account_id}): `marketplace` must be \"wb\" or \"ym\"")
    token_env, token_file = raw.get("token_env"), raw.get("token_file")
    if bool(token_env) == bool(token_file):
        raise SettingsError(f"{where} ({account_id}): set exactly one of `token_env` or `token_file`")
    generation = raw.get("wb_api_generation", "current")
    if generation not in ("seed", "current"):
        raise SettingsError(f"{where} ({account_id}): `wb_api_generation` must be \"seed\" or \"current\"")
    subscription = raw.get("subscription", "none")
    if subscription not in ("none", "medium"):
        raise SettingsError(f"{where} ({account_id}): `subscription` must be \"none\" or \"medium\" (Yandex Market)")
    path = Path(token_file) if token_file else None
    if path is not None and not path.is_absolute():
        path = base_dir / path
    return Account(
        id=account_id,
        marketplace=marketplace,
        name=str(raw.get("name", "")),
        token_env=token_env,
        token_file=path,
        wb_api_generation=generation,
        ym_business_id=raw.get("business_id"),
        ym_campaign_ids=tuple(raw.get("campaign_ids", ())),
        ym_subscription=subscription,
    )


def read_accounts(path: Path) -> tuple[dict[str, Account], list[str]]:
    """Accounts by id from a TOML file with one `[[accounts]]` table each, and the problems of
    the entries left out: an entry invalid on its own stops only itself. A file that is missing
    or does not parse raises `SettingsError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"accounts file {path} not found (set HARVESTER_ACCOUNTS_FILE)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"accounts file {path} is not valid TOML: {exc}") from None
    accounts: dict[str, Account] = {}
    problems: list[str] = []
    for i, raw in enumerate(data.get("accounts", [])):
        try:
            account = _parse_account(raw, f"{path} [[accounts]] #{i + 1}", path.parent)
        except SettingsError as exc:
            problems.append(str(exc))
            continue
        if account.id in accounts:
            problems.append(f"{path} [[accounts]] #{i + 1}: duplicate account id {account.id} (the first one is used)")
            continue
        accounts[account.id] = account
    return accounts, problems


def load_accounts(path: Path) -> dict[str, Account]:
    """Accounts by id; the first problem of any entry raises (for checking a file by hand)."""
    accounts, problems = read_accounts(path)
    if problems:
        raise SettingsError(problems[0])
    return accounts


@dataclass
class _Loaded:
    """The accounts file as last read: its accounts, the entries left out, and, while the file
    does not parse, why (the accounts are then the last good ones)."""

    mtime: float = -1.0
    accounts: dict[str, Account] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    broken: str | None = None
    good: bool = False


_loaded: dict[Path, _Loaded] = {}


def _load(path: Path) -> _Loaded:
    """Reread the file when it changed. One that no longer parses keeps the last good accounts
    (a typo mid-run must not stop every account); one that never parsed raises."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise SettingsError(f"accounts file {path} not found (set HARVESTER_ACCOUNTS_FILE)") from None
    state = _loaded.setdefault(path, _Loaded())
    if state.mtime == mtime:
        if state.broken and not state.good:
            raise SettingsError(state.broken)
        return state
    state.mtime = mtime
    try:
        accounts, problems = read_accounts(path)
    except SettingsError as exc:
        state.broken = str(exc)
        if not state.good:
            raise
        log.error("accounts_file_broken", error=state.broken,
                  action="the last good accounts are used until the file is fixed")
        return state
    for problem in problems:
        if problem not in state.problems:
            log.error("account_entry_invalid", error=problem, action="this entry is left out until it is fixed")
    state.accounts, state.problems, state.broken, state.good = accounts, problems, None, True
    return state


def get_accounts() -> dict[str, Account]:
    """The configured accounts, reloaded when the file changes so workers see edits."""
    return _load(get_settings().accounts_file).accounts


def accounts_file_problems() -> list[str]:
    """What is wrong with the accounts file now: why it does not parse (the last good accounts
    are in use), and the entries left out."""
    state = _load(get_settings().accounts_file)
    broken = [f"{state.broken} (the last good version is in use)"] if state.broken else []
    return broken + state.problems


def get_account(account_id: str) -> Account:
    """One account by id; a clear error when it is not configured."""
    try:
        return get_accounts()[account_id]
    except KeyError:
        raise SettingsError(f"account {account_id} is not in {get_settings().accounts_file}") from None
