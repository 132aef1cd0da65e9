"""Settings: one table, documented everywhere, clear errors for bad values."""

from pathlib import Path

import pytest

from bot.settings import SETTINGS, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_readme_and_env_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, setting.env
        assert f"\n{setting.env}=" in example or f"\n#{setting.env}=" in example, setting.env


def test_defaults_and_overrides():
    settings = Settings.from_env({})
    assert settings.bands.answer == 0.60 and settings.bands.suggest == 0.42
    assert settings.question_log_url.endswith("data/storybot.sqlite3")
    env = {
        "STORYBOT_ADMINS": "1, 22;333",
        "STORYBOT_DATA_DIR": "/srv/bot",
        "STORYBOT_WATCH_KNOWLEDGE": "on",
        "STORYBOT_RATE_LIMIT": "off",
    }
    settings = Settings.from_env(env, token="123:abc")
    assert settings.admins == {1, 22, 333}
    assert settings.health_file == Path("/srv/bot/health.json")
    assert settings.watch_knowledge and not settings.rate_limit
    assert settings.token == "123:abc"
    assert "abc" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STORYBOT_ADMINS": "alice"}, "STORYBOT_ADMINS"),
        ({"STORYBOT_ANSWER_THRESHOLD": "high"}, "STORYBOT_ANSWER_THRESHOLD"),
        ({"STORYBOT_SUGGEST_THRESHOLD": "0.9"}, "must not be above"),
        ({"STORYBOT_WEBHOOK_PORT": "99999"}, "STORYBOT_WEBHOOK_PORT"),
        ({"STORYBOT_LOG_FORMAT": "xml"}, "STORYBOT_LOG_FORMAT"),
        ({"STORYBOT_WATCH_KNOWLEDGE": "maybe"}, "on or off"),
        ({"STORYBOT_RETENTION_DAYS": "0"}, "STORYBOT_RETENTION_DAYS"),
    ],
)
def test_bad_values_name_the_setting(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("token", ["", "abc", "123:short", "123:has spaces in it......"])
def test_bad_tokens_are_refused_without_echoing_them(token):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({}, token=token).require_token()
    assert not token or token not in str(error.value)


@pytest.mark.parametrize(
    "token",
    [
        "123456789:" + "Ab1_-" * 7,  # @BotFather's shape: a 35-character secret
        "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",  # the Bot API docs' example (34)
    ],
)
def test_well_formed_tokens_are_accepted(token):
    assert Settings.from_env({}, token=token).require_token() == token


def test_the_readers_date_is_pinned_in_one_place():
    import datetime as dt

    assert Settings.from_env({}).today is None
    assert Settings.from_env({}).reader_today() == dt.date.today()
    pinned = Settings.from_env({"STORYBOT_TODAY": "2025-09-04"})
    assert pinned.reader_today() == dt.date(2025, 9, 4)
    flag = Settings.from_env({"STORYBOT_TODAY": "2025-09-04"}, today=dt.date(2025, 9, 1))
    assert flag.reader_today() == dt.date(2025, 9, 1)  # --today wins over the environment
    with pytest.raises(SettingsError, match="STORYBOT_TODAY must be a date as YYYY-MM-DD"):
        Settings.from_env({"STORYBOT_TODAY": "4 Sep"})
