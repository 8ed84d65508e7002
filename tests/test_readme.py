"""The README is the manual: it shows the two commands and names every setting's env var."""
from ingest.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _env_names() -> list[str]:
    names = []
    for group in Settings.model_fields.values():
        for field in group.default_factory.model_fields.values():
            alias = field.validation_alias
            names.extend(alias.choices if hasattr(alias, "choices") else [alias])
    return names


def test_readme_names_every_setting() -> None:
    missing = [name for name in _env_names() if name not in README]
    assert not missing, f"settings without a README line: {missing}"


def test_readme_first_screen_shows_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make run" in first_screen and "make test" in first_screen
