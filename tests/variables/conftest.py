"""Fixtures for variable tests: real Java serialization bytes produced by javac + java at test time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JAVA_SRC = Path(__file__).parent / "java" / "fixtures" / "Fixtures.java"


@pytest.fixture(scope="session")
def java_streams(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """name -> ObjectOutputStream bytes written by tests/variables/java/fixtures/Fixtures.java."""
    assert shutil.which("javac") and shutil.which("java"), "javac/java are part of the test bed (scripts/testbed)"
    work = tmp_path_factory.mktemp("javaser")
    classes = work / "classes"
    out = work / "out"
    subprocess.run(["javac", "-d", str(classes), str(JAVA_SRC)], check=True, capture_output=True, timeout=300)
    subprocess.run(
        ["java", "-cp", str(classes), "fixtures.Fixtures", str(out)], check=True, capture_output=True, timeout=300
    )
    return {p.stem: p.read_bytes() for p in sorted(out.glob("*.ser"))}
