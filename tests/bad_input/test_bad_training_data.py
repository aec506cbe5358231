"""The training-data builders (scripts/) pointed at missing data: one clear line, exit 1,
no traceback and no output folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize(("script", "flag", "fragment"), [
    ("build_tool_calls_data.py", "--bfcl", "no such file or folder"),
    ("build_tone_data.py", "--paradetox", "has no pairs.jsonl or dpo.jsonl; give --paradetox"),
])
def test_missing_input_data_is_one_clear_line(script: str, flag: str, fragment: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPTS / script), flag, str(tmp_path / "missing"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and fragment in done.stderr and "error: " in done.stderr
    assert not (tmp_path / "out").exists()
