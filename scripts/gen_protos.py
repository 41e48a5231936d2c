"""Regenerate the Python code for every proto under protos/ into the `recipes` package.

One command (`make protos`) so that CI can regenerate and fail on a dirty tree. Output is
deterministic for a pinned grpcio-tools, which the lock files fix.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT_PACKAGE = ROOT / "recipes"
HEADER = '"""Generated from protos/ by `make protos`. Do not edit."""\n'


def main() -> int:
    """Wipe the generated package, run protoc once over every proto, add package markers."""
    if OUT_PACKAGE.exists():
        shutil.rmtree(OUT_PACKAGE)
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={ROOT}",
        f"--pyi_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        *protos,
    ]
    code = protoc.main(args)
    if code != 0:
        print("protoc failed", file=sys.stderr)
        return int(code)
    for folder in [OUT_PACKAGE, *sorted(p for p in OUT_PACKAGE.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").write_text(HEADER)
    (OUT_PACKAGE / "py.typed").write_text("")
    print(f"generated {len(protos)} protos into {OUT_PACKAGE.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
