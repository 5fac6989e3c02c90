"""bench/scale.py keeps running: a tiny territory through every measurement of the table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_scale_bench_prints_its_table_on_a_tiny_territory(tmp_path):
    result = subprocess.run(  # noqa: S603 - this interpreter, the project's own bench
        [
            sys.executable,
            str(ROOT / "bench" / "scale.py"),
            "--households",
            "20",
            "--requests",
            "1",
            "--checklist",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in ("season planning", "sign-off sheet", "shop", "checklist", "memory"):
        assert figure in result.stdout
    assert "neither pyvrp nor stripe" in result.stdout
