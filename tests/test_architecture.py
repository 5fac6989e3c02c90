"""The package map keeps its shape: domains import one way, the scheduler imports no domain."""

import subprocess
import sys
from pathlib import Path

from marketplace import PROJECT_ROOT


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(  # noqa: S603 - the project's own contract checker
        [str(lint_imports), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
