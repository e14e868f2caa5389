"""Settings: HARVESTER_* env vars, the env file, validation errors that name the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.core.settings import Settings, SettingsError, get_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No HARVESTER_* vars and no ./.env from the developer's shell; a fresh cache each side."""
    for name in [n for n in os.environ if n.startswith("HARVESTER_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = get_settings()
    assert settings.time_scale == 1.0
    assert settings.database_url == "sqlite:///harvester.db"
    assert settings.broker_url is None
    assert settings.accounts_file == Path("accounts.toml")


@pytest.mark.parametrize(
    ("var", "raw", "field", "expected"),
    [
        ("HARVESTER_TIME_SCALE", "120", "time_scale", 120.0),
        ("HARVESTER_INITIAL_DAYS", "7", "initial_days", 7),
        ("HARVESTER_ACCOUNTS_FILE", "/etc/harvester/a.toml", "accounts_file", Path("/etc/harvester/a.toml")),
        ("HARVESTER_BROKER_URL", "redis://r:6379/1", "broker_url", "redis://r:6379/1"),
        ("HARVESTER_LOG_FORMAT", "json", "log_format", "json"),
        ("harvester_max_retries", "2", "max_retries", 2),
    ],
)
def test_env_vars_with_the_prefix_set_fields(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(var, raw)
    assert getattr(get_settings(), field) == expected


def test_settings_are_read_once_until_the_cache_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_INITIAL_DAYS", "5")
    first = get_settings()
    monkeypatch.setenv("HARVESTER_INITIAL_DAYS", "9")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().initial_days == 9


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("HARVESTER_TIME_SCALE", "0"),
        ("HARVESTER_TIME_SCALE", "fast"),
        ("HARVESTER_LOG_FORMAT", "xml"),
        ("HARVESTER_LOG_LEVEL", "TRACE"),
        ("HARVESTER_INITIAL_DAYS", "-1"),
        ("HARVESTER_FLOW_MAX_ATTEMPTS", "0"),
        ("HARVESTER_DATABASE_URL", "postgres://harvester@db/harvester"),
        ("HARVESTER_VISIBILITY_TIMEOUT", "600"),
    ],
)
def test_a_bad_value_raises_settings_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str
) -> None:
    monkeypatch.setenv(var, raw)
    with pytest.raises(SettingsError, match=var):
        get_settings()


def test_an_env_file_sets_fields_and_real_env_vars_override_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "harvester.env"
    env_file.write_text("HARVESTER_INITIAL_DAYS=11\nHARVESTER_LOG_LEVEL=DEBUG\nOTHER_TOOL=x\n")
    monkeypatch.setenv("HARVESTER_LOG_LEVEL", "ERROR")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert (settings.initial_days, settings.log_level) == (11, "ERROR")


def test_a_dot_env_in_the_working_directory_is_read_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARVESTER_ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HARVESTER_SWEEP_INTERVAL=7.5\n")
    get_settings.cache_clear()
    assert get_settings().sweep_interval == 7.5
    get_settings.cache_clear()


_PROBE = (
    "from harvester.core.settings import SettingsError, get_settings\n"
    "try:\n    print(get_settings().time_scale)\n"
    "except SettingsError as exc:\n    print(exc)\n"
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("HARVESTER_TIME_SCALE=60\n", "60.0"), ("HARVESTER_TIME_SCALE=0\n", "HARVESTER_TIME_SCALE")],
)
def test_harvester_env_file_set_at_process_start_is_read(tmp_path: Path, content: str, expected: str) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env["HARVESTER_ENV_FILE"] = str(env_file)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert expected in out.stdout


def test_harvester_env_file_set_after_import_is_read_on_the_next_get_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("HARVESTER_TIME_SCALE=60\n")
    monkeypatch.setenv("HARVESTER_ENV_FILE", str(env_file))
    get_settings.cache_clear()
    assert get_settings().time_scale == 60.0


@pytest.mark.parametrize(("time_scale", "seconds", "expected"),
                         [(1.0, 60.0, 60.0), (120.0, 60.0, 0.5), (0.5, 3.0, 6.0)])
def test_scaled_divides_api_seconds_by_the_time_scale(time_scale: float, seconds: float, expected: float) -> None:
    settings = Settings(_env_file=None, time_scale=time_scale)  # type: ignore[call-arg]
    assert settings.scaled(seconds) == pytest.approx(expected)


def test_a_postgres_url_names_the_spelling_that_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_DATABASE_URL", "postgresql://harvester@db:5432/harvester")
    with pytest.raises(SettingsError, match=r"use postgresql\+psycopg://db:5432/harvester"):
        get_settings()


def test_every_process_stops_at_start_on_a_cadence_for_an_unknown_endpoint(tmp_path: Path) -> None:
    """celeryconfig is what every worker and beat imports first."""
    import subprocess
    import sys

    env = {**os.environ, "HARVESTER_BROKER_URL": "redis://127.0.0.1:1/0", "HARVESTER_ENV_FILE": "/nonexistent",
           "HARVESTER_CADENCES": '{"wb.no_such_endpoint": "daily"}'}
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", "import celeryconfig"], env=env, cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "unknown endpoint 'wb.no_such_endpoint'" in done.stderr
