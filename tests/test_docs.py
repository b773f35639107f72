"""Documentation checks: the hook reference is generated and current, every hook is
documented and exercised by a test, the README gives the two commands."""
import inspect
from pathlib import Path

from spinnframe import hookdoc

ROOT = Path(__file__).parent.parent


def test_hook_reference_is_current():
    assert (ROOT / "docs" / "plugins" / "hooks.md").read_text() == hookdoc.render(), \
        "regenerate with: python -m spinnframe.hookdoc > docs/plugins/hooks.md"


def test_every_hook_is_documented_and_tested():
    tests = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py")
                    if p.name != "test_docs.py")
    hooks = hookdoc.hooks()
    assert hooks
    for name, func in hooks:
        doc = inspect.getdoc(func) or ""
        assert len(doc) > 80, f"hook {name} has no real documentation"
        assert name in tests, f"no test mentions hook {name}"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_command():
    lines = [l.strip() for l in (ROOT / "README.md").read_text().splitlines() if l.strip()]
    commands = [l for l in lines[:8] if "python3 -m venv" in l and "pip install" in l]
    assert len(commands) == 2
    assert "examples/" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_docs_exist():
    for name in ("user-guide.md", "architecture.md"):
        assert len((ROOT / "docs" / name).read_text()) > 2000, name
